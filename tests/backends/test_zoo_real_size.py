"""One real-size zoo build (slow: about 5 s and 330 MB; deselect with -m 'not slow')."""

import pytest

from wattprint.backends import load_backend
from wattprint.tasks.base import Example


@pytest.mark.slow
def test_real_size_distilgpt2_has_the_real_models_dimensions(tmp_path):
    backend = load_backend("text-generation", "zoo:distilgpt2@real-size", zoo_cache_dir=tmp_path)
    info = backend.load()
    # distilgpt2 on the Hub: 81,912,576 parameters (the study's model_parameters.csv: 81.9M).
    # GPT-2 small with 6 layers: wte 50257*768 + wpe 1024*768 + 6 blocks * 7,087,872 + final LN 2*768.
    assert info.parameters == 50257 * 768 + 1024 * 768 + 6 * 7_087_872 + 2 * 768 == 81_912_576
    assert info.weights == "random" and info.extra["zoo"]["size"] == "real-size"
    p = backend.infer(Example("Alice bought a green bicycle in Paris and then she"))
    assert p.output_tokens == 10
