"""wattprint.meters."""
