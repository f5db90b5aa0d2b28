"""Average grid carbon intensity (g CO2eq/kWh), offline, from shipped tables.

Three tables live in ``wattprint/carbon/data`` (provenance in ``data/README.md``):

* ``grid_intensity.csv``: the world average, countries (ISO 3166 alpha-2 and alpha-3 codes,
  Ember yearly data) and US eGRID subregions (EPA eGRID2022). Every row has a value, a source,
  a source URL, a year and a licence.
* ``cloud_regions.csv``: AWS, GCP and Azure regions, each mapped to the grid row that serves
  its location (US regions to their eGRID subregion, others to their country).
* ``us_states.csv``: US states mapped to the eGRID subregion serving most of the state.

Nothing here touches the network. With no location given, :func:`resolve_intensity` returns
the world average and says so (``defaulted=True``): there is no silent default.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from wattprint.errors import ConfigError, unknown_choice

#: Physical bounds used to reject nonsense values (g CO2eq/kWh). The dirtiest real grids are
#: a little above 1,000 (all-coal, with losses); nothing is at or below zero.
MAX_PLAUSIBLE_G_PER_KWH: float = 2000.0

WORLD_CODE = "world"

KIND_WORLD = "world"
KIND_COUNTRY = "country"
KIND_REGION = "region"
KIND_US_REGION = "us-region"
KIND_US_STATE = "us-state"
KIND_CLOUD = "cloud"
KIND_USER = "user"
KIND_TIMESERIES = "timeseries"


@dataclass(frozen=True)
class GridRow:
    """One row of ``grid_intensity.csv``.

    Attributes:
        code: Unique key (``FR``, ``US-NWPP``, ``world``, ``EU``).
        kind: ``world``, ``country``, ``region`` or ``us-region``.
        name: Human name.
        alpha2: ISO 3166-1 alpha-2 code (countries only, else empty).
        alpha3: ISO 3166-1 alpha-3 code (countries only, else empty).
        aliases: Other names accepted on input.
        value_g_per_kwh: Average intensity, g CO2eq/kWh.
        year: Year the value describes.
        source: Dataset the value comes from.
        source_url: Where to find it.
        licence: Licence of the source data.
        note: How the value was derived (rounding, unit conversion...).
    """

    code: str
    kind: str
    name: str
    alpha2: str
    alpha3: str
    aliases: tuple[str, ...]
    value_g_per_kwh: float
    year: int
    source: str
    source_url: str
    licence: str
    note: str


@dataclass(frozen=True)
class CloudRegion:
    """A cloud region and the grid row it draws from.

    Attributes:
        provider: ``aws``, ``gcp`` or ``azure``.
        region: Provider's region id (``us-west-2``, ``europe-west4``, ``westeurope``).
        location: City/state/country in words.
        grid_code: ``code`` of the :class:`GridRow` used for it.
        mapping_source: Where the location and the grid assignment come from.
        note: Caveats (e.g. national average used for a province with its own grid).
    """

    provider: str
    region: str
    location: str
    grid_code: str
    mapping_source: str
    note: str

    @property
    def key(self) -> str:
        """``provider:region``, the form accepted by ``--cloud``."""
        return f"{self.provider}:{self.region}"


@dataclass(frozen=True)
class Intensity:
    """A resolved average carbon intensity, with where it came from.

    Attributes:
        value_g_per_kwh: g CO2eq per kWh of electricity.
        source: Dataset (or ``"user-supplied"``) the value comes from.
        year: Year the value describes (None for a user-supplied value).
        label: What was resolved, in words (``"France (FR)"``,
            ``"aws:us-west-2 (Oregon, US) -> WECC Northwest (eGRID subregion NWPP)"``).
        kind: ``world``, ``country``, ``region``, ``us-region``, ``us-state``, ``cloud`` or
            ``user``.
        code: The grid row's code (``FR``, ``US-NWPP``, ``world``), or None for a user value.
        defaulted: True when nothing was asked for and the world average was used.
        source_url: Where to check the value.
        licence: Licence of the source data.
        note: Derivation and caveats.
    """

    value_g_per_kwh: float
    source: str
    year: int | None
    label: str
    kind: str
    code: str | None = None
    defaulted: bool = False
    source_url: str = ""
    licence: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and result records."""
        return asdict(self)


