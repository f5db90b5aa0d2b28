"""The public API (``wattprint.__all__``) and every CLI command are documented (issue 11).

Documented means: named in README.md or a page under docs/. A command is documented when
its full invocation (``wattprint store export``) appears there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import wattprint
from wattprint.cli import command_paths

ROOT = Path(__file__).resolve().parents[1]


def _docs_text() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages if p.is_file())


DOCS = _docs_text()
COMMANDS = command_paths()


def test_the_cli_has_commands_to_check() -> None:
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("name", [n for n in wattprint.__all__ if not n.startswith("_")])
def test_public_name_is_documented(name: str) -> None:
    assert re.search(rf"\b{re.escape(name)}\b", DOCS), (
        f"wattprint.{name} is public (wattprint.__all__) but README.md and docs/ never name it")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_cli_command_is_documented(command: tuple[str, ...]) -> None:
    words = r"\s+".join(re.escape(w) for w in ("wattprint", *command))
    assert re.search(rf"{words}\b", DOCS), (
        f"`wattprint {' '.join(command)}` is a command but README.md and docs/ never show it")
