"""Builders of the Ray fixture site."""
