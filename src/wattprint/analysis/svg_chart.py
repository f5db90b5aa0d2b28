"""Small inline SVG charts for the report: scatter/line charts and horizontal stacked bars.

Written by hand rather than with matplotlib so that every mark is an element a reader can
hover (a ``<title>`` on each point and bar segment) and a test can find (classes and
``data-*`` attributes), and so the page stays self-contained. Axes start at 0 (bars and
energies are compared by length); ticks are 1, 2 or 5 times a power of ten. Every text from
data is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

FLAGGED_COLOUR = "#c62828"
"""Stroke of a flagged (hollow) point."""

FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True)
class Mark:
    """One point of a chart.

    Attributes:
        x, y: Its position in data units.
        title: Hover text (plain text; escaped here).
        flagged: Drawn hollow in :data:`FLAGGED_COLOUR` and never joined by the line.
        attrs: Extra ``data-*`` attributes (name without ``data-``).
    """

    x: float
    y: float
    title: str
    flagged: bool = False
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    """Points of one run: joined by a line (valid points only, in x order) when ``line``."""

    label: str
    colour: str
    marks: tuple[Mark, ...]
    line: bool = True
    attrs: Mapping[str, str] = field(default_factory=dict)


def nice_ticks(high: float, n: int = 5) -> list[float]:
    """Ticks from 0 to at least ``high``, about ``n`` of them, step 1, 2 or 5 × 10^k."""
    if not high > 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    count = math.ceil(high / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _data(attrs: Mapping[str, str]) -> str:
    return "".join(f" data-{k}={quoteattr(str(v))}" for k, v in attrs.items())


def _label(x: float) -> str:
    """A tick or value label: at most 3 significant digits, no trailing zeros."""
    return f"{x:.3g}"


@dataclass(frozen=True)
class _Frame:
    """Plot area and scales (data → pixels)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    xticks: list[float]
    yticks: list[float]

    def px(self, x: float) -> float:
        span = self.xticks[-1] or 1.0
        return self.left + (self.width - self.left - self.right) * x / span

    def py(self, y: float) -> float:
        span = self.yticks[-1] or 1.0
        return self.height - self.bottom - (self.height - self.top - self.bottom) * y / span

    def axes(self, xlabel: str, ylabel: str) -> str:
        x0, x1 = self.left, self.width - self.right
        y0, y1 = self.height - self.bottom, self.top
        out = [f'<g class="axes" {FONT} fill="#5b6770">',
               f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/>',
               f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#888"/>']
        for t in self.xticks:
            px = self.px(t)
            out.append(f'<line x1="{px:.1f}" y1="{y0}" x2="{px:.1f}" y2="{y0 + 4}" stroke="#888"/>'
                       f'<text x="{px:.1f}" y="{y0 + 15}" text-anchor="middle">{_label(t)}</text>')
        for t in self.yticks:
            py = self.py(t)
            out.append(f'<line x1="{x0}" y1="{py:.1f}" x2="{x1}" y2="{py:.1f}" stroke="#eee"/>'
                       f'<text x="{x0 - 5}" y="{py + 4:.1f}" text-anchor="end">{_label(t)}</text>')
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{self.height - 4}" '
                   f'text-anchor="middle">{escape(xlabel)}</text>')
        out.append(f'<text transform="translate(12 {(y0 + y1) / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{escape(ylabel)}</text></g>')
        return "".join(out)


def xy_chart(series: Sequence[Series], *, xlabel: str, ylabel: str, cls: str,
             front: Sequence[tuple[float, float]] = (), width: int = 420,
             height: int = 280) -> str:
    """A scatter chart with one line per series (its valid points in x order) and an
    optional step line (``front``, e.g. a Pareto front).

    Args:
        series: The runs, each with its colour.
        xlabel, ylabel: Axis titles.
        cls: CSS class of the ``<svg>`` (tests and styles find the chart by it).
        front: ``(x, y)`` corners of a step line drawn over the points.
        width, height: Size in pixels.
    """
    marks = [m for s in series for m in s.marks]
    xmax = max((m.x for m in marks), default=1.0)
    ymax = max((m.y for m in marks), default=1.0)
    f = _Frame(width, height, 58, 14, 10, 34, nice_ticks(xmax), nice_ticks(ymax))
    out = [f'<svg class="chart {escape(cls)}" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label={quoteattr(f"{ylabel} against {xlabel}")}>', f.axes(xlabel, ylabel)]
    for s in series:
        valid = sorted((m for m in s.marks if not m.flagged), key=lambda m: m.x)
        if s.line and len(valid) > 1:
            pts = " ".join(f"{f.px(m.x):.1f},{f.py(m.y):.1f}" for m in valid)
            out.append(f'<polyline class="run-line" points="{pts}" fill="none" '
                       f'stroke="{s.colour}" stroke-width="1.5"{_data(s.attrs)}/>')
    if len(front) > 1:
        d = [f"M{f.px(front[0][0]):.1f},{f.py(front[0][1]):.1f}"]
        for (_, y0), (x1, y1) in zip(front, front[1:]):
            d.append(f"H{f.px(x1):.1f}V{f.py(y1):.1f}")
        out.append(f'<path class="front" d="{"".join(d)}" fill="none" stroke="#333" '
                   'stroke-width="1.5" stroke-dasharray="5 3"/>')
    for s in series:
        for m in sorted(s.marks, key=lambda m: m.flagged):
            colour = FLAGGED_COLOUR if m.flagged else s.colour
            fill = "#fff" if m.flagged else s.colour
            kind = "flagged" if m.flagged else "valid"
            out.append(f'<circle class="pt {kind}" cx="{f.px(m.x):.1f}" cy="{f.py(m.y):.1f}" '
                       f'r="4.5" fill="{fill}" stroke="{colour}" stroke-width="1.8"'
                       f'{_data({**s.attrs, **m.attrs})}><title>{escape(m.title)}</title>'
                       "</circle>")
    return "".join(out) + "</svg>"


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: ``value`` in the chart's unit, with its hover text."""

    name: str
    value: float
    title: str


