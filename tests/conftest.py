"""Shared fixtures. Tests run offline on 2 CPU cores with no GPU."""

from __future__ import annotations

import os

import pytest

from real_zoo import RealZoo, build_real_zoo

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
    # The long tests first (stable: otherwise in collection order): xdist hands out work in
    # collection order once the groups are placed, so a long test collected last would run
    # alone at the end while the other worker idles.
    items.sort(key=lambda item: "slow" not in item.keywords)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_xdist_groups_after_xdist(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group again on pytest 9.2.

    pytest-xdist 3.8 groups by appending ``@<group>`` to each grouped test's node id, through
    the ``_nodeid`` field that pytest 9.2 no longer reads (node ids became structured), so every
    ``xdist_group`` mark is silently ignored: the Ray tests ran beside each other and every
    real-weights test could build the zoo in its own worker (pytest-dev/pytest-xdist#1386, fix
    proposed in #1388). Running after xdist's own hook, this sets the suffix where xdist's did
    not take; with a pytest or xdist where it does, it finds the suffix there and does nothing.
    """
    if not getattr(config.option, "loadgroup", False):   # set in xdist's workers
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if not names or "@" in item.nodeid.rsplit("]", 1)[-1].rsplit("::", 1)[-1]:
            continue
        suffixed = f"{item.nodeid}@{'_'.join(names)}"
        ident = getattr(item, "_id", None)
        if ident is not None and hasattr(type(ident), "parse"):
            item._id = type(ident).parse(suffixed)  # type: ignore[attr-defined]
        else:
            item._nodeid = suffixed  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def real_zoo(tmp_path_factory: pytest.TempPathFactory) -> RealZoo:
    """The real-weights zoo of this test run (:func:`real_zoo.build_real_zoo`)."""
    return build_real_zoo(tmp_path_factory)
