"""wattprint.backends."""
