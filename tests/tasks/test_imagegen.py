from wattprint.tasks.base import Prediction
from wattprint.tasks.registry import get_task


def test_text_to_image_prompt_cut_to_fifty_words():
    task = get_task("text-to-image")
    ex = task.prepare({"prompt": " ".join(["word"] * 60) + " tail"})
    assert len(ex.inputs.split()) == 50 and ex.meta["prompt_words"] == 50
    assert task.work_unit == "image" and task.score([Prediction(None)], [ex]) == {}
