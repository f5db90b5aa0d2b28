"""The study's input recipes as small pure functions.

Each function does one thing the study's code did to a raw record before calling a model
(Luccioni et al. 2023, ``sashavor/co2_inference`` ``code/<task>/*.py``; see
``docs/study.md`` §1.2):

* text generation / fill-mask: keep the first 20 whitespace-separated words;
* fill-mask: replace the last of those words by the mask token;
* vision: ``image.resize((640, 480), resample=0).convert("RGB")`` (nearest neighbour);
* image generation: cut the prompt to its first 50 words.
"""

from __future__ import annotations

from typing import Any

MASK_PLACEHOLDER = "[MASK]"
"""Neutral mask placeholder put in fill-mask inputs; backends substitute their tokenizer's
mask token (e.g. ``<mask>`` for RoBERTa) for it."""

STUDY_IMAGE_SIZE: tuple[int, int] = (640, 480)
"""(width, height) in pixels that the study resized every vision input to."""

PROMPT_WORDS = 50
"""Image-generation prompts are cut to this many words."""

PASSAGE_WORDS = 20
"""Fill-mask and text-generation inputs keep this many words."""


def first_words(text: str, n: int) -> str:
    """The first ``n`` whitespace-separated words of ``text``, joined by single spaces.

    Args:
        text: Any text.
        n: How many words to keep (>= 1).

    Returns:
        The words joined by one space (the study did ``" ".join(text.split()[:n])``).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return " ".join(text.split()[:n])


def mask_last_word(text: str, n: int = PASSAGE_WORDS,
                   mask: str = MASK_PLACEHOLDER) -> tuple[str, str]:
    """Keep the first ``n`` words and replace the last kept word by ``mask``.

    Args:
        text: A passage with at least one word.
        n: How many words to keep before masking.
        mask: The placeholder put where the word was.

    Returns:
        ``(masked_text, masked_word)``; the masked word is returned as it appeared
        (punctuation included), so callers decide how to compare it.

    Raises:
        ValueError: ``text`` has no words.
    """
    words = text.split()[:n]
    if not words:
        raise ValueError("cannot mask a passage with no words")
    masked_word = words[-1]
    words[-1] = mask
    return " ".join(words), masked_word


def resize_study(image: Any, size: tuple[int, int] = STUDY_IMAGE_SIZE) -> Any:
    """Resize a PIL image the study's way: nearest neighbour to 640×480, then RGB.

    Args:
        image: A ``PIL.Image.Image`` of any size and mode.
        size: (width, height) in pixels.

    Returns:
        A new RGB image of exactly ``size``.
    """
    from PIL import Image

    resized = image.resize(size, resample=Image.Resampling.NEAREST)
    # convert("RGB") on an RGB image is a pixel-identical copy; skip it (saves ~1 ms/image)
    return resized if resized.mode == "RGB" else resized.convert("RGB")


def scale_box(box: tuple[float, float, float, float], from_size: tuple[int, int],
              to_size: tuple[int, int] = STUDY_IMAGE_SIZE) -> tuple[float, float, float, float]:
    """Scale an ``(xmin, ymin, xmax, ymax)`` pixel box from one image size to another.

    Args:
        box: Box corners in pixels of the source image.
        from_size: (width, height) of the source image in pixels.
        to_size: (width, height) of the resized image in pixels.
    """
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    x0, y0, x1, y1 = box
    return (x0 * sx, y0 * sy, x1 * sx, y1 * sy)


def cut_prompt(prompt: str, n: int = PROMPT_WORDS) -> str:
    """An image-generation prompt cut to its first ``n`` words (the study used 50)."""
    return first_words(prompt, n)
