"""Suite files that are not UTF-8, keys given twice, and n larger than the inputs can supply."""

from __future__ import annotations

import textwrap

import pytest

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.harness.plan import load_suite, make_plan
from wattprint.tasks.capacity import BUILTIN_IMAGE_MAX_N, BUILTIN_TEXT_MAX_N


def _suite(tmp_path, body: str):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_suite_that_is_not_utf8_is_refused_naming_the_file(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\njobs:\n  - task: text-classification\n".encode("latin-1"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: the suite file is not UTF-8" in err and "Traceback" not in err


def test_a_duplicate_key_is_an_error_with_its_line_not_last_wins(tmp_path):
    path = _suite(tmp_path, """\
        name: dup
        jobs:
          - task: text-classification
            model: zoo:distilbert-sst2@tiny
            n: 3
            n: 4
        """)
    with pytest.raises(ConfigError, match=r"s\.yaml:6: duplicate key 'n' \(first given at line 5\)"):
        load_suite(str(path))


def test_n_beyond_a_files_records_is_refused_with_the_largest_value(tmp_path):
    data = tmp_path / "two.jsonl"
    data.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n')
    with pytest.raises(ConfigError, match="-n: n=3 .* at most 2 inputs .* use n <= 2"):
        make_plan(None, tasks=["text-classification"], datasets=[str(data)], settings={"n": 3},
                  hardware_id="hw")
    _, jobs = make_plan(None, tasks=["text-classification"], datasets=[str(data)],
                        settings={"n": 2}, hardware_id="hw")
    assert jobs[0].settings.n == 2


def test_a_huge_n_in_a_suite_is_refused_at_validation(tmp_path, capsys):
    path = _suite(tmp_path, """\
        name: huge
        jobs:
          - task: image-classification
            n: 1000000000000
        """)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "jobs[0].n" in err and f"use n <= {BUILTIN_IMAGE_MAX_N}" in err


def test_builtin_text_limit_applies_to_cli_overrides(tmp_path):
    with pytest.raises(ConfigError, match=f"use n <= {BUILTIN_TEXT_MAX_N}"):
        make_plan(None, tasks=["text-classification"], settings={"n": BUILTIN_TEXT_MAX_N + 1},
                  hardware_id="hw")
