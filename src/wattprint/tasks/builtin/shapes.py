"""Procedural images of coloured shapes, with class labels, boxes and captions.

Images are drawn at a native 320×240 (4:3, so the study's nearest-neighbour resize to
640×480 doubles each pixel) on a plain background with a few faint bands, deterministic
from the random generator. Ten shape classes (:data:`~wattprint.tasks.builtin.words.SHAPE_CLASSES`).
"""

from __future__ import annotations

import math
import random
from typing import Any

from wattprint.tasks.builtin import words as W

NATIVE_SIZE: tuple[int, int] = (320, 240)
"""(width, height) in pixels of the generated images, before the study's resize."""


def _polygon(cx: float, cy: float, r: float, sides: int, rot: float) -> list[tuple[float, float]]:
    return [(cx + r * math.cos(rot + 2 * math.pi * k / sides),
             cy + r * math.sin(rot + 2 * math.pi * k / sides)) for k in range(sides)]


def draw_shape(draw: Any, shape: str, box: tuple[int, int, int, int], fill: tuple[int, int, int]) -> None:
    """Draw ``shape`` filling the pixel box ``(x0, y0, x1, y1)`` (inclusive) with ``fill``."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = min(x1 - x0, y1 - y0) / 2
    w, h = x1 - x0, y1 - y0
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon([(cx, y0), (x1, y1), (x0, y1)], fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=fill)
    elif shape == "cross":
        draw.rectangle((x0 + w * 0.35, y0, x1 - w * 0.35, y1), fill=fill)
        draw.rectangle((x0, y0 + h * 0.35, x1, y1 - h * 0.35), fill=fill)
    elif shape == "star":
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * 0.45
            ang = -math.pi / 2 + math.pi * k / 5
            pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
        draw.polygon(pts, fill=fill)
    elif shape == "ring":
        draw.ellipse(box, outline=fill, width=max(2, int(r * 0.3)))
    elif shape == "hexagon":
        draw.polygon(_polygon(cx, cy, r, 6, 0.0), fill=fill)
    elif shape == "pentagon":
        draw.polygon(_polygon(cx, cy, r, 5, -math.pi / 2), fill=fill)
    elif shape == "bar":
        draw.rectangle((x0, cy - h * 0.18, x1, cy + h * 0.18), fill=fill)
    else:
        raise ValueError(f"unknown shape {shape!r}")


def _canvas(rng: random.Random) -> tuple[Any, Any, str]:
    from PIL import Image, ImageDraw

    bg_name = rng.choice(sorted(W.BACKGROUNDS))
    bg = W.BACKGROUNDS[bg_name]
    img = Image.new("RGB", NATIVE_SIZE, bg)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(0, 3)):  # faint bands so backgrounds are not all flat
        y = rng.randrange(NATIVE_SIZE[1])
        shade = tuple(max(0, min(255, c + rng.randint(-18, 18))) for c in bg)
        draw.rectangle((0, y, NATIVE_SIZE[0], y + rng.randint(4, 40)), fill=shade)
    return img, draw, bg_name


def _colour(rng: random.Random, bg_name: str) -> str:
    bg = W.BACKGROUNDS[bg_name]
    names = [c for c, v in sorted(W.COLOURS.items()) if sum(abs(a - b) for a, b in zip(v, bg)) > 120]
    return rng.choice(names)


def _place(rng: random.Random, taken: list[tuple[int, int, int, int]],
           min_size: int, max_size: int) -> tuple[int, int, int, int] | None:
    for _ in range(30):
        size = rng.randint(min_size, max_size)
        x0 = rng.randint(2, NATIVE_SIZE[0] - size - 2)
        y0 = rng.randint(2, NATIVE_SIZE[1] - size - 2)
        box = (x0, y0, x0 + size, y0 + size)
        if all(box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3] for t in taken):
            return box
    return None


def make_labelled_image(rng: random.Random) -> dict[str, Any]:
    """One large shape; ``label`` is its class id, ``label_names`` the ten classes."""
    img, draw, bg = _canvas(rng)
    label = rng.randrange(len(W.SHAPE_CLASSES))
    box = _place(rng, [], 90, 200)
    assert box is not None
    colour = _colour(rng, bg)
    draw_shape(draw, W.SHAPE_CLASSES[label], box, W.COLOURS[colour])
    return {"image": img, "label": label, "label_names": W.SHAPE_CLASSES,
            "_key": ("cls", bg, label, colour, box, img.tobytes()[::997])}


def make_detection_image(rng: random.Random) -> dict[str, Any]:
    """One to four non-overlapping shapes; ``objects`` holds xyxy pixel boxes and labels."""
    img, draw, bg = _canvas(rng)
    boxes: list[tuple[int, int, int, int]] = []
    labels: list[str] = []
    for _ in range(rng.randint(1, 4)):
        box = _place(rng, boxes, 30, 110)
        if box is None:
            break
        shape = rng.choice(W.SHAPE_CLASSES)
        draw_shape(draw, shape, box, W.COLOURS[_colour(rng, bg)])
        boxes.append(box)
        labels.append(shape)
    return {"image": img, "objects": {"boxes": [list(b) for b in boxes], "labels": labels},
            "_key": ("det", bg, tuple(boxes), tuple(labels), img.tobytes()[::997])}


def make_captioned_image(rng: random.Random) -> dict[str, Any]:
    """One or two shapes with two reference captions (``captions``)."""
    img, draw, bg = _canvas(rng)
    boxes: list[tuple[int, int, int, int]] = []
    things: list[str] = []
    for _ in range(rng.randint(1, 2)):
        box = _place(rng, boxes, 50, 130)
        if box is None:
            break
        shape, colour = rng.choice(W.SHAPE_CLASSES), _colour(rng, bg)
        draw_shape(draw, shape, box, W.COLOURS[colour])
        size = "large" if box[2] - box[0] > 95 else "small"
        boxes.append(box)
        things.append(f"{size} {colour} {shape}")
    listed = " and a ".join(things)
    captions = [f"a {listed} on a {bg} background",
                f"{len(things)} {'shape' if len(things) == 1 else 'shapes'} on {bg}: "
                + ", ".join(t.split(' ', 1)[1] for t in things)]
    return {"image": img, "captions": captions,
            "_key": ("cap", bg, tuple(boxes), tuple(things), img.tobytes()[::997])}
