"""Placing a whole (non-streamed) answer's tokens at the engine steps seen in the streams beside
it (:func:`wattprint.serving.proxy.steps.place_at_steps`), on made-up timelines whose true
steps are known."""

import pytest

from wattprint.serving.proxy.steps import (
    InFlight,
    SeenSteps,
    StepTimes,
    place_at_steps,
    same_step_s,
)
from wattprint.serving.records import RequestRecord


def _whole(sent, end, tokens):
    r = RequestRecord(index=0, scheduled_s=sent, sent_s=sent, end_s=end, output_tokens=tokens)
    r.token_times_s = [end]
    return r


# A batched engine: decode steps of 0.03 s, and at 1.0 s another request's prefill makes a
# 0.15 s step. A stream decodes from 0.3 s to the end; the whole answer is sent at 0.5 s,
# admitted at the next step boundary and ends with the stream's last step.
BOUNDARIES = [0.3 + 0.03 * k for k in range(24)]                 # 0.30 ... 0.99
BOUNDARIES += [BOUNDARIES[-1] + 0.15 + 0.03 * k for k in range(12)]
STREAM = (0.1, BOUNDARIES)
END = BOUNDARIES[-1]


def test_tokens_go_to_the_steps_the_stream_shows_long_steps_included():
    admitted = next(b for b in BOUNDARIES if b > 0.5)
    first = BOUNDARIES[BOUNDARIES.index(admitted) + 1]           # its prefill step's end
    n = len(BOUNDARIES) - BOUNDARIES.index(first)
    rec = _whole(0.5, END, n)
    assert place_at_steps(rec, SeenSteps.of([STREAM], same_step_s(0.03)), 0.03)
    assert rec.token_times_s == pytest.approx(BOUNDARIES[-n:])
    assert rec.first_token_s == pytest.approx(first)
    # at the pace alone the long step would count as one decode step: the first token late
    paced_first = END - (n - 1) * 0.03
    assert paced_first > first + 0.1


def test_a_step_no_stream_shows_is_paced():
    # the stream ends at 0.99; the whole answer goes on alone for 5 steps of 0.03 s
    stream = (0.1, BOUNDARIES[:24])
    end = BOUNDARIES[23] + 5 * 0.03
    rec = _whole(0.8, end, 10)
    assert place_at_steps(rec, SeenSteps.of([stream], same_step_s(0.03)), 0.03)
    # 1.14 ... 0.99 at the pace, then the stream's steps
    assert rec.token_times_s == pytest.approx(
        [0.87, 0.90, 0.93, 0.96, 0.99, 1.02, 1.05, 1.08, 1.11, 1.14])


def test_unseen_steps_that_do_not_fit_at_the_pace_were_faster():
    # alone after the stream, the engine stepped every 0.02 s, not at the streams' 0.03 s:
    # 12 tokens after the stream's last step, 16 in all, sent just before the stream's 0.93
    stream = (0.1, BOUNDARIES[:24])
    end = BOUNDARIES[23] + 12 * 0.02
    rec = _whole(0.91, end, 16)
    assert place_at_steps(rec, SeenSteps.of([stream], same_step_s(0.03)), 0.03)
    t = rec.token_times_s
    assert len(t) == 16 and t[-1] == end and t == sorted(t)
    alone = [x for x in t if x > BOUNDARIES[23] - 1e-9]
    assert len(alone) == 13
    assert max(b - a for a, b in zip(alone, alone[1:])) < 0.03 - 1e-9
    assert t[0] > rec.sent_s                     # room left for its prefill
    # at the pace they would not fit: the first token would sit at the send
    assert end - 15 * 0.03 < rec.sent_s


def test_more_tokens_than_steps_are_spread_from_the_send():
    # the stream shows every step from the send to the end: 9 of them, for 12 tokens
    rec = _whole(0.505, BOUNDARIES[15], 12)
    assert place_at_steps(rec, SeenSteps.of([STREAM], same_step_s(0.03)), 0.03)
    t = rec.token_times_s
    assert t[-9:] == pytest.approx(BOUNDARIES[7:16])
    assert t[:3] == pytest.approx([0.505 + (0.51 - 0.505) * k / 3 for k in range(3)])


