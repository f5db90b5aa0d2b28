"""The TDP tables, unknown-CPU defaults by family, the multiplicative band, `estimate cpu`."""

import json

import pytest

from wattprint.cli import main
from wattprint.errors import MeterError
from wattprint.meters.cpu_tdp import codecarbon_size, family_default, lookup, normalise
from wattprint.meters.estimate import FULL_LOAD_FRACTION, band, cpu_what_if, resolve_cpu_model


def test_tables_cover_at_least_2000_models():
    assert codecarbon_size() >= 2000


@pytest.mark.parametrize("os_name, table_name, tdp", [
    ("Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz", "Intel Xeon E5-2680 v3", 120.0),
    ("Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz", "Intel Xeon Gold 6154", 200.0),
    ("AMD EPYC 7R13 Processor", "AMD EPYC 7R13", 225.0),
    ("AMD Ryzen 7 PRO 4750U with Radeon Graphics", "AMD Ryzen 7 PRO 4750U", 15.0),
])
def test_os_names_match_codecarbon_rows(os_name, table_name, tdp):
    m = lookup(os_name)
    assert m is not None and m.name == table_name and m.tdp_w == tdp


def test_longest_name_wins_and_model_numbers_are_whole_words():
    assert lookup("AMD EPYC 7763 64-Core Processor").tdp_w == 280.0
    assert lookup("AMD EPYC 77630") is None
    assert normalise("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz") == "intel core i7-8700k"
    assert lookup("Intel Xeon E3-1280v2").name == "Intel Xeon E3-1280 v2"


def test_a_name_without_a_model_number_never_reads_codecarbons_table(tmp_path):
    # a VM's "Intel(R) Xeon(R) Processor" matches no CodeCarbon row (each names a model
    # number), so the EnergyMeter's start does not read the 4,900-row table for it
    absent = str(tmp_path / "no-such-table.csv")
    assert lookup("Intel(R) Xeon(R) Processor", codecarbon=absent) is None
    with pytest.raises(MeterError, match="cannot read CPU TDP table"):
        lookup("Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz", table=(), codecarbon=absent)


def test_unknown_cpu_default_follows_its_family():
    epyc = family_default("AMD EPYC")
    xeon = family_default("Intel(R) Xeon(R) Processor")
    other = family_default("Some RISC-V chip")
    assert epyc.label == "AMD EPYC" and xeon.label == "Intel Xeon" and other.label == "unknown"
    assert epyc.w_per_thread != xeon.w_per_thread and other.w_per_thread == 4.0
    m = resolve_cpu_model("AMD EPYC", 2)
    assert not m.known and "AMD EPYC default" in m.source


def test_band_is_multiplicative_and_never_reaches_zero():
    lo, hi = band(10.0, 1.0)
    assert (lo, hi) == (5.0, 20.0)
    m = resolve_cpu_model("Some RISC-V chip", 4)
    assert m.uncertainty == 2.0
    r = cpu_what_if("Some RISC-V chip", 4, 0.0)
    assert r.low_w > 0 and r.low_w * 3 == pytest.approx(r.power_w)
    assert r.high_w == pytest.approx(3 * r.power_w)


def test_tdp_without_threads_uses_name_cores_or_caps_at_family():
    m = resolve_cpu_model("AMD EPYC 7R13 48-Core Processor", 2)  # not curated, cores in name
    assert m.known and m.match.threads is None
    assert m.tdp_eff_w == pytest.approx(225.0 * 2 / 96)
    m = resolve_cpu_model("Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz", 36, socket_threads=36)
    assert m.tdp_eff_w == pytest.approx(145.0)


def test_estimate_cpu_json_has_exactly_the_keys(capsys):
    assert main(["estimate", "cpu", "--cpu-model", "AMD EPYC 7763", "--logical-cpus", "128",
                 "--utilisation", "1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"power_w", "low_w", "high_w", "model", "sources"}
    assert d["power_w"] == pytest.approx(FULL_LOAD_FRACTION * 280.0)
    assert d["low_w"] < d["power_w"] < d["high_w"]
    assert any("amd.com" in s for s in d["sources"])


def test_estimate_cpu_text_and_bad_utilisation(capsys):
    assert main(["estimate", "cpu", "--cpu-model", "AMD EPYC 7763", "--logical-cpus", "2",
                 "--utilisation", "0.5"]) == 0
    assert "band" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["estimate", "cpu", "--cpu-model", "x", "--logical-cpus", "2", "--utilisation", "50"])
    assert e.value.code == 2 and "0.5" in capsys.readouterr().err


@pytest.mark.parametrize("name, cpus, what", [
    ("", 2, "CPU model name is empty"), ("   ", 2, "CPU model name is empty"),
    ("AMD EPYC 7763", 1e20, "at most 8192"), ("AMD EPYC 7763", float("nan"), "at most 8192"),
    ("AMD EPYC 7763", 0, "more than 0"),
])
def test_what_if_refuses_empty_names_and_impossible_cpu_counts(name, cpus, what):
    from wattprint.errors import MeterError

    with pytest.raises(MeterError, match=what):
        cpu_what_if(name, cpus, 1.0)


@pytest.mark.parametrize("name, cpus, tdp_eff, sockets", [
    # AWS parts known only by TDP before: capped at one socket (300 W, 145 W)
    ("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 128, 600.0, 2.0),
    ("Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz", 72, 290.0, 2.0),
    # threads per socket from the vendor tables (ARK: 14 cores x 2)
    ("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", 56, 280.0, 2.0),
    ("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", 4, 140.0 * 4 / 28, 4 / 28),
])
def test_sockets_follow_from_the_logical_cpus_and_the_threads_per_socket(name, cpus, tdp_eff,
                                                                         sockets):
    m = resolve_cpu_model(name, cpus)
    assert m.tdp_eff_w == pytest.approx(tdp_eff)
    assert m.sockets == pytest.approx(sockets)
    assert m.estimate_model().constants["sockets"] == pytest.approx(sockets)
    r = cpu_what_if(name, cpus, 1.0)
    assert r.low_w < FULL_LOAD_FRACTION * tdp_eff < r.high_w
    if sockets > 1:
        assert any("2 sockets" in s for s in r.sources)


def test_threads_only_implied_by_the_tdp_still_count_sockets_and_widen_the_band():
    from wattprint.meters.estimate import KNOWN_CPU_UNCERTAINTY, TDP_ONLY_UNCERTAINTY

    name = "Intel(R) Xeon(R) Platinum 8151 CPU @ 3.40GHz"  # in no threads table, no N-Core
    one = resolve_cpu_model(name, 2)
    many = resolve_cpu_model(name, 1024)
    assert "implied by the TDP" in one.source and one.uncertainty == TDP_ONLY_UNCERTAINTY
    assert TDP_ONLY_UNCERTAINTY > KNOWN_CPU_UNCERTAINTY
    assert many.sockets > 1 and many.tdp_eff_w == pytest.approx(one.tdp_eff_w * 512)
    assert many.tdp_eff_w > 240.0  # no longer capped at one socket


def test_the_os_threads_per_socket_win_over_the_vendor_tables():
    m = resolve_cpu_model("Intel(R) Xeon(R) Gold 6132 CPU @ 2.60GHz", 56, socket_threads=14)
    assert m.socket_threads == 14 and m.tdp_eff_w == pytest.approx(560.0)
    assert "from the OS" in m.source
