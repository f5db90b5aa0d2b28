"""Time-series intensity: loading, validation (file and line named), integration by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.carbon.timeseries import load_intensity_csv, segments_from_power
from wattprint.errors import ConfigError

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _write(tmp_path: Path, text: str, name: str = "ci.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HOURLY = """datetime,carbon_intensity
2024-03-01T00:00:00Z,100
2024-03-01T01:00:00Z,200
2024-03-01T02:00:00Z,400
"""


def _t(hhmm: str) -> float:
    from datetime import datetime, timezone

    return datetime.fromisoformat(f"2024-03-01T{hhmm}:00").replace(tzinfo=timezone.utc).timestamp()


def test_integration_by_hand(tmp_path):
    s = load_intensity_csv(_write(tmp_path, HOURLY))
    assert s.step_s == 3600
    # 1 kWh spread evenly over 00:30-01:30: half at 100 g/kWh, half at 200 -> 150 g.
    seg = [(_t("00:30"), _t("01:30"), 3.6e6)]
    assert s.carbon_g(seg) == pytest.approx(150.0)
    # Two segments: 2 kWh in 00:00-01:00 (100) + 1 kWh in 02:15-02:45 (400) -> 200 + 400 g.
    segs = [(_t("00:00"), _t("01:00"), 7.2e6), (_t("02:15"), _t("02:45"), 3.6e6)]
    assert s.carbon_g(segs) == pytest.approx(600.0)
    # The last value holds for one median step (until 03:00).
    assert s.value_at(_t("02:59")) == 400
    with pytest.raises(ConfigError, match="covers"):
        s.carbon_g([(_t("02:30"), _t("03:30"), 1.0)])
    with pytest.raises(ConfigError, match="covers"):
        s.value_at(_t("00:00") - 1)
    # Mean over 00:00-03:00 = (100 + 200 + 400) / 3.
    assert s.mean_g_per_kwh(_t("00:00"), _t("03:00")) == pytest.approx(700 / 3)


def test_same_run_at_night_and_noon_differs(tmp_path):
    text = "datetime,carbon_intensity\n" + "".join(
        f"2024-06-01T{h:02d}:00:00Z,{300 if h < 6 or h > 20 else 120}\n" for h in range(24))
    s = load_intensity_csv(_write(tmp_path, text))
    night = s.carbon_g([(_t("02:00") + 92 * 86400, _t("03:00") + 92 * 86400, 3.6e6)])
    noon = s.carbon_g([(_t("12:00") + 92 * 86400, _t("13:00") + 92 * 86400, 3.6e6)])
    assert night == pytest.approx(300) and noon == pytest.approx(120)


def test_electricity_maps_columns_and_lca_preferred(tmp_path):
    text = ("Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
            "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage\n"
            "2023-01-01 00:00:00,France,France,FR,30.5,50.5,90\n"
            "2023-01-01 01:00:00,France,France,FR,31.5,51.5,90\n")
    s = load_intensity_csv(_write(tmp_path, text))
    assert s.values_g_per_kwh == (50.5, 51.5)
    assert "LCA" in s.source
    d = load_intensity_csv(_write(tmp_path, text, "d.csv"),
                           value_column="Carbon Intensity gCO₂eq/kWh (direct)")
    assert d.values_g_per_kwh == (30.5, 31.5)


def test_segments_from_power_trapezoid():
    segs = segments_from_power([T0, T0 + 10, T0 + 30], [100.0, 300.0, 300.0])
    # (100+300)/2*10 = 2000 J; (300+300)/2*20 = 6000 J.
    assert segs == [(T0, T0 + 10, 2000.0), (T0 + 10, T0 + 30, 6000.0)]
    with pytest.raises(ConfigError):
        segments_from_power([T0], [1.0])
    with pytest.raises(ConfigError):
        segments_from_power([T0, T0], [1.0, 1.0])


@pytest.mark.parametrize("text, fragment", [
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n2024-03-01T02:00:00Z,200\n"
     "2024-03-01T01:00:00Z,300\n", "line 4: timestamp '2024-03-01T01:00:00Z' is earlier than line 3"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n2024-03-01T01:00:00Z,200\n"
     "2024-03-01T01:00:00Z,300\n", "line 4: duplicate timestamp"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n2024-03-01T01:00:00Z,200\n"
     "2024-03-01T02:00:00Z,300\n2024-03-01T06:00:00Z,300\n2024-03-01T07:00:00Z,300\n",
     "line 5: gap of 4 h after line 4"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,0.1\n2024-03-01T01:00:00Z,0.25\n",
     "line 3: every value is below 5"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n2024-03-01T01:00:00Z,-2\n",
     "line 3: intensity '-2'"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n2024-03-01T01:00:00Z,n/a\n",
     "line 3: 'carbon_intensity' = 'n/a' is not a number"),
    ("datetime,carbon_intensity\nyesterday,100\n", "line 2: 'datetime' = 'yesterday' is not"),
    ("when,what\n2024-03-01T00:00:00Z,100\n", "line 1: no timestamp column"),
    ("datetime,carbon_intensity\n", "no data rows"),
    ("", "empty file"),
    ("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n", "only one data row"),
])
def test_bad_files_name_file_and_line(tmp_path, text, fragment):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_intensity_csv(p)
    msg = str(info.value)
    assert str(p) in msg
    assert fragment in msg, msg


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_intensity_csv(tmp_path / "nope.csv")


def test_electricity_maps_life_cycle_column(tmp_path):
    text = ("Datetime (UTC),Zone id,Carbon intensity gCO₂eq/kWh (direct),"
            "Carbon intensity gCO₂eq/kWh (Life cycle)\n"
            "2024-01-01 00:00:00,DE,300,350\n2024-01-01 01:00:00,DE,310,360\n")
    s = load_intensity_csv(_write(tmp_path, text))
    assert s.values_g_per_kwh == (350.0, 360.0)


def test_non_utf8_file_names_line_and_column_and_the_fix(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100 \u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.csv: line 2: not UTF-8 text \(byte 0xe9 at "
                                          r"column 26\); save the file as UTF-8"):
        load_intensity_csv(p)


def test_binary_garbage_and_oversized_fields_are_config_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ConfigError, match=r"garbage\.csv: line 1: not UTF-8"):
        load_intensity_csv(garbage)
    big = _write(tmp_path, 'datetime,carbon_intensity\n2024-03-01T00:00:00Z,"' + "9" * 200_000 + '"\n')
    with pytest.raises(ConfigError, match=r"ci\.csv: line 2: not a CSV row"):
        load_intensity_csv(big)


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + HOURLY.encode())
    assert len(load_intensity_csv(p).times_s) == 3


def test_timestamps_past_year_9999_in_utc_are_refused_with_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "datetime,carbon_intensity\n9999-12-31T23:00:00-14:00,100\n"
                         "9999-12-31T23:30:00-14:00,100\n")
    with pytest.raises(ConfigError, match=r"line 2: .* is not an ISO-8601 timestamp in the "
                                          r"years 1-9999"):
        load_intensity_csv(p)
