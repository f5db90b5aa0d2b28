"""The finding: task-specific against multi-purpose on the same inputs, from stored records."""

import pytest

from wattprint.analysis.finding import PUBLISHED, findings
from wattprint.analysis.frame import results_frame
from wattprint.analysis.report import build_report
from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import STATUS_OK, JobResult


def _result(model, mode, weights, energy_j, rep, accuracy, n=60, task="text-classification",
            metric="accuracy"):
    return JobResult(
        job_id=f"{model}-{mode}", repetition=rep, task=task, model=model,
        dataset="hf:wattprint-zoo/fortunes4", n=n, status=STATUS_OK, duration_s=1.0,
        domains=(DomainEnergy(name="cpu:0", component="cpu", boundary="CPU package (RAPL)",
                              provenance=Provenance.MEASURED, source="rapl", energy_j=energy_j,
                              scope="machine"),),
        weights=weights, backend="transformers", work_unit="sample", work_units=float(n),
        quality={metric: accuracy, "n_scored": float(n)}, mode=mode,
        hardware_id="hw", created_at="2026-01-01T00:00:00+00:00")


def _pair(specific_weights="fine-tuned here", general_acc=0.3):
    out = []
    for rep, (e1, e2) in enumerate(((60.0, 1800.0), (66.0, 1700.0), (63.0, 1900.0))):
        out.append(_result("wattprint-zoo/minilm-l6-fortunes", "task-specific", specific_weights,
                           e1, rep, 0.85))
        out.append(_result("wattprint-zoo/smollm2-135m-instruct", "zero-shot", "pretrained",
                           e2, rep, general_acc))
    return out


def test_finding_pairs_the_two_models_with_ratios_and_intervals():
    (f,) = findings(results_frame(_pair()))
    assert f.specific.model.endswith("minilm-l6-fortunes") and f.general.purpose == "multi-purpose"
    ratio, low, high = f.energy_ratio
    assert ratio == pytest.approx(1800.0 / 63.0, rel=1e-6)   # means of the three repetitions
    assert low < ratio < high
    # per correct answer: the energy ratio times the accuracy ratio 0.85 / 0.3
    assert f.per_correct_ratio[0] == pytest.approx(ratio * 0.85 / 0.3, rel=1e-6)
    assert f.specific.correct.accuracy_low < 0.85 < f.specific.correct.accuracy_high
    text = "\n".join(f.lines())
    assert "study (published" in text and f"{PUBLISHED.energy_ratio:.1f}x" in text


def test_random_weights_never_make_a_finding():
    assert findings(results_frame(_pair(specific_weights="random"))) == []


def test_a_model_that_is_never_right_has_no_finite_per_correct_ratio():
    (f,) = findings(results_frame(_pair(general_acc=0.0)))
    assert f.per_correct_ratio == (None, None, None)
    assert "no finite figure" in "\n".join(f.lines())


def test_report_opens_with_the_finding_and_shows_dash_for_random_weights(tmp_path):
    rs = _pair() + [_result("zoo:distilbert-sst2@tiny", "task-specific", "random", 5.0, r, 0.5)
                    for r in range(3)]
    out = build_report(rs, tmp_path)
    page = out.path.read_text()
    assert page.index('id="sec-finding"') < page.index('id="sec-leaderboard"')
    assert out.finding_lines and "Finding" in out.finding_lines[0]
    row = next(line for line in page.splitlines() if 'data-model="zoo:distilbert-sst2@tiny"' in line)
    assert "random weights: answers mean nothing" in row   # J / correct answer: "—" and why


def test_report_says_a_model_that_solves_nothing_has_no_finite_figure(tmp_path):
    rs = [_result("wattprint-zoo/smollm2-135m-instruct", "task-specific", "pretrained", 900.0, r,
                  0.0, n=10, task="arithmetic", metric="exact_match") for r in range(3)]
    page = build_report(rs, tmp_path).path.read_text()
    row = next(line for line in page.splitlines() if 'data-task="arithmetic"' in line)
    assert "∞ (none correct)" in row and "no correct answer: no finite figure" in row


