"""One inference per task with transformers model classes called directly (no pipelines).

transformers 5 removed the question-answering, summarization and text2text-generation
pipelines; calling the model classes is version-robust (4.57 and 5.x) and keeps every step of
an inference visible. Each runner takes a list of examples (a batch) and returns one
:class:`~wattprint.tasks.base.Prediction` per example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.backends.generation import count_new_tokens
from wattprint.errors import BackendError, TaskError
from wattprint.tasks.base import Example, Prediction

MASK_PLACEHOLDER = "[MASK]"
"""What the fill-mask task puts where the masked word was; replaced by the tokenizer's mask token."""


@dataclass
class Loaded:
    """A loaded model and its preprocessors, shared by the runners.

    Attributes:
        model: The transformers model, on its device, in eval mode.
        device: A ``torch.device``.
        tokenizer: Text tokenizer, when the model reads or writes text.
        image_processor: Image processor, for vision models with separate preprocessors.
        processor: A combined processor (BLIP, GIT), when the model has one.
        generate_kwargs: Keyword arguments for ``generate`` (generative tasks).
        detection_threshold: Score threshold for object detection.
    """

    model: Any
    device: Any
    tokenizer: Any = None
    image_processor: Any = None
    processor: Any = None
    generate_kwargs: dict[str, Any] | None = None
    detection_threshold: float = 0.5


Runner = Callable[[Sequence[Example]], list[Prediction]]


def _to(batch: Any, loaded: Loaded) -> Any:
    batch = batch.to(loaded.device)
    dtype = getattr(loaded.model, "dtype", None)
    if "pixel_values" in batch and dtype is not None:
        batch["pixel_values"] = batch["pixel_values"].to(dtype)
    return batch


def _max_len(loaded: Loaded, cap: int | None = None) -> int:
    limit = getattr(loaded.tokenizer, "model_max_length", None) or 512
    for attr in ("max_position_embeddings", "n_positions"):
        positions = getattr(loaded.model.config, attr, None)
        if isinstance(positions, int):
            limit = min(limit, positions)
    return min(limit, cap) if cap else limit


def _texts(examples: Sequence[Example]) -> list[str]:
    out = []
    for ex in examples:
        if not isinstance(ex.inputs, str):
            raise TaskError(f"this task needs text inputs, got {type(ex.inputs).__name__}")
        out.append(ex.inputs)
    return out


def _images(examples: Sequence[Example]) -> list[Any]:
    out = []
    for ex in examples:
        if not hasattr(ex.inputs, "convert"):
            raise TaskError(f"this task needs PIL image inputs, got {type(ex.inputs).__name__}")
        out.append(ex.inputs.convert("RGB") if getattr(ex.inputs, "mode", "RGB") != "RGB" else ex.inputs)
    return out


def _label(config: Any, index: int) -> str:
    labels = getattr(config, "id2label", None) or {}
    return str(labels.get(index, labels.get(str(index), f"LABEL_{index}")))


def text_classification(loaded: Loaded) -> Runner:
    """Label string per text (the arg-max class)."""
    import torch

    def run(examples: Sequence[Example]) -> list[Prediction]:
        enc = loaded.tokenizer(_texts(examples), return_tensors="pt", padding=True, truncation=True,
                               max_length=_max_len(loaded))
        with torch.inference_mode():
            logits = loaded.model(**_to(enc, loaded)).logits
        ids = logits.argmax(-1).tolist()
        lengths = enc["attention_mask"].sum(-1).tolist()
        return [Prediction(output=_label(loaded.model.config, i), input_tokens=int(n)) for i, n in zip(ids, lengths)]
    return run


def token_classification(loaded: Loaded) -> Runner:
    """``[(word, tag), ...]`` per text; words are the whitespace-separated words, each tagged by its first sub-token."""
    import torch

    def run(examples: Sequence[Example]) -> list[Prediction]:
        words = [t.split() for t in _texts(examples)]
        enc = loaded.tokenizer(words, is_split_into_words=True, return_tensors="pt", padding=True,
                               truncation=True, max_length=_max_len(loaded))
        with torch.inference_mode():
            logits = loaded.model(**_to(enc, loaded)).logits
        tags = logits.argmax(-1).tolist()
        preds = []
        for row, row_words in enumerate(words):
            seen: dict[int, str] = {}
            for pos, word_id in enumerate(enc.word_ids(row)):
                if word_id is not None and word_id not in seen:
                    seen[word_id] = _label(loaded.model.config, tags[row][pos])
            # Words cut off by truncation get no tag from the model: say so with None, never guess.
            out = [(w, seen.get(i)) for i, w in enumerate(row_words)]
            preds.append(Prediction(output=out, input_tokens=int(enc["attention_mask"][row].sum())))
        return preds
    return run


