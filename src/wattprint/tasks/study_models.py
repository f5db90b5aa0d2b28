"""The study's 88 models: 8 task-specific models for each of the 10 tasks, plus 8 multi-purpose.

Pinned from Luccioni et al. 2023, Table 6 and the released logs (``docs/study.md`` §1.3,
§1.4). Parameter counts are the study repository's ``data/model_parameters.csv`` (the BLOOMz
entries there are round numbers; Flan-T5-base carries the t5-base count). Where Table 6 and
the logs disagree, the logs' model is listed (its energy is what the paper reports) and the
Table 6 name is kept in :data:`TABLE6_ALTERNATES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.errors import unknown_choice
from wattprint.tasks.base import TASK_IDS


@dataclass(frozen=True)
class StudyModel:
    """One model of the study.

    Attributes:
        model: Hugging Face Hub id as the study used it.
        task: The task id it ran on (for multi-purpose models: the zero-shot tasks).
        parameters: Parameter count from the study's ``model_parameters.csv``.
        family: ``"task-specific"``, ``"t5"`` (seq2seq multi-purpose) or ``"causal"``
            (decoder-only multi-purpose).
        note: Anything a reproducer must know about this entry.
    """

    model: str
    task: str
    parameters: int
    family: str = "task-specific"
    note: str = ""


ZERO_SHOT_TASKS: tuple[str, ...] = ("text-classification", "question-answering", "summarization")
"""The three tasks the study ran the multi-purpose models on, zero-shot."""

_TASK_SPECIFIC: tuple[tuple[str, str, int, str], ...] = (
    ("text-classification", "sbcBI/sentiment_analysis_model", 66362880, ""),
    ("text-classification", "lvwerra/distilbert-imdb", 66362880, ""),
    ("text-classification", "distilbert-base-uncased-finetuned-sst-2-english", 66362880, ""),
    ("text-classification", "cardiffnlp/twitter-xlm-roberta-base-sentiment", 278043648, ""),
    ("text-classification", "nlptown/bert-base-multilingual-uncased-sentiment", 167356416, ""),
    ("text-classification", "cardiffnlp/twitter-roberta-base-sentiment-latest", 124645632, ""),
    ("text-classification", "finiteautomata/bertweet-base-sentiment-analysis", 134899968, ""),
    ("text-classification", "siebert/sentiment-roberta-large-english", 355359744, ""),
    ("token-classification", "elastic/distilbert-base-cased-finetuned-conll03-english", 65190912,
     "logs' set; Table 6 lists ml6team/keyphrase-extraction-distilbert-inspec"),
    ("token-classification", "dmargutierrez/distilbert-base-multilingual-cased-mapa_coarse-ner",
     134734080, "logs' set; Table 6 lists obi/deid_roberta_i2b2"),
    ("token-classification", "dslim/bert-base-NER", 108310272, ""),
    ("token-classification", "Babelscape/wikineural-multilingual-ner", 177853440, ""),
    ("token-classification", "QCRI/bert-base-multilingual-cased-pos-english", 177853440, ""),
    ("token-classification", "dslim/bert-large-NER", 333579264, ""),
    ("token-classification", "Jean-Baptiste/roberta-large-ner-english", 355359744, ""),
    ("token-classification", "xlm-roberta-large-finetuned-conll03-english", 559890432,
     "logs' set; Table 6 lists oliverguhr/fullstop-punctuation-multilang-large"),
    ("question-answering", "distilbert-base-cased-distilled-squad", 65190912, ""),
    ("question-answering", "distilbert-base-uncased-distilled-squad", 66362880, ""),
    ("question-answering", "deepset/tinyroberta-squad2", 82118400, ""),
    ("question-answering", "deepset/electra-base-squad2", 108891648, ""),
    ("question-answering", "deepset/roberta-base-squad2", 124645632, ""),
    ("question-answering", "deepset/bert-large-uncased-whole-word-masking-squad2", 335141888, ""),
    ("question-answering", "bert-large-uncased-whole-word-masking-finetuned-squad", 335141888, ""),
    ("question-answering", "timpal0l/mdeberta-v3-base-squad2", 278218752, ""),
    ("fill-mask", "distilbert-base-uncased", 66362880, ""),
    ("fill-mask", "bert-base-cased", 108310272, ""),
    ("fill-mask", "roberta-base", 124645632, ""),
    ("fill-mask", "albert-base-v2", 11683584, ""),
    ("fill-mask", "bert-base-uncased", 109482240, ""),
    ("fill-mask", "bert-base-multilingual-cased", 177853440, ""),
    ("fill-mask", "xlm-roberta-base", 278043648, ""),
    ("fill-mask", "microsoft/deberta-base", 138601728, ""),
    ("text-generation", "distilgpt2", 81912576, ""),
    ("text-generation", "EleutherAI/gpt-neo-125m", 125198592, ""),
    ("text-generation", "gpt2", 124439808, ""),
    ("text-generation", "bigscience/bloom-560m", 559214592, ""),
    ("text-generation", "facebook/opt-1.3b", 1315758080, ""),
    ("text-generation", "gpt2-medium", 354823168, ""),
    ("text-generation", "facebook/opt-6.7b", 6658473984, ""),
    ("text-generation", "gpt2-xl", 1557611200, ""),
    ("summarization", "ainize/bart-base-cnn", 139420416, ""),
    ("summarization", "sshleifer/distilbart-xsum-12-6", 229933056,
     "the raw per-task logs carry project_name sshleifer/distilbart-cnn-6-6 for these runs"),
    ("summarization", "sshleifer/distilbart-cnn-12-6", 305510400, ""),
    ("summarization", "facebook/bart-large-cnn", 406290432, ""),
    ("summarization", "pszemraj/led-large-book-summary", 459801600, ""),
    ("summarization", "google/pegasus-xsum", 569748480, ""),
    ("summarization", "google/pegasus-multi_news", 570797056, ""),
    ("summarization", "google/pegasus-large", 570797056, ""),
    ("image-classification", "google/mobilenet_v1_0.75_192", 1816560, ""),
    ("image-classification", "microsoft/resnet-18", 11176512, ""),
    ("image-classification", "google/vit-base-patch16-224", 86389248, ""),
    ("image-classification", "microsoft/beit-base-patch16-224-pt22k-ft22k", 85761984,
     "Table 6 says microsoft/beit-base-patch16-224"),
    ("image-classification", "facebook/convnextv2-tiny-1k-224", 27866496, ""),
    ("image-classification", "microsoft/resnet-50", 23508032, ""),
    ("image-classification", "facebook/convnextv2-tiny-22k-384", 27866496, ""),
    ("image-classification", "google/vit-base-patch16-384", 86681088, ""),
    ("object-detection", "hustvl/yolos-tiny", 6359040, ""),
    ("object-detection", "facebook/detr-resnet-50", 41368512, ""),
    ("object-detection", "polejowska/detr-r50-cd45rb-1ah-6l", 41368512, ""),
    ("object-detection", "facebook/detr-resnet-101", 60308416, ""),
    ("object-detection", "SenseTime/deformable-detr", 39913666, ""),
    ("object-detection", "polejowska/detr-r50-cd45rb-8ah-6l-gelu-corrected", 41368512, ""),
    ("object-detection", "hustvl/yolos-small", 30204288, ""),
    ("object-detection", "jozhang97/deta-swin-large", 217683380, ""),
    ("image-to-text", "microsoft/git-base", 153147648, ""),
    ("image-to-text", "Salesforce/blip-image-captioning-base", 224726017, ""),
    ("image-to-text", "ydshieh/vit-gpt2-coco-en", 124439808, ""),
    ("image-to-text", "nlpconnect/vit-gpt2-image-captioning", 239195904, ""),
    ("image-to-text", "Salesforce/blip-image-captioning-large", 447175937, ""),
    ("image-to-text", "Salesforce/blip2-opt-2.7b", 3744679936, ""),
    ("image-to-text", "Salesforce/blip2-flan-t5-xl", 3942446592, ""),
    ("image-to-text", "microsoft/git-large-coco", 370724608, ""),
    ("text-to-image", "segmind/tiny-sd", 530099307, ""),
    ("text-to-image", "nota-ai/bk-sdm-tiny", 834080895, ""),
    ("text-to-image", "prompthero/openjourney", 1370216895, ""),
    ("text-to-image", "CompVis/stable-diffusion-v1-4", 1370216895, ""),
    ("text-to-image", "runwayml/stable-diffusion-v1-5", 1370216895, ""),
    ("text-to-image", "stabilityai/stable-diffusion-2-1", 1289952427, ""),
    ("text-to-image", "dreamlike-art/dreamlike-photoreal-2.0", 1066235307, ""),
    ("text-to-image", "stabilityai/stable-diffusion-xl-base-1.0", 3468837867, ""),
)

TASK_SPECIFIC_MODELS: tuple[StudyModel, ...] = tuple(
    StudyModel(model=m, task=t, parameters=p, note=note) for t, m, p, note in _TASK_SPECIFIC
)
"""The 80 task-specific models, 8 per task, in the study's order (cheapest first)."""

