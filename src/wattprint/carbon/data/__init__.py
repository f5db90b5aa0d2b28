"""Bundled grid-intensity and region tables (CSV, g CO2eq/kWh) with their sources in README.md."""