def question_answering(loaded: Loaded) -> Runner:
    """Answer span (a substring of the context) per ``{"question", "context"}``."""
    import torch

    def run(examples: Sequence[Example]) -> list[Prediction]:
        questions, contexts = [], []
        for ex in examples:
            if not isinstance(ex.inputs, dict) or not {"question", "context"} <= set(ex.inputs):
                raise TaskError("question-answering needs inputs {'question': str, 'context': str}")
            questions.append(ex.inputs["question"])
            contexts.append(ex.inputs["context"])
        enc = loaded.tokenizer(questions, contexts, return_tensors="pt", padding=True, truncation="only_second",
                               max_length=_max_len(loaded, 384), return_offsets_mapping=True)
        offsets = enc.pop("offset_mapping")
        seq_ids = [enc.sequence_ids(i) for i in range(len(examples))]
        with torch.inference_mode():
            out = loaded.model(**_to(enc, loaded))
        preds = []
        for i, ctx in enumerate(contexts):
            not_ctx = torch.tensor([s != 1 for s in seq_ids[i]], device=out.start_logits.device)
            start = out.start_logits[i].float().masked_fill(not_ctx, -1e9)
            end = out.end_logits[i].float().masked_fill(not_ctx, -1e9)
            scores = torch.triu(start[:, None] + end[None, :])
            # Keep spans within 30 tokens, as the old pipeline's max_answer_len did.
            scores = scores - torch.triu(torch.full_like(scores, 1e12), diagonal=30)
            si, ei = divmod(int(scores.flatten().argmax()), scores.shape[1])
            answer = ctx[int(offsets[i][si][0]):int(offsets[i][ei][1])]
            preds.append(Prediction(output=answer, input_tokens=int(enc["attention_mask"][i].sum())))
        return preds
    return run


def fill_mask(loaded: Loaded) -> Runner:
    """Top token (decoded, stripped) for the masked position of each text."""
    import torch

    tok = loaded.tokenizer
    if getattr(tok, "mask_token", None) is None:
        raise BackendError("this model's tokenizer has no mask token, so it cannot do fill-mask")

    def run(examples: Sequence[Example]) -> list[Prediction]:
        texts = []
        for text in _texts(examples):
            if MASK_PLACEHOLDER not in text and tok.mask_token not in text:
                raise TaskError(f"fill-mask input has no {MASK_PLACEHOLDER} placeholder: {text[:80]!r}")
            texts.append(text.replace(MASK_PLACEHOLDER, tok.mask_token))
        enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=_max_len(loaded))
        with torch.inference_mode():
            logits = loaded.model(**_to(enc, loaded)).logits
        preds = []
        for i in range(len(texts)):
            positions = (enc["input_ids"][i] == tok.mask_token_id).nonzero()
            if len(positions) == 0:
                raise TaskError("the mask token was cut off by truncation; shorten the input")
            top = int(logits[i, int(positions[0])].argmax())
            preds.append(Prediction(output=tok.decode([top]).strip(), input_tokens=int(enc["attention_mask"][i].sum())))
        return preds
    return run


def _stop_ids(loaded: Loaded) -> set[int]:
    ids: set[int] = set()
    for cfg in (getattr(loaded.model, "generation_config", None), loaded.model.config):
        eos = getattr(cfg, "eos_token_id", None)
        if isinstance(eos, int):
            ids.add(eos)
        elif isinstance(eos, (list, tuple)):
            ids.update(int(e) for e in eos)
    return ids


def _generated(loaded: Loaded, sequences: Any, start: int, decode: Any) -> list[Prediction]:
    new = sequences[:, start:].tolist()
    counts = count_new_tokens(new, _stop_ids(loaded))
    texts = decode.batch_decode([row[:n] for row, n in zip(new, counts)], skip_special_tokens=True)
    return [Prediction(output=t.strip(), output_tokens=n, work_units=float(n)) for t, n in zip(texts, counts)]


