"""Shipped data of the estimator (sources and licences: README.md here)."""
