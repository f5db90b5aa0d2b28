"""The report's opening section: the study's finding measured here (HTML).

One table per finding (task-specific against multi-purpose on the same inputs) with energy per
1,000 inferences, accuracy and energy per correct answer, each with its 95 % interval, then
the ratios measured here beside the study's published ones.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from wattprint.analysis import fmt
from wattprint.analysis.correct import PerCorrect
from wattprint.analysis.finding import Finding, ModelFigures


def _e(x: object) -> str:
    return html.escape(fmt.text(x), quote=True)


def _iv(mean: float | None, low: float | None, high: float | None, sig: int = 3) -> str:
    if mean is None:
        return fmt.MISSING
    if math.isinf(mean):
        return "∞ (no finite figure)"
    txt = fmt.num(mean, sig)
    if low is None or high is None:
        return txt
    hi = "∞" if math.isinf(high) else fmt.num(high, sig)
    return f"{txt} ({fmt.num(low, sig)}–{hi})"


def _ratio(r: tuple[float | None, float | None, float | None]) -> str:
    m, low, high = r
    if m is None:
        return fmt.MISSING
    hi = "∞" if high is not None and math.isinf(high) else fmt.num(high, 2)
    return f"{fmt.num(m, 2)}×" + (f" (95 % interval {fmt.num(low, 2)}–{hi})"
                                   if low is not None and high is not None else "")


def _correct_cell(c: PerCorrect) -> str:
    if c.mean is None:
        return f'{fmt.MISSING} <span class="why">{_e(c.note)}</span>'
    return _e(_iv(c.mean, c.low, c.high)) + (f' <span class="why">{_e(c.note)}</span>'
                                             if c.note else "")


def _row(m: ModelFigures) -> str:
    c = m.correct
    return ("<tr>" + "".join(f"<td>{x}</td>" for x in (
        _e(m.model), _e(m.purpose), _e(m.weights), _e(fmt.num(m.parameters)),
        _e(f"{m.n} × {m.reps}"), _e(_iv(m.wh_per_1k, m.wh_low, m.wh_high)),
        _e(_iv(c.accuracy, c.accuracy_low, c.accuracy_high)), _correct_cell(c),
        _e(fmt.num(m.output_tokens))))
        + "</tr>")


def _one(f: Finding) -> str:
    p = f.published
    head = ("<tr>" + "".join(f"<th>{x}</th>" for x in (
        "Model", "Kind", "Weights", "Parameters", "Texts × reps", "Wh / 1k inferences",
        "Accuracy", "J / correct answer", "Tokens generated / inference")) + "</tr>")
    return f"""<p class="finding"><strong>On {_e(f.specific.n)} texts of {_e(f.dataset)}
({_e(f.task)}, {_e(f.energy_label)}, hardware {_e(f.hardware_id)}), the multi-purpose model
used {_e(_ratio(f.energy_ratio))} the energy per inference of the task-specific one, and
{_e(_ratio(f.per_correct_ratio))} the energy per correct answer.</strong>
The study published {p.energy_ratio:.1f}× per inference and {p.per_correct_ratio:.1f}× per
correct answer for the same comparison ({_e(p.general_model)} zero-shot against its 8
task-specific sentiment models: {p.general_kwh_per_1k:g} against {p.specific_kwh_per_1k:g} kWh
per 1,000, accuracy {p.general_accuracy:.3f} against {p.specific_accuracy:.3f}).</p>
<div class="tablewrap"><table><thead>{head}</thead><tbody>
{_row(f.specific)}
{_row(f.general)}
</tbody></table></div>
<p class="note">Intervals are 95 %: energy over the repetitions (log-normal); accuracy a Wilson
interval over the texts (a repetition re-scores the same texts); energy per correct answer
pairs the two bounds pessimistically. A ratio's interval pairs the bounds of its two terms the
same way. Study source: {_e(p.source)}. Here the task (the labels) and the machine differ: compare
the ratios, not the Wh.</p>""" + (
        f'<p class="note">The jobs\' boundaries (the host, others\' load included) gave '
        f'{_e(_ratio(f.job_energy_ratio))} per inference.</p>'
        if f.job_energy_ratio is not None else "") + (
        f'<p class="warn">{_e(f.note[0].upper() + f.note[1:])}.</p>' if f.note else "")


def finding_section(found: Sequence[Finding]) -> str:
    """HTML of every finding (empty string when there is none)."""
    return "\n".join(_one(f) for f in found)
