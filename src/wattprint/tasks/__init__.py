"""wattprint.tasks."""
