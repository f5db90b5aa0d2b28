"""What a backend is: something that loads a model and runs one inference at a time.

Backends wrap transformers, diffusers or any Python callable. The harness calls ``load``
(measured as its own phase), ``warmup``, then ``infer`` N times inside a measured window,
calling ``sync`` before the window opens and before it closes.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.tasks.base import Example, Prediction


@dataclass(frozen=True)
class RunSettings:
    """A job's run settings as a backend sees them.

    The loader gives each backend the ones its constructor takes (by keyword) and drops the
    others: a callable model has no device, transformers models no ``seed``.

    Attributes:
        device: ``cpu``, ``cuda``, ``cuda:1``, ``mps``, ``auto``.
        dtype: ``float32``, ``float16``, ``bfloat16``, ``auto``, or None (the checkpoint's).
        batch_size: Inputs per model call.
        revision: Hub revision of the model, when pinned.
        generation: Generation settings (``max_new_tokens`` ...; a pipeline's
            ``num_inference_steps`` ...).
        mode: ``task-specific`` or ``zero-shot``.
        seed: Seed of sampling and latent noise.
    """

    device: str = "cpu"
    dtype: str | None = None
    batch_size: int = 1
    revision: str | None = None
    generation: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "task-specific"
    seed: int | None = 0

    def given(self) -> dict[str, Any]:
        """The settings that are set (None values left out), by name."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is, recorded with every result.

    Attributes:
        model: Hub id, local path or callable name.
        revision: Hub revision / commit, or None.
        weights: ``pretrained``, ``random`` or ``unknown``.
        backend: ``transformers``, ``diffusers``, ``callable`` ...
        device: ``cpu``, ``cuda:0`` ...
        dtype: ``float32``, ``float16`` ...
        parameters: Parameter count, when known.
        extra: Anything else worth recording (architecture, config hash ...).
    """

    model: str
    revision: str | None = None
    weights: str = "unknown"
    backend: str = "callable"
    device: str = "cpu"
    dtype: str | None = None
    parameters: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class Backend(abc.ABC):
    """A model that runs one task, one example at a time (batch size 1 unless asked)."""

    @abc.abstractmethod
    def load(self) -> ModelInfo:
        """Load the model onto its device; return what was loaded."""

    @abc.abstractmethod
    def infer(self, example: Example) -> Prediction:
        """Run one inference."""

    def warmup(self, example: Example, times: int = 1) -> None:
        """Run a few inferences that are not measured (kernels compiled, caches filled)."""
        for _ in range(times):
            self.infer(example)

    def sync(self) -> None:
        """Wait for queued device work to finish (e.g. ``torch.cuda.synchronize``). No-op on CPU."""

    def unload(self) -> None:
        """Free the model. Idempotent."""
