"""Hugging Face transformers models as a backend, by hub id, local folder or zoo reference.

Model classes are called directly (see :mod:`wattprint.backends.hf_runners`), which works the
same on transformers 4.57 and 5.x. ``trust_remote_code`` stays off unless asked for.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from wattprint.backends import hf_runners
from wattprint.backends.base import Backend, ModelInfo
from wattprint.backends.generation import generate_kwargs
from wattprint.backends.heads import ZERO_SHOT_FAMILIES, check_fits, zero_shot_family
from wattprint.backends.hf_tasks import hf_task
from wattprint.backends.model_ref import looks_local
from wattprint.backends.zoo import is_zoo_ref, read_marker, resolve_model
from wattprint.errors import BackendError, ConfigError, TaskError, WattprintError
from wattprint.tasks.base import Example, Prediction
from wattprint.tasks.local_hub import is_local_id, local_hub_dir

MODES: tuple[str, ...] = ("task-specific", "zero-shot")

PromptFn = Callable[[str, Example, str], str]
"""``prompt_fn(task_id, example, family) -> prompt``; family is ``seq2seq`` or ``causal``."""
ParseFn = Callable[[str, str], Any]
"""``parse_fn(task_id, generated_text) -> task output`` (label, answer, summary)."""

_DTYPES = ("float32", "float16", "bfloat16", "auto")


def torch_dtype(dtype: str | None) -> Any:
    """``"float16"`` -> ``torch.float16``; None stays None (the checkpoint's default, fp32 for most)."""
    if dtype is None or dtype == "auto":
        return dtype
    if dtype not in _DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}; valid: {', '.join(_DTYPES)}")
    import torch

    return getattr(torch, dtype)


