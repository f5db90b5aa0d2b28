"""Typed settings: one model, layers merged in order, the CLI validated like the YAML."""

from __future__ import annotations

import textwrap

import pytest

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.harness.plan import BUILTIN_DEFAULTS, JobSettings, Settings, cli_settings, make_plan


def _suite(tmp_path, body):
    path = tmp_path / "suite.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_builtin_defaults_are_complete_and_frozen():
    assert BUILTIN_DEFAULTS == JobSettings()
    assert (BUILTIN_DEFAULTS.n, BUILTIN_DEFAULTS.repeat, BUILTIN_DEFAULTS.device) == (1000, 10, "cpu")
    with pytest.raises(Exception):
        BUILTIN_DEFAULTS.n = 5  # type: ignore[misc]


def test_layers_apply_in_order_and_dicts_merge_key_by_key():
    js = (JobSettings()
          .layered(Settings(generation={"max_new_tokens": 10, "min_new_tokens": 10}))  # task
          .layered(Settings(n=50, generation={"max_new_tokens": 20}))  # suite defaults
          .layered(Settings(n=7, settings={"trust_remote_code": True}))  # job entry
          .layered(Settings(warmup=0)))  # CLI
    assert (js.n, js.warmup, js.repeat) == (7, 0, 10)
    assert js.generation == {"max_new_tokens": 20, "min_new_tokens": 10}
    assert js.settings == {"trust_remote_code": True}


def test_suite_and_cli_layers_reach_the_job(tmp_path):
    path = _suite(tmp_path, """\
        name: layers
        defaults: {n: 4, repeat: 3, warmup: 2}
        jobs:
          - task: text-classification
            n: 5
        """)
    _, (job,) = make_plan(str(path), settings={"repeat": 2}, hardware_id="hw")
    s = job.settings
    assert (s.n, s.repeat, s.warmup, s.batch_size) == (5, 2, 2, 1)


def test_cli_refuses_what_yaml_refuses_naming_the_flag(tmp_path, capsys):
    assert main(["run", "--task", "text-classification", "--warmup", "-5", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "--warmup" in err and "greater than or equal to 0" in err and "-5" in err
    path = _suite(tmp_path, """\
        name: neg
        defaults: {warmup: -5}
        jobs: [{task: text-classification}]
        """)
    assert main(["validate", str(path)]) == 2
    assert "suite.yaml:2: defaults.warmup" in capsys.readouterr().err


def test_cli_device_and_dtype_use_the_same_validators():
    with pytest.raises(ConfigError, match=r"--device: unknown device 'gpu'"):
        cli_settings({"device": "gpu"})
    with pytest.raises(ConfigError, match=r"--dtype: unknown dtype 'fp16'"):
        cli_settings({"dtype": "fp16"})
    assert cli_settings({"device": "cuda:1", "n": None}).device == "cuda:1"


def test_unknown_backend_option_fails_validate_with_line_and_suggestion(tmp_path, capsys):
    path = _suite(tmp_path, """\
        name: opts
        jobs:
          - task: text-classification
            model: zoo:distilbert-sst2@tiny
            settings:
              bogus_key: 1
              trust_remote_cod: true
        """)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:6: jobs[0].settings.bogus_key: unknown transformers option 'bogus_key'" in err
    assert "suite.yaml:7" in err and "did you mean 'trust_remote_code'" in err


def test_backend_options_are_typed_per_backend(tmp_path, capsys):
    path = _suite(tmp_path, """\
        name: opts
        defaults:
          settings: {detection_threshold: 2}
        jobs:
          - task: object-detection
          - task: text-classification
            model: callable:builtins:len
            settings: {name: counted}
        """)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:3: defaults.settings.detection_threshold" in err
    assert "less than or equal to 1" in err
    # the callable backend knows only 'name'; the defaults' transformers option is not one
    assert "unknown callable option 'detection_threshold'" in err


def test_a_job_holds_its_settings_whole_and_copies_stay_valid(tmp_path):
    path = _suite(tmp_path, """\
        name: whole
        defaults: {n: 4, repeat: 3, idle_s: 1, settings: {trust_remote_code: false}}
        jobs:
          - task: text-classification
        """)
    _, (job,) = make_plan(str(path), hardware_id="hw")
    expected = (BUILTIN_DEFAULTS.layered(Settings(generation={}))
                .layered(Settings(n=4, repeat=3, idle_s=1, settings={"trust_remote_code": False})))
    assert isinstance(job.settings, JobSettings) and job.settings == expected
    assert job.repetitions == (0, 1, 2)
    more = job.with_settings(repeat=5, device="cuda:1")
    assert (more.settings.repeat, more.settings.device, more.repetitions) == (5, "cuda:1",
                                                                              (0, 1, 2, 3, 4))
    assert more.with_repetitions([4]).with_settings(n=8).repetitions == (4,)
    with pytest.raises(ValueError, match="finite"):
        job.with_settings(idle_s=float("inf"))
