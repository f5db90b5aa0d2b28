"""Fixtures for backend tests: one tiny-zoo cache per test session (each model built once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from wattprint.tasks.base import Example


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zoo cache root shared by the whole session."""
    return tmp_path_factory.mktemp("zoo-cache")


def _image(color: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (640, 480), color)
    for x in range(0, 640, 40):   # some structure, so the two examples differ in more than a constant
        for y in range(0, 480, 40):
            img.putpixel((x, y), (255 - color[0], x % 256, y % 256))
    return img


EXAMPLES: dict[str, list[Example]] = {
    "text-classification": [Example("I loved this film, the actors were great."),
                            Example("A dull, slow and far too long story.")],
    "token-classification": [Example("EU rejects German call to boycott British lamb ."),
                             Example("Peter Blackburn lives in London")],
    "question-answering": [
        Example({"question": "Who bought a bicycle?", "context": "Alice bought a green bicycle in Paris for 846 dollars."}),
        Example({"question": "Where is the museum?", "context": "The museum is near the river in Vienna. It opened in 1901."})],
    "fill-mask": [Example("Alice bought a green bicycle in Paris for 846 [MASK]"),
                  Example("The museum near the river opened in [MASK]")],
    "text-generation": [Example("Alice bought a green bicycle in Paris and then she"),
                        Example("The storm reached the island before")],
    "summarization": [Example("Alice bought a green bicycle in Paris for 846 dollars. It was stolen the next day. " * 4),
                      Example("Bob: are you coming tonight?\nEmma: yes, after work.\nBob: great, see you at eight.")],
    "image-classification": [Example(_image((200, 30, 30))), Example(_image((30, 30, 200)))],
    "object-detection": [Example(_image((200, 30, 30))), Example(_image((30, 200, 30)))],
    "image-to-text": [Example(_image((200, 30, 30))), Example(_image((30, 30, 200)))],
    "text-to-image": [Example("a castle on a hill, oil painting"), Example("a red robot in a kitchen, 4k")],
}
"""Two study-shaped inputs per task, in the forms the tasks' prepare() produces."""


@pytest.fixture
def examples() -> dict[str, list[Example]]:
    return EXAMPLES
