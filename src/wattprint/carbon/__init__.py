"""wattprint.carbon."""
