"""The study's selection of imported runs, on synthetic records labelled like the importer's."""

from __future__ import annotations

from report_fixtures import make_result

from wattprint.analysis.frame import results_frame
from wattprint.analysis.study_view import in_study_selection, study_selection


def _r(task: str, kind: str | None, variant: str | None, model: str = "m"):
    extra = {} if kind is None else {"study_kind": kind, "study_variant": variant}
    return make_result(task=task, model=model, extra=extra)


def test_selection_rules():
    assert in_study_selection(_r("text-classification", "task-specific", "native"))
    assert in_study_selection(_r("image-classification", "task-specific", "resized"))
    assert not in_study_selection(_r("image-classification", "task-specific", "native"))
    assert not in_study_selection(_r("text-classification", None, None))  # unlabelled run
    assert in_study_selection(_r("text-classification", "zero-shot", "bloomz"))
    assert not in_study_selection(_r("text-to-image", "task-specific", "native",
                                     model="SG161222/Realistic_Vision_V1.4"))
    assert len(study_selection([_r("fill-mask", "task-specific", "native"),
                                _r("fill-mask", None, None)])) == 1


def test_study_kind_sets_purpose():
    df = results_frame([_r("text-classification", "zero-shot", "native", model="bigscience/x"),
                        _r("text-classification", "task-specific", "native", model="flan-t5-ok")])
    assert list(df["purpose"]) == ["multi-purpose", "task-specific"]


def test_emissions_per_provenance_from_intensity():
    from report_fixtures import cpu_est, gpu
    # 3600 J GPU + 1800 J CPU over 1,000 inferences at 100 g/kWh:
    # GPU 0.001 kWh/1k → 0.1 g/1k; CPU 0.0005 kWh/1k → 0.05 g/1k (never the record's total)
    r = make_result(domains=(gpu(3600.0), cpu_est(1800.0)),
                    carbon={"emissions_g": 0.15, "intensity_g_per_kwh": 100.0})
    df = results_frame([r]).set_index("provenance")
    assert abs(df.loc["measured", "g_per_1k"] - 0.1) < 1e-12
    assert abs(df.loc["estimated", "g_per_1k"] - 0.05) < 1e-12
