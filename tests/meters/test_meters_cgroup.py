"""The job's share of a shared host: cgroup v2/v1 limits, affinity, memory (fake trees)."""

import pytest

from wattprint.meters.cgroup import cpu_share, parse_cpu_list
from wattprint.meters.estimate import (
    FULL_LOAD_FRACTION,
    IDLE_FRACTION,
    CpuEstimateMeter,
    RamEstimateMeter,
)

EPYC_7763 = "AMD EPYC 7763 64-Core Processor"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fake_proc(tmp_path, cgroup_lines, cpu_name=EPYC_7763, stat=None):
    proc = tmp_path / "proc"
    write(proc / "self" / "cgroup", "\n".join(cgroup_lines) + "\n")
    write(proc / "cpuinfo", f"processor\t: 0\nmodel name\t: {cpu_name}\nflags\t\t: fpu hypervisor\n")
    write(proc / "stat", stat or "cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 50 0 50 500 0 0 0 0 0 0\n")
    return proc


def v2_container(tmp_path, usage_usec=0):
    proc = fake_proc(tmp_path, ["0::/kubepods/pod1/ctr"])
    cg = tmp_path / "cgroup"
    write(cg / "cgroup.controllers", "cpuset cpu io memory pids\n")
    leaf = cg / "kubepods" / "pod1" / "ctr"
    write(leaf / "cpu.max", "400000 100000\n")
    write(leaf / "cpuset.cpus.effective", "0-255\n")
    write(leaf / "memory.max", "16000000000\n")
    write(leaf / "cpu.stat", f"usage_usec {usage_usec}\nuser_usec 0\nsystem_usec 0\n")
    write(cg / "kubepods" / "cpu.max", "max 100000\n")
    return proc, cg, leaf


def test_parse_cpu_list():
    assert parse_cpu_list("0-3,8,10-11\n") == (0, 1, 2, 3, 8, 10, 11)


def test_cgroup_v2_quota_is_the_container_share(tmp_path):
    proc, cg, leaf = v2_container(tmp_path)
    s = cpu_share(str(cg), str(proc), host_cpus=256, affinity=tuple(range(256)))
    assert s.scope == "container" and s.cpus == 4.0 and s.cgroup_version == 2
    assert s.memory_limit_bytes == 16_000_000_000 and s.cgroup_dir == str(leaf)
    assert "quota 4 CPUs" in s.reason


def test_cgroup_v1_quota_cpuset_and_memory(tmp_path):
    proc = fake_proc(tmp_path, ["5:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc",
                                "3:cpuset:/docker/abc"])
    cg = tmp_path / "cgroup"
    d = cg / "cpu,cpuacct" / "docker" / "abc"
    write(d / "cpu.cfs_quota_us", "-1\n")
    write(d / "cpu.cfs_period_us", "100000\n")
    write(d / "cpuacct.usage", "2500000000\n")
    write(cg / "cpuset" / "docker" / "abc" / "cpuset.effective_cpus", "0-5\n")
    write(cg / "memory" / "docker" / "abc" / "memory.limit_in_bytes", "8000000000\n")
    s = cpu_share(str(cg), str(proc), host_cpus=64, affinity=tuple(range(64)))
    assert (s.scope, s.cpus, s.cgroup_version) == ("container", 6.0, 1)
    assert s.memory_limit_bytes == 8_000_000_000
    assert s.busy_s_reader(str(proc))() == pytest.approx(2.5)


def test_affinity_is_the_tightest_limit(tmp_path):
    stat = ("cpu  300 0 300 1000 0 0 0 0 0 0\ncpu0 40 0 60 500 0 0 0 0 0 0\n"
            "cpu1 260 0 240 500 0 0 0 0 0 0\n")
    proc = fake_proc(tmp_path, ["0::/"], stat=stat)
    s = cpu_share(str(tmp_path / "nocgroup"), str(proc), host_cpus=2, affinity=(0,))
    assert s.scope == "affinity" and s.cpus == 1.0
    # only cpu0's busy ticks count: (40 + 60) ticks of 10 ms
    assert s.busy_s_reader(str(proc))() == pytest.approx(1.0)