_DATA_PACKAGE = "wattprint.carbon.data"


def _open_data(name: str) -> Iterable[dict[str, str]]:
    text = resources.files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def grid_rows() -> tuple[GridRow, ...]:
    """Every row of ``grid_intensity.csv``, parsed and checked.

    Raises:
        ConfigError: a row is malformed (the shipped file is tested, so this means it was edited).
    """
    out: list[GridRow] = []
    for line_no, rec in enumerate(_open_data("grid_intensity.csv"), start=2):
        try:
            value = float(rec["value_g_per_kwh"])
            year = int(rec["year"])
        except (TypeError, ValueError) as err:
            raise ConfigError(f"grid_intensity.csv line {line_no}: bad value or year: {err}") from err
        aliases = tuple(a.strip() for a in (rec.get("aliases") or "").split(";") if a.strip())
        out.append(GridRow(code=rec["code"], kind=rec["kind"], name=rec["name"],
                           alpha2=rec["alpha2"], alpha3=rec["alpha3"], aliases=aliases,
                           value_g_per_kwh=value, year=year, source=rec["source"],
                           source_url=rec["source_url"], licence=rec["licence"], note=rec["note"]))
    return tuple(out)


@lru_cache(maxsize=1)
def cloud_regions() -> tuple[CloudRegion, ...]:
    """Every row of ``cloud_regions.csv``."""
    return tuple(CloudRegion(provider=r["provider"], region=r["region"], location=r["location"],
                             grid_code=r["grid_code"], mapping_source=r["mapping_source"],
                             note=r["note"]) for r in _open_data("cloud_regions.csv"))


@lru_cache(maxsize=1)
def us_states() -> tuple[tuple[str, str, str, str], ...]:
    """Rows of ``us_states.csv`` as ``(code, name, grid_code, mapping_source)``."""
    return tuple((r["code"], r["name"], r["grid_code"], r["mapping_source"])
                 for r in _open_data("us_states.csv"))


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


@lru_cache(maxsize=1)
def _grid_index() -> Mapping[str, GridRow]:
    index: dict[str, GridRow] = {}
    for row in grid_rows():
        for key in (row.code, row.alpha2, row.alpha3, row.name, *row.aliases):
            if key:
                index.setdefault(_norm(key), row)
    return index


@lru_cache(maxsize=1)
def _grid_by_code() -> Mapping[str, GridRow]:
    return {row.code: row for row in grid_rows()}


def _from_row(row: GridRow, *, label: str | None = None, kind: str | None = None,
              note: str = "", defaulted: bool = False) -> Intensity:
    return Intensity(value_g_per_kwh=row.value_g_per_kwh, source=row.source, year=row.year,
                     label=label or f"{row.name} ({row.code})", kind=kind or row.kind,
                     code=row.code, defaulted=defaulted, source_url=row.source_url,
                     licence=row.licence, note="; ".join(n for n in (note, row.note) if n))


def world_average() -> Intensity:
    """The world average row, flagged as a default (used when no location is given)."""
    row = _grid_by_code()[WORLD_CODE]
    return _from_row(row, label="world average (no location given)", defaulted=True)


def lookup_country(name_or_code: str) -> Intensity:
    """A country (ISO alpha-2, alpha-3 or name), the world, or a region such as ``EU``.

    Raises:
        ConfigError: unknown name; the message lists close matches and the valid codes.
    """
    row = _grid_index().get(_norm(name_or_code))
    if row is None or row.kind not in (KIND_COUNTRY, KIND_WORLD, KIND_REGION):
        choices = [r.alpha2 or r.code for r in grid_rows() if r.kind != KIND_US_REGION]
        names = [r.name for r in grid_rows() if r.kind != KIND_US_REGION]
        raise _unknown("country", name_or_code, choices, names)
    return _from_row(row)


