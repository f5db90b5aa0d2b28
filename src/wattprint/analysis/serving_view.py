"""What the report's serving section shows, computed from stored load points: runs (one curve
each, never joined), each point's counts, its J per output token part by part, its attributed
and whole-window J per request, its checks, and each run's measured per-token weights.

Nothing here draws: :mod:`.serving_figures` and :mod:`.serving_report` turn it into SVG and
HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.results.serving_costs import TokenStack, no_stack_reason, token_stack
from wattprint.results.serving_energy import PointCheck, TokenWeights
from wattprint.results.serving_record import ServingPoint

RUN_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#393b79")
"""One colour per run (red is kept for flagged points)."""

CHECK_NAMES = ("meter_vs_timeline", "tokens_vs_engine", "phases_vs_engine")
CHECK_TITLES = {"meter_vs_timeline": "Meter vs timeline", "tokens_vs_engine": "Tokens vs engine",
                "phases_vs_engine": "Phases vs engine"}


def load_rps(p: ServingPoint) -> float:
    """A point's x position: the offered rate, else (closed loop) the achieved rate, req/s."""
    return p.offered_rps if p.offered_rps is not None else p.achieved_rps


@dataclass(frozen=True)
class PointView:
    """One load point as the section shows it.

    Attributes:
        index: Position in the section (stable id for the page: ``serving-pt-<index>``).
        point: The stored point.
        run_label: Its run's label; colour: its run's colour.
        stack: Its J per output token part by part (whole window), or None (``stack_note``).
        whole_j_per_request: The whole window's energy over the ``ok`` requests, J.
        attributed_j_per_request: The p50 dynamic energy attributed to an ``ok`` request
            (prefill + decode, idle excluded), J.
    """

    index: int
    point: ServingPoint
    run_label: str
    colour: str
    stack: TokenStack | None
    stack_note: str | None
    whole_j_per_request: float | None
    attributed_j_per_request: float | None

    @property
    def load(self) -> float:
        """x position, req/s (:func:`load_rps`)."""
        return load_rps(self.point)

    @property
    def sent(self) -> int:
        """Requests sent: ok + failed + truncated."""
        p = self.point
        return p.requests_ok + p.requests_failed + p.requests_truncated

    @property
    def flagged(self) -> bool:
        """True when the point has any validity flag."""
        return not self.point.valid

    def check(self, name: str) -> PointCheck | None:
        """The stored check called ``name`` (None: not stored, e.g. a v1 point)."""
        return next((c for c in self.point.checks if c.name == name), None)

    def title(self) -> str:
        """Hover text: run, load, counts, energy, latency and the flags."""
        p = self.point
        j = "—" if p.j_per_output_token is None else f"{p.j_per_output_token:.4g} J/output token"
        ttft = "—" if p.p95_ttft_s is None else f"{p.p95_ttft_s:.3g} s"
        flags = ", ".join(p.flags) if p.flags else "none"
        return (f"{self.run_label} · {p.arrivals}\n{p.requests_ok} ok, {p.requests_failed} "
                f"failed, {p.requests_truncated} truncated of {self.sent}\n{j}, p95 TTFT {ttft}"
                f"\nflags: {flags}")


@dataclass(frozen=True)
class RunView:
    """One run (one ``run_id``): its points in load order, drawn as one curve.

    Attributes:
        run_id: As stored.
        label: Short label (model, engine; numbered where two runs would read the same).
        colour: Its colour in every figure.
        points: Its points, lowest load first.
        weights: The per-token weights of its widest fit (a sweep fits all its points so far:
            the point whose fit covered most points), None when none was stored (v1).
    """

    run_id: str
    label: str
    colour: str
    points: tuple[PointView, ...]
    weights: TokenWeights | None

    @property
    def engine(self) -> str:
        """Engine name and version as the server reported them."""
        e = self.points[0].point.engine
        return " ".join(str(x) for x in (e.get("name"), e.get("version")) if x) or "—"

    def share_range(self, part: str) -> tuple[float, float] | None:
        """Lowest and highest share (0..1) of ``part`` in the J per output token over the
        run's points that have a stack; None when none has the part."""
        shares = [s.share for v in self.points if v.stack is not None
                  for s in v.stack.parts if s.name == part]
        return (min(shares), max(shares)) if shares else None


