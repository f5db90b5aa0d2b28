"""Water consumed by an energy figure: on-site (cooling) and off-site (electricity generation).

``on-site L  = IT energy kWh × WUE``            (WUE: litres per kWh of IT energy, ISO/IEC 30134-9)
``off-site L = IT energy kWh × PUE × water intensity of the grid`` (litres per kWh generated)

The IT energy is the measured energy (the boundary the meters report); the PUE scales it to
the facility's draw from the grid, which is what the power plants generated. Water consumed
(evaporated, not returned), not withdrawn. Embodied water (chip and server manufacturing) is
outside the boundary: no open per-device data, said so in every figure.

Factors, offline (``data/README.md``):

* ``facilities.csv``: WUE and PUE published by providers (Google, AWS, Microsoft) and the
  stated default for an unknown facility;
* ``water_offsite.csv``: water intensity of electricity per country and the world average.

Resolution: ``--wue`` (a value) or ``--wue-csv`` (a time series) beat ``--provider``, which
beats the provider of ``--cloud``; with none, the default row, flagged ``defaulted``. The
off-site factor follows the location flags (``--country``, ``--region`` → its country,
``--cloud`` → its country), or ``--water-intensity``; with none, the world average, flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wattprint.carbon.factors import Factor, read_table, row_factor, user_factor
from wattprint.carbon.factors import check_value as _check
from wattprint.carbon.impacts import EMBODIED, USAGE, WATER, ImpactFigure, Part
from wattprint.carbon.intensity import lookup_cloud, lookup_country, lookup_region
from wattprint.carbon.timeseries import IntensitySeries, SeriesKind, load_series_csv
from wattprint.errors import ConfigError, unknown_choice
from wattprint.units import J_PER_KWH

FACILITIES = "facilities.csv"
OFFSITE = "water_offsite.csv"
DEFAULT_FACILITY = "default"
WORLD = "world"

#: Highest on-site WUE accepted (L/kWh): evaporative cooling in a hot, dry climate is a few
#: L/kWh; fleet averages are 0.1-1.2.
MAX_WUE_L_PER_KWH: float = 20.0
#: Highest off-site water intensity accepted (L/kWh): hydro-heavy grids reach ~20 in the
#: shipped table (reservoir evaporation is counted).
MAX_WATER_INTENSITY_L_PER_KWH: float = 100.0

WUE_HINT = "fleet averages are 0.1-1.2 L/kWh (AWS 0.15, Microsoft 0.30, Google 1.15)"
CLOUD_PROVIDERS: dict[str, str] = {"aws": "aws", "gcp": "google", "azure": "microsoft"}
"""``--cloud`` provider prefix → ``facilities.csv`` provider."""

ONSITE_NAME = "on-site WUE"
OFFSITE_NAME = "off-site water intensity"
NOT_MODELLED = ("not modelled: no open per-device data on the water used to make chips and "
                "servers (outside the boundary, not counted)")

WUE_SERIES = SeriesKind("WUE time series", "WUE", "WUE", "L/kWh",
                        ("wue", "wue_l_per_kwh", "water_usage_effectiveness", "value"),
                        MAX_WUE_L_PER_KWH, "is the file in mL/kWh or gallons/MWh?", 0.0,
                        "wue-timeseries", "use --wue for a single value")


@dataclass(frozen=True)
class Facility:
    """A provider's published factors.

    Attributes:
        provider: ``google``, ``aws``, ``microsoft`` or ``default``.
        pue: Its PUE factor, when published.
        wue: Its on-site WUE factor, when published.
    """

    provider: str
    pue: Factor | None
    wue: Factor | None


@lru_cache(maxsize=1)
def facilities() -> dict[str, Facility]:
    """Every provider of ``facilities.csv``.

    Raises:
        ConfigError: a malformed row (file, line and column named).
    """
    cols = ("provider", "factor", "value", "low", "high", "unit", "year", "source")
    found: dict[str, dict[str, Factor]] = {}
    for line_no, rec in read_table(FACILITIES, cols):
        kind = rec["factor"]
        if kind not in ("pue", "wue"):
            raise ConfigError(f"{FACILITIES}: line {line_no}: factor {kind!r} is not pue or wue")
        name = "PUE" if kind == "pue" else ONSITE_NAME
        f = row_factor(rec, name=name, key=rec["provider"], unit=rec["unit"], table=FACILITIES,
                       line_no=line_no, value="value", low="low", high="high")
        found.setdefault(rec["provider"], {})[kind] = f
    return {p: Facility(p, d.get("pue"), d.get("wue")) for p, d in found.items()}


@lru_cache(maxsize=1)
def offsite_factors() -> dict[str, Factor]:
    """Off-site water intensity by ISO alpha-2 code (and ``world``), from ``water_offsite.csv``.

    Raises:
        ConfigError: a malformed row (file, line and column named).
    """
    cols = ("code", "alpha2", "alpha3", "name", "value_l_per_kwh", "year", "source")
    out: dict[str, Factor] = {}
    for line_no, rec in read_table(OFFSITE, cols):
        f = row_factor(rec, name=OFFSITE_NAME, key=rec["code"], unit="L/kWh", table=OFFSITE,
                       line_no=line_no, value="value_l_per_kwh", low="low_l_per_kwh",
                       high="high_l_per_kwh")
        out[rec["code"]] = f
    return out


def check_wue(value: float | str, what: str = "--wue") -> float:
    """Parse and bound-check an on-site WUE (L/kWh; 0 is valid: a dry-cooled site).

    Raises:
        ConfigError: names ``what`` and the valid range.
    """
    return _check(value, what, "L/kWh", high=MAX_WUE_L_PER_KWH, hint=WUE_HINT)


def check_water_intensity(value: float | str, what: str = "--water-intensity") -> float:
    """Parse and bound-check an off-site water intensity (L/kWh).

    Raises:
        ConfigError: names ``what`` and the valid range.
    """
    return _check(value, what, "L/kWh", high=MAX_WATER_INTENSITY_L_PER_KWH,
                  hint="national averages are 1-20 L/kWh (world 3.9)")


def provider_of(provider: str | None, cloud: str | None) -> str | None:
    """The ``facilities.csv`` provider named by ``--provider``, else by ``--cloud``'s prefix.

    Raises:
        ConfigError: an unknown provider (the valid ones listed).
    """
    if provider is not None:
        key = provider.strip().lower()
        key = CLOUD_PROVIDERS.get(key, key)
        known = sorted(p for p in facilities() if p != DEFAULT_FACILITY)
        if key not in known:
            raise unknown_choice("--provider", provider, [*known, *CLOUD_PROVIDERS])
        return key
    if cloud is not None and ":" in cloud:
        return CLOUD_PROVIDERS.get(cloud.split(":", 1)[0].strip().lower())
    return None


def resolve_wue(*, wue: float | str | None = None, provider: str | None = None,
                cloud: str | None = None) -> Factor:
    """The on-site WUE to use.

    Args:
        wue: A value given by the user (L/kWh).
        provider: ``google``, ``aws``, ``microsoft`` (or ``gcp``/``azure``).
        cloud: ``provider:region``; its provider is used when ``provider`` is None.

    Returns:
        The user's value, the provider's published fleet WUE, or the default row with
        ``defaulted=True``.

    Raises:
        ConfigError: a bad value or an unknown provider.
    """
    if wue is not None:
        return user_factor(ONSITE_NAME, check_wue(wue), "L/kWh", "--wue")
    key = provider_of(provider, cloud)
    fac = facilities()
    if key is not None and fac[key].wue is not None:
        w = fac[key].wue
        assert w is not None
        return w
    default = fac[DEFAULT_FACILITY].wue
    assert default is not None
    return default.with_(defaulted=True)


def provider_pue(provider: str | None, cloud: str | None = None) -> Factor | None:
    """The PUE a provider publishes (None when no provider is named or it publishes none).

    Raises:
        ConfigError: an unknown provider.
    """
    key = provider_of(provider, cloud)
    return None if key is None else facilities()[key].pue


def load_wue_csv(path: str | Path, value_column: str | None = None) -> IntensitySeries:
    """A time series of on-site WUE (timestamp, L/kWh), checked like an intensity series.

    Raises:
        ConfigError: naming the file and line (see
            :func:`~wattprint.carbon.timeseries.load_series_csv`).
    """
    return load_series_csv(path, WUE_SERIES, value_column=value_column)


def wue_from_series(series: IntensitySeries, start_s: float, end_s: float) -> Factor:
    """The time-weighted mean WUE of a series over a window (constant power assumed).

    Raises:
        ConfigError: the window falls outside the series.
    """
    mean = series.mean_g_per_kwh(start_s, end_s)  # a mean of the step function, any unit
    return Factor(name=ONSITE_NAME, key="user", value=mean, unit="L/kWh", low=mean, high=mean,
                  source=f"user-supplied (--wue-csv {series.source})",
                  note="time-weighted mean over the measured window")


def _country_code(country: str | None, region: str | None, cloud: str | None) -> tuple[str, str]:
    """(ISO alpha-2 or ``world``, what was resolved) from the location flags."""
    if country is not None:
        it = lookup_country(country)
    elif region is not None:
        it = lookup_region(region)
    elif cloud is not None:
        it = lookup_cloud(cloud)
    else:
        return WORLD, "world average (no location given)"
    code = it.code or WORLD
    if code.startswith("US-"):
        return "US", f"{it.label} -> United States (country average)"
    return code, it.label


def resolve_water_intensity(*, value: float | str | None = None, country: str | None = None,
                            region: str | None = None, cloud: str | None = None) -> Factor:
    """The off-site water intensity (L per kWh generated) for a location.

    Args:
        value: A value given by the user (L/kWh).
        country, region, cloud: The same location flags as the carbon intensity; a US grid
            region or state resolves to the US average (the table is national).

    Returns:
        The factor; the world average with ``defaulted=True`` when no location is given or
        the table has no row for it (the note says which).

    Raises:
        ConfigError: a bad value or an unknown location.
    """
    if value is not None:
        return user_factor(OFFSITE_NAME, check_water_intensity(value), "L/kWh",
                           "--water-intensity")
    code, label = _country_code(country, region, cloud)
    table = offsite_factors()
    if code in table:
        f = table[code]
        return f.with_(defaulted=code == WORLD, note=f"{label}; {f.note}")
    world = table[WORLD]
    return world.with_(defaulted=True,
                       note=f"no off-site water factor for {label}: world average used")


def water_figure(energy_j: float, pue: float, wue: Factor, offsite: Factor, *,
                 energy_low_j: float | None = None,
                 energy_high_j: float | None = None) -> ImpactFigure:
    """On-site and off-site water of one energy figure.

    Args:
        energy_j: IT energy (the measured boundary), J.
        pue: Power usage effectiveness (facility / IT energy), applied to the off-site part.
        wue: On-site WUE factor (L per kWh of IT energy).
        offsite: Water intensity of the grid (L per kWh generated).
        energy_low_j: Lower end of the energy's interval (default: ``energy_j``).
        energy_high_j: Upper end of the energy's interval (default: ``energy_j``).

    Returns:
        A figure in litres with parts ``on-site``, ``off-site`` (usage) and ``embodied``
        (not modelled, not counted).

    Raises:
        ConfigError: negative energy or a PUE below 1.
    """
    if not energy_j >= 0:
        raise ConfigError(f"water: energy must be >= 0 J, got {energy_j!r}")
    if not pue >= 1.0:
        raise ConfigError(f"water: PUE must be >= 1.0, got {pue!r}")
    kwh = energy_j / J_PER_KWH
    lo = (energy_j if energy_low_j is None else energy_low_j) / J_PER_KWH
    hi = (energy_j if energy_high_j is None else energy_high_j) / J_PER_KWH
    onsite = Part("on-site", USAGE, kwh * wue.value, lo * wue.low, hi * wue.high,
                  f"{kwh:.4g} kWh IT energy x WUE {wue.value:.4g} L/kWh")
    off = Part("off-site", USAGE, kwh * pue * offsite.value, lo * pue * offsite.low,
               hi * pue * offsite.high,
               f"{kwh:.4g} kWh x PUE {pue:g} x {offsite.value:.4g} L/kWh generated")
    embodied = Part("embodied", EMBODIED, None, None, None, reason=NOT_MODELLED, counted=False)
    return ImpactFigure(WATER, "L", (onsite, off, embodied), factors=(wue, offsite),
                        parameters={"energy_j": energy_j, "pue": pue})
