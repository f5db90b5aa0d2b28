import pytest

from wattprint.serving.engine_report import EnginePhaseTotals
from wattprint.serving.phases import (
    FITTED,
    build_phases,
    extend_unread,
    fit_prefill_to_engine,
    resolve_prompt_tokens,
    same_step_tolerance_s,
    worst_prompt_source,
)
from wattprint.serving.records import EngineTimings, RequestRecord, Status, TokenSource


def _r(i, sent, times, *, ok=True, inp=10, out=None, timings=None, src=TokenSource.USAGE):
    return RequestRecord(index=i, scheduled_s=sent, sent_s=sent,
                         first_token_s=times[0] if times else None, token_times_s=list(times),
                         end_s=times[-1] if times else sent + 1.0,
                         status=Status.OK if ok else Status.TIMEOUT,
                         input_tokens=inp, input_token_source=src if inp is not None
                         else TokenSource.NONE,
                         output_tokens=(out if out is not None else len(times)) if ok else 0,
                         chunks=len(times), engine_timings=timings)


def test_serial_engine_prefill_starts_when_the_previous_stream_ends():
    # B is sent at 0.2 while A decodes until 1.0; B's first token comes at 1.3
    a = _r(0, 0.0, [0.3, 0.5, 0.7, 0.9, 1.0])
    b = _r(1, 0.2, [1.3, 1.5, 1.7])
    pa, pb = build_phases([a, b])
    assert pa.prefill_start_s == 0.0 and pa.queued_s == 0.0 and pa.prefill_s == pytest.approx(0.3)
    assert pb.prefill_start_s == 1.0 and pb.queued_s == pytest.approx(0.8)
    assert pb.prefill_s == pytest.approx(0.3) and pb.decode_s == pytest.approx(0.4)
    assert pb.decode_tokens == 2 and pb.source == "step-boundary"


def test_batched_engine_tokens_of_the_same_step_do_not_count_as_its_start():
    # A decodes in 20 ms steps; C's first token comes with A's token at 1.000 (A's arrived
    # 2 ms earlier at the client): C's prefill step began at A's previous token, 0.980
    a = _r(0, 0.0, [round(0.1 + 0.02 * k, 3) for k in range(45)] + [0.998, 1.02])
    c = _r(1, 0.5, [1.000, 1.02])
    assert same_step_tolerance_s([a, c]) == pytest.approx(0.01)
    pc = build_phases([a, c])[1]
    assert pc.prefill_start_s == pytest.approx(0.98) and pc.queued_s == pytest.approx(0.48)


def test_engine_timings_give_the_prompt_time_and_the_send_bounds_it():
    t = EngineTimings(prompt_n=120, prompt_ms=250.0, predicted_n=3, predicted_ms=40.0)
    p = build_phases([_r(0, 0.0, [1.0, 1.02, 1.04], timings=t)])[0]
    assert p.prefill_start_s == pytest.approx(0.75) and p.source == "engine-timings"
    late = EngineTimings(prompt_ms=5000.0)
    assert build_phases([_r(0, 0.4, [1.0], timings=late)])[0].prefill_start_s == 0.4


def test_a_request_without_a_token_did_no_visible_work():
    p = build_phases([_r(0, 0.0, [0.2, 0.4]), _r(1, 0.1, [], ok=False)])[1]
    assert p.prefill_start_s is None and p.prefill_s == 0.0 and p.decode_tokens == 0
    assert p.queued_s == pytest.approx(1.0) and p.source == "none"


def test_failed_request_decodes_its_chunks_ok_request_its_counted_tokens():
    ok, cut = build_phases([_r(0, 0.0, [0.1, 0.2, 0.3], out=7), _r(1, 0.0, [0.1, 0.2], ok=False)])
    assert ok.decode_tokens == 6 and cut.decode_tokens == 1


def test_a_truncated_request_decodes_its_counted_tokens():
    # a stream cut short (no finish_reason) still did its work: usage counted 5 tokens in 3 chunks
    cut = _r(0, 0.0, [0.1, 0.2, 0.3], out=5)
    cut.status = Status.TRUNCATED
    p = build_phases([cut])[0]
    assert p.status == "truncated" and p.decode_tokens == 4 and p.prefill_start_s == 0.0
    assert cut.tokens_read == 5


def test_prompt_tokens_come_from_the_best_source_and_never_silently_zero():
    recs = [_r(0, 0.0, [0.1], inp=12),                                       # usage
            _r(1, 0.0, [0.2], inp=None),                                     # tokenizer
            _r(2, 0.0, [0.3], inp=None, ok=False)]                           # tokenizer too
    prompts = {0: "a b c", 1: "a b c d", 2: "x y"}
    got = resolve_prompt_tokens(recs, prompts, lambda s: 2 * len(s.split()), None)
    assert got == {0: (12.0, "usage"), 1: (8.0, "tokenizer"), 2: (4.0, "tokenizer")}
    # no tokenizer: the engine's counter over the point, less what is known, shared by words
    eng = EnginePhaseTotals("x", None, None, None, 3, 42, None)
    got = resolve_prompt_tokens(recs, prompts, None, eng)
    assert got[1] == (pytest.approx(30 * 4 / 6), "engine-total") and got[2][1] == "engine-total"
    # nothing: the prompt's words, as a proxy, said so
    got = resolve_prompt_tokens(recs, prompts, None, None)
    assert got[1] == (4.0, "words")
    assert resolve_prompt_tokens(recs, {0: "a"}, None, None)[1] == (None, "none")
    phases = build_phases(recs, prompt_tokens=got)
    assert [p.prompt_tokens for p in phases] == [12.0, 4.0, 2.0]
    assert worst_prompt_source(phases) == "words"


