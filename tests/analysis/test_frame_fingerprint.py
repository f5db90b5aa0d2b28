"""Two different models typed with the same name stay apart in the report's table."""

from __future__ import annotations

from report_fixtures import make_result

from wattprint.analysis.frame import results_frame


def test_same_name_different_fingerprints_get_distinct_labels():
    a = make_result(model="./my-checkpoint", model_fingerprint="files:aaaaaaaa1111")
    b = make_result(model="./my-checkpoint", model_fingerprint="files:bbbbbbbb2222",
                    hardware_id="hw2")
    df = results_frame([a, b])
    assert sorted(df["model"]) == ["./my-checkpoint [files:aaaaaaaa]",
                                   "./my-checkpoint [files:bbbbbbbb]"]
    assert sorted(df["model_fingerprint"]) == ["files:aaaaaaaa1111", "files:bbbbbbbb2222"]


def test_one_fingerprint_per_name_keeps_the_name_as_typed():
    a = make_result(model="./my-checkpoint", model_fingerprint="files:aaaaaaaa1111")
    assert list(results_frame([a])["model"]) == ["./my-checkpoint"]
