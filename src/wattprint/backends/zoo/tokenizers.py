"""Tokenizers trained here, in about a second, on the project's own generated text.

Each flavour copies the shape of the real model family's tokenizer (special tokens, template,
pre-tokenizer), so inputs are framed the way the real models frame them; only the vocabulary is
small (a few thousand entries) because the training text is small.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from wattprint.backends.zoo.corpus import generate_corpus
from wattprint.errors import ConfigError

FLAVOURS: tuple[str, ...] = ("wordpiece-uncased", "wordpiece-cased", "gpt2", "bart", "bloom", "t5", "clip")
"""Tokenizer flavours: BERT/DistilBERT WordPiece, GPT-2/BART/BLOOM/CLIP byte-level BPE, T5 Unigram."""


@lru_cache(maxsize=None)
def _texts() -> tuple[str, ...]:
    return tuple(generate_corpus())


def train_tokenizer(flavour: str, vocab_size: int = 4000, model_max_length: int = 512) -> Any:
    """Train a tokenizer of one flavour and wrap it as a transformers fast tokenizer.

    Args:
        flavour: One of :data:`FLAVOURS`.
        vocab_size: Upper bound of the vocabulary (the small corpus may give fewer entries).
        model_max_length: Longest input in tokens the tokenizer will emit with truncation.

    Returns:
        A ``transformers.PreTrainedTokenizerFast``.
    """
    if flavour not in FLAVOURS:
        raise ConfigError(f"unknown tokenizer flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
    return copy.deepcopy(_train(flavour, vocab_size, model_max_length))   # callers may change their copy


@lru_cache(maxsize=None)
def _train(flavour: str, vocab_size: int, model_max_length: int) -> Any:
    # Trained once per process and flavour; train_tokenizer hands out copies.
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    texts = _texts()
    if flavour.startswith("wordpiece"):
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=flavour.endswith("uncased"))
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        tok.decoder = decoders.WordPiece()
        return PreTrainedTokenizerFast(
            tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
            mask_token="[MASK]", model_max_length=model_max_length)
    if flavour == "t5":
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        tok.train_from_iterator(texts, trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"))
        eos = tok.token_to_id("</s>")
        tok.post_processor = processors.TemplateProcessing(
            single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", eos)])
        return PreTrainedTokenizerFast(
            tokenizer_object=tok, eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
            model_max_length=model_max_length, model_input_names=["input_ids", "attention_mask"])
    # Byte-level BPE families.
    specials = {
        "gpt2": ["<|endoftext|>"],
        "bart": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        "bloom": ["<unk>", "<s>", "</s>", "<pad>"],
        "clip": ["<|startoftext|>", "<|endoftext|>"],
    }[flavour]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    common: dict[str, Any] = {"model_max_length": model_max_length,
                              "model_input_names": ["input_ids", "attention_mask"]}
    if flavour == "gpt2":
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                       unk_token="<|endoftext|>", pad_token="<|endoftext|>", **common)
    if flavour == "bart":
        bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                       pad_token="<pad>", mask_token="<mask>", **common)
    if flavour == "bloom":
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                       pad_token="<pad>", padding_side="left", **common)
    sot, eot = tok.token_to_id("<|startoftext|>"), tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|startoftext|> $A <|endoftext|>", special_tokens=[("<|startoftext|>", sot), ("<|endoftext|>", eot)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                                   unk_token="<|endoftext|>", pad_token="<|endoftext|>", **common)
