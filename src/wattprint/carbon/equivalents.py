"""Relatable equivalents of an energy or carbon figure, each with its constant and source.

One table, :data:`EQUIVALENTS`, is the single source of truth; ``docs/equivalents.md`` shows
the same table (a test keeps them in step). Each equivalent is derived from energy
(``count = energy_kwh / kwh_per_unit``), from carbon (``count = carbon_g / g_per_unit``) or
from water (``count = water_l / l_per_unit``, see :func:`water_equivalents`), and says which. Energy-based equivalents use the energy that was charged with carbon
(``energy_facility_j``: the measured energy × PUE).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from wattprint.errors import ConfigError, unknown_choice
from wattprint.units import J_PER_KWH

BASIS_ENERGY = "energy"
BASIS_CO2 = "co2"
BASIS_WATER = "water"

KM_PER_MILE: float = 1.609344
LITRES_PER_US_GALLON: float = 3.785411784

EPA_URL = ("https://www.epa.gov/energy/greenhouse-gases-equivalencies-calculator-"
           "calculations-and-references")
EPA_ARCHIVE_2023_URL = ("https://web.archive.org/web/20230903042020/https://www.epa.gov/energy/"
                        "greenhouse-gases-equivalencies-calculator-calculations-and-references")
STUDY = "Luccioni, Jernite, Strubell, Power Hungry Processing (FAccT 2024)"

#: Smartphone kWh per charge: EPA 2024 (the study's published version) and EPA before 2024
#: (the study's arXiv v1).
PHONE_KWH_EPA_2024: float = 0.022
PHONE_KWH_EPA_PRE_2024: float = 0.012

#: Average passenger vehicle, EPA equivalencies calculator: 3.93e-4 t CO2e per mile.
CAR_G_PER_MILE_EPA: float = 393.0
#: The factor implied by the study: 1,594 g CO2eq "roughly the equivalent to 4.1 miles".
CAR_G_PER_MILE_STUDY: float = 1594.0 / 4.1


@dataclass(frozen=True)
class Equivalent:
    """One row of the equivalents table.

    Attributes:
        key: Identifier (``smartphone_charges``).
        label: What one unit is, plural (``"smartphone charges"``).
        basis: ``"energy"`` (constant in kWh per unit), ``"co2"`` (g CO2eq per unit) or
            ``"water"`` (litres per unit).
        constant: kWh, g CO2eq or litres per unit, by basis.
        constant_unit: Unit of ``constant`` in words (``"kWh per charge"``).
        source: Who published the constant.
        url: Where to check it.
        year: Year of the source.
        note: Derivation and caveats.
    """

    key: str
    label: str
    basis: str
    constant: float
    constant_unit: str
    source: str
    url: str
    year: int
    note: str = ""

    def count(self, energy_kwh: float, carbon_g: float, water_l: float = 0.0) -> float:
        """How many units ``energy_kwh`` (kWh), ``carbon_g`` (g CO2eq) or ``water_l`` (L)
        amount to, by the row's basis."""
        if self.basis == BASIS_ENERGY:
            return energy_kwh / self.constant
        if self.basis == BASIS_WATER:
            return water_l / self.constant
        return carbon_g / self.constant


