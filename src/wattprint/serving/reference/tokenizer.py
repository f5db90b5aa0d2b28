"""A tokenizer folder that counts tokens exactly as the reference engine does (whitespace
words), loadable by ``transformers.AutoTokenizer`` (``--tokenizer DIR``), so that the
tokenizer path of the client is exercised against an engine that reports no usage.

Written by hand as JSON: a ``WordLevel`` model whose only entry is the unknown token, after a
``WhitespaceSplit`` pre-tokenizer, so every word is one token.
"""

from __future__ import annotations

import json
from pathlib import Path

UNK = "[UNK]"


def write_tokenizer(folder: str | Path) -> Path:
    """Write ``tokenizer.json`` and ``tokenizer_config.json`` into ``folder``; returns it."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    spec = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 0, "content": UNK, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": {UNK: 0}, "unk_token": UNK},
    }
    (d / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    (d / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": UNK,
         "model_max_length": 1_000_000}), encoding="utf-8")
    return d
