from wattprint.tasks.base import Prediction
from wattprint.tasks.registry import get_task

WORDS25 = " ".join(f"w{i}" for i in range(1, 26))


def test_fill_mask_recipe_and_accuracy():
    task = get_task("fill-mask")
    ex = task.prepare({"text": WORDS25})
    assert ex.inputs == " ".join(f"w{i}" for i in range(1, 20)) + " [MASK]"
    assert ex.inputs.count("[MASK]") == 1 and ex.reference == "w20"
    assert ex.meta["mask"] == "[MASK]"
    assert task.score([Prediction([{"token_str": "W20"}])], [ex]) == {"top1_accuracy": 1.0, "n_scored": 1.0}


def test_fill_mask_bookcorpus_appends_mask():
    ex = get_task("fill-mask").prepare({"text": "he smiled. she left.", "mask_mode": "append"})
    assert ex.inputs == "he smiled she left [MASK]" and ex.reference is None


def test_text_generation_first_twenty_words_and_ten_tokens():
    task = get_task("text-generation")
    assert task.prepare({"text": WORDS25}).inputs.split() == [f"w{i}" for i in range(1, 21)]
    assert dict(task.default_generation) == {"max_new_tokens": 10, "min_new_tokens": 10}
    assert task.work_unit == "token"
    assert task.score([Prediction("x")], [task.prepare({"text": "a b"})]) == {}


def test_summarization_whole_text_and_rouge():
    task = get_task("summarization")
    ex = task.prepare({"text": "Long article text.", "summary": "the cat sat on the mat"})
    assert ex.inputs == "Long article text."
    assert dict(task.default_generation) == {"max_new_tokens": 15, "min_new_tokens": 10}
    s = task.score([Prediction("the cat sat", output_tokens=3)], [ex])
    assert abs(s["rouge1"] - 2 / 3) < 1e-9
    assert task.score([Prediction("x")], [task.prepare({"text": "t"})]) == {}
