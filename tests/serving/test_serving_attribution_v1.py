import pytest

from wattprint.meters.base import Provenance
from wattprint.serving.attribution_v1 import attribute
from wattprint.serving.records import RequestRecord, Status


def _rec(i, sent, first, tokens, ok=True, inp=10, out=None):
    r = RequestRecord(index=i, scheduled_s=sent, sent_s=sent, first_token_s=first,
                      token_times_s=list(tokens), end_s=tokens[-1] if tokens else first,
                      status=Status.OK if ok else Status.DISCONNECTED, input_tokens=inp,
                      output_tokens=(out if out is not None else len(tokens)) if ok else 0)
    return r


def test_shares_plus_idle_and_remainder_sum_to_window():
    ts = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    es = [0.0, 10.0, 25.0, 40.0, 45.0, 50.0]          # J cumulative
    recs = [_rec(0, 0.1, 0.4, [0.4, 0.6, 0.8, 1.0]), _rec(1, 0.9, 1.1, [1.1, 1.3, 1.4])]
    a = attribute(recs, ts, es, idle_power_w=10.0, window_j=50.0,
                  basis_provenance=Provenance.ESTIMATED, basis_domains=("cpu:machine",))
    assert a.provenance is Provenance.ATTRIBUTED
    assert a.attributed_j + a.idle_j + a.unattributed_j == pytest.approx(50.0, rel=1e-9)
    assert a.residual < 1e-9 and a.passed
    # slices after 1.5 s have no work: their dynamic energy stays unattributed
    assert a.unattributed_j == pytest.approx(0.0 + 0.0)  # 5 J in 0.5 s = 10 W = idle only
    assert a.idle_j == pytest.approx(25.0)
    s0, s1 = a.shares
    assert s0.prefill_j > 0 and s0.decode_j > 0 and s1.prefill_j > 0
    assert a.model["name"] == "token-occupancy-v1" and a.model["inputs"]["idle_power_w"] == 10.0


def test_residual_against_independent_window_reading():
    ts, es = [0.0, 1.0, 2.0], [0.0, 20.0, 40.0]
    recs = [_rec(0, 0.0, 0.5, [0.5, 1.0, 1.5])]
    a = attribute(recs, ts, es, idle_power_w=5.0, window_j=41.0,
                  basis_provenance=Provenance.MEASURED, basis_domains=("cpu:0",))
    assert a.residual == pytest.approx(1.0 / 41.0)
    assert not a.passed


def test_no_requests_leaves_dynamic_energy_unattributed():
    a = attribute([], [0.0, 1.0], [0.0, 30.0], idle_power_w=10.0, window_j=30.0,
                  basis_provenance=Provenance.ESTIMATED, basis_domains=("cpu:machine",))
    assert a.idle_j == pytest.approx(10.0) and a.unattributed_j == pytest.approx(20.0)
    assert a.attributed_j == 0.0


def test_failed_request_gets_prefill_share_but_no_decode():
    ts, es = [0.0, 1.0, 2.0], [0.0, 20.0, 40.0]
    recs = [_rec(0, 0.0, 0.5, [0.5, 1.0, 1.5], ok=False)]
    a = attribute(recs, ts, es, idle_power_w=0.0, window_j=40.0,
                  basis_provenance=Provenance.ESTIMATED, basis_domains=("cpu:machine",))
    assert a.shares[0].decode_j == 0.0 and a.shares[0].prefill_j > 0
    assert a.shares[0].ok is False
