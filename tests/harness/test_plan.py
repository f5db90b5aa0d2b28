"""Suites: validation errors, expansion, overrides and stable job ids."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from harness_fakes import CATALOG

from wattprint.backends.zoo import ZOO_VERSION
from wattprint.errors import ConfigError
from wattprint.harness.plan import (
    Overrides,
    adhoc_suite,
    job_spec,
    load_suite,
    make_plan,
    parse_suite,
)
from wattprint.results.schema import job_id_for

SUITE = textwrap.dedent("""\
    name: mini
    description: two tasks
    defaults:
      n: 5
      repeat: 2
      idle_s: 0.5
    jobs:
      - task: text-classification
        models: [zoo:distilbert@tiny, lvwerra/distilbert-imdb]
        datasets: [builtin, imdb]
      - task: summarization
        model: zoo:bart@tiny
        n: 3
        generation: {max_new_tokens: 12}
""")


def parse(text: str):
    return parse_suite(text, source="mini.yaml", catalog=CATALOG)


def test_expansion_is_the_cross_product_with_overrides_per_entry():
    jobs = parse(SUITE).expand(hardware_id="hw", catalog=CATALOG)
    assert [(j.task, j.model, j.dataset) for j in jobs] == [
        ("text-classification", "zoo:distilbert@tiny", "builtin"),
        ("text-classification", "zoo:distilbert@tiny", "imdb"),
        ("text-classification", "lvwerra/distilbert-imdb", "builtin"),
        ("text-classification", "lvwerra/distilbert-imdb", "imdb"),
        ("summarization", "zoo:bart@tiny", "builtin"),
    ]
    assert [j.settings.n for j in jobs] == [5, 5, 5, 5, 3]
    assert jobs[4].settings.generation == {"max_new_tokens": 12}
    assert all(j.settings.repeat == 2 and j.settings.idle_s == 0.5 and j.settings.batch_size == 1 for j in jobs)
    assert jobs[0].repetitions == (0, 1)
    assert len({j.job_id for j in jobs}) == 5


def test_job_id_is_the_hash_of_the_defining_fields():
    job = parse(SUITE).expand(hardware_id="hw", catalog=CATALOG)[4]
    expected = job_id_for({
        "task": "summarization", "model": "zoo:bart@tiny", "revision": None,
        "dataset": "builtin", "config": None, "split": None, "n": 3, "batch_size": 1,
        "device": "cpu", "dtype": None, "generation": {"max_new_tokens": 12},
        "mode": "task-specific", "settings": {}, "seed": 0, "hardware_id": "hw",
        "model_fingerprint": f"zoo-v{ZOO_VERSION}:bart@tiny"})
    assert job.job_id == expected


def test_job_ids_are_stable_across_processes():
    code = ("from wattprint.harness.plan import job_spec; from wattprint.results.schema import job_id_for;"
            "print(job_id_for(job_spec(task='t', model='m', revision=None, dataset='d', config=None,"
            "split=None, n=3, batch_size=1, device='cpu', dtype=None, generation={'b': 1, 'a': 2},"
            "mode='task-specific', settings={}, seed=0, hardware_id='hw')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "", "PYTHONPATH": ":".join(sys.path)})
    here = job_id_for(job_spec(task="t", model="m", revision=None, dataset="d", config=None,
                               split=None, n=3, batch_size=1, device="cpu", dtype=None,
                               generation={"a": 2, "b": 1}, mode="task-specific", settings={},
                               seed=0, hardware_id="hw"))
    assert out.stdout.strip() == here


@pytest.mark.parametrize("override", [{"n": 6}, {"batch_size": 2}, {"device": "cuda"},
                                      {"dtype": "float16"}, {"generation": {"max_new_tokens": 3}}])
def test_job_ids_differ_when_a_defining_setting_differs(override):
    suite = parse(SUITE)
    base = suite.expand(hardware_id="hw", catalog=CATALOG)
    changed = suite.expand(hardware_id="hw", catalog=CATALOG, overrides=Overrides(settings=override))
    assert all(a.job_id != b.job_id for a, b in zip(base, changed, strict=True))


def test_job_ids_do_not_depend_on_repeat_warmup_or_idle_but_do_on_hardware():
    suite = parse(SUITE)
    base = [j.job_id for j in suite.expand(hardware_id="hw", catalog=CATALOG)]
    more = suite.expand(hardware_id="hw", catalog=CATALOG,
                        overrides=Overrides(settings={"repeat": 9, "warmup": 0, "idle_s": 0}))
    assert [j.job_id for j in more] == base
    assert [j.settings.repeat for j in more] == [9] * 5
    other = suite.expand(hardware_id="hw2", catalog=CATALOG)
    assert not set(base) & {j.job_id for j in other}


def test_cli_selections_keep_matching_jobs_and_name_unknown_ones():
    suite = parse(SUITE)
    jobs = suite.expand(hardware_id="hw", catalog=CATALOG,
                        overrides=Overrides(tasks=("text-classification",), datasets=("imdb",)))
    assert [(j.model, j.dataset) for j in jobs] == [("zoo:distilbert@tiny", "imdb"),
                                                   ("lvwerra/distilbert-imdb", "imdb")]
    with pytest.raises(ConfigError, match=r"--dataset 'imbd'.*did you mean 'imdb'"):
        suite.expand(hardware_id="hw", catalog=CATALOG, overrides=Overrides(datasets=("imbd",)))


def test_typo_in_a_job_names_file_line_path_and_suggestion():
    bad = SUITE.replace("    model: zoo:bart@tiny", "    modle: zoo:bart@tiny")
    with pytest.raises(ConfigError) as err:
        parse(bad)
    msg = str(err.value)
    assert "mini.yaml:12: jobs[1].modle: unknown key 'modle' (did you mean " in msg
    assert "'model'" in msg.split("did you mean")[1].split(")")[0]


def test_typo_in_defaults_and_top_level():
    with pytest.raises(ConfigError, match=r"defaults.repeats: unknown key 'repeats' \(did you mean 'repeat'"):
        parse(SUITE.replace("  repeat: 2", "  repeats: 2"))
    with pytest.raises(ConfigError, match=r"mini.yaml:1: nmae: unknown key 'nmae' \(did you mean 'name'"):
        parse(SUITE.replace("name: mini", "nmae: mini"))


def test_wrong_type_names_the_field():
    with pytest.raises(ConfigError, match=r"mini.yaml:4: defaults.n: .*integer"):
        parse(SUITE.replace("  n: 5", "  n: five"))
    with pytest.raises(ConfigError, match=r"defaults.repeat: .*greater than or equal to 1"):
        parse(SUITE.replace("  repeat: 2", "  repeat: 0"))


def test_unknown_task_dataset_and_model_name_field_and_choices():
    with pytest.raises(ConfigError, match=r"jobs\[1\].task: unknown task 'sumarization' "
                                          r"\(did you mean 'summarization'\?\); valid: "):
        parse(SUITE.replace("task: summarization", "task: sumarization"))
    with pytest.raises(ConfigError, match=r"jobs\[0\].datasets\[1\]: unknown dataset 'imbd' for task "
                                          r"'text-classification' \(did you mean 'imdb'\?\); valid: "
                                          r"builtin, imdb, sst2, rotten_tomatoes"):
        parse(SUITE.replace("[builtin, imdb]", "[builtin, imbd]"))
    with pytest.raises(ConfigError, match=r"unknown zoo model 'bert'"):
        parse(SUITE.replace("zoo:bart@tiny", "zoo:bert@tiny"))


def test_model_that_does_not_fit_the_task():
    with pytest.raises(ConfigError, match=r"jobs\[1\].model: zoo model 'distilbert' does not fit "
                                          r"task 'summarization'.*zoo models for summarization: bart"):
        parse(SUITE.replace("zoo:bart@tiny", "zoo:distilbert@tiny"))
    with pytest.raises(ConfigError, match=r"'gpt2' is a text-generation model in the study"):
        parse(SUITE.replace("zoo:bart@tiny", "gpt2"))
    with pytest.raises(ConfigError, match=r"dataset 'xsum'.*it is a summarization dataset"):
        parse(SUITE.replace("[builtin, imdb]", "[xsum]"))


def test_zero_shot_only_where_the_task_has_it():
    text = SUITE.replace("  - task: summarization", "  - task: text-generation\n    mode: zero-shot")
    text = text.replace("zoo:bart@tiny", "zoo:distilgpt2@tiny")
    with pytest.raises(ConfigError, match=r"jobs\[1\].mode: task 'text-generation' has no zero-shot mode"):
        parse(text)
    ok = SUITE.replace("    model: zoo:bart@tiny", "    model: google/flan-t5-base\n    mode: zero-shot")
    jobs = parse(ok).expand(hardware_id="hw", catalog=CATALOG)
    assert jobs[-1].mode == "zero-shot"


def test_missing_file_and_unknown_shipped_suite():
    with pytest.raises(ConfigError, match="does not exist"):
        load_suite("/nonexistent/suite.yaml", catalog=CATALOG)
    with pytest.raises(ConfigError, match=r"unknown suite 'smok' \(did you mean 'smoke'\?\)"):
        load_suite("smok", catalog=CATALOG)


def test_malformed_yaml_names_the_file(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_suite(str(f), catalog=CATALOG)


def test_adhoc_defaults_to_builtin_and_the_zoo_model():
    suite = adhoc_suite(["summarization"], [], [], catalog=CATALOG)
    jobs = suite.expand(hardware_id="hw", catalog=CATALOG)
    assert [(j.task, j.model, j.dataset, j.settings.n, j.settings.repeat) for j in jobs] == [
        ("summarization", "zoo:bart@tiny", "builtin", 1000, 10)]


def test_adhoc_with_a_local_checkpoint_folder(tmp_path):
    suite, jobs = make_plan(None, tasks=["text-classification"], models=[str(tmp_path)],
                            settings={"n": 3, "repeat": 1}, hardware_id="hw", catalog=CATALOG)
    assert (jobs[0].model, jobs[0].settings.n, jobs[0].settings.repeat) == (str(tmp_path), 3, 1)
    with pytest.raises(ConfigError, match=r"--model: model folder '/no/such/dir' does not exist"):
        make_plan(None, tasks=["text-classification"], models=["/no/such/dir"], hardware_id="hw",
                  catalog=CATALOG)
    with pytest.raises(ConfigError, match=r"--task: unknown task"):
        make_plan(None, tasks=["text-clasification"], hardware_id="hw", catalog=CATALOG)


def test_bad_device_and_dtype_name_the_field():
    with pytest.raises(ConfigError, match=r"mini.yaml:7: defaults.device: unknown device 'gpu'"):
        parse(SUITE.replace("  idle_s: 0.5", "  idle_s: 0.5\n  device: gpu"))
    with pytest.raises(ConfigError, match=r"jobs\[1\].dtype: unknown dtype 'fp16'; valid: auto, bfloat16"):
        parse(SUITE.replace("    n: 3", "    n: 3\n    dtype: fp16"))


def test_plan_dtypes_are_the_ones_the_backends_accept():
    from wattprint.backends.transformers import _DTYPES
    from wattprint.harness.plan import DTYPES

    assert set(DTYPES) == set(_DTYPES)
