"""An idle baseline that is idle: what was running while it was measured, and whether to trust it.

``EnergyMeter.measure_idle`` splits the idle period into chunks and records, per chunk, the
power of every counter domain, the host's CPU utilisation (``/proc/stat``) and each GPU's
utilisation, SM clock and foreign processes (NVML, through meters that have ``activity()``).
The baseline is **invalid** — and no dynamic energy is reported — when:

* the host's CPUs were more than :data:`MAX_CPU_UTILISATION` busy (another job is running:
  its power would be subtracted from ours as "idle");
* a GPU was more than :data:`MAX_GPU_UTILISATION` busy or had another process on it;
* a measured domain's power was unstable: its chunk powers spread by more than
  :data:`MAX_SPREAD_FRACTION` of their mean and more than :data:`MAX_SPREAD_W`.

On GPUs the default is a cool-down of :data:`GPU_COOLDOWN_S` before, and at least
:data:`GPU_MIN_IDLE_S` of idle (GPU power takes seconds to settle after work, and the NVML
counter updates every ~100 ms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_CPU_UTILISATION: float = 0.10
MAX_GPU_UTILISATION: float = 0.05
MAX_SPREAD_FRACTION: float = 0.20
MAX_SPREAD_W: float = 2.0
GPU_COOLDOWN_S: float = 5.0
GPU_MIN_IDLE_S: float = 10.0
CHUNKS: int = 5


@dataclass(frozen=True)
class IdleBaseline:
    """One idle measurement and the evidence that it was idle.

    Attributes:
        duration_s: Length of the idle window, seconds (after any cool-down).
        cooldown_s: Cool-down waited before it, seconds.
        power_w: Domain → average power over the window, W.
        cpu_utilisation: Host CPU busy fraction during the window (0-1), None if unknown.
        devices: Domain → device activity (``utilisation`` 0-1, ``sm_clock_mhz``,
            ``other_processes``), the worst value seen per key.
        power_spread_w: Domain → max − min of the chunk powers, W (counter domains).
        valid: Whether the baseline may be subtracted.
        reasons: Why it is invalid (empty when valid).
    """

    duration_s: float
    cooldown_s: float
    power_w: Mapping[str, float]
    cpu_utilisation: float | None
    devices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    power_spread_w: Mapping[str, float] = field(default_factory=dict)
    valid: bool = True
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The baseline as a plain dict (JSON-ready)."""
        d = asdict(self)
        d["reasons"] = list(self.reasons)
        return d

    def summary(self) -> str:
        """One line for result warnings."""
        cpu = "unknown" if self.cpu_utilisation is None else f"{self.cpu_utilisation:.0%}"
        dev = "; ".join(f"{k} util {v.get('utilisation', float('nan')):.0%}, SM "
                        f"{v.get('sm_clock_mhz', float('nan')):.0f} MHz, "
                        f"{int(v.get('other_processes', 0))} other processes"
                        for k, v in self.devices.items())
        head = "idle baseline valid" if self.valid else (
            "idle baseline INVALID, no dynamic energy reported: " + "; ".join(self.reasons))
        return (f"{head} ({self.duration_s:.3g} s after {self.cooldown_s:.3g} s cool-down; host "
                f"CPU busy {cpu}" + (f"; {dev}" if dev else "") + ")")


def judge(duration_s: float, cooldown_s: float, chunk_powers: Mapping[str, list[float]],
          counter_domains: set[str], cpu_utilisation: float | None,
          devices: Mapping[str, Mapping[str, float]]) -> IdleBaseline:
    """Build the baseline from chunk measurements and decide whether it is valid.

    Args:
        duration_s: Idle window length, s.
        cooldown_s: Cool-down before it, s.
        chunk_powers: Domain → average power of each chunk, W.
        counter_domains: Domains read from counters or power sensors (their stability is
            checked; estimates are smooth by construction).
        cpu_utilisation: Host CPU busy fraction over the window.
        devices: Domain → worst device activity seen.
    """
    reasons: list[str] = []
    if cpu_utilisation is not None and cpu_utilisation > MAX_CPU_UTILISATION:
        reasons.append(f"host CPUs {cpu_utilisation:.0%} busy (> {MAX_CPU_UTILISATION:.0%}): "
                       "other work was running")
    for dom, act in devices.items():
        if act.get("utilisation", 0.0) > MAX_GPU_UTILISATION:
            reasons.append(f"{dom} {act['utilisation']:.0%} busy (> {MAX_GPU_UTILISATION:.0%})")
        if act.get("other_processes", 0.0) > 0:
            reasons.append(f"{dom} had {int(act['other_processes'])} other processes")
    spread: dict[str, float] = {}
    power: dict[str, float] = {}
    for dom, ps in chunk_powers.items():
        power[dom] = sum(ps) / len(ps) if ps else 0.0
        if dom in counter_domains and len(ps) > 1:
            spread[dom] = max(ps) - min(ps)
            if spread[dom] > max(MAX_SPREAD_FRACTION * power[dom], MAX_SPREAD_W):
                reasons.append(f"{dom} power unstable ({min(ps):.3g}-{max(ps):.3g} W)")
    return IdleBaseline(duration_s, cooldown_s, power, cpu_utilisation, dict(devices), spread,
                        not reasons, tuple(reasons))
