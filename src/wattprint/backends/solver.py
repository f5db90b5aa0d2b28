"""Solve exact-answer tasks with a causal LM, in several calls, every one of them measured.

One solve of an item (one inference, as the harness counts) is:

1. **reason**: the question, asked to be worked out briefly (``reasoning_tokens`` at most);
2. **answer**: the same conversation, asked for the number only (``answer_tokens`` at most);
3. **retry**, when no number came out: the question asked directly for the number (one call),
   up to ``max_attempts`` attempts in all.

All calls run inside the harness's measured window, so the energy per solved item charges
every call, retry and token; the prediction reports the calls made and the tokens generated
over all of them. An instruction-tuned model is prompted through its chat template; a base
model gets plain ``Question: … Answer:`` prompts. Greedy decoding throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from wattprint.backends import hf_runners
from wattprint.backends.base import Backend, ModelInfo
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.transformers import TransformersBackend
from wattprint.errors import BackendError, ConfigError
from wattprint.tasks.arithmetic import TASK_ID as ARITHMETIC
from wattprint.tasks.arithmetic import parse_number
from wattprint.tasks.base import Example, Prediction

SOLVER_TASKS: tuple[str, ...] = (ARITHMETIC,)
"""Tasks this backend runs (exact-answer generative tasks)."""


def solver_claims(task_id: str, ref: ModelRef) -> bool:
    """The solver runs any model but a Python callable on an exact-answer task (its
    :func:`~wattprint.backends.registry.register_backend` predicate)."""
    return ref.kind != "callable" and task_id in SOLVER_TASKS

REASON = "{question}\nWork it out briefly, step by step."
ANSWER = "So what is the answer? Reply with the number only."
DIRECT = "{question}\nReply with the number only."

Turn = tuple[str, str]   # (role, text)


class SolverBackend(Backend):
    """A causal LM solving exact-answer items in measured multi-call attempts.

    Args:
        task_id: One of :data:`SOLVER_TASKS`.
        model: Hub id (``wattprint-zoo/…`` included), local folder or zoo reference of a causal LM.
        device, dtype, revision, cache_dir, local_files_only, trust_remote_code: As for
            :class:`~wattprint.backends.transformers.TransformersBackend`.
        batch_size: Must be 1 (an attempt's calls depend on each other).
        generation: Ignored keys are refused; use ``reasoning_tokens`` / ``answer_tokens``.
        mode: ``task-specific`` only.
        max_attempts: Attempts per item (the first reasons then answers; later ones ask directly).
        reasoning_tokens: Most tokens of the reasoning call.
        answer_tokens: Most tokens of an answer call.
    """

    def __init__(self, task_id: str, model: str, *, device: str = "cpu", dtype: str | None = None,
                 batch_size: int = 1, revision: str | None = None,
                 generation: dict[str, Any] | None = None, mode: str = "task-specific",
                 max_attempts: int = 2, reasoning_tokens: int = 24, answer_tokens: int = 6,
                 cache_dir: Path | None = None, local_files_only: bool | None = None,
                 trust_remote_code: bool = False) -> None:
        if task_id not in SOLVER_TASKS:
            raise ConfigError(f"the solver backend runs {', '.join(SOLVER_TASKS)}, not {task_id!r}")
        if batch_size != 1:
            raise ConfigError("the solver backend runs batch size 1 (an attempt's calls depend on "
                              "each other)")
        if mode != "task-specific" or generation:
            raise ConfigError(f"{task_id}: set reasoning_tokens / answer_tokens / max_attempts "
                              "under settings (no mode, no generation settings)")
        self.task_id, self.max_attempts = task_id, max_attempts
        self.reasoning_tokens, self.answer_tokens = reasoning_tokens, answer_tokens
        self.inner = TransformersBackend(
            "text-generation", model, device=device, dtype=dtype, revision=revision,
            cache_dir=cache_dir, local_files_only=local_files_only,
            trust_remote_code=trust_remote_code,
            generation={"max_new_tokens": reasoning_tokens, "fixed_length": False})
        self._reason: Callable[[Sequence[Example]], list[Prediction]] | None = None
        self._answer: Callable[[Sequence[Example]], list[Prediction]] | None = None
        self._chat = False

    def check(self) -> str:
        """That the model is a causal LM (no weights loaded)."""
        return self.inner.check()

    def load(self) -> ModelInfo:
        """Load the model and make the reasoning and answer calls."""
        info = self.inner.load()
        loaded = self.inner.loaded
        tok = loaded.tokenizer
        self._chat = bool(getattr(tok, "chat_template", None))
        greedy = {"do_sample": False}
        self._reason = hf_runners.text_to_text(
            replace(loaded, generate_kwargs={**greedy, "max_new_tokens": self.reasoning_tokens}),
            self._render)
        self._answer = hf_runners.text_to_text(
            replace(loaded, generate_kwargs={**greedy, "max_new_tokens": self.answer_tokens}),
            self._render)
        extra = {**info.extra, "task": self.task_id, "prompt_format":
                 "chat template" if self._chat else "plain",
                 "solver": {"max_attempts": self.max_attempts,
                            "reasoning_tokens": self.reasoning_tokens,
                            "answer_tokens": self.answer_tokens}}
        extra.pop("generation", None)
        return replace(info, extra=extra)

    def _render(self, examples: Sequence[Example]) -> list[str]:
        """Each example's ``inputs`` is a conversation (a list of turns) to render as a prompt."""
        out = []
        for ex in examples:
            turns: list[Turn] = ex.inputs
            if self._chat:
                tok = self.inner.loaded.tokenizer
                out.append(tok.apply_chat_template([{"role": r, "content": t} for r, t in turns],
                                                   tokenize=False, add_generation_prompt=True))
            else:
                out.append("".join(("Question: " if r == "user" else "Answer: ") + t + "\n"
                                   for r, t in turns) + "Answer:")
        return out

    def infer(self, example: Example) -> Prediction:
        """Solve one item: reason, answer, retry if no number came out."""
        if self._reason is None or self._answer is None:
            raise BackendError("SolverBackend.infer called before load()")
        question = str(example.inputs)
        calls = tokens_out = tokens_in = 0
        answer: int | None = None
        for attempt in range(self.max_attempts):
            if attempt == 0:
                first: list[Turn] = [("user", REASON.format(question=question))]
                (r,) = self._reason([Example(first)])
                convo = first + [("assistant", str(r.output)), ("user", ANSWER)]
                calls, tokens_out = calls + 1, tokens_out + (r.output_tokens or 0)
                tokens_in += r.input_tokens or 0
            else:
                convo = [("user", DIRECT.format(question=question))]
            (a,) = self._answer([Example(convo)])
            calls, tokens_out = calls + 1, tokens_out + (a.output_tokens or 0)
            tokens_in += a.input_tokens or 0
            answer = parse_number(str(a.output))
            if answer is not None:
                break
        return Prediction(output={"answer": answer, "calls": calls}, output_tokens=tokens_out,
                          input_tokens=tokens_in, work_units=1.0)

    def sync(self) -> None:
        """Wait for the model's device."""
        self.inner.sync()

    def unload(self) -> None:
        """Free the model. Idempotent."""
        self.inner.unload()
        self._reason = self._answer = None
