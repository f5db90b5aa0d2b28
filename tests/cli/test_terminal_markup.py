"""Terminal output is not markup: data reaches the screen verbatim (issue 10, item 3)."""

from __future__ import annotations

import pytest
from cli_markup_fakes import HOSTILE_ERROR

from wattprint.cli import main
from wattprint.cli.common import console, esc, text

HOSTILE_NAMES = ("[/]", "[batch, seq_len]", "wattprint[hub]", "[bold]x[/bold]", ":cat:",
                 "C:\\dir\\[x]")


def _flat(s: str) -> str:
    """Rich wraps long lines at 80 columns when not on a terminal; join them back."""
    return " ".join(s.split())


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_text_and_esc_show_data_verbatim(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    con = console(width=200)
    con.print(text(name))
    con.print(f"[red]model[/red] {esc(name)}")
    out = capsys.readouterr().out.splitlines()
    assert out == [name, f"model {name}"]


def test_failed_run_summary_prints_the_error_verbatim(tmp_path, capsys) -> None:
    argv = ["run", "--task", "text-classification", "--model", "callable:cli_markup_fakes:shape_error",
            "-n", "2", "--repeat", "1", "--idle", "0", "--executor", "inprocess",
            "--out", str(tmp_path / "out [x].jsonl"), "--store", str(tmp_path / "[/]" / "r.db")]
    assert main(argv) == 1  # the run failed, and the summary was printed without MarkupError
    out = capsys.readouterr().out
    assert f"ValueError: {HOSTILE_ERROR}" in _flat(out)
    assert "pip install 'wattprint[hub]'" in out
    assert f"results appended to {tmp_path / 'out [x].jsonl'}" in _flat(out)
    assert f"written to {tmp_path / '[/]' / 'r.db'}" in _flat(out)
    assert "🐱" not in out  # ':cat:' is text, not an emoji code


def test_study_tables_print_hostile_names_verbatim(capsys) -> None:
    from dataclasses import dataclass

    from wattprint.analysis.study_findings import Finding
    from wattprint.analysis.study_tables import (
        StudyCounts,
        StudyReproduction,
        Table2Row,
        Table3Row,
        Table4,
        Table4Row,
        Table5Row,
    )
    from wattprint.cli.study_cmd import _print_rich

    @dataclass(frozen=True)
    class Hostile(Finding):
        @property
        def title(self) -> str:
            return "title [/] :cat:"

        def summary(self) -> str:
            return "value [b]x[/b]"

    name = "org/[/]model[hub]"
    rep = StudyReproduction(
        table2={"task [x]": Table2Row(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, name, name, 1.0, 1.0,
                                      1, 1, 2, 1.0, 1.0)},
        table3={name: Table3Row(1.0, 2.0, 1.0, 1e9, 1, 1, 2.0, 1.0, {}, {})},
        table4=Table4([Table4Row("ds[/]", name, 10.0, 3.0, 1.0, 1.0, 1)], {"ds[/]": 10.0}, {}),
        table5={name: Table5Row(1.0, 0.0, 1e-4, 1e4, 1e-4, 1e4, "table [1] of [/]")},
        findings=[Hostile()], counts=StudyCounts(1, 1, 1))
    _print_rich(rep, {"new": 1, "records": 1, "path": "/tmp/[/]/r.db"},
                ["file [/].csv:3: column [x] is not a number"])
    printed = capsys.readouterr().out
    flat = _flat(printed)
    for shown in ("task [x]", name, "ds[/]", "table [1] of [/]", "title [/] :cat:",
                  "value [b]x[/b]", "/tmp/[/]/r.db", "file [/].csv:3: column [x] is not a number"):
        assert shown in printed or shown in flat, shown
