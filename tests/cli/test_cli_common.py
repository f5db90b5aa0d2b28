"""The argument types every command shares: finite, bounded, with the bound in the message."""

from __future__ import annotations

import argparse

import pytest

from wattprint.cli.common import (
    MAX_COUNT,
    MAX_SECONDS,
    non_negative_float,
    non_negative_int,
    non_negative_seconds,
    port,
    positive_float,
    positive_int,
    positive_seconds,
    sampling_interval,
)


@pytest.mark.parametrize("fn", [positive_float, non_negative_float, positive_seconds,
                                non_negative_seconds])
@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e400", "abc", ""])
def test_float_types_refuse_non_finite_and_non_numbers(fn, bad):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a"):
        fn(bad)


def test_float_types_accept_finite_values_and_state_their_bounds():
    assert positive_float("1e300") == 1e300
    assert non_negative_float("0") == 0.0
    assert non_negative_seconds(str(MAX_SECONDS)) == MAX_SECONDS
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a number > 0, got '0'"):
        positive_float("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"at most 604800 s \(7 days\)"):
        positive_seconds("1e300")


def test_integer_types_state_their_range():
    assert positive_int(str(MAX_COUNT)) == MAX_COUNT
    assert non_negative_int("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a whole number, got '1e20'"):
        positive_int("1e20")
    with pytest.raises(argparse.ArgumentTypeError, match=r"<= 1000000000000"):
        positive_int("99999999999999999999")
    with pytest.raises(argparse.ArgumentTypeError, match=r">= 0, got '-1'"):
        non_negative_int("-1")


@pytest.mark.parametrize("text, ok", [("0", True), ("8000", True), ("65535", True),
                                      ("65536", False), ("99999", False), ("-1", False)])
def test_port(text, ok):
    if ok:
        assert port(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
            port(text)


def test_sampling_interval_has_a_floor():
    assert sampling_interval("0.001") == 0.001
    with pytest.raises(argparse.ArgumentTypeError, match=r"at least 0.001 s, got '1e-300'"):
        sampling_interval("1e-300")
