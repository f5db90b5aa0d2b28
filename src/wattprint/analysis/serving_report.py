"""The report's serving section: what each served load point cost, and what it cost it.

For stored load points (``kind: serving``) the section shows, per run (never joining runs):
J/output token and p95 time to first token against load and the energy–latency Pareto front
(:mod:`.serving_figures`); each point's J per output token stacked as idle, queued, prefill,
decode and unattributed, with a sentence per run saying each part's share; requests ok /
failed / truncated; attributed J/request beside whole-window J/request, each defined; the
checks that can fail; each run's measured per-token weights; and water and carbon per request
and per 1,000 requests with their sources. Flagged points are drawn hollow and red and kept
off the front. A latency-objective picker (``templates/serving.js``) picks the lowest-energy
point that meets an objective and, when none does, says why; a switch lets it pick among
flagged points.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from wattprint.analysis import fmt
from wattprint.analysis.report import _num_td, _thead, _txt_td, h, json_for_html
from wattprint.analysis.serving_figures import (
    PART_COLOURS,
    energy_vs_load,
    pareto_chart,
    stack_chart,
    ttft_vs_load,
)
from wattprint.analysis.serving_view import (
    CHECK_NAMES,
    CHECK_TITLES,
    PointView,
    RunView,
    build_runs,
    pareto,
    pct,
    run_summary,
)
from wattprint.analysis.svg_chart import FLAGGED_COLOUR
from wattprint.results.serving_costs import PART_WORDS, V1_PARTS, V2_PARTS
from wattprint.results.serving_energy import PointCheck, TokenWeights
from wattprint.results.serving_impacts import (
    PER_1K_REQUESTS,
    PER_REQUEST,
    not_recorded_reason,
    per_figures,
    stored_point_impacts,
)
from wattprint.results.serving_record import ServingPoint

__all__ = ["pareto", "serving_section"]

DEFINITIONS = """<ul class="defs">
<li><strong>J/output token</strong> (plotted): the energy of the basis domains over the point's
steady window (the whole run with <code>--whole-window</code>) ÷ the output tokens of requests
that ended ok and arrived in it. Provenance in the axis label.</li>
<li><strong>What an output token cost</strong>: the <em>whole</em> run's energy split into
idle (the idle power measured before the load, over the window), queued (dynamic energy while
requests waited and no modelled work ran), prefill and decode (attributed to requests' prompt
processing and generation, failed and truncated requests' work included) and unattributed (no
request in the system), each ÷ the ok requests' output tokens. The parts add up to the whole
window's J/output token; the black tick marks the plotted (steady-window) figure.</li>
<li><strong>Attributed J/request</strong> (provenance <em>attributed</em>): the dynamic
energy (idle excluded) the attribution model gives one request that ended ok, prefill + decode;
the median (p50) over them.</li>
<li><strong>Whole-window J/request</strong>: everything the machine drew over the whole run
(idle, queued, unattributed and the work of failed or truncated requests included) ÷ the
requests that ended ok: what each successful request cost the machine.</li>
</ul>"""


def _template(name: str) -> str:
    return resources.files("wattprint.analysis").joinpath("templates", name).read_text("utf-8")


def _legend(runs: Sequence[RunView]) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{r.colour}"></span>'
                    f'{h(r.label)} <span class="note">({h(r.run_id)})</span></li>' for r in runs)
    return (f'<ul class="legend">{items}<li><span class="swatch hollow" '
            f'style="border-color:{FLAGGED_COLOUR}"></span>flagged point (hover for its flags; '
            "never joined into a curve, never on the Pareto front)</li>"
            '<li><span class="swatch dashed"></span>Pareto front (valid points of every run)'
            "</li></ul>")


def _part_legend(runs: Sequence[RunView]) -> str:
    v1 = any(v.stack is not None and v.stack.v1 for r in runs for v in r.points)
    names = [*V2_PARTS, *(n for n in V1_PARTS if v1 and n not in V2_PARTS)]
    return '<ul class="legend">' + "".join(
        f'<li title="{h(PART_WORDS[n])}"><span class="swatch" style="background:'
        f'{PART_COLOURS[n]}"></span>{h(n)}</li>' for n in names) + (
        '<li><span class="swatch tick"></span>plotted J/output token (steady window)</li></ul>')


def _flags_td(p: ServingPoint) -> str:
    if p.valid:
        return '<td data-v="valid">valid</td>'
    return f'<td class="flags" data-v="{h(", ".join(p.flags))}">⚑ {h(", ".join(p.flags))}</td>'


def _row_attrs(v: PointView) -> str:
    cls = ' class="flagged"' if v.flagged else ""
    return f' id="serving-pt-{v.index}" data-point="{v.index}"{cls}'


def _lead(v: PointView) -> str:
    return _txt_td(v.run_label) + _txt_td(v.point.arrivals)


def _points_table(runs: Sequence[RunView], unit: str) -> str:
    cols = [("Run", "text"), ("Load", "text"), ("Requests ok", "num"), ("Failed", "num"),
            ("Truncated", "num"), ("Achieved req/s", "num"), (unit, "num"),
            ("Idle share", "num"), ("Attributed J/request (p50)", "num"),
            ("Whole-window J/request", "num"), ("p95 TTFT s", "num"), ("p95 ITL s", "num"),
            ("Flags", "text")]
    rows = []
    for r in runs:
        for v in r.points:
            p = v.point
            idle = v.stack.part("idle") if v.stack is not None else None
            idle_td = (f'<td class="num idle-share" data-v="{idle.share!r}">{pct(idle.share)}</td>'
                       if idle is not None else
                       f'<td class="num" data-v="" title="{h(v.stack_note)}">—</td>')
            rows.append(
                f"<tr{_row_attrs(v)}>" + _lead(v)
                + f'<td class="num ok" data-v="{p.requests_ok}">{p.requests_ok:,}</td>'
                + f'<td class="num{" failed" if p.requests_failed else ""}" '
                  f'data-v="{p.requests_failed}">{p.requests_failed:,}</td>'
                + f'<td class="num{" failed" if p.requests_truncated else ""}" '
                  f'data-v="{p.requests_truncated}">{p.requests_truncated:,}</td>'
                + _num_td(p.achieved_rps) + _num_td(p.j_per_output_token) + idle_td
                + _num_td(v.attributed_j_per_request) + _num_td(v.whole_j_per_request)
                + _num_td(p.p95_ttft_s) + _num_td(p.p95_itl_s) + _flags_td(p) + "</tr>")
    return (f'<div class="tablewrap"><table class="sortable serving-points">{_thead(cols)}'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _cost_cell(v: PointView, name: str) -> str:
    s = v.stack.part(name) if v.stack is not None else None
    if s is None:
        return _txt_td(None)
    return (f'<td class="num" data-part="{h(name)}" data-v="{s.j_per_output_token!r}" '
            f'title="{h(f"{s.energy_j:.4g} J of {v.stack.window_j:.4g} J")}">'  # type: ignore[union-attr]
            f"{h(fmt.num(s.j_per_output_token, 3))} <span class=\"share\">({pct(s.share)})</span>"
            "</td>")


def _costs_table(runs: Sequence[RunView]) -> str:
    names = list(V2_PARTS)
    if any(v.stack is not None and v.stack.v1 for r in runs for v in r.points):
        names.insert(1, "attributed")
    cols = ([("Run", "text"), ("Load", "text"), ("Model", "text")]
            + [(f"{n} J/token", "num") for n in names]
            + [("Whole window J/output token", "num"), ("Plotted J/output token", "num")])
    rows = []
    for r in runs:
        for v in r.points:
            model = v.point.attribution_model + (" (v1: what it has)" if v.stack and v.stack.v1
                                                 else "")
            total = (_num_td(v.stack.j_per_output_token) if v.stack is not None else
                     f'<td data-v="">— <span class="why">{h(v.stack_note)}</span></td>')
            rows.append(f"<tr{_row_attrs(v)}>" + _lead(v) + _txt_td(model)
                        + "".join(_cost_cell(v, n) for n in names) + total
                        + _num_td(v.point.j_per_output_token) + "</tr>")
    return (f'<div class="tablewrap"><table class="sortable serving-costs">{_thead(cols)}'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _check_td(v: PointView, name: str) -> str:
    c: PointCheck | None = v.check(name)
    if c is None:
        old = v.point.attribution.get("timeline_vs_meter") if name == CHECK_NAMES[0] else None
        if isinstance(old, (int, float)):
            return (f'<td data-check="none" data-v="">{100 * old:.2g} % apart '
                    '<span class="why">v1 point: stored as a figure, no tolerance</span></td>')
        why = "v1 point: no checks stored" if v.point.attribution_model.endswith("v1") \
            else "not stored"
        return f'<td data-check="none" data-v="">— <span class="why">{why}</span></td>'
    detail = h(c.detail)
    if c.passed is None or c.value is None:
        return f'<td class="check na" data-check="na" data-v="" title="{detail}">n/a ' \
               f'<span class="why">{detail}</span></td>'
    tol = "" if c.tolerance is None else f" (tolerance {100 * c.tolerance:.2g} %)"
    word, cls = ("✓ pass", "pass") if c.passed else ("✗ FAIL", "fail")
    return (f'<td class="check {cls}" data-check="{cls}" data-v="{c.value!r}" '
            f'title="{detail}{h(tol)}">{word} {100 * c.value:.2g} %{h(tol)}</td>')


def _checks_table(runs: Sequence[RunView]) -> str:
    cols = ([("Run", "text"), ("Load", "text")] + [(CHECK_TITLES[n], "text") for n in CHECK_NAMES]
            + [("Phase source", "text"), ("Prompt tokens from", "text"),
               ("Output tokens from", "text")])
    rows = [f"<tr{_row_attrs(v)}>" + _lead(v) + "".join(_check_td(v, n) for n in CHECK_NAMES)
            + _txt_td(v.point.phase_source or None) + _txt_td(v.point.prompt_token_source or None)
            + _txt_td(v.point.output_token_source) + "</tr>" for r in runs for v in r.points]
    return (f'<div class="tablewrap"><table class="sortable serving-checks">{_thead(cols)}'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f" [{fmt.num(ci[0], 3)} – {fmt.num(ci[1], 3)}]"


def _weights_row(r: RunView) -> str:
    w: TokenWeights | None = r.weights
    lead = _txt_td(r.label) + _txt_td(r.engine)
    if w is None:
        return (f"<tr>{lead}<td colspan=\"5\">— <span class=\"why\">v1 points: per-token "
                "weights were not fitted</span></td></tr>")
    fitted = w.source == "measured"
    src = ("measured: non-negative fit of dynamic energy on prompt and decoded tokens per "
           "slice, 90 % bootstrap intervals" if fitted else
           f"fallback (no usable fit): {w.reason or 'every token weighs the same'}")
    return (f'<tr data-weights="{h(w.source)}">{lead}'
            f'<td class="num">{fmt.num(w.prefill_j_per_token, 3)}{h(_ci(w.prefill_ci_j))}</td>'
            f'<td class="num">{fmt.num(w.decode_j_per_token, 3)}{h(_ci(w.decode_ci_j))}</td>'
            + _num_td(w.residual_rel, 2)
            + f"<td>{w.slices:,} slices of {w.points} point(s)</td>" + _txt_td(src) + "</tr>")


def _weights_table(runs: Sequence[RunView]) -> str:
    cols = (("Run", "text"), ("Engine", "text"), ("J per prompt token [90 % interval]", "num"),
            ("J per decoded token [90 % interval]", "num"), ("Fit residual (relative)", "num"),
            ("Fitted on", "text"), ("Source", "text"))
    return (f'<div class="tablewrap"><table class="serving-weights">{_thead(cols)}<tbody>'
            + "".join(_weights_row(r) for r in runs) + "</tbody></table></div>")


def _impact_cells(fig: Any, scale: float, unit: str, parts: tuple[str, str]) -> str:
    """Total, then two parts, of one figure in ``unit`` (× ``scale``), interval in the title."""
    def cell(x: float | None, title: str = "") -> str:
        v = None if x is None else x * scale
        t = f' title="{h(title)}"' if title else ""
        return f'<td class="num" data-v="{"" if v is None else repr(v)}"{t}>{h(fmt.num(v, 3))}</td>'
    by = {p.name: p for p in fig.parts}
    band = (f"interval {fmt.num(fig.low * scale, 3)} – {fmt.num(fig.high * scale, 3)} {unit}"
            if fig.low is not None and fig.high is not None else "")
    out = cell(fig.value, band)
    for name in parts:
        p = by.get(name)
        out += cell(None if p is None else p.value, "" if p is None else (p.reason or p.formula))
    return out


def _impacts_table(runs: Sequence[RunView]) -> tuple[str, list[Any]]:
    cols = [("Run", "text"), ("Load", "text")]
    for per in ("request", "1,000 requests"):
        unit_c, unit_w = ("mg", "mL") if per == "request" else ("g", "L")
        cols += [(f"CO2eq {unit_c} / {per}", "num"), (f"operational {unit_c}", "num"),
                 (f"embodied {unit_c}", "num"), (f"water {unit_w} / {per}", "num"),
                 (f"on-site {unit_w}", "num"), (f"off-site {unit_w}", "num")]
    cols.append(("Note", "text"))
    rows, summaries = [], []
    for r in runs:
        for v in r.points:
            s = stored_point_impacts(v.point)
            figs = [per_figures(s, PER_REQUEST), per_figures(s, PER_1K_REQUESTS)] if s else []
            if s is None or any(f is None for f in figs):
                why = not_recorded_reason(v.point) or "no request-equivalent served in the window"
                rows.append(f"<tr{_row_attrs(v)}>" + _lead(v)
                            + f'<td colspan="12" data-v="">— <span class="why">{h(why)}</span>'
                            "</td>" + _txt_td(None) + "</tr>")
                continue
            summaries.append(s)
            cells = ""
            # per request in mg and mL (x 1,000), per 1,000 requests in g and L
            for (carbon, water), (k, unit_c, unit_w) in zip(
                    figs, ((1e3, "mg", "mL"), (1.0, "g", "L"))):  # type: ignore[misc]
                cells += _impact_cells(carbon, k, unit_c, ("operational", "embodied"))
                cells += _impact_cells(water, k, unit_w, ("on-site", "off-site"))
            rows.append(f"<tr{_row_attrs(v)}>" + _lead(v) + cells
                        + _txt_td("; ".join(s.carbon.missing_reasons()) or None) + "</tr>")
    return (f'<div class="tablewrap"><table class="sortable serving-impacts">{_thead(cols)}'
            f'<tbody>{"".join(rows)}</tbody></table></div>', summaries)


def _impact_sources(summaries: Sequence[Any]) -> str:
    if not summaries:
        return ""
    seen: dict[tuple[str, str, float], str] = {}
    for s in summaries:
        for f in (*s.carbon.factors, *s.water.factors):
            key = (f.name, f.key, f.value)
            if key not in seen:
                flag = " [default: nothing given]" if f.defaulted else ""
                seen[key] = (f"{f.name} {f.value:.4g} {f.unit}{flag}: {f.cite()}; "
                             f"{f.interval_text()}" + (f"; {f.note}" if f.note else ""))
    params = next((s.carbon.parameters for s in summaries
                   if "allocation_rule" in s.carbon.parameters), None)
    rule = (f"<p>Embodied allocation: {h(params['allocation_rule'])}; lifetime "
            f"{params['lifetime_years']:g} years ({h(params['lifetime_source'])}), device share "
            f"{params['device_share']:g} ({h(params['device_share_source'])}); busy time = the "
            "point's energy window.</p>" if params else
            "<p>Embodied carbon: no figure where no GPU with a known factor was measured "
            "(the note says why), never 0.</p>")
    return ("<p>Sources of the factors recorded with these points:</p><ul>"
            + "".join(f"<li>{h(x)}</li>" for x in seen.values()) + "</ul>" + rule)


def _picker_data(runs: Sequence[RunView]) -> list[dict[str, Any]]:
    return [{"index": v.index, "run": v.run_label, "arrivals": v.point.arrivals,
             "p95_ttft_s": v.point.p95_ttft_s, "j_per_output_token": v.point.j_per_output_token,
             "valid": v.point.valid, "flags": list(v.point.flags)}
            for r in runs for v in r.points]


def serving_section(points: Sequence[ServingPoint]) -> str:
    """HTML of the serving section; "" without points."""
    if not points:
        return ""
    runs = build_runs(points)
    prov = sorted({p.energy_provenance for p in points})
    unit = f"J/output token ({', '.join(prov)})"
    flagged = sum(not p.valid for p in points)
    summaries = "".join(f"<li>{h(run_summary(r))}</li>" for r in runs)
    impacts, impact_summaries = _impacts_table(runs)
    figs = "".join(f"<figure>{f}</figure>" for f in (
        energy_vs_load(runs, unit), ttft_vs_load(runs), pareto_chart(runs, unit)))
    stack = stack_chart(runs)
    return f"""<p>Served models under load (<code>wattprint load</code>): {len(points):,} load
