"""Prompts for the load: built-in offline text, a JSONL file, or a Hugging Face dataset.

Each request gets a prompt text and a target output length. Input lengths are targets: the
built-in source pads or cuts its text to about the target in words and, given a tokenizer, in
tokens; the tokens actually sent are what the server's ``usage`` (or the tokenizer) reports.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import ConfigError, decode_utf8
from wattprint.serving.lengths import LengthSpec


@dataclass(frozen=True)
class RequestSpec:
    """One request to send.

    Attributes:
        prompt: The user message (chat) or prompt (completions).
        max_tokens: Output length asked for, tokens.
        offset_s: Arrival offset from the start of the load point, seconds (trace replay and
            open-loop schedules); None for closed-loop sending.
    """

    prompt: str
    max_tokens: int
    offset_s: float | None = None


def builtin_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` offline passages from wattprint's procedural corpus (no download)."""
    from wattprint.tasks.builtin.texts import make_passage

    rng = random.Random(seed)
    return [make_passage(rng)["text"] for _ in range(n)]


def fit_length(text: str, filler: str, target_tokens: int,
               count_tokens: Callable[[str], int] | None) -> str:
    """Cut or extend ``text`` (with words of ``filler``) to about ``target_tokens``.

    Without a tokenizer one word stands for one token (engines report the real count).
    """
    words = text.split()
    pool = filler.split() or ["the"]
    while len(words) < target_tokens:
        words += pool[: target_tokens - len(words)]
    words = words[:target_tokens]
    if count_tokens is None:
        return " ".join(words)
    while len(words) > 1 and count_tokens(" ".join(words)) > target_tokens:
        words = words[:-1]
    return " ".join(words)


def read_jsonl(path: str | Path) -> list[tuple[str, int | None]]:
    """Prompts from a JSONL file: one object a line with ``prompt`` (or ``text``) and an
    optional ``max_tokens``.

    Raises:
        ConfigError: naming the file, line and field.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"--prompts {p}: cannot read ({err.strerror})") from None
    lines = decode_utf8(data, f"--prompts {p}").splitlines()
    out: list[tuple[str, int | None]] = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{p}:{i}: not JSON ({err.msg})") from None
        text = obj.get("prompt", obj.get("text")) if isinstance(obj, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{p}:{i}: needs a non-empty string field 'prompt' (or 'text')")
        mt = obj.get("max_tokens")
        if mt is not None and (not isinstance(mt, int) or mt < 1):
            raise ConfigError(f"{p}:{i}: field 'max_tokens' must be a positive integer, got {mt!r}")
        out.append((text, mt))
    if not out:
        raise ConfigError(f"{p}: no prompts (expected one JSON object a line)")
    return out


def hub_texts(spec: str, n: int) -> list[str]:
    """Texts from a Hugging Face dataset ``hf:NAME[:SPLIT[:COLUMN]]`` (needs the network).

    Raises:
        ConfigError: the ``datasets`` package is missing or the dataset cannot be loaded.
    """
    name, _, rest = spec[3:].partition(":")
    split, _, column = rest.partition(":")
    try:
        import datasets
    except ImportError:
        raise ConfigError("--prompts hf:...: install the 'hub' extra (pip install "
                          "'wattprint[hub]')") from None
    try:
        ds = datasets.load_dataset(name, split=split or "train", streaming=True)
        col = column or "text"
        texts = []
        for row in ds:
            if col not in row:
                raise ConfigError(f"--prompts {spec}: no column {col!r}; columns: {sorted(row)}")
            texts.append(str(row[col]))
            if len(texts) >= n:
                break
    except ConfigError:
        raise
    except Exception as err:  # network, missing dataset: one clear message
        raise ConfigError(f"--prompts {spec}: cannot load the dataset ({err})") from None
    if not texts:
        raise ConfigError(f"--prompts {spec}: the dataset has no rows")
    return texts


def build_requests(n: int, *, source: str = "builtin", input_len: LengthSpec | None,
                   output_len: LengthSpec, seed: int = 0,
                   count_tokens: Callable[[str], int] | None = None) -> list[RequestSpec]:
    """``n`` requests from a prompt source.

    Args:
        n: Number of requests.
        source: ``builtin``, a JSONL path, or ``hf:NAME[:SPLIT[:COLUMN]]``.
        input_len: Target input length (tokens); None keeps the texts as they are.
        output_len: Output length (tokens); a JSONL line's ``max_tokens`` overrides it.
        seed: Seed for sampled lengths and the built-in corpus.
        count_tokens: Tokenizer counter, to fit inputs in tokens rather than words.
    """
    rng = random.Random(seed)
    if source == "builtin":
        items: list[tuple[str, int | None]] = [(t, None) for t in builtin_texts(n, seed)]
    elif source.startswith("hf:"):
        items = [(t, None) for t in hub_texts(source, n)]
    else:
        items = read_jsonl(source)
    filler = " ".join(t for t, _ in items[:8])
    out = []
    for i in range(n):
        text, mt = items[i % len(items)]
        if input_len is not None:
            text = fit_length(text, filler, input_len.draw(rng), count_tokens)
        out.append(RequestSpec(text, mt if mt is not None else output_len.draw(rng)))
    return out
