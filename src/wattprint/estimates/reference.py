"""The fit shipped with wattprint: the model fitted on the ML.ENERGY v3 reference data.

``data/reference_fit.json`` is written by ``scripts/build_mlenergy_reference.py`` right after the
CSV it is fitted on (fitting with the nested widening takes seconds; reading takes
milliseconds). A test refits the CSV and checks that the shipped file is that fit.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from wattprint.estimates.fit import FittedModel, fit_llm
from wattprint.estimates.model_file import from_dict
from wattprint.estimates.observations import DATA_PACKAGE, reference_data

REFERENCE_FIT = "reference_fit.json"


def fit_reference_data() -> FittedModel:
    """Fit the reference data now (held out by family, nested widening)."""
    ref = reference_data()
    m = ref.meta
    return fit_llm(ref.observations, group_label="family", data_version=ref.version,
                   sources=(f"{m['name']} ({m['source_repository']} @ {m['source_commit'][:7]}, "
                            f"{m['licence'].split(' ')[0]})",))


@lru_cache(maxsize=1)
def reference_fit() -> FittedModel:
    """The shipped reference fit (read once per process)."""
    text = resources.files(DATA_PACKAGE).joinpath(REFERENCE_FIT).read_text(encoding="utf-8")
    return from_dict(json.loads(text), where=f"wattprint.estimates.data/{REFERENCE_FIT}")
