import pytest

from wattprint.errors import ConfigError
from wattprint.tasks.base import TASK_IDS
from wattprint.tasks.study_models import (
    MULTI_PURPOSE_MODELS,
    TASK_SPECIFIC_MODELS,
    ZERO_SHOT_TASKS,
    study_model,
    study_models,
)


def test_eighty_task_specific_and_eight_multi_purpose():
    assert len(TASK_SPECIFIC_MODELS) == 80 and len(MULTI_PURPOSE_MODELS) == 8
    assert all(len(study_models(t)) == 8 for t in TASK_IDS)
    assert len({(m.task, m.model) for m in TASK_SPECIFIC_MODELS}) == 80
    assert [m.family for m in MULTI_PURPOSE_MODELS] == ["t5"] * 4 + ["causal"] * 4


def test_selected_entries_from_the_study():
    assert study_models("text-generation")[0] == "distilgpt2"
    assert study_models("text-to-image")[-1] == "stabilityai/stable-diffusion-xl-base-1.0"
    assert study_model("distilgpt2").parameters == 81_912_576
    assert study_model("google/flan-t5-xxl").parameters == 11_003_736_064
    assert study_model("nope/nope") is None
    assert len(study_models("summarization", multi_purpose=True)) == 16
    assert len(study_models("fill-mask", multi_purpose=True)) == 8
    assert ZERO_SHOT_TASKS == ("text-classification", "question-answering", "summarization")


def test_unknown_task():
    with pytest.raises(ConfigError, match="did you mean 'fill-mask'"):
        study_models("fill_mask")
