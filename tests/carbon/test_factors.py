import pytest

from wattprint.carbon.factors import Factor, check_value, row_factor, user_factor
from wattprint.errors import ConfigError

ROW = {"v": "1.5", "lo": "1", "hi": "2", "year": "2024", "source": "S", "source_url": "u",
       "licence": "L", "version": "V", "note": "n"}


def test_row_factor_and_round_trip():
    f = row_factor(ROW, name="x", key="k", unit="L/kWh", table="t.csv", line_no=3, value="v",
                   low="lo", high="hi")
    assert (f.value, f.low, f.high, f.year, f.version) == (1.5, 1.0, 2.0, 2024, "V")
    assert Factor.from_dict(f.to_dict()) == f
    assert "S, 2024 (V; L)" == f.cite()
    assert "interval 1-2" in f.interval_text()


@pytest.mark.parametrize("change,match", [
    ({"v": "abc"}, "t.csv: line 3: v = 'abc' is not a number"),
    ({"v": "-1", "lo": "-2"}, "line 3: .* must be a finite number >= 0"),
    ({"v": "5"}, "line 3: interval 1-2 does not hold the value 5"),
    ({"year": "recent"}, "line 3: year = 'recent'"),
])
def test_bad_rows_name_file_line_and_column(change, match):
    with pytest.raises(ConfigError, match=match):
        row_factor({**ROW, **change}, name="x", key="k", unit="u", table="t.csv", line_no=3,
                   value="v", low="lo", high="hi")


def test_user_values():
    assert user_factor("w", 0.2, "L/kWh", "--wue").source == "user-supplied (--wue)"
    assert check_value("0", "--x", "u", high=1) == 0
    with pytest.raises(ConfigError, match="--x: expected a number > 0 u"):
        check_value("0", "--x", "u", high=1, low_exclusive=True)
    with pytest.raises(ValueError, match="impact factor is missing 'value'"):
        Factor.from_dict({"low": 1, "high": 2})
