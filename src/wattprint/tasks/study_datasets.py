"""The study's 30 task × dataset recipes (10 tasks × 3 Hugging Face datasets), as data.

Pinned from the study's code (``docs/study.md`` §1.2): Hub id, config, split, and which
column feeds which canonical record field of the task. The study streamed each dataset and
took the first 1,000 rows (WikiText: the first 2,500 rows, blank lines dropped).

These ids are the ones the study used in 2023. Some have since moved on the Hub (e.g.
``imdb`` → ``stanfordnlp/imdb``) or were script-based datasets that ``datasets`` >= 4 no
longer runs; the Hub's redirects cover the renames, and :func:`load_study` reports the
rest clearly. Loading needs network access or a filled Hub cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.errors import ConfigError, did_you_mean
from wattprint.tasks.base import TASK_IDS

_SENTIMENT = ("negative", "positive")


@dataclass(frozen=True)
class DatasetRecipe:
    """How the study fed one Hub dataset to one task.

    Attributes:
        name: Short name used in suites and on the command line (``"imdb"``).
        task: Task id.
        hf_id: Hub dataset id as the study loaded it.
        config: Dataset config name, or None.
        split: Split the study used.
        fields: Canonical record field → dataset column (e.g. ``{"text": "sentence"}``).
        label_names: Class names overriding the dataset's (sentiment: negative/positive).
        scan: Rows to read before filtering (WikiText: 2,500), or None for ``n``.
        skip_blank: Drop rows whose text is blank.
        extra: Constant fields added to every record (e.g. ``mask_mode="append"``).
        converter: Name of a record converter for nested fields (boxes, image URLs).
        note: What a reproducer must know.
        current_id: Where the dataset lives on the Hub now, when it moved after the study
            (the 2024 move of canonical datasets into organisations); tried first.
    """

    name: str
    task: str
    hf_id: str
    config: str | None
    split: str
    fields: Mapping[str, str]
    label_names: tuple[str, ...] | None = None
    scan: int | None = None
    skip_blank: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    converter: str | None = None
    note: str = ""
    current_id: str | None = None

    def hub_ids(self) -> list[str]:
        """Ids to try, current first, then the study's."""
        return [i for i in dict.fromkeys((self.current_id, self.hf_id)) if i]


MOVED_IDS: dict[str, str] = {
    "imdb": "stanfordnlp/imdb",
    "sst2": "stanfordnlp/sst2",
    "rotten_tomatoes": "cornell-movie-review-data/rotten_tomatoes",
    "conll2003": "eriktks/conll2003",
    "wikiann": "unimelb-nlp/wikiann",
    "super_glue": "aps/super_glue",
    "squad": "rajpurkar/squad",
    "squad_v2": "rajpurkar/squad_v2",
    "sciq": "allenai/sciq",
    "bookcorpus": "bookcorpus/bookcorpus",
    "c4": "allenai/c4",
    "oscar": "oscar-corpus/oscar",
    "wikitext": "Salesforce/wikitext",
    "cnn_dailymail": "abisee/cnn_dailymail",
    "samsum": "Samsung/samsum",
    "xsum": "EdinburghNLP/xsum",
    "cifar10": "uoft-cs/cifar10",
    "cifar100": "uoft-cs/cifar100",
    "imagenet-1k": "ILSVRC/imagenet-1k",
    "cppe-5": "rishitdagli/cppe-5",
    "visual_genome": "ranjaykrishna/visual_genome",
    "red_caps": "kdexd/red_caps",
}
"""The study's (2023) canonical Hub ids → their organisation ids after the Hub's 2024 move.
Not verified from this offline machine; :func:`~wattprint.tasks.hub.hub_records` tries the
new id first and falls back to the study's."""


def _r(name: str, task: str, hf_id: str, config: str | None, split: str,
       fields: dict[str, str], **kw: Any) -> DatasetRecipe:
    kw.setdefault("current_id", MOVED_IDS.get(hf_id))
    return DatasetRecipe(name, task, hf_id, config, split, fields, **kw)