def test_without_a_stream_step_the_record_is_left_as_it_was():
    rec = _whole(0.0, 1.0, 5)
    rec.token_times_s = [0.6, 0.7, 0.8, 0.9, 1.0]
    assert not place_at_steps(rec, SeenSteps.of([]), 0.1)
    assert not place_at_steps(rec, SeenSteps.of([(2.0, [2.1, 2.2])]), 0.1)
    assert rec.token_times_s == [0.6, 0.7, 0.8, 0.9, 1.0]


def test_a_chunk_read_late_does_not_make_a_step_of_its_own():
    # two streams on the same steps; one chunk of the second was read 5 ms late, the next
    # on time: the 25 ms "step" after it is not a step boundary of the engine
    a = [0.0, 0.03, 0.06, 0.09, 0.12]
    b = [0.0, 0.035, 0.06, 0.09, 0.12]
    steps = SeenSteps.of([(None, a), (None, b)], same_step_s(0.03))
    assert steps.start_of(0.06, same_step_s(0.03)) == pytest.approx(0.035)
    rec = _whole(0.0, 0.12, 4)
    assert place_at_steps(rec, steps, 0.03)
    assert rec.token_times_s == pytest.approx([0.035, 0.06, 0.09, 0.12])
    # a chunk read just after the previous one (same step, read apart) is no step either
    c = [0.0, 0.03, 0.031, 0.06]
    assert SeenSteps.of([(None, c)], 0.015).start_of(0.031, 0.015) == pytest.approx(0.0)


# Step times by the requests in flight: stream A runs alone (steps of 0.03 s); then stream B and
# the whole answer W (sent at 0.2 s, queued behind A) share steps of 0.06 s from 0.5 s (both
# first tokens there); B ends at 1.04 s and W goes on alone, at 0.03 s a step again, for 4 more
# tokens.
A = [0.05 + 0.03 * k for k in range(10)]
B = [0.50 + 0.06 * k for k in range(10)]
W = B + [B[-1] + 0.03 * (k + 1) for k in range(4)]
SPANS = [(0.0, A[0], A[-1], True), (0.40, B[0], B[-1], True), (0.20, None, W[-1], False)]


def test_in_flight_counts_requests_and_streams_waiting_for_a_token():
    f = InFlight.of(SPANS)
    assert f.at(0.01) == (1, 1)      # A sent, no token yet
    assert f.at(0.2) == (1, 0)
    assert f.at(0.25) == (2, 0)      # W queued behind A
    assert f.at(0.45) == (2, 1)      # W and B sent; B waits for its first token
    assert f.at(0.7) == (2, 0)
    assert f.at(1.1) == (1, 0)       # W alone
    model = StepTimes.of(SeenSteps.of([(0.0, A), (0.40, B)], 0.015), f, 0.015)
    assert model.step_s((1, 0)) == pytest.approx(0.03)
    assert model.step_s((2, 0)) == pytest.approx(0.06)
    assert model.step_s((3, 0)) == pytest.approx(0.09)   # the line through the two
    assert StepTimes(()).step_s((1, 0)) is None


def test_unseen_steps_are_as_long_as_seen_ones_with_as_many_requests_in_flight():
    f = InFlight.of(SPANS)
    near = SeenSteps.of([(0.40, B)], same_step_s(0.06))
    model = StepTimes.of(SeenSteps.of([(0.0, A), (0.40, B)], 0.03), f, 0.03)
    rec = _whole(0.20, W[-1], len(W))
    assert place_at_steps(rec, near, 0.06, f, model)
    assert rec.token_times_s == pytest.approx(W, abs=1e-9)
    # at the recent pace alone (0.06 s, B's), the 0.12 s W ran alone holds 2 of its 4 tokens
    # and its first token comes before B was even sent
    old = _whole(0.20, W[-1], len(W))
    assert place_at_steps(old, near, 0.06)
    assert sum(t > B[-1] + 0.01 for t in old.token_times_s) == 2
    assert old.token_times_s[0] < 0.40
