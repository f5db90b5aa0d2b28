"""Quality metrics, each on plain Python values (no models, no tensors).

* :func:`accuracy` — share of equal (normalised) labels.
* :func:`seqeval_scores` — entity-level precision/recall/F1 with ``seqeval`` (CoNLL style).
* :func:`squad_scores` — SQuAD v1.1/v2.0 exact match and token F1, as the official
  evaluation script computes them (answer normalisation, max over gold answers).
* :func:`rouge_scores` — ROUGE-1/2/L F-measure with Google's ``rouge-score`` (stemming on),
  max over references per example, mean over examples.
* :func:`detection_scores` — a deliberately simple detection metric: precision, recall and F1
  of label-matched boxes at IoU >= 0.5 with greedy matching by score. It is *not* COCO mAP.

All scores are fractions in [0, 1]; every function returns ``{}`` when there is nothing to
score, never a made-up number.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.errors import TaskError

# --- labels -------------------------------------------------------------------------------

_STARS = re.compile(r"^([1-5])\s*stars?$")
_SENTIMENT_SHORT = {"pos": "positive", "neg": "negative"}


def top_output(output: Any) -> Any:
    """The top candidate of a pipeline-style output: first element of a list, else itself."""
    if isinstance(output, (list, tuple)) and output and not isinstance(output, str):
        return output[0]
    return output


def normalize_label(value: Any, label_names: Sequence[str] | None = None) -> str | None:
    """Turn a label as a model or dataset spells it into a comparable lower-case name.

    Handles class ids (``1`` → ``label_names[1]``), ``LABEL_k`` names, pipeline dicts
    (``{"label": "POSITIVE", "score": ...}``), lists of those (top first), ``pos``/``neg``
    spelled out, and for binary sentiment the ``"k stars"`` ratings (1–2 negative, 4–5
    positive, 3 neutral).

    Args:
        value: The label.
        label_names: Names of the dataset's classes in id order, when known.

    Returns:
        The normalised name, or None when ``value`` is None.
    """
    value = top_output(value)
    if isinstance(value, Mapping):
        value = value.get("label")
    if value is None:
        return None
    names = [_canon(n) for n in label_names] if label_names else None
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if names and 0 <= value < len(names):
            return names[value]
        return str(value)
    text = _canon(str(value))
    match = re.fullmatch(r"label_(\d+)", text)
    if match:
        k = int(match.group(1))
        return names[k] if names and k < len(names) else str(k)
    if text.isdigit() and names and int(text) < len(names):
        return names[int(text)]
    stars = _STARS.match(text)
    if stars and names and {"negative", "positive"} <= set(names):
        k = int(stars.group(1))
        return "negative" if k <= 2 else "positive" if k >= 4 else "neutral"
    return text


def _canon(name: str) -> str:
    """Lower case, trimmed, with ``pos``/``neg`` spelled out (IMDB's class names)."""
    text = name.strip().lower()
    return _SENTIMENT_SHORT.get(text, text)


def accuracy(predicted: Sequence[Any], reference: Sequence[Any],
             label_names: Sequence[str] | None = None) -> dict[str, float]:
    """Share of predictions whose normalised label equals the reference's.

    Pairs whose reference is None (unlabelled, e.g. SST-2's test split with label -1 mapped
    to None) are skipped; ``{}`` when no pair is labelled.

    Returns:
        ``{"accuracy": fraction, "n_scored": count}``.
    """
    pairs = [(p, r) for p, r in zip(predicted, reference, strict=True) if r is not None]
    if not pairs:
        return {}
    hits = sum(normalize_label(p, label_names) == normalize_label(r, label_names)
               for p, r in pairs)
    return {"accuracy": hits / len(pairs), "n_scored": float(len(pairs))}


# --- token classification -----------------------------------------------------------------

def _word_spans(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of each token in ``" ".join(tokens)``."""
    spans, pos = [], 0
    for tok in tokens:
        spans.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return spans


def entities_to_tags(entities: Sequence[Mapping[str, Any]], tokens: Sequence[str]) -> list[str]:
    """Word-level IOB2 tags from pipeline-style entity spans over ``" ".join(tokens)``.

    Each entity is a dict with character offsets ``start``/``end`` and a type in
    ``entity_group`` (aggregated pipelines) or ``entity`` (``B-PER``/``I-PER`` per sub-word).
    A word takes the tag of the first entity overlapping it; a continued ``I-`` entity of
    the same type as the previous word stays ``I-``.
    """
    spans = _word_spans(tokens)
    tags = ["O"] * len(tokens)
    for ent in sorted(entities, key=lambda e: int(e.get("start", 0))):
        label = str(ent.get("entity_group") or ent.get("entity") or "")
        if not label or label == "O" or "start" not in ent or "end" not in ent:
            continue
        prefix, etype = (label[0], label[2:]) if label[:2] in ("B-", "I-") else ("B", label)
        start, end = int(ent["start"]), int(ent["end"])
        covered = [i for i, (ws, we) in enumerate(spans) if ws < end and we > start]
        for j, i in enumerate(covered):
            if tags[i] != "O":
                continue  # an earlier sub-word already tagged this word
            after_same = i > 0 and tags[i - 1][2:] == etype
            continuing = after_same and (j > 0 or prefix == "I")
            tags[i] = ("I-" if continuing else "B-") + etype
    return tags


def normalize_tags(tags: Sequence[Any]) -> list[str]:
    """IOB2 tags from model tags: ``None`` (no tag, e.g. truncated) → ``O``; a bare type
    (``PER``, from models without B-/I- prefixes) → ``B-PER``, or ``I-PER`` after the same type."""
    out: list[str] = []
    for tag in tags:
        text = "O" if tag is None else str(tag)
        if text != "O" and text[:2] not in ("B-", "I-"):
            same = bool(out) and out[-1] != "O" and out[-1][2:] == text
            text = ("I-" if same else "B-") + text
        out.append(text)
    return out


def seqeval_scores(predicted_tags: Sequence[Sequence[str]],
                   reference_tags: Sequence[Sequence[str] | None]) -> dict[str, float]:
    """Entity-level micro precision, recall and F1 (``seqeval``, default CoNLL mode).

    Examples without reference tags are skipped; ``{}`` when none has tags.
    """
    pairs = [(list(p), list(r)) for p, r in zip(predicted_tags, reference_tags, strict=True)
             if r is not None]
    if not pairs:
        return {}
    for p, r in pairs:
        if len(p) != len(r):
            raise ValueError(f"predicted {len(p)} tags for a sentence of {len(r)} tokens")
    try:
        from seqeval.metrics import f1_score, precision_score, recall_score
    except ImportError as err:
        raise TaskError("token-classification quality needs seqeval "
                        "(pip install 'wattprint[models]')") from err

    pred = [p for p, _ in pairs]
    ref = [r for _, r in pairs]
    return {
        "precision": float(precision_score(ref, pred, zero_division=0)),
        "recall": float(recall_score(ref, pred, zero_division=0)),
        "f1": float(f1_score(ref, pred, zero_division=0)),
        "n_scored": float(len(pairs)),
    }


# --- extractive QA (SQuAD official script semantics) ----------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD answer normalisation: lower case, drop punctuation and articles, squash spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _f1(prediction: str, gold: str) -> float:
    pred_toks = normalize_answer(prediction).split()
    gold_toks = normalize_answer(gold).split()
    if not pred_toks or not gold_toks:  # SQuAD v2: no-answer matches only no-answer
        return float(pred_toks == gold_toks)
    common = Counter(pred_toks) & Counter(gold_toks)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_toks)
    recall = same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def answer_text(output: Any) -> str:
    """The answer string from a QA output: a string, ``{"answer": ...}`` or a list of those."""
    output = top_output(output)
    if isinstance(output, Mapping):
        output = output.get("answer", "")
    return "" if output is None else str(output)


def squad_scores(predicted: Sequence[Any],
                 gold_answers: Sequence[Sequence[str] | None]) -> dict[str, float]:
    """SQuAD exact match and F1 as fractions, max over each example's gold answers.

    An empty gold list means "no answer" (SQuAD v2): only an empty prediction scores.
    Examples whose gold is None (unlabelled) are skipped.
    """
    pairs = [(answer_text(p), list(g)) for p, g in zip(predicted, gold_answers, strict=True)
             if g is not None]
    if not pairs:
        return {}
    em = f1 = 0.0
    for pred, golds in pairs:
        golds = golds or [""]
        em += max(float(normalize_answer(pred) == normalize_answer(g)) for g in golds)
        f1 += max(_f1(pred, g) for g in golds)
    return {"exact_match": em / len(pairs), "f1": f1 / len(pairs), "n_scored": float(len(pairs))}


# --- generated text (summaries, captions) -------------------------------------------------

def generated_text(output: Any) -> str:
    """The text from a generation output: a string or a pipeline dict / list of dicts."""
    output = top_output(output)
    if isinstance(output, Mapping):
        for key in ("summary_text", "generated_text", "text", "caption"):
            if key in output:
                output = output[key]
                break
        else:
            output = ""
    return "" if output is None else str(output)


def rouge_scores(predicted: Sequence[Any],
                 references: Sequence[str | Sequence[str] | None]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measure (``rouge-score``, Porter stemming), best reference each.

    Args:
        predicted: Generated texts (strings or pipeline outputs).
        references: One reference string or a list of them per example; None skips it.
    """
    pairs = []
    for p, r in zip(predicted, references, strict=True):
        if r is None:
            continue
        refs = [r] if isinstance(r, str) else list(r)
        if refs:
            pairs.append((generated_text(p), refs))
    if not pairs:
        return {}
    try:
        from rouge_score import rouge_scorer
    except ImportError as err:
        raise TaskError("ROUGE needs rouge-score (pip install 'wattprint[models]')") from err

    keys = ("rouge1", "rouge2", "rougeL")
    scorer = rouge_scorer.RougeScorer(list(keys), use_stemmer=True)
    totals = dict.fromkeys(keys, 0.0)
    for pred, refs in pairs:
        per_ref = [scorer.score(ref, pred) for ref in refs]
        for k in keys:
            totals[k] += max(s[k].fmeasure for s in per_ref)
    out = {k: v / len(pairs) for k, v in totals.items()}
    out["n_scored"] = float(len(pairs))
    return out


# --- fill-mask ----------------------------------------------------------------------------

def normalize_word(word: str) -> str:
    """Lower case, strip spaces, sub-word markers and surrounding punctuation."""
    return word.strip().lstrip("Ġ▁#").strip().strip(string.punctuation + "“”‘’").lower()


def mask_accuracy(predicted: Sequence[Any], masked_words: Sequence[str | None]) -> dict[str, float]:
    """Top-1 accuracy of the predicted mask filler against the masked word.

    A prediction is a token string, ``{"token_str": ...}`` or a list of those (top first).
    """
    pairs = [(p, w) for p, w in zip(predicted, masked_words, strict=True) if w]
    if not pairs:
        return {}
    hits = 0
    for p, w in pairs:
        top = top_output(p)
        if isinstance(top, Mapping):
            top = top.get("token_str", "")
        hits += normalize_word(str(top)) == normalize_word(w)
    return {"top1_accuracy": hits / len(pairs), "n_scored": float(len(pairs))}


# --- object detection ---------------------------------------------------------------------

def _as_box(value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, Mapping):
        return (float(value["xmin"]), float(value["ymin"]), float(value["xmax"]), float(value["ymax"]))
    x0, y0, x1, y1 = value
    return (float(x0), float(y0), float(x1), float(y1))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(xmin, ymin, xmax, ymax)`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def detection_scores(predicted: Sequence[Sequence[Mapping[str, Any]]],
                     references: Sequence[Mapping[str, Any] | None],
                     iou_threshold: float = 0.5) -> dict[str, float]:
    """Micro precision, recall and F1 of detections at an IoU threshold (not COCO mAP).

    Args:
        predicted: Per image, pipeline-style detections ``{"label", "score", "box":
            {"xmin", "ymin", "xmax", "ymax"}}`` in pixels of the model's input image.
        references: Per image, ``{"boxes": [[xmin, ymin, xmax, ymax], ...], "labels": [...]}``.
        iou_threshold: Minimum IoU for a match; labels must match case-insensitively.

    Detections are matched greedily, highest score first, each reference box at most once.
    """
    tp = n_pred = n_ref = 0
    scored = 0
    for dets, ref in zip(predicted, references, strict=True):
        if ref is None:
            continue
        scored += 1
        ref_boxes = [_as_box(b) for b in ref.get("boxes", [])]
        ref_labels = [str(x).lower() for x in ref.get("labels", [])]
        used = [False] * len(ref_boxes)
        n_ref += len(ref_boxes)
        dets = sorted(dets or [], key=lambda d: -float(d.get("score", 1.0)))
        n_pred += len(dets)
        for det in dets:
            box, label = _as_box(det["box"]), str(det.get("label", "")).lower()
            best, best_iou = -1, iou_threshold
            for i, rbox in enumerate(ref_boxes):
                if used[i] or ref_labels[i] != label:
                    continue
                value = iou(box, rbox)
                if value >= best_iou:
                    best, best_iou = i, value
            if best >= 0:
                used[best] = True
                tp += 1
    if scored == 0:
        return {}
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_ref if n_ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision_iou50": precision, "recall_iou50": recall, "f1_iou50": f1,
            "n_scored": float(scored)}
