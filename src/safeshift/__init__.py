"""safeshift: safe, fast, boring production schema changes."""

__version__ = "0.1.0"
