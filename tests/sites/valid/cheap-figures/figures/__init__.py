"""Builders of the cheap-figures fixture site."""
