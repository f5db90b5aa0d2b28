"""wattprint.analysis."""
