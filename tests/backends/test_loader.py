import pytest

from wattprint.backends import load_backend
from wattprint.backends.callable import CallableBackend
from wattprint.backends.diffusers import DiffusersBackend
from wattprint.backends.transformers import TransformersBackend
from wattprint.errors import ConfigError, TaskError
from wattprint.tasks.base import Example


def test_dispatch_by_reference_kind():
    b = load_backend("text-classification", "callable:builtins:len")
    assert isinstance(b, CallableBackend)
    b.load()
    assert b.infer(Example("abcd")).output == 4
    assert isinstance(load_backend("fill-mask", "zoo:distilbert-mlm"), TransformersBackend)
    assert isinstance(load_backend("text-to-image", "zoo:tiny-sd@tiny"), DiffusersBackend)
    # hub ids are checked at load() time (no network here), not when the backend is made
    assert isinstance(load_backend("text-generation", "distilgpt2"), TransformersBackend)
    assert isinstance(load_backend("text-to-image", "segmind/tiny-sd"), DiffusersBackend)


def test_unknown_task_setting_and_wrong_zoo_model():
    with pytest.raises(ConfigError, match=r"unknown task 'text-clasification' \(did you mean 'text-classification'"):
        load_backend("text-clasification", "zoo:distilbert-sst2")
    with pytest.raises(ConfigError, match=r"unknown setting for TransformersBackend 'batchsize' \(did you mean 'batch_size'"):
        load_backend("text-classification", "zoo:distilbert-sst2", batchsize=2)
    assert isinstance(load_backend("text-classification", "callable:builtins:len", device=None), CallableBackend)
    with pytest.raises(ConfigError, match="unknown setting for CallableBackend .device.; valid: name"):
        load_backend("text-classification", "callable:builtins:len", device="cuda")
    with pytest.raises(TaskError, match="yolos-tiny-architecture zoo model for object-detection, which cannot do "
                                        "image-classification"):
        load_backend("image-classification", "zoo:yolos-tiny")
    with pytest.raises(TaskError, match="multi-purpose model: use mode='zero-shot'"):
        load_backend("text-classification", "zoo:bloomz")


def test_hub_model_not_in_cache_fails_at_load_with_the_reason(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backend = load_backend("text-classification", "nobody-here/not-a-model", local_files_only=True)
    with pytest.raises(Exception) as err:
        backend.load()
    assert "nobody-here/not-a-model" in str(err.value) and "cannot read its config" in str(err.value)
