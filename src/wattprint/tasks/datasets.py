"""Alias of :mod:`wattprint.tasks.inputs` (``load_examples`` and friends), by the name the
harness may expect. Not to be confused with the Hugging Face ``datasets`` package."""

from wattprint.tasks.inputs import BUILTIN, dataset_choices, load_examples
from wattprint.tasks.study_datasets import STUDY_DATASETS, STUDY_RECIPES, DatasetRecipe

__all__ = ["BUILTIN", "STUDY_DATASETS", "STUDY_RECIPES", "DatasetRecipe", "dataset_choices",
           "load_examples"]
