import threading
import time

import pytest

from wattprint.meters.sampled import PowerIntegrator, Sampler


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def test_trapezoid_integration():
    clock, power = Clock(0.0), [10.0]
    integ = PowerIntegrator(lambda: power[0], clock)
    clock.t, power[0] = 2.0, 30.0
    integ.sample()            # (10 + 30) / 2 x 2 s = 40 J
    clock.t, power[0] = 3.0, 0.0
    t, e = integ.energy_j()   # + (30 + 0) / 2 x 1 s = 15 J
    assert (t, e) == (3.0, 55.0)
    assert integ.samples == 2


def test_source_error_is_kept_for_the_reader():
    calls = []

    def power():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("sensor gone")
        return 5.0

    integ = PowerIntegrator(power, Clock())
    integ.poll()  # the sampler thread never raises ...
    with pytest.raises(RuntimeError, match="sensor gone"):
        integ.energy_j()  # ... the reader does


class Counting:
    def __init__(self, interval):
        self.poll_interval_s = interval
        self.polls = 0
        self.threads = set()

    def poll(self):
        self.polls += 1
        self.threads.add(threading.get_ident())


def test_one_thread_serves_every_source_and_stops():
    a, b, idle = Counting(0.01), Counting(0.02), Counting(None)
    before = threading.active_count()
    s = Sampler([a, b, idle])
    assert s.needed
    s.start()
    s.start()  # idempotent: still one thread
    assert threading.active_count() == before + 1
    deadline = time.monotonic() + 60   # a loaded machine may schedule the thread late
    while (a.polls < 2 or b.polls < 1) and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    s.stop()
    assert threading.active_count() == before
    assert a.polls >= 2 and b.polls >= 1 and idle.polls == 0
    assert len(a.threads | b.threads) == 1  # the same thread, not a thread per sample
    n = a.polls
    threading.Event().wait(0.05)
    assert a.polls == n  # stopped means stopped


def test_no_thread_when_nothing_needs_polling():
    before = threading.active_count()
    s = Sampler([Counting(None)])
    s.start()
    assert not s.needed and not s.running and threading.active_count() == before
    s.stop()