STUDY_RECIPES: tuple[DatasetRecipe, ...] = (
    # text-to-category
    _r("imdb", "text-classification", "imdb", None, "test", {"text": "text", "label": "label"},
       label_names=_SENTIMENT),
    _r("sst2", "text-classification", "sst2", None, "test", {"text": "sentence", "label": "label"},
       label_names=_SENTIMENT, note="test labels are hidden (-1): no accuracy on this split"),
    _r("rotten_tomatoes", "text-classification", "rotten_tomatoes", None, "validation",
       {"text": "text", "label": "label"}, label_names=_SENTIMENT),
    _r("conll2003", "token-classification", "conll2003", None, "validation",
       {"tokens": "tokens", "tags": "ner_tags"}),
    _r("wikiann", "token-classification", "wikiann", "en", "test",
       {"tokens": "tokens", "tags": "ner_tags"}),
    _r("record", "token-classification", "super_glue", "record", "test", {"text": "passage"},
       note="passages without tags: no quality score"),
    _r("squad", "question-answering", "squad", None, "validation",
       {"question": "question", "context": "context", "answers": "answers"}),
    _r("squad_v2", "question-answering", "squad_v2", None, "validation",
       {"question": "question", "context": "context", "answers": "answers"}),
    _r("sciq", "question-answering", "sciq", None, "test",
       {"question": "question", "context": "support", "answers": "correct_answer"},
       note="the study's script read sent['passage'], which sciq lacks; 'support' is the context"),
    # text-to-text
    _r("bookcorpus", "fill-mask", "bookcorpus", None, "train", {"text": "text"},
       extra={"mask_mode": "append"},
       note="the study removed '.' and appended the mask instead of masking the 20th word"),
    _r("c4", "fill-mask", "c4", "en", "train", {"text": "text"}),
    _r("oscar", "fill-mask", "oscar", "unshuffled_deduplicated_en", "train", {"text": "text"}),
    _r("wikitext", "text-generation", "wikitext", "wikitext-103-raw-v1", "test", {"text": "text"},
       scan=2500, skip_blank=True),
    _r("bookcorpus", "text-generation", "bookcorpus", None, "train", {"text": "text"}),
    _r("oscar", "text-generation", "oscar", "unshuffled_deduplicated_en", "train", {"text": "text"}),
    _r("cnn_dailymail", "summarization", "cnn_dailymail", "3.0.0", "test",
       {"text": "article", "summary": "highlights"}),
    _r("samsum", "summarization", "samsum", None, "train", {"text": "dialogue", "summary": "summary"}),
    _r("xsum", "summarization", "xsum", None, "test", {"text": "document", "summary": "summary"}),
    # image-to-category
    _r("cifar10", "image-classification", "cifar10", None, "test", {"image": "img", "label": "label"}),
    _r("cifar100", "image-classification", "cifar100", None, "test",
       {"image": "img", "label": "fine_label"}),
    _r("imagenet-1k", "image-classification", "imagenet-1k", None, "test",
       {"image": "image", "label": "label"}, note="gated; test labels are hidden (-1)"),
    _r("coco", "object-detection", "rafaelpadilla/coco2017", None, "val", {"image": "image"},
       note="boxes not mapped (field layout not verified): energy only, no quality"),
    _r("cppe-5", "object-detection", "cppe-5", None, "train", {"image": "image"},
       converter="cppe5_objects"),
    _r("visual_genome", "object-detection", "visual_genome", "objects_v1.2.0", "train",
       {"image": "image"}, converter="visual_genome_objects"),
    # image-to-text
    _r("coco", "image-to-text", "rafaelpadilla/coco2017", None, "val", {"image": "image"},
       note="captions not mapped (field layout not verified): energy only, no quality"),
    _r("red_caps", "image-to-text", "red_caps", "roses_2020", "train", {"captions": "caption"},
       converter="image_url", note="images are fetched from image_url at load time"),
    _r("visual_genome", "image-to-text", "visual_genome", "objects_v1.2.0", "train",
       {"image": "image"}, note="no captions in this config: energy only"),
    # text-to-image
    _r("diffusiondb", "text-to-image", "poloclub/diffusiondb", "2m_first_1k", "train",
       {"prompt": "prompt"}),
    _r("imagereward", "text-to-image", "THUDM/ImageRewardDB", "1k", "train", {"prompt": "prompt"}),
    _r("sd_prompts", "text-to-image", "Gustavosta/Stable-Diffusion-Prompts", None, "test",
       {"prompt": "Prompt"}),
)
"""All 30 recipes, in the study's task order."""

STUDY_DATASETS: dict[str, dict[str, DatasetRecipe]] = {
    t: {r.name: r for r in STUDY_RECIPES if r.task == t} for t in TASK_IDS
}
"""Task id → short dataset name → recipe (3 per task)."""


def study_dataset_names(task_id: str) -> list[str]:
    """The short names of the study's 3 datasets for a task (empty for an unknown task)."""
    return list(STUDY_DATASETS.get(task_id, {}))


def study_recipe(task_id: str, name: str) -> DatasetRecipe:
    """The recipe for one of the study's datasets on a task.

    Raises:
        ConfigError: the dataset is not one of the study's for this task; the message names
            the valid datasets for the task (and the task(s) the name does belong to).
    """
    recipes = STUDY_DATASETS.get(task_id, {})
    if name in recipes:
        return recipes[name]
    others = sorted({r.task for r in STUDY_RECIPES if r.name == name})
    where = f"; {name!r} is a study dataset for {', '.join(others)}" if others else ""
    valid = sorted(recipes) + ["builtin", "a local file or folder"]
    raise ConfigError(f"dataset {name!r} does not fit task {task_id!r}"
                      f"{did_you_mean(name, recipes)}{where}; valid for {task_id}: "
                      + ", ".join(valid))


def is_study_dataset(name: str) -> bool:
    """Whether ``name`` is one of the study's short dataset names (for any task)."""
    return any(r.name == name for r in STUDY_RECIPES)
