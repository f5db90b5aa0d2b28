"""The HTML report without a browser: empty store, missing fields, escaping, CLI, serve."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from html.parser import HTMLParser

from report_fixtures import XSS, gpu, make_result

from wattprint.analysis.report import BOARD_COLUMNS, build_report, json_for_html
from wattprint.analysis.serve import make_server
from wattprint.cli import main


class _Rows(HTMLParser):
    """Collects the leaderboard's rows as lists of cell texts, by data-model."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._in_board = False
        self._model: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._in_board = a.get("id") == "leaderboard"
        elif tag == "tr" and self._in_board and "data-model" in a:
            self._model = a["data-model"]
            self.rows[self._model] = []
        elif tag == "td" and self._model is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._model is not None:
            self.rows[self._model].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._model = None
        elif tag == "table":
            self._in_board = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _board(html_text: str) -> dict[str, dict[str, str]]:
    p = _Rows()
    p.feed(html_text)
    names = [c for c, _ in BOARD_COLUMNS]
    return {m: dict(zip(names, cells)) for m, cells in p.rows.items()}


def test_empty_store_says_how_to_get_results(tmp_path):
    out = build_report([], tmp_path)
    text = out.path.read_text()
    assert "Nothing measured yet" in text
    assert "wattprint run" in text and "wattprint import codecarbon" in text
    assert out.n_results == 0


def test_missing_fields_show_dash_not_zero(tmp_path):
    r = make_result(model="bare", energy_j=3600.0)  # no baseline, quality, tokens, carbon, params
    text = build_report([r], tmp_path).path.read_text()
    row = _board(text)["bare"]
    assert row["Wh / 1k queries"] == "1.00"  # 3600 J / 1000 × 1000 / 3600 = 1 Wh per 1,000
    for col in ("Dynamic Wh / 1k", "Quality", "J / correct answer", "g CO2eq / 1k", "Parameters",
                "J / work unit", "Std (Wh / 1k)"):
        assert row[col] == "—", col
    assert row["Repetition interval (Wh / 1k)"] == "— too few repetitions for an interval (1 < 3)"
    assert row["Failed"] == "0" and row["Reps"] == "1"


def test_leaderboard_intervals_flags_and_random_weights(tmp_path):
    three = [make_result(model="good", rep=i, domains=(gpu(e, dynamic_j=e - 3000.0),))
             for i, e in enumerate((3600.0, 7200.0, 2900.0))]
    arch = [make_result(model="arch", rep=i, energy_j=1800.0 + i, weights="random")
            for i in range(3)]
    out = build_report(three + arch, tmp_path)
    text = out.path.read_text()
    board = _board(text)
    low, high = board["good"]["Repetition interval (Wh / 1k)"].split(" – ")
    assert 0 < float(low) < float(board["good"]["Wh / 1k queries"]) < float(high)
    assert "1 negative" in board["good"]["Dynamic Wh / 1k"]
    assert board["good"]["Boundary"] == "accelerator only"
    assert board["arch"]["Stars"] == "cost only" and board["arch"]["Class"] == "cost only"
    assert board["good"]["Stars"] == "★★★★★"  # alone in its set: the random model is not in it
    # a label card for the trained model only
    assert len(out.labels) == 1 and "arch" not in out.labels[0].read_text()


