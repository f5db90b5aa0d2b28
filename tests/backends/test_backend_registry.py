"""Adding a backend is one module plus one register_backend line; nothing else branches on names."""

from __future__ import annotations

import textwrap

import pytest

from wattprint.backends import registry
from wattprint.backends.base import Backend, ModelInfo, RunSettings
from wattprint.backends.loader import load_backend
from wattprint.backends.model_ref import ModelRef
from wattprint.errors import ConfigError
from wattprint.harness.catalog import Catalog
from wattprint.harness.plan import Job, JobSettings, parse_suite
from wattprint.harness.worker import Toolkit, execute_job
from wattprint.tasks.base import Example, Prediction

# ---- the new backend's module: a class and its options -----------------------------------

class ShoutBackend(Backend):
    """Upper-cases its input: a backend no code in wattprint knows by name."""

    def __init__(self, task_id: str, model: str, *, device: str = "cpu", batch_size: int = 1,
                 seed: int | None = None, volume: int = 1) -> None:
        self.task_id, self.model, self.device = task_id, model, device
        self.batch_size, self.seed, self.volume = batch_size, seed, volume

    def load(self) -> ModelInfo:
        return ModelInfo(model=self.model, backend="shout", device=self.device)

    def infer(self, example: Example) -> Prediction:
        return Prediction(output=str(example.inputs).upper() + "!" * self.volume)


class ShoutOptions(registry.BackendOptions):
    volume: int = 1


def _claims(task_id: str, ref: ModelRef) -> bool:
    return ref.kind == "hub" and ref.name.startswith("shout/")


CATALOG = Catalog(tasks=("text-classification",))


def _two_reviews(task, job) -> list[Example]:
    return [Example("good", reference="positive"), Example("bad", reference="negative")]


@pytest.fixture
def shout():
    registry.register_backend("shout", ShoutBackend, ShoutOptions, _claims)  # the one table line
    yield
    registry.BACKENDS.pop("shout")


def test_a_registered_backend_is_chosen_built_and_given_only_what_it_takes(shout):
    assert registry.backend_for("text-classification", ModelRef.parse("shout/loud")) == "shout"
    assert registry.backend_for("text-classification", ModelRef.parse("other/x")) == "transformers"
    run = RunSettings(device="cuda:1", dtype="float16", batch_size=4, mode="zero-shot", seed=7,
                      generation={"max_new_tokens": 3})
    backend = load_backend("text-classification", "shout/loud", run=run, volume=3)
    assert isinstance(backend, ShoutBackend)
    # the run settings it takes arrive; those it does not (dtype, mode, generation) are left out
    assert (backend.device, backend.batch_size, backend.seed, backend.volume) == ("cuda:1", 4, 7, 3)
    assert backend.infer(Example("hi")).output == "HI!!!"
    with pytest.raises(ConfigError, match=r"unknown setting for ShoutBackend 'volum' \(did you "
                                          r"mean 'volume'"):
        load_backend("text-classification", "shout/loud", volum=2)
    with pytest.raises(ConfigError, match=r"shout option 'volume': .*integer"):
        load_backend("text-classification", "shout/loud", volume="loud")


def test_a_suite_checks_a_registered_backends_options_with_file_and_line(shout):
    text = textwrap.dedent("""\
        name: s
        jobs:
          - task: text-classification
            model: shout/loud
            settings: {volme: 2}
        """)
    with pytest.raises(ConfigError, match=r"s\.yaml:5: jobs\[0\]\.settings\.volme: unknown shout "
                                          r"option 'volme' \(did you mean 'volume'\?\)"):
        parse_suite(text, source="s.yaml", catalog=CATALOG)
    parse_suite(text.replace("volme", "volume"), source="s.yaml", catalog=CATALOG)


def test_a_job_runs_on_a_registered_backend_through_the_worker(shout):
    job = Job(job_id="j", suite="t", index=0, task="text-classification", model="shout/loud",
              dataset="builtin", mode="task-specific", revision=None, hardware_id="hw",
              settings=JobSettings(n=2, repeat=1, warmup=0, idle_s=0, settings={"volume": 2}))
    toolkit = Toolkit(examples_loader=_two_reviews)   # the real meter, task and loader
    results = []
    execute_job(job, toolkit, results.append, environment={})
    (result,) = results
    assert result.status == "ok", result.error
    assert result.backend == "shout"


def test_a_job_no_backend_runs_is_a_located_error():
    text = "name: s\njobs:\n  - task: text-to-image\n    model: callable:x:y\n"
    assert registry.backend_for("text-to-image", ModelRef.parse("callable:x:y")) == "callable"
    with pytest.raises(ConfigError, match=r"no backend runs the hub model 'someone/net' on task "
                                          r"'word-count'.*register_hf_task"):
        registry.backend_for("word-count", ModelRef.parse("someone/net"))
    parse_suite(text, source="s.yaml")


def test_a_suite_names_the_model_no_backend_runs(monkeypatch):
    catalog = Catalog(tasks=("word-count",))
    text = "name: s\njobs:\n  - task: word-count\n    dataset: words.jsonl\n    models: [callable:m:f, someone/net]\n"
    monkeypatch.setattr(Catalog, "check_dataset", lambda *a, **k: None)
    with pytest.raises(ConfigError, match=r"s\.yaml:5: jobs\[0\]\.models\[1\]: no backend runs the "
                                          r"hub model 'someone/net' on task 'word-count'"):
        parse_suite(text, source="s.yaml", catalog=catalog)
    parse_suite(text.replace(", someone/net", ""), source="s.yaml", catalog=catalog)
