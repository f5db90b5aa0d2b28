"""The carbon methodology shown in the report, from ``wattprint.carbon`` when it offers one.

Hook: if ``wattprint.carbon`` exposes ``methodology_lines() -> list[str]`` (intensity sources
and equivalents with their constants, source and year), the report prints those lines;
otherwise it shows only the carbon fields stored with each result and says so.
"""

from __future__ import annotations

from wattprint.analysis.report import CarbonInfo


def carbon_info() -> CarbonInfo:
    """Carbon methodology lines from ``wattprint.carbon``, or an unavailable marker."""
    try:
        import wattprint.carbon as carbon
    except ImportError:
        return CarbonInfo()
    fn = getattr(carbon, "methodology_lines", None)
    if not callable(fn):
        return CarbonInfo()
    return CarbonInfo(lines=tuple(str(x) for x in fn()), available=True)
