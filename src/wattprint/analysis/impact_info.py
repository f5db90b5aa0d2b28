"""The report's account of water and embodied carbon: which factors the results recorded
(value, source, version, licence, year, interval), the allocation rule, and how many results
have none (made before impacts existed, or imported)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from wattprint.carbon.embodied import ALLOCATION_RULE, devices
from wattprint.results.impacts import not_recorded_reason
from wattprint.results.schema import JobResult

WATER_FORMULA = ("water = IT energy × WUE (on site) + IT energy × PUE × the grid's water "
                 "intensity (off site, electricity generation); embodied water is not modelled")


def impacts_methodology_html(results: Sequence[JobResult]) -> str:
    """HTML paragraphs and a list of the impact factors the results recorded (escaped)."""
    factors: dict[tuple[str, str, float], tuple[str, str, int]] = {}
    without = 0
    for r in results:
        if not_recorded_reason(r) is not None:
            without += r.status == "ok"
            continue
        assert r.carbon is not None and r.carbon.impacts is not None
        s = r.carbon.impacts
        for f in (s.wue, s.water_intensity, *((s.pue,) if s.pue else ())):
            key = (f.name, f.key, f.value)
            desc, interval, n = factors.get(key, (f.cite(), f.interval_text(), 0))
            factors[key] = (desc, interval, n + 1)
    rows = "".join(f"<li>{html.escape(name)} {value:.4g} ({html.escape(key)}): "
                   f"{html.escape(desc)}; {html.escape(interval)} ({n:,} results)</li>"
                   for (name, key, value), (desc, interval, n) in sorted(factors.items()))
    gpus = "".join(f"<li>{html.escape(d.factor.name)}: {d.factor.value:g} kg CO2eq "
                   f"({html.escape(d.factor.interval_text())}) — {html.escape(d.factor.cite())}</li>"
                   for d in devices().values())
    missing = (f"<p>{without:,} ok result(s) recorded no impact factors (made before impacts "
               "existed, or imported): their water and embodied columns show “—”.</p>"
               if without else "")
    return f"""<h3>Water and embodied carbon (estimated)</h3>
<p>Every impact figure is <strong>estimated</strong>: the measured energy and busy time times
published factors, recorded with each result by <code>wattprint run</code> (see
<code>docs/impacts.md</code>). {html.escape(WATER_FORMULA)}. Embodied carbon:
{html.escape(ALLOCATION_RULE)}, with the measured query window as the busy time; a GPU without a
factor, or a shared machine without a stated device share, gets “—”, never 0. Total carbon =
the g CO2eq / 1k column + embodied.</p>
{missing}<p>Water factors recorded:</p><ul>{rows or "<li>none</li>"}</ul>
<p>Embodied-carbon factors (per device):</p><ul>{gpus}</ul>"""