MULTI_PURPOSE_MODELS: tuple[StudyModel, ...] = tuple(
    StudyModel(model=m, task=",".join(ZERO_SHOT_TASKS), parameters=p, family=fam, note=note)
    for m, p, fam, note in (
        ("google/flan-t5-base", 222903552, "t5", "count listed is t5-base's"),
        ("google/flan-t5-large", 750251008, "t5", ""),
        ("google/flan-t5-xl", 2783959040, "t5", ""),
        ("google/flan-t5-xxl", 11003736064, "t5", ""),
        ("bigscience/bloomz-560m", 559214592, "causal", ""),
        ("bigscience/bloomz-1b7", 1720000000, "causal", "round count; called BLOOMz-1B in the paper"),
        ("bigscience/bloomz-3b", 3000000000, "causal", "round count"),
        ("bigscience/bloomz-7b1", 7000000000, "causal", "round count"),
    )
)
"""The 8 multi-purpose models run zero-shot on :data:`ZERO_SHOT_TASKS`."""

TABLE6_ALTERNATES: dict[str, str] = {
    "elastic/distilbert-base-cased-finetuned-conll03-english":
        "ml6team/keyphrase-extraction-distilbert-inspec",
    "dmargutierrez/distilbert-base-multilingual-cased-mapa_coarse-ner": "obi/deid_roberta_i2b2",
    "xlm-roberta-large-finetuned-conll03-english": "oliverguhr/fullstop-punctuation-multilang-large",
    "microsoft/beit-base-patch16-224-pt22k-ft22k": "microsoft/beit-base-patch16-224",
}
"""Logged model → the name the paper's Table 6 prints instead."""


def study_models(task_id: str, *, multi_purpose: bool = False) -> list[str]:
    """The study's task-specific model ids for a task (8 each), cheapest first.

    Args:
        task_id: One of the ten task ids.
        multi_purpose: Also append the 8 multi-purpose models for the 3 zero-shot tasks.

    Raises:
        ConfigError: unknown task id (with the valid list).
    """
    if task_id not in TASK_IDS:
        raise unknown_choice("task", task_id, TASK_IDS)
    ids = [m.model for m in TASK_SPECIFIC_MODELS if m.task == task_id]
    if multi_purpose and task_id in ZERO_SHOT_TASKS:
        ids += [m.model for m in MULTI_PURPOSE_MODELS]
    return ids


def study_model(model_id: str) -> StudyModel | None:
    """The study's record of a model id (task-specific first), or None when not in the study."""
    for m in TASK_SPECIFIC_MODELS + MULTI_PURPOSE_MODELS:
        if m.model == model_id:
            return m
    return None
