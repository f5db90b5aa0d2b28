"""Every command, subcommand and flag the README shows exists (issue 21).

The README's shell blocks are read line by line: a line that runs ``wattprint`` is walked
down the CLI's argparse tree (each word that names a subcommand descends) and every
``--flag`` it shows must be an option of the command it reaches; a ``make`` line must name a
Makefile target. The Python blocks must import only names that exist. The docs/ pages are held
to the same rules, so that a renamed flag cannot survive in a page a newcomer is sent to.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest

from wattprint.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _blocks(page: Path, kinds: tuple[str, ...]) -> list[str]:
    return [body for kind, body in BLOCK.findall(page.read_text(encoding="utf-8"))
            if kind in kinds]


def _commands(body: str) -> list[list[str]]:
    """The command lines of a shell block: comments dropped, ``\\`` continuations joined,
    ``&&``/``;``/``|`` split into separate commands, ``[...]`` optional parts unbracketed."""
    out = []
    text = re.sub(r"\\\n", " ", body)
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        try:
            words = shlex.split(line)
        except ValueError:   # an unbalanced quote in an example: split on spaces
            words = line.split()
        command: list[str] = []
        for word in words:
            if word in ("&&", ";", "|", "||"):
                out.append(command)
                command = []
            else:
                command.append(word.strip("[]"))
        out.append(command)
    return [c for c in out if c]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _check_wattprint(words: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Problems with one ``wattprint ...`` command line (empty when it is right)."""
    path = ["wattprint"]
    current = parser
    rest = words[1:]
    while rest and rest[0] in _subparsers(current):
        path.append(rest[0])
        current = _subparsers(current)[rest.pop(0)]
    if len(path) == 1 and rest and not rest[0].startswith("-"):
        return [f"`wattprint {rest[0]}`: no such command"]
    if _subparsers(current) and (not rest or not rest[0].startswith("-")) and rest:
        return [f"`{' '.join(path)} {rest[0]}`: no such subcommand"]
    options = set(current._option_string_actions)
    problems = []
    for word in rest:
        if word == "--":
            break   # what follows is another program's command line (wattprint measure)
        if re.fullmatch(r"--?[A-Za-z][\w-]*(=.*)?", word):
            flag = word.split("=", 1)[0]
            if flag not in options:
                problems.append(f"`{' '.join(path)}`: no flag {flag}")
    return problems


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([\w-]+):", text, re.M)}


def _problems(page: Path) -> tuple[int, list[str]]:
    parser = build_parser()
    targets = _makefile_targets()
    checked, problems = 0, []
    for body in _blocks(page, ("sh", "bash", "shell", "console")):
        for words in _commands(body):
            if words[0] == "wattprint":
                checked += 1
                problems += _check_wattprint(words, parser)
            elif words[0] == "make":
                checked += 1
                problems += [f"`make {w}`: no such target" for w in words[1:]
                             if not w.startswith("-") and "=" not in w and w not in targets]
    for body in _blocks(page, ("python",)):
        try:
            tree = ast.parse(body)
        except SyntaxError:   # an illustrative fragment (``...`` in an argument list)
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wattprint"):
                checked += 1
                module = importlib.import_module(node.module or "")
                problems += [f"`from {node.module} import {a.name}`: no such name"
                             for a in node.names if not hasattr(module, a.name)]
    return checked, problems


def test_the_readme_shows_both_make_commands_and_some_wattprint_commands():
    bodies = "\n".join(_blocks(ROOT / "README.md", ("sh",)))
    commands = _commands(bodies)
    assert ["make", "run"] in commands and ["make", "test"] in commands
    assert sum(c[0] == "wattprint" for c in commands) >= 8


def test_a_wrong_flag_or_command_is_caught():
    parser = build_parser()
    assert _check_wattprint(["wattprint", "run", "--task", "x", "--repeat", "2"], parser) == []
    assert _check_wattprint(["wattprint", "run", "--tsak", "x"], parser) == [
        "`wattprint run`: no flag --tsak"]
    assert _check_wattprint(["wattprint", "runn"], parser) == ["`wattprint runn`: no such command"]
    assert _check_wattprint(["wattprint", "import", "codecarbn", "f.csv"], parser) == [
        "`wattprint import codecarbn`: no such subcommand"]
    assert _check_wattprint(["wattprint", "measure", "--json", "--", "ls", "--bogus"], parser) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_and_flag_a_page_shows_exists(page: Path):
    checked, problems = _problems(page)
    assert not problems, "\n".join(problems)
    if page.name == "README.md":
        assert checked >= 10
