"""Contract with wattprint.tasks: the tasks' own built-in inputs through the tiny zoo, scored by the tasks."""

import pytest

from wattprint.backends import load_backend
from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, ZERO_SHOT_ZOO_MODELS
from wattprint.tasks import zeroshot
from wattprint.tasks.base import TASK_IDS
from wattprint.tasks.inputs import load_examples
from wattprint.tasks.registry import get_task


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_builtin_inputs_run_and_score(task_id, zoo_cache):
    task = get_task(task_id)
    examples = load_examples(task, "builtin", n=2)
    settings = {"zoo_cache_dir": zoo_cache}
    if task_id == "text-to-image":
        settings.update(num_inference_steps=2, height=32, width=32)
    elif task.default_generation:
        settings["generation"] = dict(task.default_generation)
    backend = load_backend(task_id, DEFAULT_ZOO_MODELS[task_id], **settings)
    backend.load()
    preds = [backend.infer(ex) for ex in examples]
    scores = task.score(preds, examples)
    assert isinstance(scores, dict)
    if task.work_unit == "token":
        generation = dict(task.default_generation)
        for p in preds:
            # random weights never stop early here, but the count is what was generated either way
            assert generation.get("min_new_tokens", generation["max_new_tokens"]) <= p.output_tokens \
                <= generation["max_new_tokens"]
            assert p.work_units == p.output_tokens


@pytest.mark.parametrize("family", ["seq2seq", "causal"])
@pytest.mark.parametrize("task_id", ["text-classification", "question-answering", "summarization"])
def test_zero_shot_with_the_study_prompts(task_id, family, zoo_cache, monkeypatch):
    prompts: list[str] = []
    real = zeroshot.make_prompt

    def spy(task, example, fam):
        prompts.append(real(task, example, fam))
        return prompts[-1]
    monkeypatch.setattr(zeroshot, "make_prompt", spy)
    task = get_task(task_id)
    examples = load_examples(task, "builtin", n=2)
    backend = load_backend(task_id, ZERO_SHOT_ZOO_MODELS[family], mode="zero-shot", zoo_cache_dir=zoo_cache)
    backend.load()
    preds = [backend.infer(ex) for ex in examples]
    assert len(prompts) == 2
    marker = {"text-classification": "binary sentiment", "question-answering": "Find the answer",
              "summarization": "summarize the following text"}[task_id]
    assert all(marker in p for p in prompts)
    assert isinstance(task.score(preds, examples), dict)
