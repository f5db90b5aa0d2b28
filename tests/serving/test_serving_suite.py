import sys

import pytest

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.serving.suite import is_serving_text, job_config, parse_serving_suite

GOOD = """name: s
kind: serving
jobs:
  - name: j
    model: "{model_dir}"
    launch: "{bin}/transformers serve x --port {port}"
    port: 18500
    output_len: "8:16"
    loads:
      - rate: 2
      - rate: 1
        burstiness: 0.5
      - concurrency: 4
"""


def test_parse_and_job_config():
    suite = parse_serving_suite(GOOD, "s.yaml")
    cfg = job_config(suite.spec.jobs[0])
    assert cfg.endpoint == "http://127.0.0.1:18500"
    assert cfg.launch.startswith(sys.executable.rsplit("/", 1)[0]) and cfg.launch.endswith("18500")
    assert [a.label for a in cfg.loads] == ["poisson 2 req/s", "gamma 1 req/s, burstiness 0.5",
                                            "closed-loop concurrency 4"]
    assert str(cfg.output_len) == "8:16" and is_serving_text(GOOD) and not is_serving_text("name: x")


@pytest.mark.parametrize("bad,msg", [
    (GOOD.replace("port: 18500", "prot: 18500"), r"s.yaml:7: jobs\[0\].prot"),
    (GOOD.replace("- concurrency: 4", "- concurrency: 4\n        rate: 3"), "exactly one of"),
    (GOOD.replace('"8:16"', '"x"'), "output_len"),
    (GOOD.replace("      - rate: 2\n      - rate: 1\n        burstiness: 0.5\n      - concurrency: 4\n",
                  "      []\n"), "sweep"),
])
def test_bad_suites_name_file_line_and_key(bad, msg):
    with pytest.raises(ConfigError, match=msg):
        parse_serving_suite(bad, "s.yaml")


def test_a_job_without_a_port_gets_a_free_one_at_launch_and_keeps_its_key():
    """No fixed port (serving-smoke used 18471: a server already there was measured instead):
    {port} stays in the config, so its key (the run id) is stable, and the session fills it."""
    from wattprint.harness.plan import resolve_suite_path
    from wattprint.serving.session import with_free_port

    cfg = job_config(parse_serving_suite(GOOD.replace("    port: 18500\n", ""), "s.yaml").spec.jobs[0])
    assert cfg.endpoint == "http://127.0.0.1:{port}" and cfg.launch.endswith("--port {port}")
    live = with_free_port(cfg)
    port = live.endpoint.rsplit(":", 1)[1]
    assert port.isdigit() and live.launch.endswith(f"--port {port}") and cfg.key() != live.key()
    _, smoke = resolve_suite_path("serving-smoke")
    job = parse_serving_suite(smoke, "serving-smoke").spec.jobs[0]
    assert job.port == 0 and "{port}" in job.launch and "{port}" in job.endpoint


def test_a_job_with_neither_port_nor_launch_is_refused():
    bad = GOOD.replace("    port: 18500\n", "").replace(
        '    launch: "{bin}/transformers serve x --port {port}"\n', "")
    with pytest.raises(ConfigError, match="give 'port'"):
        parse_serving_suite(bad, "s.yaml")


def test_run_and_validate_route_serving_suites(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text(GOOD)
    assert main(["validate", str(f)]) == 0
    assert "serving, 1 job(s), 3 load point(s)" in capsys.readouterr().out
    assert main(["run", str(f), "--executor", "slurm"]) == 2
    assert "serving suite" in capsys.readouterr().err


def test_a_local_serving_suite_imports_nothing_of_ray(tmp_path):
    import subprocess
    from pathlib import Path

    code = (
        "import sys\n"
        "sys.path[:0] = %r\n"
        "from serving_fakes import MODEL, fake_server\n"
        "from wattprint.cli import main\n"
        "with fake_server() as (url, _):\n"
        "    open(%r, 'w').write('name: s\\nkind: serving\\njobs:\\n  - name: j\\n'\n"
        "        f'    endpoint: {url}\\n    model: {MODEL}\\n    requests: 2\\n    idle_s: 0\\n'\n"
        "        '    output_len: \"2\"\\n    max_lag_s: 1\\n    loads:\\n      - concurrency: 1\\n')\n"
        "    assert main(['run', %r, '--store', %r]) in (0, 1)\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    ) % ([str(Path(__file__).parent), *sys.path], str(tmp_path / "s.yaml"),
         str(tmp_path / "s.yaml"), str(tmp_path / "r.db"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "1 load point(s) stored" in out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_rerun_with_every_point_stored_touches_no_endpoint(tmp_path, capsys):
    """Resuming a finished serving suite measures nothing: no probe, no idle, no engine. The
    second run goes against an endpoint that is gone, and still succeeds."""
    from serving_fakes import MODEL, fake_server

    f, db = tmp_path / "s.yaml", str(tmp_path / "r.db")
    with fake_server() as (url, _):
        f.write_text(f"name: s\nkind: serving\njobs:\n  - name: j\n    endpoint: {url}\n"
                     f"    model: {MODEL}\n    requests: 2\n    idle_s: 0\n    output_len: \"2\"\n"
                     "    max_lag_s: 1\n    loads:\n      - concurrency: 1\n      - rate: 20\n")
        assert main(["run", str(f), "--store", db]) in (0, 1)
    assert "2 load point(s) stored" in capsys.readouterr().err
    assert main(["run", str(f), "--store", db]) == 0  # the server is gone: nothing was asked
    err = capsys.readouterr().err
    assert "all 2 load point(s) of run" in err and "already stored: nothing to measure" in err
    assert "endpoint OK" not in err


@pytest.mark.parametrize("field", ["idle_s", "timeout_s", "ready_timeout_s", "interval_s"])
@pytest.mark.parametrize("value", [".inf", ".nan"])
def test_a_number_that_is_not_finite_is_refused_with_its_line(field, value):
    """`idle_s: .inf` would sleep forever; job suites refuse it, serving suites too."""
    bad = GOOD.replace("    port: 18500\n", f"    port: 18500\n    {field}: {value}\n")
    with pytest.raises(ConfigError, match=rf"s\.yaml:8: jobs\[0\]\.{field}: .*finite"):
        parse_serving_suite(bad, "s.yaml")


def test_a_key_given_twice_is_refused_not_last_wins():
    bad = GOOD.replace("    port: 18500\n", "    port: 18500\n    port: 18501\n")
    with pytest.raises(ConfigError, match=r"s\.yaml:8: duplicate key 'port' \(first given at "
                                          r"line 7\)"):
        parse_serving_suite(bad, "s.yaml")


def test_an_unknown_key_names_the_closest_valid_one():
    with pytest.raises(ConfigError, match=r"jobs\[0\]\.prot: unknown key 'prot' \(did you mean "
                                          r"'port'.*\?\); valid keys: name, endpoint"):
        parse_serving_suite(GOOD.replace("port: 18500", "prot: 18500"), "s.yaml")


def test_an_idle_baseline_longer_than_a_week_is_refused():
    with pytest.raises(ConfigError, match=r"jobs\[0\]\.idle_s: .*less than or equal to 604800"):
        parse_serving_suite(GOOD.replace("    port: 18500\n", "    port: 18500\n    idle_s: 1e9\n"),
                            "s.yaml")
