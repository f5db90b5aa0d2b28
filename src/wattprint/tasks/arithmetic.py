"""A generative task graded by an exact answer: arithmetic word problems (built in, CC0).

The model must *solve* each item: read a one- or two-step word problem, work it out and give a
whole number. An item counts as solved when the number it finally gives equals the answer.
Solving may take several model calls (a reasoning step, an answer step, retries when no
number came out: :mod:`wattprint.backends.solver`); every call, retry and generated token is
inside the measured window, so the energy per solved item
(:mod:`wattprint.analysis.correct`) charges all of them. A model that solves nothing has no
finite energy per solved item.

Records: ``question`` and ``answer`` (an integer). The built-in source ``builtin`` (alias
``builtin:word-problems``) draws problems from a seeded generator; every problem and its answer
is generated, so the inputs are CC0 and the answers certain.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.tasks.base import Example, Prediction, Task
from wattprint.tasks.fields import require_text

TASK_ID = "arithmetic"

_NAMES = ("Ann", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon")
_THINGS = ("apples", "books", "coins", "pencils", "stamps", "marbles", "cards", "shells")
_NUMBER = re.compile(r"-?\d+")


def make_problem(rng: random.Random) -> dict[str, Any]:
    """One word problem with its answer: one step (add or take away) or two steps."""
    name, thing = rng.choice(_NAMES), rng.choice(_THINGS)
    a, b = rng.randint(2, 20), rng.randint(1, 12)
    kind = rng.randrange(4)
    if kind == 0:
        q, ans = f"{name} has {a} {thing} and gets {b} more. How many {thing} does {name} have now?", a + b
    elif kind == 1:
        a = a + b
        q, ans = f"{name} has {a} {thing} and gives away {b}. How many {thing} are left?", a - b
    elif kind == 2:
        q, ans = (f"{name} has {a} boxes with {b} {thing} in each box. How many {thing} are there "
                  "in all?", a * b)
    else:
        c = rng.randint(1, a + b)
        q, ans = (f"{name} has {a} {thing}, buys {b} more and then gives away {c}. How many {thing} "
                  f"does {name} have now?", a + b - c)
    return {"question": q, "answer": ans}


def parse_number(text: str) -> int | None:
    """The last whole number in ``text`` (the conclusion of a worked answer), or None."""
    found = _NUMBER.findall(text.replace(",", ""))
    return int(found[-1]) if found else None


class Arithmetic(Task):
    """Arithmetic word problems graded by exact answer; a prediction is a solve attempt.

    A prediction's ``output`` is ``{"answer": int | None, "calls": int}`` (the number the
    model finally gave, and how many model calls the attempt took), or a plain string / int.
    Quality: ``exact_match`` (share solved), plus ``calls_per_item``.
    """

    id = TASK_ID
    work_unit = "sample"
    modality = "text-to-text"
    recipe = "a word problem in, a whole number out (exact match); every call of a solve counts"
    record_fields = ("question", "answer")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The question as input and the integer answer as reference."""
        question = require_text(record, "question", self.id)
        answer = record.get("answer")
        ref = None if answer is None else int(str(answer).strip())
        return Example(inputs=question, reference=ref)

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Share of items solved (``exact_match``) and model calls per item."""
        pairs = [(p, e.reference) for p, e in zip(predictions, examples, strict=True)
                 if e.reference is not None]
        if not pairs:
            return {}
        solved, calls = 0, 0.0
        for p, ref in pairs:
            out = p.output
            if isinstance(out, Mapping):
                calls += float(out.get("calls", 1))
                got = out.get("answer")
            else:
                calls += 1.0
                got = out if isinstance(out, int) else parse_number(str(out))
            solved += int(got is not None and int(got) == int(ref))
        return {"exact_match": solved / len(pairs), "calls_per_item": calls / len(pairs),
                "n_scored": float(len(pairs))}
