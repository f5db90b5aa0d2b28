"""diffusers pipelines (text-to-image) as a backend, by hub id, local folder or zoo reference."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wattprint.backends.base import Backend, ModelInfo
from wattprint.backends.model_ref import looks_local
from wattprint.backends.transformers import hub_commit, sync_device, torch_dtype
from wattprint.backends.zoo import is_zoo_ref, read_marker, resolve_model
from wattprint.errors import BackendError, ConfigError, TaskError, WattprintError, unknown_choice
from wattprint.tasks.base import Example, Prediction

_CALL_SETTINGS = ("num_inference_steps", "height", "width", "guidance_scale")
"""Pipeline call settings a job may give under ``generation``."""


class DiffusersBackend(Backend):
    """Generate one image per prompt with a diffusers pipeline.

    Args:
        task_id: Must be ``text-to-image``.
        model: Hub id, local pipeline folder (with ``model_index.json``), or ``zoo:<name>[@size]``.
        device: ``cpu``, ``cuda`` ...
        dtype: ``float32``, ``float16``, ``bfloat16`` or None (the pipeline's default).
        batch_size: Prompts per pipeline call in :meth:`infer_batch`.
        revision: Hub revision.
        num_inference_steps: Denoising steps; None keeps the pipeline's default (50 for SD).
        height: Image height in pixels; None keeps the pipeline's default.
        width: Image width in pixels; None keeps the pipeline's default.
        guidance_scale: Classifier-free guidance; None keeps the default (7.5 for SD).
        generation: The job's generation settings: any of the four pipeline call settings
            above (an argument given directly wins).
        seed: Seed for the latent noise of each image (same prompt, same image); None: unseeded.
        local_files_only: Passed to ``from_pretrained``; None leaves it to the HF environment.
        trust_remote_code: Allow custom pipeline code from the repository. Off unless asked.
        zoo_cache_dir: Cache root for ``zoo:`` references.
        cache_dir: Hugging Face hub cache to read hub ids from (default: the HF environment's).
    """

    def __init__(self, task_id: str, model: str, *, device: str = "cpu", dtype: str | None = None,
                 batch_size: int = 1, revision: str | None = None, num_inference_steps: int | None = None,
                 height: int | None = None, width: int | None = None, guidance_scale: float | None = None,
                 seed: int | None = 0, local_files_only: bool | None = None, trust_remote_code: bool = False,
                 zoo_cache_dir: Path | None = None, cache_dir: Path | None = None,
                 generation: Mapping[str, Any] | None = None) -> None:
        if task_id != "text-to-image":
            raise TaskError(f"DiffusersBackend runs text-to-image, not {task_id!r}")
        gen = dict(generation or {})
        for key in gen:
            if key not in _CALL_SETTINGS:
                raise unknown_choice("generation setting for text-to-image", key, _CALL_SETTINGS)
        num_inference_steps = gen.get("num_inference_steps") if num_inference_steps is None \
            else num_inference_steps
        height = gen.get("height") if height is None else height
        width = gen.get("width") if width is None else width
        guidance_scale = gen.get("guidance_scale") if guidance_scale is None else guidance_scale
        for name, value in (("num_inference_steps", num_inference_steps), ("height", height), ("width", width)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive integer, not {value!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, not {batch_size!r}")
        torch_dtype(dtype)
        self.task_id, self.model_ref, self.device, self.dtype = task_id, model, device, dtype
        self.batch_size, self.revision, self.seed = batch_size, revision, seed
        self.local_files_only, self.trust_remote_code, self.zoo_cache_dir = local_files_only, trust_remote_code, zoo_cache_dir
        self.call_kwargs: dict[str, Any] = {k: v for k, v in (
            ("num_inference_steps", num_inference_steps), ("height", height), ("width", width),
            ("guidance_scale", guidance_scale)) if v is not None}
        self.cache_dir = cache_dir
        self._pipe: Any = None

    def load(self) -> ModelInfo:
        """Load the pipeline onto the device.

        Raises:
            BackendError: missing folder, not a diffusers pipeline, or any load failure (with the reason).
        """
        path, _ = resolve_model(self.model_ref, self.zoo_cache_dir)
        local = looks_local(path)
        if local:
            folder = Path(path).expanduser()
            if not folder.exists():
                raise BackendError(f"model {self.model_ref}: folder {folder} does not exist")
            if not (folder / "model_index.json").is_file():
                raise TaskError(f"model {self.model_ref} is not a diffusers pipeline (no model_index.json in "
                                f"{folder}), so it cannot do text-to-image")
            path = str(folder)
        try:
            import diffusers

            kw: dict[str, Any] = {"revision": self.revision}
            if self.trust_remote_code:
                kw["trust_remote_code"] = True
            if self.local_files_only is not None:
                kw["local_files_only"] = self.local_files_only
            if self.cache_dir is not None:
                kw["cache_dir"] = str(self.cache_dir)
            dtype = torch_dtype(self.dtype)
            if dtype is not None:
                kw["torch_dtype"] = dtype
            was_enabled = diffusers.utils.logging.is_progress_bar_enabled()
            diffusers.utils.logging.disable_progress_bar()   # no per-component bars in the harness output
            try:
                pipe = diffusers.DiffusionPipeline.from_pretrained(path, **kw)
            finally:
                if was_enabled:
                    diffusers.utils.logging.enable_progress_bar()
            pipe.to(self.device)
            pipe.set_progress_bar_config(disable=True)
        except WattprintError:
            raise
        except Exception as err:
            raise BackendError(f"model {self.model_ref} failed to load as a diffusers pipeline: "
                               f"{type(err).__name__}: {err}") from err
        self._pipe = pipe
        marker = read_marker(path) if local else None
        params = sum(p.numel() for c in pipe.components.values() if hasattr(c, "parameters") for p in c.parameters())
        unet = getattr(pipe, "unet", None)
        dtype_name = str(getattr(unet, "dtype", "")).replace("torch.", "") or None
        extra: dict[str, Any] = {"architecture": type(pipe).__name__, "task": self.task_id,
                                 "call": dict(self.call_kwargs), "seed": self.seed, "batch_size": self.batch_size}
        if marker:
            extra["zoo"] = marker
        if local and not is_zoo_ref(self.model_ref):
            extra["path"] = path
        revision = None if marker else (hub_commit(path, "model_index.json", self.revision, self.cache_dir) or self.revision)
        return ModelInfo(model=self.model_ref, revision=revision, weights=str(marker.get("weights")) if marker
                         else "pretrained", backend="diffusers", device=str(self.device), dtype=dtype_name,
                         parameters=params, extra=extra)

    def _generator(self, n: int) -> Any:
        if self.seed is None:
            return None
        import torch

        return [torch.Generator(device="cpu").manual_seed(self.seed) for _ in range(n)]

    def infer(self, example: Example) -> Prediction:
        """One image for one prompt (``work_units`` = 1)."""
        return self.infer_batch([example])[0]

    def infer_batch(self, examples: list[Example]) -> list[Prediction]:
        """One image per prompt, ``batch_size`` prompts per pipeline call."""
        if self._pipe is None:
            raise BackendError("DiffusersBackend.infer called before load()")
        out: list[Prediction] = []
        for i in range(0, len(examples), self.batch_size):
            chunk = examples[i:i + self.batch_size]
            prompts = []
            for ex in chunk:
                if not isinstance(ex.inputs, str):
                    raise TaskError(f"text-to-image needs a prompt string, got {type(ex.inputs).__name__}")
                prompts.append(ex.inputs)
            try:
                images = self._pipe(prompts, generator=self._generator(len(prompts)), output_type="pil",
                                    **self.call_kwargs).images
            except Exception as err:
                raise BackendError(f"model {self.model_ref}: generation failed: {type(err).__name__}: {err}") from err
            out.extend(Prediction(output=img, work_units=1.0) for img in images)
        return out

    def sync(self) -> None:
        """Wait for queued work on the pipeline's device to finish."""
        sync_device(str(self.device))

    def unload(self) -> None:
        """Drop the pipeline so its memory can be freed. Idempotent."""
        self._pipe = None
