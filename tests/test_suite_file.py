"""The suite-file format both suite kinds share: strict YAML, typed models, located errors."""

from __future__ import annotations

import pytest
from pydantic import Field

from wattprint.errors import ConfigError
from wattprint.suite_file import StrictModel, keys_at, line_of, load_yaml, path_str, validate


class Point(StrictModel):
    rate: float = Field(default=1.0, gt=0)
    label: str = ""


class Entry(StrictModel):
    name: str
    points: list[Point] = Field(default_factory=list)
    inner: Point | None = None


class File(StrictModel):
    name: str
    entries: list[Entry]


TEXT = """\
name: f
entries:
  - name: a
    points:
      - rate: 2
      - rate: 3
        lable: x
"""


def test_an_unknown_key_deep_in_lists_names_its_line_path_and_the_closest_key():
    with pytest.raises(ConfigError) as err:
        validate(File, load_yaml(TEXT, "f.yaml"), what="test file")
    msg = str(err.value)
    assert msg.startswith("invalid test file:")
    assert ("f.yaml:7: entries[0].points[1].lable: unknown key 'lable' (did you mean 'label'?); "
            "valid keys: rate, label") in msg


def test_keys_at_walks_lists_and_optional_models():
    assert keys_at(File, ()) == ["name", "entries"]
    assert keys_at(File, ("entries", 0)) == ["name", "points", "inner"]
    assert keys_at(File, ("entries", 0, "points", 4)) == ["rate", "label"]
    assert keys_at(File, ("entries", 0, "inner")) == ["rate", "label"]
    assert keys_at(File, ("entries", 0, "name")) == []   # a string has no keys


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_numbers_must_be_finite(value):
    text = TEXT.replace("lable: x", f"rate: {value}").replace("      - rate: 3\n", "      -\n")
    with pytest.raises(ConfigError, match=r"f\.yaml:7: entries\[0\]\.points\[1\]\.rate: .*finite"):
        validate(File, load_yaml(text, "f.yaml"))


def test_a_duplicate_key_in_a_nested_mapping_names_both_lines():
    with pytest.raises(ConfigError, match=r"f\.yaml:6: duplicate key 'rate' \(first given at line 5\)"):
        load_yaml(TEXT.replace("        lable: x\n", "").replace("rate: 3", "rate: 3\n        rate: 4")
                  .replace("      - rate: 2\n", ""), "f.yaml")


def test_malformed_yaml_and_a_non_mapping_are_clear_errors():
    with pytest.raises(ConfigError, match=r"f\.yaml: not valid YAML"):
        load_yaml("name: [", "f.yaml")
    with pytest.raises(ConfigError, match=r"f\.yaml: a suite must be a mapping .* got list"):
        validate(File, load_yaml("- a\n- b\n", "f.yaml"))


def test_a_missing_key_and_a_wrong_type_are_located():
    with pytest.raises(ConfigError) as err:
        validate(File, load_yaml("name: f\nentries:\n  - points: 3\n", "f.yaml"))
    msg = str(err.value)
    assert "f.yaml:3: entries[0].name: required key missing" in msg
    assert "f.yaml:3: entries[0].points: Input should be a valid list (got 3)" in msg


def test_valid_files_give_typed_frozen_models_with_defaults():
    text = TEXT.replace("        lable: x\n", "")
    spec = validate(File, load_yaml(text, "f.yaml"))
    assert [p.rate for p in spec.entries[0].points] == [2.0, 3.0]
    assert spec.entries[0].points[0].label == "" and spec.entries[0].inner is None
    with pytest.raises(Exception):
        spec.name = "g"  # type: ignore[misc]


def test_paths_and_lines():
    doc = load_yaml(TEXT, "f.yaml")
    assert path_str(("entries", 0, "points", 1, "rate")) == "entries[0].points[1].rate"
    assert path_str(()) == "(top level)"
    assert line_of(doc.root, ("entries", 0, "points", 1, "rate")) == 6
    assert line_of(doc.root, ("entries", 0, "nothing")) == 3   # the deepest node found
    assert doc.where(("entries", 5)) == "f.yaml:2"
