"""The windows split in a worker process (as ``wattprint proxy`` does): the same shares as in a
thread for the same inputs, the worker below the proxy's priority, and requests attributed
through it end to end."""

import os
import random

import numpy as np
import pytest
from proxy_helpers import chat, fetch, proxy, wait_final
from serving_fakes import MODEL, fake_server

from wattprint.meters.base import Provenance
from wattprint.serving.proxy.relay import ID_HEADER
from wattprint.serving.proxy.service import WINDOW_NICE, _window_processes
from wattprint.serving.proxy.sliding import split_window
from wattprint.serving.records import RequestRecord, Status, TokenSource


def _records(n=60, seed=3):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sent = rng.uniform(0.0, 3.5)
        gap = rng.uniform(0.01, 0.05)
        first = sent + rng.uniform(0.02, 0.2)
        toks = [first + k * gap for k in range(rng.randint(2, 20))]
        r = RequestRecord(index=i, scheduled_s=sent, sent_s=sent, first_token_s=toks[0],
                          token_times_s=toks, end_s=toks[-1] + 0.001, status=Status.OK,
                          input_tokens=rng.randint(10, 400), output_tokens=len(toks),
                          input_token_source=TokenSource.USAGE,
                          output_token_source=TokenSource.USAGE)
        out.append(r)
    return out


def test_a_window_split_in_the_process_is_the_one_split_in_a_thread():
    records = _records()
    ts = np.linspace(2.0, 4.0, 41)
    es = np.cumsum(np.r_[0.0, np.full(40, 3.0) + np.sin(np.arange(40))])
    kw = {"idle_power_w": 20.0, "basis_provenance": Provenance.MEASURED,
          "basis_domains": ("package-0",), "seed": 7}
    here = split_window(records, ts, es, **kw)
    prior = [here.rows]
    here2 = split_window(records, ts, es, prior_rows=prior, **kw)
    with _window_processes() as procs:
        there = procs.submit(split_window, records, ts, es, **kw).result()
        there2 = procs.submit(split_window, records, ts, es, prior_rows=prior, **kw).result()
    assert here.shares and here.shares == there.shares
    assert (here.phase, here.weights, here.residual, here.flags) == \
        (there.phase, there.weights, there.residual, there.flags)
    assert here2.shares == there2.shares and here2.weights == there2.weights


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice() here")
def test_the_window_process_runs_below_the_proxy():
    with _window_processes() as procs:
        theirs = procs.submit(os.nice, 0).result()
    assert theirs == min(os.nice(0) + WINDOW_NICE, 19)


def test_requests_are_attributed_through_the_window_process(tmp_path):
    with fake_server("vllm") as (url, _), proxy(url, tmp_path, window_process=True) as p:
        rids = [fetch("POST", p.url + "/v1/chat/completions", chat(MODEL, 6))[1][ID_HEADER]
                for _ in range(3)]
        recs = wait_final(p, rids)
        used = p.service._procs is not None
    assert used
    assert all(r["state"] == "final" and r["attributed"]["windows"] >= 1 for r in recs), recs
