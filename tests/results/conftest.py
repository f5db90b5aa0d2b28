"""Fixtures for the results tests: the real CodeCarbon logs of the study."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "co2_inference"
"""A few real CodeCarbon 2.3.1 files copied from the study (MIT), always available."""


def _find_study_dir() -> Path | None:
    env = os.environ.get("WATTPRINT_STUDY_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        for cand in (parent / "shared" / "reference" / "co2_inference",
                     parent / "reference" / "co2_inference"):
            if (cand / "data" / "emissions" / "base").is_dir():
                return cand
    return None


@pytest.fixture(scope="session")
def study_dir() -> Path:
    """The study's full repository (6,513 logs); skipped where it is not available."""
    d = _find_study_dir()
    if d is None:
        pytest.skip("the study's logs (shared/reference/co2_inference) are not here; "
                    "set WATTPRINT_STUDY_DIR")
    return d
