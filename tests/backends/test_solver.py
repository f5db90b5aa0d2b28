"""The solver backend: a causal LM solving exact-answer items in measured multi-call attempts
(a tiny random GPT-2 of the zoo: it never gives a number, so every retry is taken)."""

import pytest

from wattprint.backends.loader import load_backend
from wattprint.backends.zoo import build
from wattprint.errors import ConfigError
from wattprint.tasks.base import Example


def test_a_solve_counts_every_call_retry_and_token(zoo_cache):
    folder = build("distilgpt2", "tiny", zoo_cache)
    backend = load_backend("arithmetic", str(folder), max_attempts=2, reasoning_tokens=5,
                           answer_tokens=3)
    info = backend.load()
    assert info.weights == "random" and info.extra["solver"]["max_attempts"] == 2
    pred = backend.infer(Example("Ann has 2 apples and gets 3 more. How many apples?",
                                 reference=5))
    out = pred.output
    # reason + answer (2 calls), plus one direct retry when the first answer had no number
    assert out["calls"] in (2, 3)
    if out["answer"] is None:
        assert out["calls"] == 3
    assert 0 < pred.output_tokens <= 5 + 3 * (out["calls"] - 1)
    assert pred.work_units == 1.0
    backend.unload()


def test_solver_refuses_batches_and_generation_settings(zoo_cache):
    folder = str(build("distilgpt2", "tiny", zoo_cache))
    with pytest.raises(ConfigError, match="batch size 1"):
        load_backend("arithmetic", folder, batch_size=4)
    with pytest.raises(ConfigError, match="reasoning_tokens"):
        load_backend("arithmetic", folder, generation={"max_new_tokens": 3})