def test_no_limit_is_host_scope(tmp_path):
    proc = fake_proc(tmp_path, ["0::/"])
    s = cpu_share(str(tmp_path / "nocgroup"), str(proc), host_cpus=2, affinity=(0, 1))
    assert s.scope == "host" and s.cpus == 2.0


def test_container_is_charged_its_share_not_the_host(tmp_path):
    proc, cg, leaf = v2_container(tmp_path, usage_usec=1_000_000)
    share = cpu_share(str(cg), str(proc), host_cpus=256, affinity=tuple(range(256)))
    clock = iter([0.0, 10.0]).__next__
    m = CpuEstimateMeter(share=share, clock=clock, process=False, cgroup_root=str(cg),
                         proc_root=str(proc))
    assert m.model.logical_cpus == 4.0 and m.model.scope == "container"
    # EPYC 7763: 280 W for 128 threads; 4 CPUs -> TDP_eff 8.75 W, idle 8.75 W x the idle
    # fraction (the host's two sockets would idle at 560 W x the idle fraction)
    idle_w, full_w = IDLE_FRACTION * 8.75, FULL_LOAD_FRACTION * 8.75
    assert m.model.tdp_eff_w == pytest.approx(8.75) and m.model.idle_power_w == pytest.approx(idle_w)
    spec = m.domains()[0]
    assert spec.scope == "container" and "quota 4 CPUs" in spec.boundary
    write(leaf / "cpu.stat", "usage_usec 21000000\n")  # the cgroup used 20 CPU-s in 10 s
    e = m.read().energy_j["cpu:machine"]
    assert e == pytest.approx(idle_w * 10 + (full_w - idle_w) / 4 * 20)


def test_ram_is_the_memory_limit_in_a_container(tmp_path):
    proc, cg, _ = v2_container(tmp_path)
    share = cpu_share(str(cg), str(proc), host_cpus=256, affinity=tuple(range(256)))
    ram = RamEstimateMeter(share=share)
    if ram.installed_gb <= 16:
        pytest.skip("this machine has less RAM than the fake container's limit")
    assert ram.ram_gb == pytest.approx(16.0) and ram.domains()[0].scope == "container"


def test_busy_time_is_capped_at_cpus_times_elapsed():
    from wattprint.meters.estimate import resolve_cpu_model

    model = resolve_cpu_model("x", 2, [])  # 4 W per CPU: TDP_eff 8 W
    idle_w, k = IDLE_FRACTION * 8.0, (FULL_LOAD_FRACTION - IDLE_FRACTION) * 8.0 / 2
    t, busy = [0.0], [0.0]
    m = CpuEstimateMeter(model, process=False, busy_s=lambda: busy[0], clock=lambda: t[0])
    t[0], busy[0] = 0.002, 0.01  # a 2 ms window that saw one 10 ms tick
    r = m.read()
    # at most 2 CPUs x 2 ms of busy time: idle x 0.002 s + k x 0.004 CPU-s
    assert r.energy_j["cpu:machine"] == pytest.approx(idle_w * 0.002 + k * 0.004)
    assert r.energy_j["cpu:machine"] / 0.002 <= model.tdp_eff_w + 1e-9
    t[0] = 1.0  # the deferred busy time is credited later: nothing is lost
    assert m.read().energy_j["cpu:machine"] == pytest.approx(idle_w * 1.0 + k * 0.01)
    spec = m.domains()[0]
    # the 10 ms tick is in the window's uncertainty
    assert m.window_uncertainty(spec, 0.0256, 0.002) > spec.uncertainty + 1.0


def test_taskset_measure_reports_one_cpu_with_affinity_scope():
    import json
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        pytest.skip("needs taskset and 2+ CPUs")
    p = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "wattprint", "measure",
                        "--json", "--", sys.executable, "-c", "print(1)"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    cpu = [d for d in doc["domains"] if d["name"] == "cpu:machine"][0]
    assert cpu["scope"] == "affinity" and cpu["model"]["constants"]["logical_cpus"] == 1
