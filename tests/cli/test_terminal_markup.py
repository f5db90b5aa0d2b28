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
    from wattprint.cli.study_cmd import _print_rich

    name = "org/[/]model[hub]"
    out = {
        "table2": {"task [x]": {k: 1.0 for k in (
            "mean_kwh", "std_kwh", "paper_mean_kwh", "paper_std_kwh", "min_kwh", "max_kwh",
            "median_kwh", "gpu_mean_kwh", "mean_g_co2eq")} | {"n_models": 1, "n_runs": 2}},
        "table3": {name: {"params": 1e9, "kwh": 1.0, "g_co2eq": 2.0, "paper_kwh": 1.0,
                          "paper_g_co2eq": 2.0, "per_task": {}}},
        "table4": {"rows": [{"dataset": "ds[/]", "model": name, "output_tokens": 3.0,
                             "g_co2eq": 1.0}],
                   "input_tokens": {"ds[/]": 10.0}, "summarization_fit": {}},
        "table5": {name: {"training_kwh": 1.0, "finetuning_kwh": 0.0,
                          "inference_kwh_per_query": 1e-4, "parity_inferences": 1e4,
                          "parity_inferences_2sf": 1e4, "source": "table [1] of [/]"}},
        "findings": [{"id": "other", "title": "title [/] :cat:", "value": "value [b]x[/b]"}],
        "store": {"new": 1, "records": 1, "path": "/tmp/[/]/r.db"},
        "errors": ["file [/].csv:3: column [x] is not a number"],
    }
    _print_rich(out)
    printed = capsys.readouterr().out
    flat = _flat(printed)
    for shown in ("task [x]", name, "ds[/]", "table [1] of [/]", "title [/] :cat:",
                  "value [b]x[/b]", "/tmp/[/]/r.db", "file [/].csv:3: column [x] is not a number"):
        assert shown in printed or shown in flat, shown