def text_to_text(loaded: Loaded, prompts: Callable[[Sequence[Example]], list[str]] | None = None) -> Runner:
    """Generated text per input, for causal and seq2seq LMs (text generation, summarization, zero-shot).

    The output is the new text only (never the prompt); ``output_tokens`` counts the tokens
    actually generated, and ``work_units`` equals it.
    """
    import torch

    tok = loaded.tokenizer
    encoder_decoder = bool(getattr(loaded.model.config, "is_encoder_decoder", False))
    if not encoder_decoder and tok.pad_token is None:
        tok.pad_token = tok.eos_token
    max_len = _max_len(loaded)
    if not encoder_decoder:
        # Generation continues from the last real token of every row, so pad and truncate on the
        # left (a long zero-shot prompt keeps its instruction's end), and leave room for the new tokens.
        tok.padding_side = tok.truncation_side = "left"
        kwargs = loaded.generate_kwargs or {}
        max_len = max(1, max_len - int(kwargs.get("max_new_tokens") or 0))
    pad = tok.pad_token_id

    def run(examples: Sequence[Example]) -> list[Prediction]:
        texts = prompts(examples) if prompts else _texts(examples)
        enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=max_len)
        with torch.inference_mode():
            out = loaded.model.generate(**_to(enc, loaded), pad_token_id=pad, **(loaded.generate_kwargs or {}))
        start = 1 if encoder_decoder else enc["input_ids"].shape[1]
        preds = _generated(loaded, out, start, tok)
        lengths = enc["attention_mask"].sum(-1).tolist()
        return [Prediction(output=p.output, output_tokens=p.output_tokens, work_units=p.work_units,
                           input_tokens=int(n)) for p, n in zip(preds, lengths)]
    return run


def image_classification(loaded: Loaded) -> Runner:
    """Label string per image."""
    import torch

    def run(examples: Sequence[Example]) -> list[Prediction]:
        batch = loaded.image_processor(images=_images(examples), return_tensors="pt")
        with torch.inference_mode():
            logits = loaded.model(**_to(batch, loaded)).logits
        return [Prediction(output=_label(loaded.model.config, i)) for i in logits.argmax(-1).tolist()]
    return run


def object_detection(loaded: Loaded) -> Runner:
    """``[{"label", "score", "box": {"xmin", "ymin", "xmax", "ymax"}}, ...]`` per image, in pixels of the input."""
    import torch

    def run(examples: Sequence[Example]) -> list[Prediction]:
        images = _images(examples)
        batch = loaded.image_processor(images=images, return_tensors="pt")
        with torch.inference_mode():
            out = loaded.model(**_to(batch, loaded))
        sizes = [(im.height, im.width) for im in images]
        results = loaded.image_processor.post_process_object_detection(
            out, threshold=loaded.detection_threshold, target_sizes=sizes)
        preds = []
        for res in results:
            boxes = []
            for score, label, box in zip(res["scores"].tolist(), res["labels"].tolist(), res["boxes"].tolist()):
                boxes.append({"label": _label(loaded.model.config, int(label)), "score": float(score),
                              "box": dict(zip(("xmin", "ymin", "xmax", "ymax"), (float(b) for b in box)))})
            preds.append(Prediction(output=boxes))
        return preds
    return run


def image_to_text(loaded: Loaded) -> Runner:
    """Caption per image (new text only); ``output_tokens`` = ``work_units`` = tokens generated."""
    import torch

    encoder_decoder = bool(getattr(loaded.model.config, "is_encoder_decoder", False))
    decoder = loaded.processor if loaded.processor is not None else loaded.tokenizer

    def run(examples: Sequence[Example]) -> list[Prediction]:
        images = _images(examples)
        proc = loaded.processor if loaded.processor is not None else loaded.image_processor
        batch = _to(proc(images=images, return_tensors="pt"), loaded)
        kwargs = dict(loaded.generate_kwargs or {})
        with torch.inference_mode():
            if encoder_decoder:
                out = loaded.model.generate(pixel_values=batch["pixel_values"], **kwargs)
                return _generated(loaded, out, 1, decoder)
            # BLIP, GIT ...: the sequences start with a prompt (BOS / CLS); count the steps generate ran.
            out = loaded.model.generate(**batch, return_dict_in_generate=True, output_scores=True, **kwargs)
        return _generated(loaded, out.sequences, out.sequences.shape[1] - len(out.scores), decoder)
    return run
