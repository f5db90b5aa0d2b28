import sys

import pytest

from wattprint.meters.command import CommandError, measure_command


def test_measures_a_real_command_and_forwards_exit_code():
    code, r = measure_command([sys.executable, "-c", "import sys; sum(range(300000)); sys.exit(4)"],
                              components=("cpu", "ram"))
    assert code == 4
    assert r.duration_s > 0
    proc = r.domain("cpu:process")
    # the child's CPU time is counted once it is reaped: a Python start-up is never free
    assert proc.energy_j > 0
    assert r.label.startswith(sys.executable)


def test_signal_exit_code_like_a_shell():
    code, _ = measure_command([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"],
                              components=("ram",))
    assert code == 128 + 15


def test_missing_command_is_127():
    with pytest.raises(CommandError, match="command not found: 'no-such-cmd-xyz'") as e:
        measure_command(["no-such-cmd-xyz"], components=("ram",))
    assert e.value.exit_code == 127


def test_not_executable_is_126(tmp_path):
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\n")
    f.chmod(0o644)
    # execve needs an x bit even for root, so this holds when tests run as root too
    with pytest.raises(CommandError) as e:
        measure_command([str(f)], components=("ram",))
    assert e.value.exit_code == 126


def test_empty_command():
    with pytest.raises(CommandError, match="no command"):
        measure_command([])


def test_measure_charges_only_the_gpus_the_command_used(monkeypatch, tmp_path):
    import sys

    import fake_pynvml
    import psutil
    from fake_pynvml import FakeGpu

    from wattprint.meters.command import measure_command

    used = FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-b", 0,
                   pids=lambda: tuple(c.pid for c in psutil.Process().children(recursive=True)))
    nv = fake_pynvml.make([FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0), used])
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    argv = [sys.executable, "-c", "import time; time.sleep(0.5)"]
    code, r = measure_command(argv, components=("gpu",), powercap_root=str(tmp_path),
                              gpus="used")
    assert code == 0 and [d.name for d in r.domains] == ["gpu:1"]
    assert any("measured gpu:1" in w and "not measured: gpu:0" in w for w in r.warnings)
    code, r = measure_command(argv[:2] + ["pass"], components=("gpu",),
                              powercap_root=str(tmp_path), gpus="all")
    assert [d.name for d in r.domains] == ["gpu:0", "gpu:1"]
    code, r = measure_command(argv[:2] + ["pass"], components=("gpu", "ram"),
                              powercap_root=str(tmp_path), gpus="none")
    assert [d.name for d in r.domains] == ["ram:machine"]
