"""The impact choices a run records with every result, so figures can be rebuilt anywhere.

:class:`ImpactSettings` holds the *resolved* factors (on-site WUE, off-site water intensity,
the provider PUE when one was used), with their sources, plus the embodied-carbon parameters
(a GPU model when the user named one, the lifetime, a device share when stated). It is kept
in the result's carbon record (:class:`~wattprint.carbon.record.CarbonRecord`, field
``impacts``); records written before it existed have none, and read as before.

What varies per result is not stored here but read from the result itself: its energy, its
busy time (the measured window), its GPUs (the measured GPU domains) and whether the machine
was shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wattprint.carbon.embodied import (
    DEFAULT_LIFETIME_YEARS,
    LIFETIME_SOURCE,
    SECONDS_PER_YEAR,
    check_lifetime_years,
    check_share,
    lookup_gpu_model,
)
from wattprint.carbon.factors import Factor
from wattprint.carbon.water import provider_pue, resolve_water_intensity, resolve_wue

SETTINGS_VERSION = 1
"""Format of the stored settings (``version`` key)."""


@dataclass(frozen=True)
class ImpactSettings:
    """Impact factors and parameters chosen for a run or a figure.

    Attributes:
        wue: On-site WUE factor (L per kWh of IT energy).
        water_intensity: Off-site water intensity of the grid (L per kWh generated).
        pue: The provider's published PUE, when ``--provider`` named one (the carbon record's
            PUE is then this value unless ``--pue`` was given; ``--cloud`` alone never changes
            the PUE). None: no provider named.
        gpu_model: GPU row key named by ``--gpu-model`` (None: detected from the measured GPUs).
        lifetime_s: Hardware service life, s.
        lifetime_source: Where the lifetime comes from.
        device_share: Share of the devices stated by ``--device-share`` (None: 1 for a job
            alone on its devices, unknown for a shared machine).
        version: Format version.
    """

    wue: Factor
    water_intensity: Factor
    pue: Factor | None = None
    gpu_model: str | None = None
    lifetime_s: float = DEFAULT_LIFETIME_YEARS * SECONDS_PER_YEAR
    lifetime_source: str = LIFETIME_SOURCE
    device_share: float | None = None
    version: int = SETTINGS_VERSION

    def with_(self, **changes: Any) -> ImpactSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (factors as dicts; unset fields left out)."""
        d: dict[str, Any] = {"version": self.version, "wue": self.wue.to_dict(),
                             "water_intensity": self.water_intensity.to_dict(),
                             "lifetime_s": self.lifetime_s,
                             "lifetime_source": self.lifetime_source}
        if self.pue is not None:
            d["pue"] = self.pue.to_dict()
        if self.gpu_model is not None:
            d["gpu_model"] = self.gpu_model
        if self.device_share is not None:
            d["device_share"] = self.device_share
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ImpactSettings:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: a missing factor or a value of the wrong type (naming the key).
        """
        try:
            wue = Factor.from_dict(d["wue"])
            wi = Factor.from_dict(d["water_intensity"])
        except KeyError as err:
            raise ValueError(f"carbon.impacts is missing {err.args[0]!r}") from None
        except (TypeError, AttributeError):
            raise ValueError("carbon.impacts: wue and water_intensity must be objects") from None
        pue = Factor.from_dict(d["pue"]) if d.get("pue") else None
        try:
            lifetime = float(d.get("lifetime_s", DEFAULT_LIFETIME_YEARS * SECONDS_PER_YEAR))
            share = None if d.get("device_share") is None else float(d["device_share"])
        except (TypeError, ValueError):
            raise ValueError("carbon.impacts: lifetime_s and device_share must be numbers") from None
        return cls(wue=wue, water_intensity=wi, pue=pue, gpu_model=d.get("gpu_model"),
                   lifetime_s=lifetime,
                   lifetime_source=str(d.get("lifetime_source") or LIFETIME_SOURCE),
                   device_share=share, version=int(d.get("version", SETTINGS_VERSION)))


def resolve_impact_settings(*, wue: float | str | None = None, provider: str | None = None,
                            cloud: str | None = None, country: str | None = None,
                            region: str | None = None,
                            water_intensity: float | str | None = None,
                            gpu_model: str | None = None,
                            lifetime_years: float | str | None = None,
                            device_share: float | str | None = None) -> ImpactSettings:
    """Resolve the impact flags into settings (every value checked, every factor sourced).

    Args:
        wue: On-site WUE given by the user (``--wue``), L/kWh.
        provider: ``--provider`` (google, aws, microsoft; gcp, azure).
        cloud: ``--cloud provider:region`` (gives the provider when ``provider`` is None, and
            the country of the off-site factor).
        country, region: The location flags (off-site water factor).
        water_intensity: Off-site water intensity given by the user, L/kWh.
        gpu_model: ``--gpu-model`` (a GPU of ``embodied.csv``).
        lifetime_years: ``--lifetime-years`` (default 3).
        device_share: ``--device-share`` (0 < share <= 1).

    Raises:
        ConfigError: a bad number, an unknown provider, location or GPU model; the message
            names the flag and what would be valid.
    """
    gpu = lookup_gpu_model(gpu_model).key if gpu_model is not None else None
    life = (check_lifetime_years(lifetime_years) if lifetime_years is not None
            else DEFAULT_LIFETIME_YEARS * SECONDS_PER_YEAR)
    return ImpactSettings(
        wue=resolve_wue(wue=wue, provider=provider, cloud=cloud),
        water_intensity=resolve_water_intensity(value=water_intensity, country=country,
                                                region=region, cloud=cloud),
        pue=provider_pue(provider),
        gpu_model=gpu, lifetime_s=life,
        lifetime_source=(f"{float(lifetime_years):g} years (--lifetime-years)"
                         if lifetime_years is not None else LIFETIME_SOURCE),
        device_share=check_share(device_share) if device_share is not None else None)