@dataclass(frozen=True)
class Bar:
    """One stacked bar.

    Attributes:
        label: Text at its left (escaped).
        segments: Its parts, left to right.
        flagged: Its label is drawn in :data:`FLAGGED_COLOUR` with a ⚑.
        tick: A value to mark on the bar (e.g. the steady window's figure), or None.
        tick_title: Hover text of the tick.
        attrs: Extra ``data-*`` attributes of the bar's group.
    """

    label: str
    segments: tuple[Segment, ...]
    flagged: bool = False
    tick: float | None = None
    tick_title: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)


def stacked_bars(bars: Sequence[Bar], colours: Mapping[str, str], *, xlabel: str, cls: str,
                 scale_max: float | None = None, width: int = 900,
                 label_width: int = 250) -> str:
    """Horizontal stacked bars on one scale, one row each.

    A bar longer than ``scale_max`` is cut at the axis end and marked ``»`` (its total in
    its hover text and label), so one outlier does not flatten the others.

    Args:
        bars: The rows, top to bottom.
        colours: Segment name → fill colour.
        xlabel: Axis title.
        cls: CSS class of the ``<svg>``.
        scale_max: Value at the axis end (default: the longest bar).
        width: Width in pixels.
        label_width: Pixels kept at the left for the labels.
    """
    row_h, top, bottom = 22, 8, 34
    height = top + bottom + row_h * max(len(bars), 1)
    totals = [sum(s.value for s in b.segments) for b in bars]
    high = scale_max if scale_max and scale_max > 0 else max(totals, default=1.0)
    f = _Frame(width, height, label_width, 60, top, bottom, nice_ticks(high), [0.0, 1.0])
    out = [f'<svg class="chart {escape(cls)}" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label={quoteattr(xlabel)}>']
    x0, x1 = f.left, width - f.right
    y_axis = height - bottom
    out.append(f'<g class="axes" {FONT} fill="#5b6770">'
               f'<line x1="{x0}" y1="{y_axis}" x2="{x1}" y2="{y_axis}" stroke="#888"/>')
    for t in f.xticks:
        px = f.px(t)
        out.append(f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{y_axis + 4}" '
                   f'stroke="#eee"/><text x="{px:.1f}" y="{y_axis + 15}" '
                   f'text-anchor="middle">{_label(t)}</text>')
    out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 4}" text-anchor="middle">'
               f"{escape(xlabel)}</text></g>")
    end = f.xticks[-1]
    for i, (b, total) in enumerate(zip(bars, totals)):
        y = top + i * row_h + 3
        colour = FLAGGED_COLOUR if b.flagged else "#1d2327"
        mark = "⚑ " if b.flagged else ""
        out.append(f'<g class="bar{" flagged" if b.flagged else ""}"{_data(b.attrs)}>'
                   f'<text x="{x0 - 6}" y="{y + 12}" text-anchor="end" {FONT} '
                   f'fill="{colour}">{escape(mark + b.label)}</text>')
        start = 0.0
        for s in b.segments:
            a, z = min(start, end), min(start + s.value, end)
            start += s.value
            if z <= a:
                continue
            out.append(f'<rect class="seg" data-part={quoteattr(s.name)} data-value="{s.value!r}" '
                       f'x="{f.px(a):.2f}" y="{y}" width="{f.px(z) - f.px(a):.2f}" '
                       f'height="{row_h - 6}" fill="{colours.get(s.name, "#999")}">'
                       f"<title>{escape(s.title)}</title></rect>")
        cut = total > end * (1 + 1e-9)
        out.append(f'<text x="{f.px(min(total, end)) + 4:.1f}" y="{y + 12}" {FONT} '
                   f'fill="#1d2327">{"» " if cut else ""}{_label(total)}</text>')
        if b.tick is not None and b.tick <= end:
            px = f.px(b.tick)
            out.append(f'<line class="tick" x1="{px:.1f}" y1="{y - 2}" x2="{px:.1f}" '
                       f'y2="{y + row_h - 4}" stroke="#000" stroke-width="2">'
                       f"<title>{escape(b.tick_title)}</title></line>")
        out.append("</g>")
    return "".join(out) + "</svg>"
