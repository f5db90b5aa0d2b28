"""wattprint.carbon: grid carbon intensity, emissions, equivalents and training parity.

Offline by design: intensities come from shipped, sourced tables (``data/``) or from the
user (a value or a time-series CSV). See ``docs/equivalents.md`` and ``data/README.md``.
"""

from wattprint.carbon.emissions import (
    Emissions,
    check_pue,
    emissions,
    emissions_timeseries,
    emissions_window,
)
from wattprint.carbon.equivalents import (
    EQUIVALENTS,
    Equivalent,
    EquivalentValue,
    compute_equivalents,
    default_keys,
)
from wattprint.carbon.intensity import Intensity, resolve_intensity, search_table, world_average
from wattprint.carbon.parity import Parity, parity
from wattprint.carbon.summary import CarbonSummary, carbon_summary
from wattprint.carbon.timeseries import IntensitySeries, load_intensity_csv, segments_from_power
from wattprint.carbon.window import WindowEmissions, window_emissions

__all__ = [
    "EQUIVALENTS", "CarbonSummary", "Emissions", "Equivalent", "EquivalentValue", "Intensity",
    "IntensitySeries", "Parity", "carbon_summary", "check_pue", "compute_equivalents",
    "default_keys", "emissions", "emissions_timeseries", "emissions_window",
    "load_intensity_csv", "parity", "resolve_intensity", "search_table", "segments_from_power",
    "world_average", "WindowEmissions", "window_emissions",
]
