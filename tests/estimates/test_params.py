import numpy as np
import pytest
from safetensors.numpy import save_file

from wattprint.errors import ConfigError
from wattprint.estimates.params import local_model_size, model_size, read_params_file


def test_a_local_folder_is_sized_from_its_safetensors_headers(tmp_path):
    save_file({"a": np.zeros((300, 100), dtype=np.float32), "b": np.zeros(500, dtype=np.float32)},
              str(tmp_path / "model-00001.safetensors"))
    save_file({"c": np.zeros((10, 50), dtype=np.float16)}, str(tmp_path / "model-00002.safetensors"))
    active, total, nbytes = local_model_size(tmp_path)
    n = 300 * 100 + 500 + 500
    assert active == total == pytest.approx(n / 1e9)
    assert nbytes == pytest.approx((4 * 30500 + 2 * 500) / n)
    assert local_model_size(tmp_path / "nothing") is None


def test_a_corrupt_safetensors_file_is_named(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"\x05\x00")
    with pytest.raises(ConfigError, match="x.safetensors"):
        local_model_size(tmp_path)


def test_the_params_file_then_the_tables_then_the_folder(tmp_path):
    p = tmp_path / "params.csv"
    p.write_text("model,active_params_b,total_params_b\nmine,1.5,3\nother,2,\n")
    table = read_params_file(p)
    assert table == {"mine": (1.5, 3.0, 2.0), "other": (2.0, 2.0, 2.0)}
    assert model_size("mine", table) == (1.5, 3.0, 2.0)
    assert model_size("mistral-large-2", {}) is not None                # exact in the table
    assert isinstance(model_size("gpt-4o", {}), str)                    # a range: not exact
    assert "unknown" in model_size("/nowhere/at/all", {})


@pytest.mark.parametrize("text, message", [
    ("name,size\nx,1\n", "needs a header"),
    ("model,active_params_b\nx,abc\n", "line 2"),
    ("model,active_params_b,total_params_b\nx,5,2\n", "total >= active"),
    ("model,active_params_b\nx,-1\n", "line 2"),
])
def test_bad_params_files_name_the_line(tmp_path, text, message):
    p = tmp_path / "p.csv"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_params_file(p)