def test_engine_prefill_total_lengthens_the_prefill_of_long_prompts():
    # a 1,000-token prompt chunked over 5 steps (0.1 s each) while A decodes: the step
    # boundary sees its last step only; the engine's histogram says 0.5 s + 0.1 s (A's prefill)
    a = _r(0, 0.0, [round(0.1 * k, 3) for k in range(1, 12)], inp=50)
    long = _r(1, 0.05, [0.7, 0.8, 0.9, 1.0, 1.1], inp=1000)
    raw = build_phases([a, long])
    assert raw[1].prefill_start_s == pytest.approx(0.6)
    fitted = fit_prefill_to_engine(raw, 0.1 + 0.5)
    assert fitted[1].prefill_s == pytest.approx(0.5) and fitted[1].source == FITTED
    assert fitted[0].prefill_s == pytest.approx(0.1) and fitted[0].source == "step-boundary"
    # never before the send; a total the model already reaches changes nothing
    assert fit_prefill_to_engine(raw, 5.0)[1].prefill_start_s == pytest.approx(0.05)
    assert fit_prefill_to_engine(raw, 0.1) == raw


def test_unread_tokens_of_a_request_whose_client_left_are_placed_after_it_left():
    # A's client timed out at 0.5 after 5 of 20 tokens; the engine generated all 20 (its
    # counter says 20 + B's 3), and B, queued behind, started when A really ended (2.0)
    a = _r(0, 0.0, [0.1, 0.2, 0.3, 0.4, 0.5], ok=False)
    a.requested_output_tokens = 20
    b = _r(1, 0.2, [2.1, 2.2, 2.3])
    eng = EnginePhaseTotals("p", None, None, None, 2, None, 23)
    ext = extend_unread([a, b], eng)
    assert ext[0].chunks == 20 and ext[0].token_times_s[-1] == pytest.approx(2.0)
    assert a.chunks == 5                                         # the record itself is kept
    pa, pb = build_phases(ext)
    assert pb.prefill_start_s == pytest.approx(2.0) and pa.decode_tokens == 19
    assert extend_unread([a, b], None) == [a, b]
    assert extend_unread([a, b], EnginePhaseTotals("p", None, None, None, 2, None, 8)) == [a, b]


def test_chunked_prefill_shows_as_long_steps_before_the_first_token():
    # A decodes in 0.05 s steps; L's 1,000-token prompt is prefilled in chunks during three
    # 0.3 s steps (A's tokens at 1.0, 1.3, 1.6, 1.9); L's first token comes at 1.9
    a_times = [round(0.5 + 0.05 * k, 3) for k in range(11)] + [1.3, 1.6, 1.9, 1.95, 2.0]
    a = _r(0, 0.0, a_times)
    long = _r(1, 0.9, [1.9, 1.95, 2.0], inp=1000)
    assert build_phases([a, long])[1].prefill_start_s == pytest.approx(1.0)
    # a step that ends with another request's first token was that one's prefill: not ours
    b = _r(2, 0.9, [1.3, 1.6], inp=100)
    c = _r(3, 0.95, [1.6, 1.65], inp=100)
    pb, pc = build_phases([a, b, c])[1:]
    assert pb.prefill_start_s == pytest.approx(1.0) and pc.prefill_start_s == pytest.approx(1.3)


def test_engine_prefill_total_undoes_a_move_over_someone_elses_long_steps():
    # L (1,000 tokens) is prefilled in chunks over 1.0-1.9; S (60 tokens), sent at 1.2, only
    # in the last step, 1.6-1.9, with L's last chunk. Both first tokens come at 1.9.
    a_times = [round(0.5 + 0.05 * k, 3) for k in range(11)] + [1.3, 1.6, 1.9, 1.95, 2.0]
    a = _r(0, 0.0, a_times, inp=50)
    long = _r(1, 0.9, [1.9, 1.95, 2.0], inp=1000)
    short = _r(2, 1.2, [1.9, 1.95, 2.0], inp=60)
    raw = build_phases([a, long, short])
    assert [round(p.prefill_start_s, 3) for p in raw] == [0.0, 1.0, 1.2]   # S moved too far
    assert [round(p.step_start_s, 3) for p in raw] == [0.0, 1.6, 1.6]
    fitted = fit_prefill_to_engine(raw, 0.5 + 0.9 + 0.3)
    assert [round(p.prefill_s, 3) for p in fitted] == [0.5, 0.9, 0.3]
