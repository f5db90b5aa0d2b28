"""Energy per correct answer (per solved item), with an interval, or an honest "—".

A model that answers 90 % of the texts right for 1 J each spends 1.11 J per correct answer;
one that answers 30 % right for 20 J each spends 66.7 J. The figure is defined only where
quality is a share of correct answers (accuracy, exact match) of a model whose weights were
trained: random weights give "—" (their answers mean nothing), a model that solved nothing
has no finite figure, and a metric that is not a share of correct answers (ROUGE, F1) gives
"—" too.

Interval: the energy per inference's repetition interval (log-normal,
:mod:`wattprint.results.stats`) divided by the accuracy's Wilson score interval over the
``n`` scored items, bounds paired pessimistically (``E_low / acc_high`` … ``E_high / acc_low``),
so it covers both uncertainties at once. Repetitions of a deterministic model re-score the
same items: the accuracy interval counts the items once, never per repetition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wattprint.analysis.frame import CORRECTNESS_METRICS
from wattprint.analysis.ratings import RANDOM_WEIGHTS

Z_95 = 1.959963984540054
"""Two-sided 95 % normal quantile."""

NOTE_RANDOM = "random weights: answers mean nothing"
NOTE_UNDEFINED = "quality is not a share of correct answers"
NOTE_NO_QUALITY = "no quality measured"
NOTE_NONE_CORRECT = "no correct answer: no finite figure"


def wilson(share: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``share`` observed over ``n`` items.

    Returns:
        ``(low, high)`` in [0, 1]; ``(nan, nan)`` when ``n`` < 1 or ``share`` is not a number.
    """
    if n < 1 or not math.isfinite(share):
        return math.nan, math.nan
    share = min(1.0, max(0.0, share))
    denom = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denom
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PerCorrect:
    """Energy per correct answer of one model (one dataset, provenance and hardware).

    Attributes:
        mean: Energy per correct answer (the unit of the energy given), or None.
        low, high: Its 95 % interval, or None (``high`` is ``inf`` when the accuracy's lower
            bound is 0: the data cannot exclude a model that is never right).
        accuracy: The share of correct answers, or None.
        accuracy_low, accuracy_high: Its Wilson 95 % interval over the scored items.
        n_scored: Items scored.
        note: Why there is no figure (empty when there is one).
    """

    mean: float | None
    low: float | None
    high: float | None
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    n_scored: int
    note: str = ""

    @property
    def defined(self) -> bool:
        """True when there is a finite figure."""
        return self.mean is not None and math.isfinite(self.mean)


def _num(x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        try:
            x = float(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return math.nan
    return float(x)


def per_correct(energy: float, energy_low: float | None, energy_high: float | None,
                accuracy: float | None, n_scored: int, *, weights: str | None,
                metric: str | None) -> PerCorrect:
    """Energy per correct answer with its interval, or the reason there is none.

    Args:
        energy: Energy per inference (mean over repetitions; any unit).
        energy_low, energy_high: Its repetition interval (None/NaN: not known; the energy
            mean is then used for both bounds, and only the accuracy's uncertainty shows).
        accuracy: Share of correct answers, 0..1.
        n_scored: Items scored (the accuracy's sample size).
        weights: ``pretrained``, ``fine-tuned here``, ``random`` ...
        metric: The quality metric's name.
    """
    acc = _num(accuracy)
    e = _num(energy)
    if weights == RANDOM_WEIGHTS:
        return PerCorrect(None, None, None, None, None, None, n_scored, NOTE_RANDOM)
    if metric is None or not math.isfinite(acc):
        return PerCorrect(None, None, None, None, None, None, n_scored, NOTE_NO_QUALITY)
    if metric not in CORRECTNESS_METRICS:
        return PerCorrect(None, None, None, acc, None, None, n_scored, NOTE_UNDEFINED)
    a_low, a_high = wilson(acc, n_scored)
    a_low_v = None if math.isnan(a_low) else a_low
    a_high_v = None if math.isnan(a_high) else a_high
    if acc <= 0:
        return PerCorrect(math.inf, None, None, acc, a_low_v, a_high_v, n_scored,
                          NOTE_NONE_CORRECT)
    if not math.isfinite(e):
        return PerCorrect(None, None, None, acc, a_low_v, a_high_v, n_scored, "no energy")
    el = _num(energy_low)
    eh = _num(energy_high)
    el = e if not math.isfinite(el) else el
    eh = e if not math.isfinite(eh) else eh
    low = el / a_high if a_high_v else None
    high = (math.inf if a_low_v == 0 else eh / a_low) if a_low_v is not None else None
    return PerCorrect(e / acc, low, high, acc, a_low_v, a_high_v, n_scored)


def ratio_interval(num: tuple[float, float | None, float | None],
                   den: tuple[float, float | None, float | None]) -> tuple[float, float | None,
                                                                            float | None]:
    """``num / den`` with the pessimistic pairing of their intervals.

    Args:
        num, den: ``(mean, low, high)`` each (low/high may be None: unknown).

    Returns:
        ``(ratio, low, high)``; low/high None when a bound is unknown.
    """
    m = num[0] / den[0] if den[0] else math.inf
    low = num[1] / den[2] if num[1] is not None and den[2] else None
    high = (num[2] / den[1] if den[1] else math.inf) if num[2] is not None and den[1] is not None \
        else None
    return m, low, high
