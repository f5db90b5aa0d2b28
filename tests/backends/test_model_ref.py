"""ModelRef.parse: the one parser of zoo, callable, local-folder and hub references."""

from __future__ import annotations

import pytest

from wattprint.backends.model_ref import ModelRef


@pytest.mark.parametrize(("text", "kind", "name", "size"), [
    ("zoo:bert", "zoo", "bert", "tiny"),
    ("zoo:bert@real-size", "zoo", "bert", "real-size"),
    ("callable:pkg.mod:fn", "callable", "pkg.mod:fn", None),
    ("./ckpt", "local", "./ckpt", None),
    ("/abs/ckpt", "local", "/abs/ckpt", None),
    ("~/ckpt", "local", "~/ckpt", None),
    ("a/b/c", "local", "a/b/c", None),
    ("openai-community/gpt2", "hub", "openai-community/gpt2", None),
    ("gpt2", "hub", "gpt2", None),
])
def test_kinds(text, kind, name, size):
    ref = ModelRef.parse(text)
    assert (ref.kind, ref.name, ref.size, ref.text) == (kind, name, size, text)


def test_an_existing_folder_without_a_path_prefix_is_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gpt2").mkdir()
    assert ModelRef.parse("gpt2").kind == "local"
    assert ModelRef.parse("gpt2").path == tmp_path / "gpt2"


def test_callable_parts():
    ref = ModelRef.parse("callable:pkg.mod:Cls.method")
    assert (ref.module, ref.function) == ("pkg.mod", "Cls.method")


@pytest.mark.parametrize("bad", ["", "  ", "zoo:", "zoo:@tiny", "callable:mod", "callable::fn",
                                 "callable:mod:"])
def test_malformed_references_say_the_expected_form(bad):
    with pytest.raises(ValueError, match="empty|must look like"):
        ModelRef.parse(bad)
