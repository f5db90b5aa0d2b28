import pytest

from wattprint.errors import ConfigError
from wattprint.estimates.design import Query, hardware_levels, matrix, select_terms, term_value
from wattprint.estimates.observations import Observation


def _obs(active, batch, hw="cpu:x", nbytes=2.0, devices=1, out_len=64.0, total=None):
    return Observation(model=f"m{active}", group=f"m{active}", hardware=hw, devices=devices,
                       active_params_b=active, total_params_b=total or active,
                       bytes_per_param=nbytes, batch=batch, output_len=out_len,
                       j_per_output_token=1.0 + active + 1 / batch)


def test_two_dense_sizes_on_one_machine_keep_only_what_they_identify():
    pts = [_obs(a, b) for a in (0.001, 0.004) for b in (1.0, 2.0, 4.0)]
    terms = select_terms(pts)
    # weights and active parameters are collinear for dense models of one precision: one of
    # them; devices and output length do not vary: neither; 6 points carry 3 terms at most
    assert terms == ("intercept", "log_weights_gb", "log_batch")
    more = pts + [_obs(a, 8.0) for a in (0.001, 0.004)]
    assert select_terms(more) == ("intercept", "log_weights_gb", "log_batch", "log_batch_sq")


def test_a_term_that_barely_varies_is_left_out():
    pts = [_obs(a, b, out_len=80.0 if b == 1.0 else 79.0) for a in (1.0, 4.0) for b in (1.0, 2.0)]
    assert "log_output_len" not in select_terms(pts)


def test_hardware_levels_put_the_most_frequent_first_and_become_indicators():
    pts = [_obs(1.0, 1.0, hw="B"), _obs(2.0, 2.0, hw="A"), _obs(3.0, 4.0, hw="A"),
           _obs(4.0, 8.0, hw="A"), _obs(5.0, 3.0, hw="B"), _obs(6.0, 5.0, hw="A")]
    assert hardware_levels(pts) == ("A", "B")
    assert select_terms(pts)[:2] == ("intercept", "hw:B")
    assert term_value("hw:B", pts[0]) == 1.0 and term_value("hw:B", pts[1]) == 0.0


def test_too_few_points_and_unknown_terms_are_errors():
    with pytest.raises(ConfigError, match="at least 3"):
        select_terms([_obs(1.0, 1.0), _obs(2.0, 2.0)])
    q = Query("A", 1, 1.0, 1.0, 2.0, 4.0, 10.0)
    with pytest.raises(ConfigError, match="unknown model term"):
        matrix(["log_bogus"], [q])
    assert q.weights_gb == 2.0
