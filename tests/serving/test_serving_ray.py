"""A serving suite on a local Ray (2 CPUs) against real HTTP streaming servers on 127.0.0.1:
the points come back to the driver and are stored there, as a local run stores them; a rerun
stores nothing new; a worker that dies leaves its points lost with the reason."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")

from serving_fakes import MODEL, fake_server  # noqa: E402

from wattprint.cli import main  # noqa: E402
from wattprint.results.serving_store import read_points  # noqa: E402
from wattprint.results.store import ResultStore  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]


def suite_yaml(vllm: str, transformers: str) -> str:
    job = """  - name: {name}
    endpoint: "{url}"
    model: {model}
    engine: {engine}
    requests: 6
    output_len: "4"
    idle_s: 0.3
    interval_s: 0.05
    max_lag_s: 1.0
    loads:
      - rate: 30
      - concurrency: 2
"""
    return "name: sray\nkind: serving\njobs:\n" + "".join(
        job.format(name=n, url=u, model=MODEL, engine=e)
        for n, u, e in (("vllm-like", vllm, "vllm"), ("tf-like", transformers, "transformers")))


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def stored(db):
    with ResultStore(db) as store:
        return read_points(store, suite="sray")


def test_serving_suite_on_ray_stores_what_a_local_run_stores_and_resumes(local_ray, tmp_path):
    with fake_server("vllm") as (a, _), fake_server("transformers") as (b, _):
        f = tmp_path / "s.yaml"
        f.write_text(suite_yaml(a, b))
        on_ray, here = str(tmp_path / "ray.db"), str(tmp_path / "local.db")
        rc = main(["run", str(f), "--executor", "ray", "--store", on_ray])
        assert rc in (0, 1)  # 1 only for a point flagged for its sum check, checked below
        got = stored(on_ray)
        assert main(["run", str(f), "--store", here]) in (0, 1)
        want = stored(here)
        key = lambda p: (p.run_id, p.point_id)  # noqa: E731
        assert sorted(map(key, got)) == sorted(map(key, want))
        assert len(got) == 4 and {p.arrivals for p in got} == {
            "poisson 30 req/s", "closed-loop concurrency 2"}
        assert rc == (1 if any("attribution_residual_over_1pct" in p.flags for p in got) else 0)
        for g in got:
            w = next(p for p in want if key(p) == key(g))
            assert set(g.to_dict()) == set(w.to_dict())
            assert g.requests_ok == 6 and g.requests_failed == 0
            assert g.energy_j is not None and g.energy_j > 0
            assert g.energy_provenance == w.energy_provenance
            assert g.suite == "sray" and g.engine["name"] == w.engine["name"]
            assert g.environment["ray"]["node_id"] and "ray" not in w.environment
        # a second run finds every point stored and stores nothing new
        assert main(["run", str(f), "--executor", "ray", "--store", on_ray]) == 0
        assert sorted(map(key, stored(on_ray))) == sorted(map(key, got))


def test_a_dead_worker_leaves_its_points_lost_and_the_suite_goes_on(local_ray, tmp_path, capsys):
    from serving_fakes import free_port

    # the launched job gets a free port: a port that already answers is refused before launching
    with fake_server("transformers") as (b, _):
        text = suite_yaml(f"http://127.0.0.1:{free_port()}", b).replace(
            "  - name: vllm-like\n",
            # the "engine" kills its parent, the Ray worker running the job
            "  - name: vllm-like\n    launch: \"sh -c 'kill -9 $PPID'\"\n"
            "    ready_timeout_s: 20\n")
        f = tmp_path / "s.yaml"
        f.write_text(text)
        db = str(tmp_path / "r.db")
        assert main(["run", str(f), "--executor", "ray", "--store", db]) == 1
        err = capsys.readouterr().err
        assert "energy not measured" in err and "vllm-like poisson 30 req/s: worker on" in err
        assert "died" in err
        points = stored(db)
        assert {p.run_id.split("-")[1] for p in points} == {"tf"}  # the other job ran
        assert len(points) == 2


def test_resources_follow_the_ray_executor_rules(local_ray, tmp_path, capsys):
    from wattprint.serving.ray_run import RayServingRunner
    from wattprint.serving.suite import parse_serving_suite

    spec = parse_serving_suite(suite_yaml("http://127.0.0.1:1", "http://127.0.0.1:2")).spec
    cpu_job = spec.jobs[0]
    runner = RayServingRunner()
    assert runner.resources_for(cpu_job) == ({"num_cpus": 2.0, "num_gpus": 0}, False)
    runner.cpus_per_job = 1.0
    assert runner.resources_for(cpu_job) == ({"num_cpus": 1.0, "num_gpus": 0}, True)
    # a cuda job asks for a whole GPU; this Ray has none: refused before anything runs
    f = tmp_path / "s.yaml"
    f.write_text(suite_yaml("http://127.0.0.1:1", "http://127.0.0.1:2").replace(
        "    engine: vllm\n", "    engine: vllm\n    device: cuda\n"))
    assert main(["run", str(f), "--executor", "ray", "--store", str(tmp_path / "r.db")]) == 2
    assert "'vllm-like' wants a GPU (device: cuda) but no alive Ray node has 1 GPU" in \
        capsys.readouterr().err
