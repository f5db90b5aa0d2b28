"""What a request asks, as the engine reads it, and counting its tokens.

A completions request's prompt is its text. A chat request's prompt is its messages, which the
engine renders with the model's chat template before it prefills them (SmolLM2's adds a system
message and role markers: 34 tokens for a 4-token question on llama.cpp's server). Counting a
chat prompt with the tokenizer therefore applies the tokenizer's chat template when it has one;
without one (e.g. the reference engine's word tokenizer) the messages' texts are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from wattprint.errors import ConfigError

__all__ = ["ChatPrompt", "Counter", "Prompt", "TokenCounter", "as_prompt", "count_prompt",
           "prompt_text", "tokenizer_counter"]

Counter = Callable[[str], int]
"""Counts tokens in a text with the model's tokenizer."""


@dataclass(frozen=True)
class ChatPrompt:
    """A chat request's messages, as ``(role, text)`` pairs in order."""

    messages: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """The messages' texts, one per line (what is counted without a chat template)."""
        return "\n".join(text for _, text in self.messages)


Prompt = str | ChatPrompt
"""A completions prompt (text) or a chat prompt (messages)."""


class ChatCounter(Protocol):
    """A :data:`Counter` that can also count a chat prompt as the engine renders it."""

    def __call__(self, text: str) -> int: ...

    def chat(self, messages: Sequence[tuple[str, str]]) -> int | None:
        """Tokens of the rendered messages (generation prompt included); None without a
        chat template."""


def as_prompt(api: str, text: str) -> Prompt:
    """The prompt of a request that sends ``text`` as one user message (``api == "chat"``)
    or as the prompt (completions)."""
    return ChatPrompt((("user", text),)) if api == "chat" else text


def prompt_text(prompt: Prompt) -> str:
    """The prompt's text (a chat prompt's messages, one per line)."""
    return prompt.text if isinstance(prompt, ChatPrompt) else prompt


def count_prompt(count_tokens: Counter, prompt: Prompt) -> int:
    """Tokens of ``prompt`` with ``count_tokens``: a chat prompt through the tokenizer's chat
    template when the counter has one (:class:`ChatCounter`), else its text."""
    if isinstance(prompt, ChatPrompt):
        chat = getattr(count_tokens, "chat", None)
        n = chat(prompt.messages) if chat is not None else None
        return n if n is not None else count_tokens(prompt.text)
    return count_tokens(prompt)


class TokenCounter:
    """A model's tokenizer as a :data:`Counter` that also counts chat prompts
    (:class:`ChatCounter`)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> int:
        """Tokens of ``text`` (no special tokens added)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def chat(self, messages: Sequence[tuple[str, str]]) -> int | None:
        """Tokens of ``messages`` rendered by the tokenizer's chat template with the generation
        prompt, as an engine renders them; None without a template or when it fails."""
        if not getattr(self.tokenizer, "chat_template", None):
            return None
        try:
            ids = self.tokenizer.apply_chat_template(
                [{"role": role, "content": text} for role, text in messages],
                add_generation_prompt=True, tokenize=True)
        except Exception:  # a template that refuses these roles: count the texts instead
            return None
        if isinstance(ids, list):
            return len(ids)
        return len(ids["input_ids"])


def tokenizer_counter(path: str | None, model: str | None = None) -> TokenCounter | None:
    """The tokenizer at ``path`` (a model folder or a GGUF file; an error when it cannot be
    loaded); without one, the served model's own tokenizer when ``model`` names a local folder
    holding one (as ``transformers serve MODEL_DIR`` serves it) or a GGUF file (as llama.cpp's
    servers serve it: the tokenizer is inside the file), else None."""
    if path is None:
        found = Path(model) if model else None
        if found is None or not (_is_gguf(found) or found.is_dir() and any(
                (found / f).exists() for f in ("tokenizer.json", "tokenizer_config.json"))):
            return None
        try:
            return tokenizer_counter(str(found))
        except ConfigError:
            return None
    try:
        from transformers import AutoTokenizer

        file = Path(path)
        tok = (AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name)
               if _is_gguf(file) else AutoTokenizer.from_pretrained(path))
    except Exception as err:  # missing files, no transformers or gguf: say which
        raise ConfigError(f"--tokenizer {path}: cannot load a tokenizer ({err})") from None
    return TokenCounter(tok)


def _is_gguf(path: Path) -> bool:
    return path.suffix.lower() == ".gguf" and path.is_file()
