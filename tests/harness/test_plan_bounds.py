"""Settings refuse numbers no job could use: nan/inf anywhere, idle or time limit over 7 days,
more warm-up inferences than the largest window (issue 10, item 4)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wattprint.harness.plan import MAX_SECONDS, MAX_WARMUP, JobSettings, Settings


@pytest.mark.parametrize("field, value", [
    ("idle_s", float("inf")), ("idle_s", float("nan")), ("idle_s", MAX_SECONDS * 2),
    ("timeout_s", float("inf")), ("timeout_s", MAX_SECONDS + 1),
    ("warmup", MAX_WARMUP + 1),
])
def test_a_layer_refuses_unusable_numbers(field: str, value: float) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})
    with pytest.raises(ValidationError):
        JobSettings(**{field: value})


def test_the_bounds_themselves_are_accepted() -> None:
    s = JobSettings(idle_s=MAX_SECONDS, timeout_s=MAX_SECONDS, warmup=MAX_WARMUP)
    assert (s.idle_s, s.timeout_s, s.warmup) == (MAX_SECONDS, MAX_SECONDS, MAX_WARMUP)