point(s) in {len(runs):,} run(s), {flagged:,} flagged. One curve per run; runs are never joined.
</p>
<ul class="run-summary">{summaries}</ul>
{DEFINITIONS}
{_legend(runs)}
<div class="serving-figs">{figs}</div>
<h3>What an output token cost</h3>
{_part_legend(runs)}
{f'<figure class="stack">{stack}</figure>' if stack else '<p class="note">No point has a phase decomposition.</p>'}
<div class="serving-slo">
<label>Latency objective: p95 time to first token ≤ <input id="serving-slo" type="number"
 step="0.01" min="0" value="1"> s</label>
<label><input id="serving-include-flagged" type="checkbox"> include flagged points</label>
<p id="serving-pick" aria-live="polite">…</p>
</div>
<h3>Load points</h3>
{_points_table(runs, unit)}
<h3>J per output token by part (whole window)</h3>
{_costs_table(runs)}
<h3>Checks that can fail</h3>
<p class="note">Meter vs timeline: the energy meter's own begin/end reads against the power
timeline that was split. Tokens vs engine: the engine's token counters against the client's
counts. Phases vs engine: the phase model's prefill and decode times against the engine's own.
n/a: the engine reports no such figure. A failed check flags the point.</p>
{_checks_table(runs)}
<h3>Energy per token, measured (per run)</h3>
<p class="note">Marginal dynamic energy of a prompt token and of a decoded token on this engine
and device, fitted on the power timeline of the run's points; used to split concurrent work
between prefill and decode.</p>
{_weights_table(runs)}
<h3>Water and carbon per request (estimated)</h3>
<p class="note">From each point's window energy and busy time and the factors
<code>wattprint load</code> recorded with it: per request-equivalent served in the energy
window, and per 1,000. CO2eq = operational (energy × PUE × grid intensity) + embodied (device
manufacturing, allocated by the measured busy time over the lifetime); water = on-site (energy ×
WUE) + off-site (energy × PUE × the grid's water intensity); embodied water is not counted.
Hover a total for its interval.</p>
{impacts}
{_impact_sources(impact_summaries)}
<script type="application/json" id="serving-data">{json_for_html(_picker_data(runs))}</script>
<script>{_template("serving.js")}</script>"""
