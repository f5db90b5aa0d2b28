import json
import subprocess
import sys

import pytest

from wattprint.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "wattprint", *args], capture_output=True,
                          text=True, timeout=60)


def test_measure_json_real_command():
    p = run_cli("measure", "--json", "--", sys.executable, "-c", "import sys; sum(range(10**5)); sys.exit(3)")
    assert p.returncode == 3, p.stderr
    doc = json.loads(p.stdout)
    assert doc["exit_code"] == 3 and doc["duration_s"] > 0
    names = {d["name"]: d for d in doc["domains"]}
    assert "cpu:machine" in names and "cpu:process" in names
    for d in doc["domains"]:
        assert d["provenance"] == "estimated"  # no counter on the CI machines
        assert 0 < d["uncertainty"] and d["model"]["formula"] and d["boundary"]
    assert {t["scope"] for t in doc["totals"]} == {"host", "process"}


def test_measure_text_report_goes_to_stderr(capsys):
    code = main(["measure", "--", sys.executable, "-c", "print('hello')"])
    out = capsys.readouterr()
    assert code == 0
    assert "duration" in out.err and "cpu:machine" in out.err and "estimated" in out.err
    assert "x/÷" in out.err  # the estimate's multiplicative band


def test_measure_missing_command_exit_127(capsys):
    code = main(["measure", "--", "no-such-command-xyz"])
    assert code == 127
    assert "command not found" in capsys.readouterr().err


def test_meters_json(capsys):
    assert main(["meters", "--json", "--powercap-root", "/nonexistent"]) == 0
    doc = json.loads(capsys.readouterr().out)
    srcs = {(s["component"], s["source"]): s for s in doc["sources"]}
    assert not srcs[("cpu", "rapl")]["chosen"]
    assert "/nonexistent" in srcs[("cpu", "rapl")]["reason"]
    assert srcs[("cpu", "estimate")]["chosen"]
    assert {d["name"] for d in doc["domains"]} >= {"cpu:machine", "cpu:process"}


def test_meters_text(capsys):
    assert main(["meters", "--powercap-root", "/nonexistent"]) == 0
    out = capsys.readouterr().out
    assert "USED" in out and "cpu:machine" in out


@pytest.mark.parametrize("bad", [["measure", "--interval", "0", "--", "true"],
                                 ["measure", "--idle", "-1", "--", "true"]])
def test_bad_flags(bad):
    with pytest.raises(SystemExit):
        main(bad)


def test_measure_json_stdout_holds_only_json_when_the_command_prints():
    p = run_cli("measure", "--json", "--", sys.executable, "-c", "print('hello from the command')")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)  # the command's line would make this fail
    assert doc["exit_code"] == 0
    assert "hello from the command" in p.stderr


def test_measure_json_file(tmp_path, capfd):
    out = tmp_path / "m.json"
    code = main(["measure", "--json-file", str(out), "--", sys.executable, "-c", "print('hi')"])
    assert code == 0
    cap = capfd.readouterr()
    assert cap.out == "hi\n" and "duration" in cap.err
    assert json.loads(out.read_text())["exit_code"] == 0
    code = main(["measure", "--json-file", str(tmp_path / "no" / "m.json"), "--", "true"])
    assert code == 2 and "--json-file" in capfd.readouterr().err
