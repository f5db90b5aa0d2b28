"""The public API is documented: every name in ``wattprint.__all__`` and every CLI command and
subcommand appears in README.md or docs/*.md (issue 11, item 6).

A name counts as documented when it appears as code (in backticks or a code block); a command
when ``wattprint <command> [<subcommand>]`` appears, followed by a space, a backtick, a
newline or the end of a code span.
"""

from __future__ import annotations

import re
from pathlib import Path

import wattprint
from wattprint.cli import command_paths

ROOT = Path(__file__).resolve().parents[2]


def _docs() -> str:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in files if p.is_file())


def _code(doc: str) -> str:
    """The code in a Markdown text: fenced blocks and inline spans."""
    fenced = re.findall(r"```.*?```", doc, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", doc, flags=re.S))
    return "\n".join([*fenced, *inline])


def test_every_public_name_is_documented() -> None:
    code = _code(_docs())
    missing = [n for n in wattprint.__all__ if not re.search(rf"\b{re.escape(n)}\b", code)]
    assert not missing, f"wattprint.__all__ names not documented in README.md or docs/: {missing}"


def test_every_command_and_subcommand_is_documented() -> None:
    code = _code(_docs())
    commands = command_paths()
    assert ("import", "codecarbon") in commands and ("carbon", "regions") in commands
    missing = [" ".join(c) for c in commands
               if not re.search(rf"wattprint {re.escape(' '.join(c))}(?=[\s`]|$)", code, re.M)]
    assert not missing, f"commands not documented in README.md or docs/: {missing}"