EQUIVALENTS: tuple[Equivalent, ...] = (
    Equivalent("smartphone_charges", "smartphone charges", BASIS_ENERGY, PHONE_KWH_EPA_2024,
               "kWh per charge", "US EPA Greenhouse Gas Equivalencies Calculator (2024 revision)",
               EPA_URL, 2024, f"the factor of the published study ({STUDY}, footnote 5); default"),
    Equivalent("smartphone_charges_epa_pre2024", "smartphone charges (EPA pre-2024 factor)",
               BASIS_ENERGY, PHONE_KWH_EPA_PRE_2024, "kWh per charge",
               "US EPA Greenhouse Gas Equivalencies Calculator (before January 2024)",
               EPA_ARCHIVE_2023_URL, 2023,
               "the factor of the study's arXiv v1 (16 % of a charge, 950 charges)"),
    Equivalent("car_km", "km driven by an average petrol car", BASIS_CO2,
               CAR_G_PER_MILE_EPA / KM_PER_MILE, "g CO2eq per km",
               "US EPA Greenhouse Gas Equivalencies Calculator (average passenger vehicle)",
               EPA_URL, 2023, "393 g CO2eq/mile (3.93e-4 t/mile) / 1.609344 km/mile"),
    Equivalent("car_miles", "miles driven by an average petrol car", BASIS_CO2,
               CAR_G_PER_MILE_EPA, "g CO2eq per mile",
               "US EPA Greenhouse Gas Equivalencies Calculator (average passenger vehicle)",
               EPA_URL, 2023, "3.93e-4 metric tons CO2eq per mile"),
    Equivalent("car_miles_study", "miles driven by an average petrol car (study's factor)",
               BASIS_CO2, CAR_G_PER_MILE_STUDY, "g CO2eq per mile", STUDY,
               "https://arxiv.org/abs/2311.16863", 2024,
               "implied by the study: 1,594 g CO2eq = 4.1 miles, i.e. 388.8 g/mile"),
    Equivalent("petrol_litres", "litres of petrol burned", BASIS_CO2,
               8887.0 / LITRES_PER_US_GALLON, "g CO2 per litre",
               "US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle",
               "https://www.epa.gov/greenvehicles/greenhouse-gas-emissions-typical-passenger-"
               "vehicle", 2023, "8,887 g CO2 per US gallon / 3.785 L per gallon"),
    Equivalent("web_searches", "web searches", BASIS_ENERGY, 0.0003, "kWh per search",
               "Google Official Blog, 'Powering a Google search' (U. Hölzle)",
               "https://googleblog.blogspot.com/2009/01/powering-google-search.html", 2009,
               "0.3 Wh per search, the figure quoted in the press coverage of the study; "
               "an old figure for a search engine, not for a chatbot"),
    Equivalent("led_bulb_hours", "hours of a 10 W LED bulb", BASIS_ENERGY, 0.010,
               "kWh per hour", "definition: a 10 W LED (an 800-lumen '60 W-equivalent' bulb "
               "draws about 8-10 W, US DOE / ENERGY STAR)",
               "https://www.energy.gov/energysaver/led-lighting", 2024,
               "10 W × 1 h = 0.010 kWh"),
    Equivalent("kettle_boils", "kettle boils (1 litre)", BASIS_ENERGY, 0.1, "kWh per boil",
               "physics: heating 1 kg of water from 15 to 100 °C",
               "https://en.wikipedia.org/wiki/Specific_heat_capacity", 2024,
               "4.186 kJ/(kg·K) × 1 kg × 85 K = 356 kJ = 0.099 kWh, the minimum; "
               "rounded to 0.1 kWh (a real kettle loses a little more)"),
    Equivalent("video_streaming_hours", "hours of video streaming", BASIS_ENERGY, 0.077,
               "kWh per hour", "IEA, 'The carbon footprint of streaming video: fact-checking "
               "the headlines' (G. Kamiya)",
               "https://www.iea.org/commentaries/the-carbon-footprint-of-streaming-video-fact-"
               "checking-the-headlines", 2020,
               "2019 global average for data centres, networks and the viewing device"),
    Equivalent("water_drops", "drops of water", BASIS_WATER, 0.00005, "L per drop",
               "Elsworth et al., Measuring the environmental impact of delivering AI at Google "
               "Scale (arXiv:2508.15734)", "https://arxiv.org/abs/2508.15734", 2025,
               "the paper's framing: 0.26 mL is five drops, 0.05 mL per drop"),
    Equivalent("teaspoons", "teaspoons of water", BASIS_WATER, 0.00492892159375,
               "L per teaspoon", "definition: US customary teaspoon, 1/6 US fluid ounce "
               "(NIST SP 811, appendix B)", "https://www.nist.gov/pml/special-publication-811",
               2008, "4.92892159375 mL exactly"),
    Equivalent("bottles_500ml", "500 mL bottles of water", BASIS_WATER, 0.5, "L per bottle",
               "definition: a 500 mL bottle", "https://en.wikipedia.org/wiki/Litre", 2024,
               "0.5 L"),
    Equivalent("toilet_flushes", "toilet flushes", BASIS_WATER, 1.6 * LITRES_PER_US_GALLON,
               "L per flush", "US EPA WaterSense, Residential Toilets (1.6 gallons per flush, "
               "the US federal maximum since 1994)",
               "https://www.epa.gov/watersense/residential-toilets", 2024,
               "1.6 US gallons x 3.785 L per gallon; a WaterSense toilet uses 1.28 gallons"),
)

#: Water equivalents shown with a water figure (:func:`water_equivalents`).
WATER_KEYS: tuple[str, ...] = ("water_drops", "teaspoons", "bottles_500ml", "toilet_flushes")

#: Shown by default; the phone and car factors are then swapped by :func:`default_keys`.
DEFAULT_KEYS: tuple[str, ...] = ("smartphone_charges", "car_km", "car_miles", "petrol_litres",
                                 "web_searches", "led_bulb_hours", "kettle_boils",
                                 "video_streaming_hours")

