import pytest

from wattprint.carbon.embodied import (
    SECONDS_PER_YEAR,
    Allocation,
    check_lifetime_years,
    check_share,
    detect_gpu,
    devices,
    embodied_part,
    lookup_gpu_model,
)
from wattprint.errors import ConfigError


def test_every_row_is_sourced():
    for d in devices().values():
        f = d.factor
        assert f.source and f.year and f.licence and f.version and f.source_url, d.key
        assert 0 < f.low <= f.value <= f.high
    gpus = [d for d in devices().values() if d.kind == "gpu"]
    assert {d.key for d in gpus} >= {"nvidia-h100", "nvidia-a100"}


@pytest.mark.parametrize("name,key", [
    ("NVIDIA H100 80GB HBM3", "nvidia-h100"), ("NVIDIA H100 PCIe", "nvidia-h100"),
    ("whole GPU NVIDIA A100-SXM4-80GB (visible index 0)", "nvidia-a100"),
    ("NVIDIA GH200 480GB", None), ("NVIDIA H200", None), ("NVIDIA GeForce RTX 4090", None),
    ("AMD Instinct MI300X", None),
])
def test_detection_by_model_token(name, key):
    d = detect_gpu([name])
    assert (d.key if d else None) == key


def test_unknown_model_flag_is_an_error_listing_known():
    with pytest.raises(ConfigError, match=r"--gpu-model.*'rtx4090'.*h100"):
        lookup_gpu_model("rtx4090")
    assert lookup_gpu_model("H100").key == "nvidia-h100"


def test_allocation_known_by_construction():
    # one GPU of a 1,000 kg-server slot... use the table's numbers: 1 H100 (164 kg) + 1/8 of
    # the p5 host (5700 kg) = 876.5 kg; one hour of a 3-year life, alone on it
    gpu = lookup_gpu_model("h100")
    a = Allocation(3600.0, 1.0, 3 * SECONDS_PER_YEAR)
    part, factors = embodied_part(gpu, 1, a)
    expected_g = (164 + 5700 / 8) * 1000 * 3600 / (3 * SECONDS_PER_YEAR)
    assert part.value == pytest.approx(expected_g)
    assert part.low == pytest.approx(expected_g)  # low: the NVIDIA figure
    assert part.high == pytest.approx((273 + 5700 / 8) * 1000 * 3600 / (3 * SECONDS_PER_YEAR))
    assert [f.key for f in factors] == ["nvidia-h100", "aws-p5.48xlarge"]
    # twice the busy time, or twice the share, twice the carbon; twice the life, half
    assert embodied_part(gpu, 1, Allocation(7200.0, 1.0, 3 * SECONDS_PER_YEAR))[0].value == \
        pytest.approx(2 * expected_g)
    assert embodied_part(gpu, 1, Allocation(3600.0, 0.5, 3 * SECONDS_PER_YEAR))[0].value == \
        pytest.approx(expected_g / 2)
    assert embodied_part(gpu, 1, Allocation(3600.0, 1.0, 6 * SECONDS_PER_YEAR))[0].value == \
        pytest.approx(expected_g / 2)


def test_unknown_device_is_missing_never_zero():
    part, factors = embodied_part(None, 1, Allocation(1.0, 1.0, 1.0), reason="no factor")
    assert part.value is None and part.reason == "no factor" and factors == ()


def test_parameter_checks():
    assert check_lifetime_years("3") == pytest.approx(3 * SECONDS_PER_YEAR)
    for bad in ("0", "-1", "x", "50"):
        with pytest.raises(ConfigError, match="--lifetime-years"):
            check_lifetime_years(bad)
    assert check_share("0.25") == 0.25
    for bad in ("0", "1.5", "-0.2"):
        with pytest.raises(ConfigError, match="--device-share"):
            check_share(bad)
