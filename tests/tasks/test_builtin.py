import hashlib

import pytest

from wattprint.errors import ConfigError
from wattprint.tasks.base import TASK_IDS
from wattprint.tasks.builtin import BUILTIN_SOURCES, builtin_records
from wattprint.tasks.builtin.shapes import NATIVE_SIZE
from wattprint.tasks.inputs import load_examples

TEXT_TASKS = [t for t in TASK_IDS if t not in ("image-classification", "object-detection", "image-to-text")]
IMAGE_TASKS = ["image-classification", "object-detection", "image-to-text"]


def _fingerprint(value):
    if hasattr(value, "tobytes"):
        return hashlib.sha1(value.tobytes()).hexdigest()
    return repr(value)


def test_every_task_has_builtin_inputs():
    # the study's ten, plus the exact-answer arithmetic task (wattprint.tasks.arithmetic)
    assert set(BUILTIN_SOURCES) == set(TASK_IDS) | {"arithmetic"}


@pytest.mark.parametrize("task_id", TEXT_TASKS)
def test_text_tasks_give_1000_distinct_prepared_examples(task_id):
    for source in BUILTIN_SOURCES[task_id]:
        examples = load_examples(task_id, f"builtin:{source}", n=1000)
        assert len(examples) == 1000
        assert len({_fingerprint(e.inputs) for e in examples}) == 1000


@pytest.mark.parametrize("task_id", IMAGE_TASKS)
def test_image_sources_give_1000_distinct_images(task_id):
    records = builtin_records(task_id, None, 1000, seed=0)
    assert len({_fingerprint(r["image"]) for r in records}) == 1000
    assert all(r["image"].size == NATIVE_SIZE for r in records[:20])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_deterministic_and_prefix_stable(task_id):
    a = load_examples(task_id, "builtin", n=6, seed=3)
    b = load_examples(task_id, "builtin", n=3, seed=3)
    c = load_examples(task_id, "builtin", n=6, seed=4)
    fa = [_fingerprint(e.inputs) for e in a]
    assert fa[:3] == [_fingerprint(e.inputs) for e in b]
    assert fa != [_fingerprint(e.inputs) for e in c]
    assert [e.reference for e in a[:3]] == [e.reference for e in b]


def test_shapes_of_builtin_examples():
    for e in load_examples("text-classification", "builtin", n=50):
        assert e.reference in ("negative", "positive") and 5 <= len(e.inputs.split()) <= 60
    long = [len(e.inputs.split()) for e in load_examples("text-classification", "builtin:long", n=50)]
    assert min(long) >= 80 and max(long) <= 400
    for e in load_examples("token-classification", "builtin", n=50):
        assert e.inputs == " ".join(e.meta["tokens"]) and len(e.reference) == len(e.meta["tokens"])
        assert set(e.reference) <= {"O"} | {f"{p}-{t}" for p in "BI" for t in ("PER", "ORG", "LOC", "MISC")}
    for e in load_examples("question-answering", "builtin", n=50):
        assert e.reference and e.reference[0] in e.inputs["context"]
        assert 60 <= len(e.inputs["context"].split()) <= 200
    for e in load_examples("fill-mask", "builtin", n=50):
        words = e.inputs.split()
        assert len(words) == 20 and words[-1] == "[MASK]" and e.reference
    for e in load_examples("text-generation", "builtin", n=50):
        assert len(e.inputs.split()) == 20
    for e in load_examples("summarization", "builtin", n=30):
        assert 300 <= len(e.inputs.split()) <= 720 and 5 <= len(e.reference.split()) <= 40
    for e in load_examples("text-to-image", "builtin", n=50):
        assert 8 <= len(e.inputs.split()) <= 50
    for task_id in IMAGE_TASKS:
        for e in load_examples(task_id, "builtin", n=5):
            assert e.inputs.size == (640, 480) and e.inputs.mode == "RGB" and e.reference


def test_builtin_detection_boxes_inside_the_resized_image():
    for e in load_examples("object-detection", "builtin", n=10):
        assert 1 <= len(e.reference["boxes"]) <= 4
        for x0, y0, x1, y1 in e.reference["boxes"]:
            assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480


def test_builtin_labels_score_perfectly_against_themselves():
    from wattprint.tasks.base import Prediction
    from wattprint.tasks.registry import get_task

    task = get_task("image-classification")
    examples = load_examples(task, "builtin", n=20)
    assert task.score([Prediction(e.reference) for e in examples], examples)["accuracy"] == 1.0


def test_unknown_builtin_source():
    with pytest.raises(ConfigError, match="valid: builtin, builtin:short, builtin:long"):
        load_examples("text-classification", "builtin:shrot", n=1)