def sync_device(device: str) -> None:
    """Wait for queued work on ``device`` (CUDA / MPS); no-op on CPU."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)
    elif device.startswith("mps"):
        import torch

        torch.mps.synchronize()


def hub_commit(repo_id: str, filename: str, revision: str | None = None, cache_dir: Path | None = None) -> str | None:
    """The commit of the cached hub snapshot ``repo_id`` was loaded from, or None (local folder, unknown).

    Args:
        repo_id: Hub id (``owner/name``).
        filename: A file every snapshot of that repository has (``config.json``, ``model_index.json``).
        revision: The revision asked for (None: ``main``).
        cache_dir: Hub cache folder (None: the HF environment's).
    """
    if looks_local(repo_id):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, filename, revision=revision,
                                       cache_dir=str(cache_dir) if cache_dir else None)
    except Exception:   # an odd cache must not fail a load that worked; the revision stays unknown
        return None
    if isinstance(found, str) and Path(found).parent.parent.name == "snapshots":
        return Path(found).parent.name
    return None


@contextlib.contextmanager
def _quiet_hf() -> Iterator[None]:
    """No per-tensor progress bars while loading (they would flood the harness's output)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _default_prompt_fn() -> tuple[PromptFn, ParseFn | None]:
    try:
        zs = importlib.import_module("wattprint.tasks.zeroshot")
    except ImportError as err:
        raise BackendError("zero-shot mode needs wattprint.tasks.zeroshot.make_prompt (not importable: "
                           f"{err}); pass prompt_fn= instead") from err
    if not hasattr(zs, "make_prompt"):
        raise BackendError("wattprint.tasks.zeroshot has no make_prompt; pass prompt_fn= instead")
    return zs.make_prompt, getattr(zs, "parse_answer", None)


class TransformersBackend(Backend):
    """Run one task with a transformers model.

    Args:
        task_id: A task of the transformers task table
            (:data:`~wattprint.backends.hf_tasks.HF_TASKS`: the study's tasks except
            ``text-to-image``, and any task registered there).
        model: Hub id, local folder, or ``zoo:<name>[@size]``.
        device: ``cpu``, ``cuda``, ``cuda:1`` ...
        dtype: ``float32``, ``float16``, ``bfloat16``, ``auto`` or None (checkpoint default).
        batch_size: Examples per forward pass in :meth:`infer_batch` (``infer`` is always one).
        revision: Hub revision (branch, tag or commit).
        trust_remote_code: Allow code from the model repository to run. Off unless asked.
        generation: ``generate`` settings (``max_new_tokens``, ``fixed_length`` ...), see
            :func:`wattprint.backends.generation.generate_kwargs`.
        mode: ``task-specific`` (a model with the task's head) or ``zero-shot`` (a seq2seq or
            causal LM prompted for text-classification, question-answering or summarization).
        local_files_only: Passed to ``from_pretrained``; None leaves it to the HF environment.
        prompt_fn: Zero-shot prompt builder; default ``wattprint.tasks.zeroshot.make_prompt``.
        parse_fn: Zero-shot answer parser; default ``wattprint.tasks.zeroshot.parse_answer``
            when present, else the stripped generated text.
        allow_new_head: Accept a checkpoint without the task's head (random head). Default off.
        detection_threshold: Score threshold for object detection (0..1).
        zoo_cache_dir: Cache root for ``zoo:`` references.
        cache_dir: Hugging Face hub cache to read hub ids from (default: the HF environment's).
    """

    def __init__(self, task_id: str, model: str, *, device: str = "cpu", dtype: str | None = None,
                 batch_size: int = 1, revision: str | None = None, trust_remote_code: bool = False,
                 generation: Mapping[str, Any] | None = None, mode: str = "task-specific",
                 local_files_only: bool | None = None, prompt_fn: PromptFn | None = None,
                 parse_fn: ParseFn | None = None, allow_new_head: bool = False,
                 detection_threshold: float = 0.5, zoo_cache_dir: Path | None = None,
                 cache_dir: Path | None = None) -> None:
        if task_id == "text-to-image":
            raise TaskError("text-to-image runs on diffusers pipelines: use DiffusersBackend "
                            "(load_backend does)")
        self.hf = hf_task(task_id)
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, not {batch_size!r}")
        torch_dtype(dtype)   # validate early
        self.task_id, self.model_ref, self.device, self.dtype = task_id, model, device, dtype
        self.batch_size, self.revision, self.trust_remote_code = batch_size, revision, trust_remote_code
        self.generation, self.mode, self.local_files_only = dict(generation or {}), mode, local_files_only
        self.prompt_fn, self.parse_fn, self.allow_new_head = prompt_fn, parse_fn, allow_new_head
        self.detection_threshold, self.zoo_cache_dir = detection_threshold, zoo_cache_dir
        self.cache_dir = cache_dir
        self._loaded: hf_runners.Loaded | None = None
        self._run: hf_runners.Runner | None = None
        self._family: str | None = None
        self._prompt_format = "plain"

    # -- loading ----------------------------------------------------------------------------------

    def _hub_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
        if self.local_files_only is not None:
            kw["local_files_only"] = self.local_files_only
        if self.cache_dir is not None:
            kw["cache_dir"] = str(self.cache_dir)
        elif is_local_id(self.model_ref):
            # wattprint-zoo/<name>: wattprint's own hub-layout cache, never the Hub
            kw["cache_dir"] = str(local_hub_dir())
            kw["local_files_only"] = True
        return kw

    def load_config(self) -> tuple[str, Any]:
        """Resolve the model and read its config (cheap: no weights). Returns ``(path_or_id, config)``.

        Raises:
            TaskError: the folder holds a diffusers pipeline.
            BackendError: missing folder, or a config that cannot be read (offline and not cached ...).
        """
        path, _ = resolve_model(self.model_ref, self.zoo_cache_dir)
        if looks_local(path) and not Path(path).expanduser().exists():
            raise BackendError(f"model {self.model_ref}: folder {path} does not exist")
        if looks_local(path):
            path = str(Path(path).expanduser())
            if (Path(path) / "model_index.json").is_file():
                raise TaskError(f"model {self.model_ref} is a diffusers pipeline, which cannot do "
                                f"{self.task_id}; diffusers pipelines run text-to-image")
            if not (Path(path) / "config.json").is_file():
                raise BackendError(f"model {self.model_ref}: {path} has no config.json (not a "
                                   "transformers model)")
        from transformers import AutoConfig

        try:
            config = AutoConfig.from_pretrained(path, **self._hub_kwargs())
        except Exception as err:
            raise BackendError(f"model {self.model_ref}: cannot read its config: {type(err).__name__}: {err}") from err
        return path, config

    def check(self) -> str:
        """Check that the model fits the task without loading weights; return the class to load.

        Raises:
            TaskError: the model cannot do the task (message names its architecture and valid heads).
            BackendError: the model cannot be found or read.
        """
        _, config = self.load_config()
        return check_fits(self.task_id, self.model_ref, config, mode=self.mode,
                          allow_new_head=self.allow_new_head, head=self.hf.head)

    def load(self) -> ModelInfo:
        """Load model and preprocessors onto the device.

        Raises:
            TaskError: the model does not fit the task.
            BackendError: any other load failure, with the reason.
        """
        path, config = self.load_config()
        class_name = check_fits(self.task_id, self.model_ref, config, mode=self.mode,
                                allow_new_head=self.allow_new_head, head=self.hf.head)
        try:
            import torch
            import transformers

            head = ZERO_SHOT_FAMILIES[zero_shot_family(config) or "causal"] if self.mode == "zero-shot" \
                else self.hf.head
            if class_name == "VisionEncoderDecoderModel":
                cls = transformers.VisionEncoderDecoderModel
            else:
                cls = next((getattr(transformers, n) for n in head.auto_classes if hasattr(transformers, n)), None)
                if cls is None:
                    raise BackendError(f"this transformers ({transformers.__version__}) has none of {head.auto_classes}")
            kw = self._hub_kwargs()
            dtype = torch_dtype(self.dtype)
            if dtype is not None:
                kw["dtype"] = dtype
            with _quiet_hf():
                model = cls.from_pretrained(path, **kw)
            model.to(self.device).eval()
            loaded = hf_runners.Loaded(model=model, device=torch.device(self.device),
                                       detection_threshold=self.detection_threshold)
            self._load_preprocessors(loaded, path, config)
            self._loaded = loaded
            self._run = self._make_runner(loaded, config)
        except WattprintError:
            raise
        except Exception as err:
            raise BackendError(f"model {self.model_ref} failed to load for {self.task_id}: "
                               f"{type(err).__name__}: {err}") from err
        return self._info(path, config, model)

    def _load_preprocessors(self, loaded: hf_runners.Loaded, path: str, config: Any) -> None:
        from transformers import AutoImageProcessor, AutoProcessor, AutoTokenizer

        kw = self._hub_kwargs()
        inputs = self.hf.inputs if self.mode == "task-specific" else "text"
        if inputs == "image":
            loaded.image_processor = AutoImageProcessor.from_pretrained(path, **kw)
        elif inputs == "image-text":
            if config.model_type == "vision-encoder-decoder":
                loaded.image_processor = AutoImageProcessor.from_pretrained(path, **kw)
                loaded.tokenizer = AutoTokenizer.from_pretrained(path, **kw)
            else:
                loaded.processor = AutoProcessor.from_pretrained(path, **kw)
        else:
            loaded.tokenizer = AutoTokenizer.from_pretrained(path, **kw)
            if inputs == "words":
                try:
                    loaded.tokenizer([["a", "b"]], is_split_into_words=True)
                except Exception:   # byte-level BPE (RoBERTa ...) needs a prefix space for pre-split words
                    loaded.tokenizer = AutoTokenizer.from_pretrained(path, add_prefix_space=True, **kw)

    def _make_runner(self, loaded: hf_runners.Loaded, config: Any) -> hf_runners.Runner:
        zero_shot = self.mode == "zero-shot"
        if zero_shot or self.hf.generates:
            loaded.generate_kwargs = generate_kwargs(self.task_id, self.generation, zero_shot=zero_shot)
        elif self.generation:
            raise ConfigError(f"generation settings do not apply to {self.task_id} (task-specific mode)")
        if zero_shot:
            return self._zero_shot_runner(loaded, config)
        return self.hf.runner(loaded)

    def _zero_shot_runner(self, loaded: hf_runners.Loaded, config: Any) -> hf_runners.Runner:
        family = zero_shot_family(config) or "causal"
        self._family = family
        prompt_fn, parse_fn = self.prompt_fn, self.parse_fn
        # the default parser also takes the example's class names (``label_names=``)
        label_parse: Callable[..., Any] | None = None
        if prompt_fn is None:
            prompt_fn, default_parse = _default_prompt_fn()
            if parse_fn is None:
                label_parse = default_parse
            parse_fn = parse_fn or default_parse
        task_id = self.task_id
        tok = loaded.tokenizer
        # An instruction-tuned causal LM is prompted the way it was trained: through its own
        # chat template (the study's BLOOMz and Flan-T5 have none and get the plain prompt).
        chat = family == "causal" and bool(getattr(tok, "chat_template", None))
        self._prompt_format = "chat template" if chat else "plain"

        def prompts(examples: Sequence[Example]) -> list[str]:
            texts = [prompt_fn(task_id, ex, family) for ex in examples]
            if chat:
                texts = [tok.apply_chat_template([{"role": "user", "content": t}], tokenize=False,
                                                 add_generation_prompt=True) for t in texts]
            return texts

        def parse(ex: Example, text: str) -> Any:
            if parse_fn is None:
                return text
            if label_parse is not None and ex.meta.get("label_names"):
                return label_parse(task_id, text, label_names=tuple(ex.meta["label_names"]))
            return parse_fn(task_id, text)

        generate = hf_runners.text_to_text(loaded, prompts)
        per_token = self.hf.generates

        def run(examples: Sequence[Example]) -> list[Prediction]:
            return [Prediction(output=parse(ex, p.output),
                               output_tokens=p.output_tokens, input_tokens=p.input_tokens,
                               work_units=p.work_units if per_token else 1.0)
                    for ex, p in zip(examples, generate(examples))]
        return run

    def _info(self, path: str, config: Any, model: Any) -> ModelInfo:
        marker = read_marker(path) if looks_local(path) else None
        weights = str(marker.get("weights", "unknown")) if marker else "pretrained"
        revision = None if marker else (getattr(config, "_commit_hash", None) or self._hub_commit(path)
                                        or self.revision)
        real = self._real_weights_marker(revision)
        if is_local_id(self.model_ref):   # wattprint-zoo/: only the build's marker may say
            weights = str(real.get("weights") or "unknown") if real else "unknown"
        extra: dict[str, Any] = {
            "architecture": (getattr(config, "architectures", None) or [type(model).__name__])[0],
            "model_type": config.model_type, "class": type(model).__name__, "task": self.task_id,
            "mode": self.mode, "batch_size": self.batch_size,
        }
        if self._family:
            extra["zero_shot_family"] = self._family
            extra["prompt_format"] = self._prompt_format
        if self._loaded is not None and self._loaded.generate_kwargs is not None:
            extra["generation"] = dict(self._loaded.generate_kwargs)
        if marker:
            extra["zoo"] = marker
        if real is not None:
            extra["weights_source"] = {k: real.get(k) for k in
                                       ("weights", "source", "fine_tune", "conversion", "repo_id")
                                       if real.get(k) is not None}
        if looks_local(path) and not is_zoo_ref(self.model_ref):
            extra["path"] = path
        return ModelInfo(model=self.model_ref, revision=revision, weights=weights, backend="transformers",
                         device=str(self.device), dtype=str(model.dtype).replace("torch.", ""),
                         parameters=sum(p.numel() for p in model.parameters()), extra=extra)

    def _real_weights_marker(self, commit: str | None) -> dict[str, Any] | None:
        """The build marker of a ``wattprint-zoo/`` model's snapshot (what its weights are)."""
        if not is_local_id(self.model_ref) or not commit:
            return None
        from wattprint.backends.weights.build import read_marker as read_weights_marker
        from wattprint.tasks.local_hub import repo_folder

        folder = repo_folder(self.model_ref, "model", Path(self._hub_kwargs()["cache_dir"]))
        return read_weights_marker(folder / "snapshots" / commit)

    def _hub_commit(self, repo_id: str) -> str | None:
        cache = self._hub_kwargs().get("cache_dir")
        return hub_commit(repo_id, "config.json", self.revision, Path(cache) if cache else None)

    @property
    def loaded(self) -> hf_runners.Loaded:
        """The loaded model and preprocessors (for backends built on this one).

        Raises:
            BackendError: before :meth:`load`.
        """
        if self._loaded is None:
            raise BackendError(f"model {self.model_ref} is not loaded yet")
        return self._loaded

    # -- inference --------------------------------------------------------------------------------

    def infer(self, example: Example) -> Prediction:
        """Run one inference (batch size 1)."""
        return self.infer_batch([example])[0]

    def infer_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        """Run examples in batches of ``batch_size``; one prediction per example, in order.

        ``work_units`` are generated tokens for token tasks (text-generation, summarization,
        image-to-text, also in zero-shot mode) and 1 per sample otherwise.
        """
        if self._run is None:
            raise BackendError("TransformersBackend.infer called before load()")
        out: list[Prediction] = []
        for i in range(0, len(examples), self.batch_size):
            try:
                out.extend(self._run(examples[i:i + self.batch_size]))
            except WattprintError:
                raise
            except Exception as err:   # out of memory, a model bug ...: say which model and why
                raise BackendError(f"model {self.model_ref} failed on {self.task_id}: "
                                   f"{type(err).__name__}: {err}") from err
        return out

    def sync(self) -> None:
        """Wait for queued work on the model's device to finish."""
        sync_device(str(self.device))

    def unload(self) -> None:
        """Drop the model and, on CUDA, empty the allocator cache. Idempotent."""
        if self._loaded is not None:
            self._loaded = None
            self._run = None
            if str(self.device).startswith("cuda"):
                import torch

                torch.cuda.empty_cache()
