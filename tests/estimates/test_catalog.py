import pytest

from wattprint.errors import ConfigError
from wattprint.estimates.catalog import (
    Range,
    api_models,
    find_model,
    hardware_key,
    hardware_specs,
    provider,
    providers,
)
from wattprint.estimates.observations import reference_data


def test_every_api_model_names_its_sources_and_a_sane_range():
    for m in set(api_models().values()):
        assert m.sources and all(s.strip() for s in m.sources), m.name
        assert m.active_params_b.hi <= m.total_params_b.hi, m.name
        assert 0.25 <= m.bytes_per_param.lo <= m.bytes_per_param.hi <= 4, m.name
        assert m.ecologits_active_b, m.name          # EcoLogits' figure kept beside ours


def test_names_aliases_and_open_models_resolve():
    assert find_model("GPT-4O").name == "gpt-4o"
    assert find_model("claude-3-5-sonnet-20241022").name == "claude-3-5-sonnet"
    assert find_model("mistral-large-2407").active_params_b == Range(123, 123)
    llama = find_model("Llama-3.1-70B-Instruct")
    assert llama.kind == "open" and llama.active_params_b.exact
    assert find_model("nothing-like-it") is None


def test_providers_and_hardware_tables():
    assert {"openai", "anthropic", "mistralai", "google"} <= set(providers())
    assert provider("openai").pue == Range(1.2, 1.2)
    with pytest.raises(ConfigError, match="unknown --provider 'opnai'.*did you mean 'openai'"):
        provider("opnai")
    fitted = {o.hardware for o in reference_data().observations}
    assert fitted <= set(hardware_specs())            # every reference hardware has a spec


@pytest.mark.parametrize("name, key", [("NVIDIA H100 80GB HBM3", "H100"),
                                       ("NVIDIA H100 PCIe", "H100"), ("NVIDIA B200", "B200"),
                                       ("NVIDIA A100-SXM4-80GB", "A100"),
                                       ("Tesla T4", "T4"), ("NVIDIA L40S", "L40S"),
                                       ("Some Accelerator", "Some Accelerator")])
def test_hardware_keys(name, key):
    assert hardware_key(name) == key


def test_reference_data_carries_its_licence_and_version():
    ref = reference_data()
    assert ref.meta["source_commit"].startswith("0cd52da")
    assert "Apache-2.0" in ref.meta["licence"] and ref.version.startswith("mlenergy-v3@0cd52da")
    assert len(ref.observations) == ref.meta["rows"]


def test_the_shipped_csv_is_the_one_its_metadata_describes():
    import hashlib
    from importlib import resources

    data = resources.files("wattprint.estimates.data")
    text = data.joinpath("mlenergy_llm_v3.csv").read_bytes()
    assert hashlib.sha256(text).hexdigest() == reference_data().meta["csv_sha256"]
    assert "Apache License" in data.joinpath("LICENSE-mlenergy-data.txt").read_text()
