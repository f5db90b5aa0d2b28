from wattprint.serving.arrivals import Arrivals, open_loop_offsets
from wattprint.serving.generator import LoadRun
from wattprint.serving.records import RequestRecord, Status
from wattprint.serving.windows import steady_window, validity_flags, whole_window


def _run(kind, recs, **kw):
    a = Arrivals(kind, **kw)
    return LoadRun(a, recs, min(r.scheduled_s for r in recs), max(r.end_s for r in recs), 0.1)


def _r(i, sched, end, ok=True, finish="length", out=8):
    return RequestRecord(index=i, scheduled_s=sched, sent_s=sched + 0.001, end_s=end,
                         status=Status.OK if ok else Status.HTTP_ERROR, finish_reason=finish,
                         output_tokens=out if ok else 0, requested_output_tokens=8)


def test_closed_loop_steady_is_from_full_slots_to_last_send():
    recs = [_r(i, float(i), float(i) + 4.0) for i in range(10)]
    w = steady_window(_run("closed", recs, concurrency=3))
    assert w.start_s == recs[2].sent_s and w.end_s == recs[-1].sent_s


def test_open_loop_steady_is_from_first_completion_to_last_arrival():
    recs = [_r(i, i * 0.5, i * 0.5 + 2.0) for i in range(40)]
    run = _run("poisson", recs, rate_rps=2.0)
    w = steady_window(run)
    assert w.start_s == 2.0 and w.end_s == 19.5
    assert whole_window(run).duration_s == run.ended_s - run.started_s


def test_flags():
    recs = [_r(0, 0.0, 1.0), _r(1, 0.5, 2.0, ok=False), _r(2, 1.0, 3.0, finish="stop", out=3)]
    run = _run("poisson", recs, rate_rps=2.0)
    flags = validity_flags(run, steady_window(run), fixed_length=False, length_forced=False,
                           max_lag_s=0.0001)
    assert {"no_steady_window", "failed_requests", "length_capped", "client_lag"} <= set(flags)
    flags = validity_flags(run, steady_window(run), fixed_length=True, length_forced=False,
                           max_lag_s=1.0)
    assert "length_not_forced" in flags and "client_lag" not in flags


def test_gamma_offsets_have_the_asked_mean_rate():
    offs = open_loop_offsets(4000, 10.0, burstiness=0.5, seed=1)
    assert offs[0] == 0.0 and offs == sorted(offs)
    assert 350 < offs[-1] < 450           # 4000 requests at 10 req/s ≈ 400 s
