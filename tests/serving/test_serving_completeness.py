"""The rules that make a stream `truncated` (serving/completeness.py), case by case."""

import pytest

from wattprint.serving.completeness import truncation
from wattprint.serving.records import RequestRecord, TokenSource


def _rec(finish, forced=True, tokens=8, source=TokenSource.USAGE, asked=8, chunks=8):
    return RequestRecord(index=0, scheduled_s=0.0, finish_reason=finish, length_forced=forced,
                         output_tokens=tokens, output_token_source=source,
                         requested_output_tokens=asked, chunks=chunks)


@pytest.mark.parametrize("rec,why", [
    (_rec("length"), None),
    (_rec(None, chunks=1), "after 1 content chunk(s) with no finish_reason"),
    (_rec("stop"), "'stop' where 'length' was expected"),
    (_rec("length", tokens=79, asked=80), "79 output tokens where 80 were forced"),
    # counts made here are lower bounds (merged chunks, re-tokenized text): not held against it
    (_rec("length", tokens=79, asked=80, source=TokenSource.CHUNKS), None),
    (_rec("length", tokens=79, asked=80, source=TokenSource.TOKENIZER), None),
    # not forced: the model may stop on its own; an engine-side cut is still a truncation
    (_rec("stop", forced=False, tokens=3), None),
    (_rec("eos_token", forced=False, tokens=3), None),
    (_rec("abort", forced=False, tokens=3), "finish_reason 'abort'"),
    (_rec(None, forced=False), "no finish_reason"),
])
def test_truncation_rules(rec, why):
    got = truncation(rec)
    assert (got is None) == (why is None) and (why is None or why in got), got
