"""Image-in tasks: image classification, object detection, image captioning.

Every image goes through the study's recipe: ``resize((640, 480), resample=NEAREST)`` then
``convert("RGB")``; the original size is kept in ``meta["original_size"]`` and detection
boxes are scaled to the resized image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from wattprint.errors import ConfigError
from wattprint.tasks import metrics
from wattprint.tasks.base import Example, Prediction, Task
from wattprint.tasks.fields import label_names_of, open_image, require, string_list
from wattprint.tasks.recipes import STUDY_IMAGE_SIZE, resize_study, scale_box

_RESIZE = "image resized to 640×480 RGB (nearest neighbour)"


def _prepared_image(record: Mapping[str, Any], task_id: str) -> tuple[Any, dict[str, Any]]:
    image = open_image(require(record, "image", task_id), task_id)
    return resize_study(image), {"original_size": tuple(image.size)}


class ImageClassification(Task):
    """One label per image (CIFAR-10, CIFAR-100, ImageNet-1k). Quality: accuracy.

    Record fields: ``image`` (PIL image, path or bytes); optional ``label`` and
    ``label_names``.
    """

    id = "image-classification"
    work_unit = "sample"
    modality = "image-to-category"
    recipe = _RESIZE
    record_fields = ("image", "label", "label_names")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The prepared image as input and its label (None for hidden labels)."""
        image, meta = _prepared_image(record, self.id)
        names = label_names_of(record)
        label = record.get("label")
        if isinstance(label, int) and not isinstance(label, bool) and label < 0:
            label = None
        if names:
            meta["label_names"] = names
        reference = metrics.normalize_label(label, names) if label is not None else None
        return Example(inputs=image, reference=reference, meta=meta)

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Accuracy of the predicted labels."""
        names = next((e.meta.get("label_names") for e in examples if e.meta.get("label_names")), None)
        return metrics.accuracy([p.output for p in predictions], [e.reference for e in examples], names)


def _xyxy(box: Sequence[float], fmt: str) -> tuple[float, float, float, float]:
    x, y, a, b = (float(v) for v in box)
    if fmt == "xyxy":
        return (x, y, a, b)
    if fmt == "xywh":
        return (x, y, x + a, y + b)
    raise ConfigError(f"object-detection: unknown bbox_format {fmt!r}; valid: xyxy, xywh")


class ObjectDetection(Task):
    """Boxes with labels (COCO, CPPE-5, Visual Genome).

    Record fields: ``image``; optional ``objects`` = ``{"boxes": [[...], ...], "labels":
    [...], "bbox_format": "xyxy" | "xywh"}`` in pixels of the original image. Quality is a
    simple documented metric — precision/recall/F1 of label-matched boxes at IoU >= 0.5
    (:func:`wattprint.tasks.metrics.detection_scores`), not COCO mAP.
    """

    id = "object-detection"
    work_unit = "sample"
    modality = "image-to-category"
    recipe = _RESIZE + "; boxes scaled with it"
    record_fields = ("image", "objects")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The prepared image as input and its boxes and labels as reference."""
        image, meta = _prepared_image(record, self.id)
        objects = record.get("objects")
        reference = None
        if objects is not None:
            if not isinstance(objects, Mapping):
                raise ConfigError(f"{self.id}: 'objects' must be a mapping with 'boxes' and 'labels'")
            fmt = str(objects.get("bbox_format", "xyxy"))
            boxes = [scale_box(_xyxy(b, fmt), meta["original_size"], STUDY_IMAGE_SIZE)
                     for b in objects.get("boxes", [])]
            labels = string_list(objects.get("labels", []), "objects.labels", self.id)
            if len(labels) != len(boxes):
                raise ConfigError(f"{self.id}: {len(boxes)} boxes but {len(labels)} labels")
            reference = {"boxes": [list(b) for b in boxes], "labels": labels}
        return Example(inputs=image, reference=reference, meta=meta)

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Micro precision, recall and F1 of the detections at IoU 0.5 (not COCO mAP)."""
        return metrics.detection_scores([p.output for p in predictions], [e.reference for e in examples])


class ImageToText(Task):
    """Image captioning (COCO, RedCaps, Visual Genome). Quality: ROUGE against captions.

    Record fields: ``image``; optional ``captions`` (one string or a list). The study used
    the ``image-to-text`` pipeline's default length, i.e. the model's generation config
    (transformers' default ``max_length=20``, which for decoder-only captioners such as GIT
    also counts the start token); wattprint approximates it as ``max_new_tokens=20``.
    """

    id = "image-to-text"
    work_unit = "token"
    modality = "image-to-text"
    recipe = _RESIZE + "; up to 20 new tokens (the pipeline default the study used)"
    default_generation = MappingProxyType({"max_new_tokens": 20})
    record_fields = ("image", "captions")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The prepared image as input and its captions as reference."""
        image, meta = _prepared_image(record, self.id)
        captions = record.get("captions")
        reference = None if captions is None else string_list(captions, "captions", self.id)
        return Example(inputs=image, reference=reference, meta=meta)

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """ROUGE scores against the reference captions."""
        return metrics.rouge_scores([p.output for p in predictions], [e.reference for e in examples])
