"""What the forkserver of the local executor imports once, before it forks any worker.

Importing this module imports the heavy libraries a worker needs (torch, transformers,
diffusers ...) and the worker's own modules, and does nothing else: no CUDA call, no model, no
Python thread, no torch thread pool. Every job still runs in a fresh process (forked from that
server, never from another job), so only the import cost (seconds per job) goes away.

Left out on purpose: modules whose import starts threads that are not known to survive a fork
(``seqeval`` and ``rouge_score`` pull in pyarrow, whose jemalloc starts a background thread);
a job that needs them imports them itself, as before. The threads that remain in the server are
the idle OpenBLAS pools that numpy and scipy start when loaded; OpenBLAS stops them around
``fork`` (``pthread_atfork``) and the child starts its own on first use.

A module that fails to import is recorded in :data:`IMPORT_ERRORS` and skipped: the job that
needs it then fails with its own clear error, in its own process.
"""

from __future__ import annotations

import importlib
import os
import threading

HEAVY_MODULES: tuple[str, ...] = (
    "torch",
    "transformers",
    "transformers.modeling_utils",
    "transformers.pipelines",
    "diffusers",
    "PIL.Image",
    "tokenizers",
    "safetensors.torch",
    "wattprint.harness.worker",
    "wattprint.harness.environment",
    "wattprint.backends.loader",
    "wattprint.backends.transformers",
    "wattprint.backends.hf_runners",
    "wattprint.backends.diffusers",
    "wattprint.backends.zoo",
    "wattprint.meters.energy_meter",
    "wattprint.tasks.registry",
    "wattprint.tasks.inputs",
)
"""Imported in this order by :func:`warm`; absent optional libraries are skipped."""

IMPORT_ERRORS: dict[str, str] = {}
"""Module name → ``"Type: message"`` for each module of :data:`HEAVY_MODULES` that failed."""

PYTHON_THREADS_AFTER_WARM: tuple[str, ...] = ()
"""Names of the Python threads alive when :func:`warm` returned (only ``MainThread`` is fine)."""


def warm(modules: tuple[str, ...] = HEAVY_MODULES) -> dict[str, str]:
    """Import ``modules`` one after another; a failure is recorded, not raised.

    Returns:
        Module name → ``"Type: message"`` for each module that could not be imported.
    """
    # torch.cuda.is_available() (called by some libraries at import) then asks NVML instead of
    # initialising the CUDA driver, which a forked child could not use.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    errors: dict[str, str] = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as err:  # an optional library that is absent or broken
            errors[name] = f"{type(err).__name__}: {err}"
    return errors


IMPORT_ERRORS.update(warm())
PYTHON_THREADS_AFTER_WARM = tuple(t.name for t in threading.enumerate())