def test_report_shows_the_four_boundaries(tmp_path):
    from report_fixtures import cpu_est

    from wattprint.meters.base import DomainEnergy, Provenance

    cpu = DomainEnergy(name="cpu:0", component="cpu", boundary="package", energy_j=1800.0,
                       provenance=Provenance.MEASURED, source="rapl", idle_power_w=10.0)
    g = DomainEnergy(name="gpu:0", component="gpu", boundary="board", energy_j=3600.0,
                     provenance=Provenance.MEASURED, source="nvml", idle_power_w=50.0)
    rs = [make_result(model="rapl", domains=(g, cpu), carbon={"pue": 1.5}),
          make_result(model="mixed", domains=(gpu(3600.0), cpu_est(1800.0)))]
    text = build_report(rs, tmp_path, idle_share=0.2).path.read_text()
    sec = text[text.index('id="sec-boundaries"'):text.index('id="sec-figures"')]
    for title in ("accelerator only", "+ host CPU and DRAM",
                  "+ idle share of provisioned capacity", "× PUE (facility)"):
        assert title in sec
    # rapl: 1.0 Wh/1k GPU; +0.5 CPU; + 60 W idle × 10 s × 0.25 = 150 J → 1.5417; × 1.5
    assert "1.00 measured" in sec and "1.50 measured" in sec and "1.54 measured" in sec
    assert "2.31 measured" in sec and "2.31×" in sec
    # mixed: the CPU part stays apart, no ratio, the missing PUE is said
    assert "1.00 measured + 0.500 estimated" in sec
    assert "parts differ in provenance" in sec and "no PUE recorded" in sec


def test_only_failures_shown_as_failed_not_zero(tmp_path):
    text = build_report([make_result(model="dead", status="failed")], tmp_path).path.read_text()
    row = _board(text)["dead"]
    assert row["Wh / 1k queries"] == "—" and row["Failed"] == "1" and row["Stars"] == "—"
    assert "out of memory" in text


def test_names_escaped_in_html_and_json(tmp_path):
    evil_ds = "</script><!--<script>alert(2)</script>"
    rs = [make_result(model=XSS, dataset=evil_ds, energy_j=3600.0, environment={"x": XSS}),
          make_result(model=XSS, dataset=evil_ds, status="failed", error=f"bad {XSS}")]
    text = build_report(rs, tmp_path).path.read_text()
    assert "<img" not in text
    assert "alert(2)</script>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    script = re.search(r'<script type="application/json" id="wp-data">(.*?)</script>', text, re.S)
    assert script is not None
    body = script.group(1)
    assert "<" not in body and ">" not in body
    assert XSS in [row["model"] for row in json.loads(body)["rows"]]
    # only the two script elements of the template exist
    assert text.count("<script") == 2


def test_json_for_html_escapes_and_drops_nan():
    s = json_for_html({"a": "</script><!-- & \u2028", "b": float("nan"), "c": [1, 2.5]})
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s
    assert json.loads(s) == {"a": "</script><!-- & \u2028", "b": None, "c": [1, 2.5]}


