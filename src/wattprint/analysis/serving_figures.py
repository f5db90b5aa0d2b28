"""The serving section's figures (inline SVG, :mod:`.svg_chart`): J/output token and p95 time
to first token against load, one curve per run; the energy–latency Pareto front over valid
points; and each point's J per output token stacked by part (idle, queued, prefill, decode,
unattributed). Flagged points are hollow and red, never joined into a curve nor put on the
front, with their flags in their hover text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wattprint.analysis.serving_view import PointView, RunView, pareto, pct
from wattprint.analysis.svg_chart import Bar, Mark, Segment, Series, stacked_bars, xy_chart
from wattprint.results.serving_costs import PART_WORDS

PART_COLOURS = {"idle": "#9aa5ad", "queued": "#f2c14e", "prefill": "#4c9be8",
                "decode": "#2b6d3f", "unattributed": "#c3a6e0", "attributed": "#6f9f86"}
"""Fill of each stack part (v1 ``attributed`` apart)."""

LOAD_AXIS = "offered load, req/s (closed loop: achieved)"


def _series(runs: Sequence[RunView], x: Callable[[PointView], float | None],
            y: Callable[[PointView], float | None], line: bool = True) -> list[Series]:
    out = []
    for r in runs:
        marks = []
        for v in r.points:
            xv, yv = x(v), y(v)
            if xv is None or yv is None:
                continue
            marks.append(Mark(xv, yv, v.title(), v.flagged, {"point": str(v.index)}))
        out.append(Series(r.label, r.colour, tuple(marks), line, {"run": r.run_id}))
    return out


def energy_vs_load(runs: Sequence[RunView], unit: str) -> str:
    """J/output token (steady window) against load, one curve per run."""
    return xy_chart(_series(runs, lambda v: v.load, lambda v: v.point.j_per_output_token),
                    xlabel=LOAD_AXIS, ylabel=unit, cls="serving-energy")


def ttft_vs_load(runs: Sequence[RunView]) -> str:
    """p95 time to first token against load, one curve per run."""
    return xy_chart(_series(runs, lambda v: v.load, lambda v: v.point.p95_ttft_s),
                    xlabel=LOAD_AXIS, ylabel="p95 time to first token, s", cls="serving-ttft")


def pareto_chart(runs: Sequence[RunView], unit: str) -> str:
    """Every point at (p95 TTFT, J/output token), the front of the valid ones as a step."""
    front = pareto([v.point for r in runs for v in r.points])
    corners = [(p.p95_ttft_s, p.j_per_output_token) for p in front
               if p.p95_ttft_s is not None and p.j_per_output_token is not None]
    return xy_chart(_series(runs, lambda v: v.point.p95_ttft_s,
                            lambda v: v.point.j_per_output_token, line=False),
                    xlabel="p95 time to first token, s", ylabel=unit, cls="serving-pareto",
                    front=corners)


def _bar(v: PointView) -> Bar | None:
    if v.stack is None:
        return None
    p = v.point
    segs = tuple(Segment(s.name, s.j_per_output_token,
                         f"{s.name}: {s.j_per_output_token:.4g} J/output token, {pct(s.share)} "
                         f"({s.energy_j:.4g} J of {v.stack.window_j:.4g} J) — "
                         f"{PART_WORDS[s.name]}") for s in v.stack.parts)
    steady = p.j_per_output_token
    model = " (v1)" if v.stack.v1 else ""
    return Bar(f"{v.run_label} · {p.arrivals}{model}", segs, v.flagged, steady,
               "" if steady is None else f"J/output token over the {p.energy_window} window "
               f"(the plotted figure): {steady:.4g}",
               {"point": str(v.index), "run": p.run_id})


def stack_chart(runs: Sequence[RunView]) -> str:
    """One stacked bar per point (J per output token by part, whole window), runs in order;
    the scale ends at the longest valid bar or tick (longer flagged bars are cut and marked
    »)."""
    bars = [(b, v) for r in runs for v in r.points if (b := _bar(v)) is not None]
    if not bars:
        return ""
    valid = [max(sum(s.value for s in b.segments), b.tick or 0.0)
             for b, v in bars if not v.flagged]
    return stacked_bars([b for b, _ in bars], PART_COLOURS, cls="serving-stack",
                        xlabel="J per output token, whole window (parts of the window's "
                               "energy over the ok requests' output tokens)",
                        scale_max=max(valid) if valid else None)