def lookup_region(name_or_code: str) -> Intensity:
    """A grid region: a US eGRID subregion (``US-NWPP``, ``NWPP``, ``WECC Northwest``),
    a US state (``US-OR``, ``Oregon``; resolved to its eGRID subregion), or any country code.

    Raises:
        ConfigError: unknown region; the message lists close matches and the valid codes.
    """
    key = _norm(name_or_code)
    for code, name, grid_code, mapping_source in us_states():
        if key in (_norm(code), _norm(name)) and key not in _grid_index():
            row = _grid_by_code()[grid_code]
            return _from_row(row, kind=KIND_US_STATE,
                             label=f"{name} ({code}) -> {row.name}",
                             note=f"a state resolves to the eGRID subregion serving most of it, "
                                  f"not a state average ({mapping_source})")
    found = _grid_index().get(key)
    if found is None:
        choices = [r.code for r in grid_rows()] + [c for c, *_ in us_states()]
        names = [r.name for r in grid_rows()] + [n for _, n, *_ in us_states()]
        raise _unknown("region", name_or_code, choices, names)
    return _from_row(found)


def lookup_cloud(provider_region: str) -> Intensity:
    """A cloud region given as ``provider:region`` (``aws:us-west-2``, ``gcp:europe-west4``,
    ``azure:westeurope``).

    Raises:
        ConfigError: malformed or unknown; the message lists close matches.
    """
    text = provider_region.strip().lower()
    if ":" not in text:
        raise ConfigError(f"--cloud expects provider:region (e.g. aws:us-west-2, "
                          f"gcp:us-central1, azure:westeurope), got {provider_region!r}")
    by_key = {c.key: c for c in cloud_regions()}
    cloud = by_key.get(text)
    if cloud is None:
        provider = text.split(":", 1)[0]
        same = [k for k in by_key if k.startswith(provider + ":")]
        if not same:
            raise unknown_choice("cloud provider", provider,
                                 sorted({c.provider for c in cloud_regions()}))
        raise unknown_choice("cloud region", provider_region, same)
    row = _grid_by_code()[cloud.grid_code]
    return _from_row(row, kind=KIND_CLOUD,
                     label=f"{cloud.key} ({cloud.location}) -> {row.name}",
                     note="; ".join(n for n in (cloud.note, f"mapping: {cloud.mapping_source}")
                                    if n))


def user_intensity(value: float | str) -> Intensity:
    """A plain value given by the user (``--intensity 138.75``).

    Raises:
        ConfigError: not a number, not finite, <= 0 or above the physical bound.
    """
    g = check_intensity_value(value, what="--intensity")
    return Intensity(value_g_per_kwh=g, source="user-supplied", year=None,
                     label=f"user-supplied {g:g} g/kWh", kind=KIND_USER)


def check_intensity_value(value: float | str, *, what: str = "intensity") -> float:
    """Parse and bound-check an intensity in g CO2eq/kWh; return it as float.

    Raises:
        ConfigError: names ``what`` and says what would be valid.
    """
    try:
        g = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: expected a number of g CO2eq/kWh, got {value!r}") from None
    if not math.isfinite(g) or g <= 0:
        raise ConfigError(f"{what}: expected a number > 0 g CO2eq/kWh, got {value!r}")
    if g > MAX_PLAUSIBLE_G_PER_KWH:
        raise ConfigError(f"{what}: {g:g} g CO2eq/kWh is above any real grid "
                          f"(max plausible {MAX_PLAUSIBLE_G_PER_KWH:g}); is it in g/MWh or lb/MWh?")
    return g