def _attributed(p: ServingPoint) -> float | None:
    if p.p50_attributed_j is not None:
        return p.p50_attributed_j
    return p.request_energy.get("p50_total_j")  # v1 points


def _whole(p: ServingPoint) -> float | None:
    if p.whole_j_per_request is not None:
        return p.whole_j_per_request
    window = p.attribution.get("window_j")  # v1 points: the same definition, from the record
    if isinstance(window, (int, float)) and p.requests_ok > 0:
        return float(window) / p.requests_ok
    return None


def _widest(points: Sequence[ServingPoint]) -> TokenWeights | None:
    fits = [p.weights for p in points if p.weights is not None]
    return max(reversed(fits), key=lambda w: w.points, default=None)


def _labels(groups: dict[str, list[ServingPoint]]) -> dict[str, str]:
    base = {rid: " · ".join(x for x in (pts[0].model.rsplit("/", 1)[-1],
                                         str(pts[0].engine.get("name") or "")) if x)
            for rid, pts in groups.items()}
    seen: dict[str, int] = {}
    out = {}
    for rid, b in base.items():
        if list(base.values()).count(b) > 1:
            seen[b] = seen.get(b, 0) + 1
            out[rid] = f"{b} #{seen[b]}"
        else:
            out[rid] = b
    return out


def build_runs(points: Sequence[ServingPoint]) -> list[RunView]:
    """Group points by run (in order of first appearance), each sorted by load."""
    groups: dict[str, list[ServingPoint]] = {}
    for p in points:
        groups.setdefault(p.run_id, []).append(p)
    labels = _labels(groups)
    runs, index = [], 0
    for i, (rid, pts) in enumerate(groups.items()):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        views = []
        for p in sorted(pts, key=load_rps):
            views.append(PointView(index, p, labels[rid], colour, token_stack(p),
                                   no_stack_reason(p), _whole(p), _attributed(p)))
            index += 1
        runs.append(RunView(rid, labels[rid], colour, tuple(views), _widest(pts)))
    return runs


def pareto(points: Sequence[ServingPoint]) -> list[ServingPoint]:
    """Valid points not dominated in (p95 TTFT, J/output token), lowest latency first (a
    flagged point, e.g. one with truncated or failed requests, is never on the front)."""
    pts = [p for p in points
           if p.valid and p.p95_ttft_s is not None and p.j_per_output_token is not None]
    out: list[ServingPoint] = []
    for p in sorted(pts, key=lambda q: (q.p95_ttft_s, q.j_per_output_token)):
        assert p.j_per_output_token is not None
        if not out or p.j_per_output_token < (out[-1].j_per_output_token or 0.0):
            out.append(p)
    return out


def pct(x: float) -> str:
    """A share (0..1) as a whole percent, or one decimal below 10 % (``0.4 %``)."""
    v = 100 * x
    return f"{v:.0f} %" if v >= 9.5 or v == 0 else f"{v:.1f} %"


def pct_range(r: tuple[float, float]) -> str:
    """``80 %`` or ``79–81 %``."""
    lo, hi = pct(r[0]), pct(r[1])
    return lo if lo == hi else f"{lo[:-2]}–{hi}"


def run_summary(run: RunView) -> str:
    """One sentence on what the run's output tokens cost: each part's share of the J per
    output token, lowest–highest over its points (plain text)."""
    stacked = [v for v in run.points if v.stack is not None]
    if not stacked:
        return f"{run.label}: no point has a phase decomposition to split."
    names = [s.name for s in stacked[0].stack.parts] if stacked[0].stack else []
    shares = {n: run.share_range(n) for n in names}
    idle = shares.get("idle")
    every = "at every load" if len(stacked) > 1 else "at its one load"
    lead = (f"idle was {pct_range(idle)} of the energy per output token {every}"
            if idle is not None else "")
    rest = ", ".join(f"{n} {pct_range(r)}" for n, r in shares.items()
                     if n != "idle" and r is not None)
    flagged = sum(v.flagged for v in stacked)
    tail = f" ({len(stacked)} points" + (f", {flagged} flagged" if flagged else "") + ")"
    v1 = " [v1 points: prefill and decode not split]" if any(
        v.stack is not None and v.stack.v1 for v in stacked) else ""
    return f"{run.label}: {lead}; {rest}{tail}{v1}."