def test_a_finding_says_when_its_results_ran_on_a_shared_host(tmp_path):
    from dataclasses import replace

    quiet = _pair()
    (f,) = findings(results_frame(quiet))
    assert not f.shared_host and "shared host" not in "\n".join(f.lines())
    busy = [replace(r, shared=True) if r.mode == "zero-shot" and r.repetition == 0 else r
            for r in quiet]
    (f,) = findings(results_frame(busy))
    assert f.shared_host and "ran on a shared host" in "\n".join(f.lines())
    out = build_report(busy, tmp_path)   # left out of the leaderboard, named under the finding
    section = out.path.read_text().split('id="sec-finding"')[1].split("</section>")[0]
    assert "Some of these results ran on a shared host" in section


def _with_share(r, share_j):
    """``r`` plus a process-scope share of its CPU energy (as a run on a shared host stores)."""
    from dataclasses import replace

    own = DomainEnergy(name="cpu:process", component="cpu", boundary="the measured process",
                       provenance=Provenance.MEASURED, source="rapl", energy_j=share_j,
                       scope="process")
    return replace(r, domains=(*r.domains, own))


def _shared_pair(share_of=lambda r: r.domains[0].energy_j / 4, *, drop_one=False):
    from dataclasses import replace

    out = []
    for r in _pair():
        r = replace(r, shared=r.repetition == 0)   # one repetition of each model flagged
        if drop_one and r.mode == "zero-shot" and r.repetition == 2:
            out.append(r)                           # this one has no process share
        else:
            out.append(_with_share(r, share_of(r)))
    return out


def test_a_finding_on_a_shared_host_leads_with_each_process_own_share(tmp_path):
    # the specific model's process used 1/4 of each window, the generative one's 1/2: the
    # shares compare like with like (2 x 1800/63 ... here), the boundaries stand beside
    rs = _shared_pair(lambda r: r.domains[0].energy_j / (4 if r.mode == "task-specific" else 2))
    (f,) = findings(results_frame(rs))
    assert f.basis == "process" and f.shared_host
    assert f.specific.wh_per_1k == pytest.approx(63.0 / 4 / 60 / 3.6, rel=1e-6)
    assert f.general.wh_per_1k == pytest.approx(1800.0 / 2 / 60 / 3.6, rel=1e-6)
    assert f.energy_ratio[0] == pytest.approx(2 * 1800.0 / 63.0, rel=1e-6)
    assert f.job_energy_ratio is not None
    assert f.job_energy_ratio[0] == pytest.approx(1800.0 / 63.0, rel=1e-6)
    assert f.per_correct_ratio[0] == pytest.approx(f.energy_ratio[0] * 0.85 / 0.3, rel=1e-6)
    text = "\n".join(f.lines())
    assert "each process's own share" in text and "the jobs' boundaries" in text
    assert "never others' load" in text
    section = build_report(rs, tmp_path).path.read_text().split('id="sec-finding"')[1]
    section = section.split("</section>")[0]
    assert "each process&#x27;s own share" in section and "boundaries" in section


def test_a_shared_finding_without_a_share_for_every_repetition_keeps_the_boundaries():
    (f,) = findings(results_frame(_shared_pair(drop_one=True)))
    assert f.basis == "job" and f.shared_host and f.job_energy_ratio is None
    assert f.energy_ratio[0] == pytest.approx(1800.0 / 63.0, rel=1e-6)
    assert "their energy may include others' load" in "\n".join(f.lines())
    # an unshared pair with process shares keeps the boundaries too: nothing to keep apart
    from dataclasses import replace

    (f,) = findings(results_frame([replace(r, shared=False) for r in _shared_pair()]))
    assert f.basis == "job" and not f.shared_host
