"""wattprint.harness."""
