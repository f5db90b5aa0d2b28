"""Environment fingerprint and hardware id."""

from __future__ import annotations

from wattprint.harness.environment import fingerprint, hardware_id_of, library_versions


def test_hardware_id_depends_on_hardware_only_and_rounds_ram():
    a = hardware_id_of("Xeon 8275CL", ["A100", "A100"], 64 * 2**30)
    assert a == hardware_id_of("Xeon 8275CL", ["A100", "A100"], 64 * 2**30 - 2**20)
    assert a != hardware_id_of("Xeon 8275CL", ["A100"], 64 * 2**30)
    assert a != hardware_id_of("EPYC", ["A100", "A100"], 64 * 2**30)
    assert a != hardware_id_of("Xeon 8275CL", ["A100", "A100"], 128 * 2**30)


def test_fingerprint_names_machine_and_software():
    fp = fingerprint()
    for key in ("hostname", "cpu_model", "cpu_cores_logical", "ram_bytes", "gpu", "os", "python",
                "libraries", "wattprint_commit", "hardware_id"):
        assert key in fp
    assert fp["libraries"]["torch"] == library_versions()["torch"]
    assert fp["gpu"]["available"] in (True, False)
    assert fp["hardware_id"] == hardware_id_of(fp["cpu_model"],
                                               [d["name"] for d in fp["gpu"].get("devices", [])],
                                               fp["ram_bytes"])
