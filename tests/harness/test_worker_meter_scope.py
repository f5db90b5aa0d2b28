"""A job charges only what it uses: cpu jobs measure no GPU, cuda:N jobs only GPU N."""

import importlib.util
import pathlib
import sys

import pytest
from harness_fakes import make_job

from wattprint.harness.worker import default_meter_factory

_spec = importlib.util.spec_from_file_location(
    "fake_pynvml_for_harness", pathlib.Path(__file__).parent.parent / "meters" / "fake_pynvml.py")
fake_pynvml = importlib.util.module_from_spec(_spec)
sys.modules.setdefault(_spec.name, fake_pynvml)  # dataclasses look their module up there
_spec.loader.exec_module(fake_pynvml)
FakeGpu = fake_pynvml.FakeGpu


def _with_device(job, device):
    if hasattr(job, "model_copy"):
        return job.model_copy(update={"device": device})
    return job.with_settings(device=device)


@pytest.fixture
def gpu_server(monkeypatch):
    nv = fake_pynvml.make([FakeGpu("NVIDIA A100-SXM4-80GB", f"GPU-{i}", 0) for i in range(2)])
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return nv


def _gpu_domains(meter):
    try:
        return [d.name for d in meter.domains() if d.component == "gpu"]
    finally:
        meter.close()


def test_cpu_job_on_a_gpu_server_measures_no_gpu(gpu_server):
    meter = default_meter_factory(_with_device(make_job(), "cpu"), lambda: None)
    assert _gpu_domains(meter) == []


def test_cuda_job_measures_only_its_gpu(gpu_server):
    meter = default_meter_factory(_with_device(make_job(), "cuda:1"), lambda: None)
    assert _gpu_domains(meter) == ["gpu:1"]
