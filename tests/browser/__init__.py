"""Tests that load the built demo site in headless Chromium (marked ``browser``)."""
