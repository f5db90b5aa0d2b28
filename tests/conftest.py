"""Shared fixtures. Tests run offline on 2 CPU cores with no GPU."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several test processes share the cores: one math thread each (torch, numpy and the
    # worker processes they start would otherwise each start a thread per core).
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


def _has_nvidia_gpu() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        n = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
        return n > 0
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest-xdist (``-n``, ``--dist loadgroup`` in pyproject): the Ray tests start local Ray
    # clusters, so they run one after another in one worker; every other test may run beside
    # any other (free ports, temporary folders, no shared state).
    for item in items:
        if "ray" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("ray"))
    if any("gpu" in item.keywords for item in items) and not _has_nvidia_gpu():
        skip = pytest.mark.skip(reason="needs an NVIDIA GPU with a working driver")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
