"""Shipped suites (YAML), loaded by name: ``wattprint run smoke``."""
