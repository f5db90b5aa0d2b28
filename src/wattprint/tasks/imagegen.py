"""Text-to-image: a prompt in, one image out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.tasks.base import Example, Task
from wattprint.tasks.fields import require_text
from wattprint.tasks.recipes import PROMPT_WORDS, cut_prompt


class TextToImage(Task):
    """Image generation (DiffusionDB, ImageRewardDB, Stable-Diffusion-Prompts).

    Recipe: the prompt cut to its first 50 words; the pipeline's own defaults for steps and
    resolution, as the study ran them (``pipe(prompt)``), so ``default_generation`` is
    empty. There is no reference image, so :meth:`score` returns ``{}``.
    """

    id = "text-to-image"
    work_unit = "image"
    modality = "text-to-image"
    recipe = "prompt cut to its first 50 words; pipeline defaults for steps and size"
    record_fields = ("prompt",)

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The prompt, cut to its first words."""
        prompt = require_text(record, "prompt", self.id)
        words = len(prompt.split())
        return Example(inputs=cut_prompt(prompt, PROMPT_WORDS) if words else "",
                       meta={"prompt_words": min(words, PROMPT_WORDS)})
