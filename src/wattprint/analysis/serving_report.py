"""The report's serving section: energy and latency of served load points (``kind: serving``).

Three SVG figures per served model (matplotlib): J/output token vs offered load, p95 time to
first token vs load, and the energy-latency Pareto curve (points no other point beats on both).
A small script picks, for the latency objective the reader types in, the lowest-energy point that
meets it. Energy per output token keeps its provenance in every label; invalid points (flags)
are drawn hollow and listed with their flags.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence

from wattprint.results.serving_record import ServingPoint


def _load(p: ServingPoint) -> float:
    """The x value of a point: offered rate, else achieved rate (closed loop)."""
    return p.offered_rps if p.offered_rps is not None else p.achieved_rps


def pareto(points: Sequence[ServingPoint]) -> list[ServingPoint]:
    """Valid points not dominated in (p95 TTFT, J/output token), lowest latency first (a
    flagged point, e.g. one with truncated or failed requests, is never on the front)."""
    pts = [p for p in points
           if p.valid and p.p95_ttft_s is not None and p.j_per_output_token is not None]
    out = []
    for p in sorted(pts, key=lambda q: (q.p95_ttft_s, q.j_per_output_token)):
        if not out or p.j_per_output_token < out[-1].j_per_output_token:
            out.append(p)
    return out


def _svg(points: Sequence[ServingPoint], x: str, y: str, xlabel: str, ylabel: str,
         line: Sequence[ServingPoint] | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    by_model: dict[str, list[ServingPoint]] = {}
    for p in points:
        by_model.setdefault(p.model.rsplit("/", 1)[-1], []).append(p)
    for name, pts in by_model.items():
        xs = [_load(p) if x == "load" else getattr(p, x) for p in pts]
        ys = [getattr(p, y) for p in pts]
        keep = [(a, b, p.valid) for a, b, p in zip(xs, ys, pts) if a is not None and b is not None]
        keep.sort()
        if keep:
            ax.plot([k[0] for k in keep], [k[1] for k in keep], "-", lw=1, alpha=0.5)
            ax.scatter([k[0] for k in keep], [k[1] for k in keep], label=name,
                       facecolors=["C0" if k[2] else "none" for k in keep], edgecolors="C0")
    if line:
        ax.step([getattr(p, x) for p in line], [getattr(p, y) for p in line], where="post",
                color="C3", lw=1.5, label="Pareto")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def serving_section(points: Sequence[ServingPoint]) -> str:
    """HTML of the serving section (figures, objective picker, table); "" without points."""
    if not points:
        return ""
    prov = sorted({p.energy_provenance for p in points})
    unit = f"J/output token ({', '.join(prov)})"
    figs = [
        _svg(points, "load", "j_per_output_token", "offered load (req/s)", unit),
        _svg(points, "load", "p95_ttft_s", "offered load (req/s)", "p95 time to first token (s)"),
        _svg(points, "p95_ttft_s", "j_per_output_token", "p95 time to first token (s)", unit,
             line=pareto(points)),
    ]
    rows = []
    for p in points:
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                p.model.rsplit("/", 1)[-1], p.arrivals, f"{p.achieved_rps:.3g}",
                f"{p.j_per_output_token:.4g}" if p.j_per_output_token is not None else "–",
                f"{p.j_per_request:.4g}" if p.j_per_request is not None else "–",
                f"{p.p95_ttft_s:.3g}" if p.p95_ttft_s is not None else "–",
                f"{p.p95_itl_s:.3g}" if p.p95_itl_s is not None else "–",
                f"{p.avg_power_w:.3g}", p.energy_provenance, f"{p.attribution_residual:.1e}",
                ", ".join(p.flags) or "valid")) + "</tr>")
    data = [{"model": p.model, "arrivals": p.arrivals, "p95_ttft_s": p.p95_ttft_s,
             "p95_itl_s": p.p95_itl_s, "j_per_output_token": p.j_per_output_token,
             "valid": p.valid} for p in points]
    head = "".join(f"<th>{c}</th>" for c in (
        "model", "load", "achieved req/s", unit, "J/request", "p95 TTFT s", "p95 ITL s",
        "avg power W", "provenance", "attribution residual", "flags"))
    data_json = json.dumps(data).replace("</", "<\\/")
    return f"""<p>Served models under load (<code>wattprint load</code>): energy of the server per
output token at each offered load, beside latency. Per-request energy is <em>attributed</em>
(token-occupancy model, sum residual shown). Hollow markers: points with validity flags.</p>
<div class="serving-figs">{''.join(f'<figure>{f}</figure>' for f in figs)}</div>
<p><label>Latency objective: p95 time to first token ≤ <input id="serving-slo" type="number"
 step="0.01" min="0" value="1"> s</label> → <span id="serving-pick">…</span></p>
<table class="serving"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>
<script type="application/json" id="serving-data">{data_json}</script>
<script>(function(){{
 var pts = JSON.parse(document.getElementById('serving-data').textContent);
 var inp = document.getElementById('serving-slo'), out = document.getElementById('serving-pick');
 function pick(){{
  var slo = parseFloat(inp.value), best = null;
  pts.forEach(function(p){{ if (p.valid && p.p95_ttft_s !== null && p.j_per_output_token !== null &&
    p.p95_ttft_s <= slo && (!best || p.j_per_output_token < best.j_per_output_token)) best = p; }});
  out.textContent = best ? ('lowest energy meeting it: ' + best.model + ' at ' + best.arrivals + ', ' +
    best.j_per_output_token.toPrecision(3) + ' J/output token, p95 TTFT ' + best.p95_ttft_s.toPrecision(3) + ' s')
    : 'no valid point meets this objective';
 }}
 inp.addEventListener('input', pick); pick();
}})();</script>"""