CAR_FACTORS: dict[str, str] = {"epa": "car_miles", "study": "car_miles_study"}
PHONE_FACTORS: dict[float, str] = {PHONE_KWH_EPA_2024: "smartphone_charges",
                                   PHONE_KWH_EPA_PRE_2024: "smartphone_charges_epa_pre2024"}


def equivalent(key: str) -> Equivalent:
    """The table row named ``key``.

    Raises:
        ConfigError: unknown key, with the valid ones.
    """
    for e in EQUIVALENTS:
        if e.key == key:
            return e
    raise unknown_choice("equivalent", key, (e.key for e in EQUIVALENTS))


def default_keys(*, phone_kwh_per_charge: float = PHONE_KWH_EPA_2024,
                 car_factor: str = "epa") -> tuple[str, ...]:
    """The default selection with the chosen smartphone and car factors.

    Args:
        phone_kwh_per_charge: 0.022 (EPA 2024, default) or 0.012 (EPA before 2024).
        car_factor: ``"epa"`` (393 g/mile) or ``"study"`` (1,594 g / 4.1 miles).

    Raises:
        ConfigError: a factor that is not one of the tabled ones.
    """
    phone_key = PHONE_FACTORS.get(float(phone_kwh_per_charge))
    if phone_key is None:
        raise ConfigError(f"--phone-kwh: expected one of "
                          f"{', '.join(f'{k:g}' for k in PHONE_FACTORS)} kWh per charge "
                          f"(EPA 2024, EPA before 2024), got {phone_kwh_per_charge!r}")
    if car_factor not in CAR_FACTORS:
        raise unknown_choice("car factor", car_factor, CAR_FACTORS)
    keys = [phone_key if k == "smartphone_charges" else k for k in DEFAULT_KEYS]
    return tuple(CAR_FACTORS[car_factor] if k == "car_miles" else k for k in keys)


@dataclass(frozen=True)
class EquivalentValue:
    """An equivalent applied to one figure.

    Attributes:
        key, label, basis, constant, constant_unit, source, url, year: From the table row.
        value: The count (e.g. 4.5 smartphone charges).
    """

    key: str
    label: str
    value: float
    basis: str
    constant: float
    constant_unit: str
    source: str
    url: str
    year: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def compute_equivalents(energy_j: float, carbon_g: float,
                        keys: Iterable[str] | None = None) -> list[EquivalentValue]:
    """Apply equivalents to an energy (J) and a carbon (g CO2eq) figure.

    Args:
        energy_j: Energy, J (for energy-based rows; pass the facility energy).
        carbon_g: Emissions, g CO2eq (for co2-based rows).
        keys: Rows to apply; default :func:`default_keys`.

    Raises:
        ConfigError: unknown key, or a negative figure.
    """
    if energy_j < 0 or carbon_g < 0:
        raise ConfigError(f"equivalents need energy >= 0 and carbon >= 0, got {energy_j} J, "
                          f"{carbon_g} g")
    energy_kwh = energy_j / J_PER_KWH
    out = []
    for key in keys if keys is not None else default_keys():
        e = equivalent(key)
        out.append(EquivalentValue(key=e.key, label=e.label, value=e.count(energy_kwh, carbon_g),
                                   basis=e.basis, constant=e.constant,
                                   constant_unit=e.constant_unit, source=e.source, url=e.url,
                                   year=e.year))
    return out


def water_equivalents(water_l: float,
                      keys: Iterable[str] = WATER_KEYS) -> list[EquivalentValue]:
    """Apply water equivalents to a water figure.

    Args:
        water_l: Water consumed, litres (>= 0).
        keys: Water rows to apply (default :data:`WATER_KEYS`).

    Raises:
        ConfigError: a negative figure, an unknown key or a key that is not water-based.
    """
    if not water_l >= 0:
        raise ConfigError(f"water equivalents need water >= 0 L, got {water_l}")
    out = []
    for key in keys:
        e = equivalent(key)
        if e.basis != BASIS_WATER:
            raise ConfigError(f"equivalent {key!r} is not water-based (basis {e.basis})")
        out.append(EquivalentValue(key=e.key, label=e.label, value=e.count(0.0, 0.0, water_l),
                                   basis=e.basis, constant=e.constant,
                                   constant_unit=e.constant_unit, source=e.source, url=e.url,
                                   year=e.year))
    return out


def format_count(value: float) -> str:
    """A count with sensible precision: 0.0871, 4.5, 1,234."""
    a = abs(value)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
