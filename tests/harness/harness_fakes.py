"""Test doubles for the harness: a fake task, fake inputs, fake models and a fake meter.

They live in their own module (not in a test file) so a spawned worker process can import
them by name; every factory is a top-level function, hence picklable.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from wattprint.backends.base import Backend, ModelInfo
from wattprint.backends.callable import CallableBackend
from wattprint.harness.catalog import Catalog
from wattprint.harness.plan import Job
from wattprint.harness.settings import JobSettings
from wattprint.harness.worker import Toolkit
from wattprint.meters.base import DomainEnergy, DomainSpec, EnergyResult, Meter, Provenance, Reading
from wattprint.tasks.base import Example, Prediction, Task

FAKE_POWER_W = 10.0
"""The fake meter's constant power: every window's energy is 10 W × its duration."""


class ParityTask(Task):
    """Predict the parity of an integer; accuracy against the true parity."""

    work_unit = "sample"
    modality = "text-to-category"

    def __init__(self, task_id: str) -> None:
        self.id = task_id

    def prepare(self, record: Any) -> Example:
        return Example(inputs=int(record), reference=int(record) % 2)

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        hits = sum(p.output == e.reference for p, e in zip(predictions, examples, strict=True))
        return {"accuracy": hits / len(examples)}


def parity_task(task_id: str) -> Task:
    return ParityTask(task_id)


def integer_examples(task: Task, job: Job) -> list[Example]:
    return [task.prepare(i) for i in range(job.settings.n)]


def parity(x: int) -> Prediction:
    return Prediction(output=x % 2, output_tokens=2, input_tokens=3, work_units=2.0)


def always_one(x: int) -> int:
    return 1


def boom(x: int) -> int:
    raise RuntimeError("boom")


def exit_hard(x: int) -> int:
    os._exit(3)


def kill_self(x: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def pid(x: int) -> Prediction:
    return Prediction(output=0, input_tokens=os.getpid())


_calls = 0


def kill_driver_once(x: int) -> int:
    """On the 3rd inference (2nd window when n=2, no warm-up) kill the driver, once.

    The marker file named by ``WATTPRINT_TEST_MARKER`` records that it happened, so a
    second run completes normally. The driver's pid comes from ``WATTPRINT_TEST_DRIVER_PID``
    (a worker forked from the forkserver is not the driver's child).
    """
    global _calls
    _calls += 1
    marker = os.environ["WATTPRINT_TEST_MARKER"]
    if _calls == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(int(os.environ["WATTPRINT_TEST_DRIVER_PID"]), signal.SIGKILL)
        os._exit(9)
    return x % 2


def hang(x: int) -> int:
    time.sleep(3600)
    return 0


class FailingLoad(Backend):
    def load(self) -> ModelInfo:
        raise OSError("no such checkpoint: /nowhere")

    def infer(self, example: Example) -> Prediction:
        raise AssertionError("never called")


MODELS: dict[str, Callable[[Any], Any]] = {
    "parity": parity, "one": always_one, "boom": boom, "exit": exit_hard, "kill": kill_self,
    "hang": hang, "pid": pid, "kill-driver-once": kill_driver_once,
    "./my-causal-lm": parity,  # a local folder name with no hint of what the model is for
}


class _CountingBackend(CallableBackend):
    """CallableBackend that counts sync calls (to check the meter is given the backend's sync)."""

    def __init__(self, fn: Callable[[Any], Any], name: str) -> None:
        super().__init__(fn, name=name, sync=self._count)
        self.syncs = 0

    def _count(self) -> None:
        self.syncs += 1

    def load(self) -> ModelInfo:
        info = super().load()
        return ModelInfo(model=info.model, backend="callable", weights="random", device="cpu",
                         revision="rev-1", parameters=7)


def fake_backend(job: Job) -> Backend:
    if job.model == "fail-load":
        return FailingLoad()
    return _CountingBackend(MODELS[job.model], name=job.model)


class FakeMeter:
    """A meter with one ``cpu:0`` domain at a constant 10 W; calls ``sync`` like EnergyMeter."""

    def __init__(self, sync: Callable[[], None]) -> None:
        self._sync = sync
        self._open: dict[str, tuple[float, float]] = {}
        self.idle_w: float | None = None

    def begin(self, label: str) -> None:
        self._sync()
        self._open[label] = (time.monotonic(), time.time())

    def end(self, label: str) -> EnergyResult:
        self._sync()
        t0, wall = self._open.pop(label)
        duration = time.monotonic() - t0
        d = DomainEnergy(name="cpu:0", component="cpu", boundary="fake package",
                         provenance=Provenance.MEASURED, source="fake:constant",
                         energy_j=FAKE_POWER_W * duration, idle_power_w=self.idle_w,
                         idle_energy_j=None if self.idle_w is None else self.idle_w * duration,
                         dynamic_energy_j=None if self.idle_w is None
                         else (FAKE_POWER_W - self.idle_w) * duration)
        return EnergyResult(label=label, started_at=wall, duration_s=duration, domains=(d,),
                            warnings=(f"syncs={getattr(getattr(self._sync, '__self__', None), 'syncs', None)}",))

    def measure_idle(self, duration_s: float) -> dict[str, float]:
        time.sleep(duration_s)
        self.idle_w = 4.0
        return {"cpu:0": 4.0}

    def close(self) -> None:
        pass


class ClockMeter(Meter):
    """A counter meter whose ``cpu:0`` energy grows at exactly 10 W of monotonic time."""

    name = "clock"

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def domains(self) -> list[DomainSpec]:
        return [DomainSpec(name="cpu:0", component="cpu", boundary="test clock",
                           provenance=Provenance.MEASURED, source="test:clock")]

    def read(self) -> Reading:
        t = time.monotonic()
        return Reading(t_s=t, energy_j={"cpu:0": FAKE_POWER_W * (t - self._t0)})


def energy_meter_over_clock(job: Job, sync: Callable[[], None]) -> Any:
    from wattprint.meters.energy_meter import EnergyMeter

    return EnergyMeter(meters=[ClockMeter()], sync=sync)


def fake_meter(job: Job, sync: Callable[[], None]) -> FakeMeter:
    return FakeMeter(sync)


TOOLKIT = Toolkit(meter_factory=fake_meter, task_loader=parity_task,
                  examples_loader=integer_examples, backend_loader=fake_backend)

CATALOG = Catalog(
    tasks=("text-classification", "summarization", "text-generation"),
    datasets={"text-classification": ("imdb", "sst2", "rotten_tomatoes"),
              "summarization": ("cnn_dailymail", "xsum", "samsum"),
              "text-generation": ("wikitext", "bookcorpus")},
    zero_shot_datasets={"text-classification": ("imdb", "sst2", "rotten_tomatoes"),
                        "summarization": ("cnn_dailymail", "xsum", "samsum")},
    study_models={"text-classification": ("lvwerra/distilbert-imdb",),
                  "summarization": ("facebook/bart-large-cnn",),
                  "text-generation": ("gpt2", "distilgpt2")},
    multi_purpose_models=("google/flan-t5-base",),
    zoo={"distilbert": ("text-classification",), "bart": ("summarization",),
         "distilgpt2": ("text-generation",)},
    default_models={"text-classification": "zoo:distilbert@tiny",
                    "summarization": "zoo:bart@tiny", "text-generation": "zoo:distilgpt2@tiny"},
)


def make_job(model: str = "parity", *, n: int = 4, repeat: int = 2, task: str = "text-classification",
             idle_s: float = 0.0, warmup: int = 1, timeout_s: float | None = None,
             job_id: str | None = None) -> Job:
    settings = JobSettings(n=n, repeat=repeat, warmup=warmup, idle_s=idle_s, timeout_s=timeout_s)
    return Job(job_id=job_id or f"job-{model}", suite="test", index=0, task=task, model=model,
               dataset="builtin", mode="task-specific", settings=settings, revision=None,
               hardware_id="hw-test")