def resolve_intensity(*, country: str | None = None, region: str | None = None,
                      cloud: str | None = None,
                      intensity_g_per_kwh: float | str | None = None) -> Intensity:
    """Resolve at most one location choice into an :class:`Intensity`.

    Args:
        country: ISO 3166 alpha-2/alpha-3 code or English name (``FR``, ``FRA``, ``France``).
        region: US eGRID subregion or US state (``US-NWPP``, ``US-OR``), or a country code.
        cloud: ``provider:region`` (``aws:us-west-2``).
        intensity_g_per_kwh: A plain value in g CO2eq/kWh.

    Returns:
        The intensity; with nothing given, the world average with ``defaulted=True`` and the
        label ``"world average (no location given)"``.

    Raises:
        ConfigError: more than one choice given, an unknown name (close matches listed), or a
            bad number.
    """
    given = {k: v for k, v in (("country", country), ("region", region), ("cloud", cloud),
                               ("intensity", intensity_g_per_kwh)) if v is not None}
    if len(given) > 1:
        raise ConfigError("give only one of --country, --region, --cloud, --intensity; got "
                          + ", ".join(f"--{k} {v}" for k, v in given.items()))
    if country is not None:
        return lookup_country(country)
    if region is not None:
        return lookup_region(region)
    if cloud is not None:
        return lookup_cloud(cloud)
    if intensity_g_per_kwh is not None:
        return user_intensity(intensity_g_per_kwh)
    return world_average()


def search_table(text: str | None = None) -> list[dict[str, Any]]:
    """Rows of every table (grid rows, US states, cloud regions) matching ``text``.

    Args:
        text: Case-insensitive substring matched against codes, names, aliases and locations;
            None lists everything.

    Returns:
        Dicts with ``key``, ``kind``, ``name``, ``value_g_per_kwh``, ``year``, ``source``.
    """
    out: list[dict[str, Any]] = []
    by_code = _grid_by_code()
    for row in grid_rows():
        out.append({"key": row.code, "kind": row.kind, "name": row.name,
                    "alpha3": row.alpha3, "value_g_per_kwh": row.value_g_per_kwh,
                    "year": row.year, "source": row.source,
                    "_haystack": " ".join((row.code, row.alpha3, row.name, *row.aliases))})
    for code, name, grid_code, _ in us_states():
        g = by_code[grid_code]
        out.append({"key": code, "kind": KIND_US_STATE, "name": f"{name} -> {g.name}",
                    "alpha3": "", "value_g_per_kwh": g.value_g_per_kwh, "year": g.year,
                    "source": g.source, "_haystack": f"{code} {name} {grid_code}"})
    for c in cloud_regions():
        g = by_code[c.grid_code]
        out.append({"key": c.key, "kind": KIND_CLOUD, "name": f"{c.location} -> {g.name}",
                    "alpha3": "", "value_g_per_kwh": g.value_g_per_kwh, "year": g.year,
                    "source": g.source, "_haystack": f"{c.key} {c.location} {c.grid_code}"})
    needle = _norm(text) if text else ""
    result = [r for r in out if needle in _norm(r["_haystack"] + " " + r["name"])]
    for r in result:
        del r["_haystack"]
    return result


def _unknown(kind: str, value: str, codes: list[str], names: list[str]) -> ConfigError:
    """Unknown-name error: close matches (case-insensitive, over codes and names), then codes."""
    lowered: dict[str, str] = {}
    for c in [*codes, *names]:
        lowered.setdefault(c.lower(), c)
    close = difflib.get_close_matches(value.strip().lower(), list(lowered), n=4, cutoff=0.6)
    contains = [n for n in names if len(value.strip()) >= 3 and _norm(value) in _norm(n)]
    hints = list(dict.fromkeys([lowered[c] for c in close] + contains))[:5]
    hint = (" (did you mean " + " or ".join(repr(h) for h in hints) + "?)") if hints else ""
    return ConfigError(f"unknown {kind} {value!r}{hint}; valid codes: "
                       f"{', '.join(sorted(set(codes)))}; "
                       "`wattprint carbon regions --search TEXT` searches the table")
