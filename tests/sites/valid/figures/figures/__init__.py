"""Builders of the figures fixture site."""
