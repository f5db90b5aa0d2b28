import io

import pytest
from PIL import Image

from wattprint.errors import ConfigError
from wattprint.tasks.base import Prediction
from wattprint.tasks.registry import get_task


def test_image_classification_resizes_any_image_source(tmp_path):
    task = get_task("image-classification")
    img = Image.new("L", (32, 32), 90)
    path = tmp_path / "a.png"
    img.save(path)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    for source in (img, str(path), buf.getvalue(), {"bytes": buf.getvalue(), "path": None}):
        ex = task.prepare({"image": source, "label": 3, "label_names": ["a", "b", "c", "cat"]})
        assert ex.inputs.size == (640, 480) and ex.inputs.mode == "RGB"
        assert ex.inputs.getpixel((639, 479)) == (90, 90, 90)
        assert ex.reference == "cat" and ex.meta["original_size"] == (32, 32)
    preds = [Prediction([{"label": "cat", "score": 0.6}, {"label": "a", "score": 0.4}])]
    assert task.score(preds, [ex])["accuracy"] == 1.0
    with pytest.raises(ConfigError, match="cannot read image"):
        task.prepare({"image": str(tmp_path / "missing.png")})


def test_object_detection_boxes_scaled_with_image():
    task = get_task("object-detection")
    ex = task.prepare({"image": Image.new("RGB", (320, 240)),
                       "objects": {"boxes": [[10, 20, 30, 40]], "labels": ["star"]}})
    assert ex.reference == {"boxes": [[20.0, 40.0, 60.0, 80.0]], "labels": ["star"]}
    xywh = task.prepare({"image": Image.new("RGB", (64, 48)),
                         "objects": {"boxes": [[1, 2, 3, 4]], "labels": ["x"], "bbox_format": "xywh"}})
    assert xywh.reference["boxes"] == [[10.0, 20.0, 40.0, 60.0]]
    det = {"label": "star", "score": 0.9, "box": {"xmin": 20, "ymin": 40, "xmax": 60, "ymax": 80}}
    assert task.score([Prediction([det])], [ex])["f1_iou50"] == 1.0
    with pytest.raises(ConfigError, match="boxes but"):
        task.prepare({"image": Image.new("RGB", (4, 4)), "objects": {"boxes": [[0, 0, 1, 1]], "labels": []}})


def test_image_to_text_captions_rouge():
    task = get_task("image-to-text")
    ex = task.prepare({"image": Image.new("RGB", (8, 6)), "captions": ["a red circle", "one circle"]})
    assert ex.inputs.size == (640, 480) and ex.reference == ["a red circle", "one circle"]
    assert task.score([Prediction([{"generated_text": "a red circle"}])], [ex])["rouge1"] == 1.0
    assert dict(task.default_generation) == {"max_new_tokens": 20}

