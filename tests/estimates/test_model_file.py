import json

import pytest
from law import generate

from wattprint.errors import ConfigError
from wattprint.estimates.fit import fit_llm
from wattprint.estimates.model_file import FORMAT, read_fit, to_dict, write_fit


@pytest.fixture(scope="module")
def model():
    return fit_llm(generate(6, seed=5), group_label="family", data_version="law v1",
                   sources=("law",))


def test_a_fit_file_round_trips(model, tmp_path):
    path = write_fit(model, tmp_path / "fit.json")
    d = json.loads(path.read_text())
    assert d["format"] == FORMAT and d["format_version"] == 1
    assert read_fit(path) == model


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(format="something-else"), "not a wattprint LLM energy fit"),
    (lambda d: d.update(format_version=99), "format_version 99 is not supported"),
    (lambda d: d.pop("coefficients"), "missing field 'coefficients'"),
    (lambda d: d["coefficients"].pop(), "same length"),
    (lambda d: d["coefficients"].__setitem__(0, "x"), "expected a finite number"),
    (lambda d: d["terms"].__setitem__(1, "log_bogus"), "unknown term 'log_bogus'"),
    (lambda d: d["holdout"].pop("halfwidth_log"), "holdout: missing field 'halfwidth_log'"),
    (lambda d: d["hardware"].__setitem__("A", {"points": 1}), "missing field 'batch_range'"),
    (lambda d: d["model_sizes"].__setitem__("m", [1, 2]), "model_sizes.m"),
])
def test_a_broken_fit_file_names_the_field(model, tmp_path, mutate, message):
    d = to_dict(model)
    d = json.loads(json.dumps(d))
    mutate(d)
    p = tmp_path / "broken.json"
    p.write_text(json.dumps(d))
    with pytest.raises(ConfigError, match=message) as err:
        read_fit(p)
    assert str(p) in str(err.value)


def test_not_json_and_missing_files_are_config_errors(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"format": ')
    with pytest.raises(ConfigError, match="not JSON"):
        read_fit(p)
    p.write_text('{"coefficients": [NaN]}')
    with pytest.raises(ConfigError, match="not a wattprint"):
        read_fit(p)
    with pytest.raises(ConfigError, match="cannot read"):
        read_fit(tmp_path / "missing.json")