def test_cli_report_from_jsonl_prints_path(tmp_path, capsys):
    store = tmp_path / "results.jsonl"
    rs = [make_result(model="m1", rep=i, energy_j=3600.0 * (i + 1)) for i in range(3)]
    store.write_text("\n".join(json.dumps(r.to_dict(), default=str) for r in rs) + "\n")
    out = tmp_path / "site"
    assert main(["report", "--store", str(store), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str((out / "index.html").resolve())
    assert "m1" in (out / "index.html").read_text()
    assert any((out / "labels").glob("*.svg")) and any((out / "figures").glob("*.svg"))


def test_cli_report_idle_share_and_pue_flags(tmp_path, capsys):
    import pytest

    store = tmp_path / "results.jsonl"
    store.write_text(json.dumps(make_result(energy_j=3600.0).to_dict(), default=str) + "\n")
    out = tmp_path / "site"
    assert main(["report", "--store", str(store), "--out", str(out), "--idle-share", "0.25",
                 "--pue", "1.2"]) == 0
    text = (out / "index.html").read_text()
    assert "<strong>0.25</strong> of capacity held idle" in text
    assert "1.2 (stated default)" in text
    for bad in (["--idle-share", "1"], ["--idle-share", "-0.5"], ["--pue", "0.5"]):
        with pytest.raises(SystemExit) as exc:
            main(["report", "--store", str(store), "--out", str(out), *bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert bad[0] in err and "expected" in err


def test_cli_report_on_a_missing_store_is_an_error_and_writes_nothing(tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    out = tmp_path / "site"
    assert main(["report", "--store", str(missing), "--out", str(out)]) == 2
    assert f"no results store at {missing}" in capsys.readouterr().err
    assert not out.exists() and not missing.exists()


def test_cli_report_on_an_empty_store_says_so_and_writes_the_empty_page(tmp_path, capsys):
    from wattprint.results.store import ResultStore

    db = tmp_path / "empty.db"
    ResultStore(db).close()
    assert main(["report", "--store", str(db), "--out", str(tmp_path / "site")]) == 0
    assert ("no job results in" in (err := capsys.readouterr().err)
            and "no serving points either; writing an empty report" in err)
    assert "Nothing measured yet" in (tmp_path / "site" / "index.html").read_text()


def test_serve_binds_localhost_and_serves_the_page(tmp_path):
    build_report([make_result(energy_j=3600.0, domains=(gpu(3600.0),))], tmp_path)
    server = make_server(tmp_path, 0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as resp:
            assert resp.status == 200 and b"Leaderboard" in resp.read()
    finally:
        server.shutdown()
        server.server_close()


def test_cli_report_from_sqlite_store_with_study_flag(tmp_path, capsys):
    from wattprint.results.store import ResultStore

    db = tmp_path / "r.db"
    with ResultStore(db) as s:
        s.write_many([
            make_result(model="kept", extra={"study_kind": "task-specific",
                                             "study_variant": "native"}, energy_j=3600.0),
            make_result(model="unlabelled", energy_j=3600.0),
        ])
    out = tmp_path / "site"
    assert main(["report", "--store", str(db), "--out", str(out), "--study"]) == 0
    board = _board((out / "index.html").read_text())
    assert set(board) == {"kept"}
    assert main(["report", "--store", str(db), "--out", str(out)]) == 0
    assert set(_board((out / "index.html").read_text())) == {"kept", "unlabelled"}


def test_names_escaped_inside_figures(tmp_path):
    evil = "</script><img src=x onerror=alert(3)>$x$"
    rs = [make_result(model=m, dataset=evil, task=evil, energy_j=3600.0 * (i + 1),
                      extra={"parameters": 1e8})
          for i, m in enumerate(("task/model", "flan-t5-base"))]
    out = build_report(rs, tmp_path)
    drawn = [f for f in out.figures if f.path is not None]
    assert {f.name for f in drawn} >= {"energy_per_task_measured", "task_specific_vs_multi_purpose"}
    text = out.path.read_text()
    assert "<img" not in text and "</script><" not in text
    assert "&lt;img src=x onerror=alert(3)&gt;" in text


def test_results_from_a_shared_host_are_not_rated_ranked_or_labelled_unless_asked(tmp_path, capsys):
    from wattprint.meters.base import HostActivity

    busy = HostActivity(cpus=2, duration_s=10.0, busy_cpu_s=19.0, own_cpu_s=1.0)  # 90 % others
    quiet = make_result(model="quiet", energy_j=3600.0)
    noisy = make_result(model="noisy", energy_j=1800.0, host_activity=busy)
    placed = make_result(model="placed", energy_j=900.0, shared=True)  # co-located by Ray
    assert noisy.shared_host and placed.shared_host and not quiet.shared_host
    out = build_report([quiet, noisy, placed], tmp_path / "a")
    text = out.path.read_text()
    assert set(_board(text)) == {"quiet"}
    assert "2 result(s) ran on a shared host" in text and "--include-shared" in text
    assert len(out.labels) == 1 and "quiet" in out.labels[0].read_text()
    assert "noisy" in text  # still shown outside the leaderboard (per-task/dataset tables)
    both = build_report([quiet, noisy, placed], tmp_path / "b", include_shared=True)
    assert set(_board(both.path.read_text())) == {"quiet", "noisy", "placed"}
    # the command line flag
    store = tmp_path / "r.jsonl"
    store.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in (quiet, noisy)))
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "c")]) == 0
    assert set(_board((tmp_path / "c" / "index.html").read_text())) == {"quiet"}
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "d"),
                 "--include-shared"]) == 0
    assert set(_board((tmp_path / "d" / "index.html").read_text())) == {"quiet", "noisy"}
