"""Tests that the documentation in docs/ runs as written."""
