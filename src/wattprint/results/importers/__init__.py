"""Importers of energy logs written by other tools (CodeCarbon ...)."""
