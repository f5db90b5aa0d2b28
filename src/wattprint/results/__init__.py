"""wattprint.results."""
