"""Typed parts of a served load point's energy account (stored inside
:class:`~wattprint.results.serving_record.ServingPoint`): the phase decomposition of the
window, the measured per-token weights, and the checks that can fail.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T")


def part_from_dict(cls: type[T], d: dict[str, Any]) -> T:
    """Rebuild one of these records from ``dataclasses.asdict`` output (JSON lists back to
    tuples; unknown keys ignored, so older and newer records read)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names})


@dataclass(frozen=True)
class PhaseEnergy:
    """The whole window's energy in the parts a report stacks (J; they sum to ``window_j``).

    Attributes:
        window_j: The window's counter delta (basis domains, last minus first reading), J.
        idle_j: The measured idle power's share: ``min(slice energy, P_idle * dt)`` per
            timeline slice, J.
        queued_j: Dynamic energy of slices in which requests waited and the phase model saw
            no work running, J. Queued time does no work, so this is about 0 when the model
            is right; more means work the client cannot see (e.g. a request whose client left,
            still running in the engine). Given to no request.
        prefill_j: Dynamic energy attributed to requests' prefill, J.
        decode_j: Dynamic energy attributed to requests' decode, J.
        unattributed_j: Dynamic energy of slices with no request in the system, J.
        queued_s, prefill_s, decode_s: Request-seconds spent in each phase (sum over
            requests), per the phase model.
    """

    window_j: float
    idle_j: float
    queued_j: float
    prefill_j: float
    decode_j: float
    unattributed_j: float
    queued_s: float = 0.0
    prefill_s: float = 0.0
    decode_s: float = 0.0

    @property
    def parts_j(self) -> float:
        """Idle + queued + prefill + decode + unattributed, J."""
        return self.idle_j + self.queued_j + self.prefill_j + self.decode_j + self.unattributed_j



@dataclass(frozen=True)
class TokenWeights:
    """Marginal dynamic energy of one prompt token and one decoded token on this engine and
    device (J/token), fitted from the power timeline (:mod:`wattprint.serving.weights`).

    Attributes:
        prefill_j_per_token: J per prompt token.
        decode_j_per_token: J per decoded token.
        source: ``measured`` (a non-negative regression whose 90 % intervals exclude 0) or
            ``fallback`` (each phase's J per token from the slices where it ran alone, or,
            when one never did, every token the same: the dynamic energy over the tokens;
            ``reason`` says why the fit was not used and which).
        prefill_ci_j, decode_ci_j: 90 % bootstrap intervals (moving blocks of slices), J.
        residual_rel: RMS of the fit's residual over the RMS dynamic energy per slice.
        slices: Timeline slices fitted.
        points: Load points they came from (a sweep accumulates its points).
        reason: Why the fallback was used ("" when measured).
    """

    prefill_j_per_token: float
    decode_j_per_token: float
    source: str
    prefill_ci_j: tuple[float, float] | None = None
    decode_ci_j: tuple[float, float] | None = None
    residual_rel: float | None = None
    slices: int = 0
    points: int = 0
    reason: str = ""

    @property
    def prefill_weight(self) -> float:
        """Work of a prompt token relative to a decoded token (1 without a usable fit)."""
        if self.decode_j_per_token <= 0:
            return 1.0
        return self.prefill_j_per_token / self.decode_j_per_token



@dataclass(frozen=True)
class PointCheck:
    """A check of a load point that can fail (shown with the point).

    Attributes:
        name: ``meter_vs_timeline``, ``tokens_vs_engine`` or ``phases_vs_engine``.
        passed: True, False, or None when there was nothing to compare (the engine reports
            no such figure).
        value: The relative difference found (None when not compared).
        tolerance: The largest relative difference accepted.
        detail: The figures compared, in words.
    """

    name: str
    passed: bool | None
    value: float | None
    tolerance: float | None
    detail: str

    def short(self) -> str:
        """``name 1.2% ok`` / ``name 9% FAILED (> 5%)`` / ``name n/a``."""
        if self.passed is None or self.value is None:
            return f"{self.name} n/a"
        v = f"{100 * self.value:.2g}%"
        if self.passed:
            return f"{self.name} {v} ok"
        tol = "" if self.tolerance is None else f" (> {100 * self.tolerance:.2g}%)"
        return f"{self.name} {v} FAILED{tol}"

