import numpy as np
import pytest
from PIL import Image

from wattprint.backends import load_backend
from wattprint.backends.diffusers import DiffusersBackend
from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, build
from wattprint.errors import BackendError, ConfigError, TaskError


def test_text_to_image_end_to_end_on_tiny_zoo(zoo_cache, examples):
    backend = load_backend("text-to-image", DEFAULT_ZOO_MODELS["text-to-image"], zoo_cache_dir=zoo_cache,
                           num_inference_steps=2, height=32, width=48, batch_size=2)
    assert isinstance(backend, DiffusersBackend)
    info = backend.load()
    assert info.weights == "random" and info.backend == "diffusers" and info.parameters > 0
    assert info.extra["architecture"] == "StableDiffusionPipeline"
    preds = [backend.infer(ex) for ex in examples["text-to-image"]]
    for p in preds:
        assert isinstance(p.output, Image.Image) and p.output.size == (48, 32) and p.work_units == 1.0
    batch = backend.infer_batch(examples["text-to-image"])
    assert len(batch) == 2
    # the same prompt and seed give the same image, batched or not (up to float rounding)
    diff = np.abs(np.asarray(batch[0].output, dtype=int) - np.asarray(preds[0].output, dtype=int))
    assert diff.max() <= 2
    assert np.abs(np.asarray(preds[0].output, dtype=int) - np.asarray(preds[1].output, dtype=int)).max() > 2
    backend.sync()
    backend.unload()
    with pytest.raises(BackendError, match="before load"):
        backend.infer(examples["text-to-image"][0])


def test_text_to_image_refuses_what_is_not_a_pipeline(tmp_path, zoo_cache):
    with pytest.raises(TaskError, match="not a diffusers pipeline"):
        load_backend("text-to-image", str(build("distilbert-sst2", "tiny", zoo_cache))).load()
    with pytest.raises(BackendError, match="does not exist"):
        load_backend("text-to-image", str(tmp_path / "missing")).load()
    with pytest.raises(TaskError, match="is a diffusers pipeline, which cannot do image-classification"):
        load_backend("image-classification", str(build("tiny-sd", "tiny", zoo_cache)))
    with pytest.raises(TaskError, match="runs text-to-image"):
        DiffusersBackend("image-to-text", "x")
    with pytest.raises(ConfigError, match="num_inference_steps"):
        DiffusersBackend("text-to-image", "x", num_inference_steps=0)
