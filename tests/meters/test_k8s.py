"""Pod and container from cgroup paths of the formats kubelet writes (cgroupfs and systemd
drivers, cgroup v1 and v2, containerd, CRI-O and Docker), and from the Downward API."""

import pytest

from wattprint.meters.k8s import parse_cgroup_path, pod_identity

UID = "7d5a6b7e-1234-4f1a-9a3b-2b6c8d1e0f21"
USCORE = UID.replace("-", "_")
CID = "3b1c9f0e2d4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344"


@pytest.mark.parametrize("line, qos, runtime, cid", [
    # cgroup v1, cgroupfs driver: burstable and guaranteed (no QoS level)
    (f"11:blkio:/kubepods/burstable/pod{UID}/{CID}", "burstable", None, CID),
    (f"4:memory:/kubepods/pod{UID}/{CID}", "guaranteed", None, CID),
    # cgroup v2, cgroupfs driver
    (f"0::/kubepods/besteffort/pod{UID}/{CID}", "besteffort", None, CID),
    # cgroup v1, systemd driver (CRI-O), name=systemd hierarchy
    (f"1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{USCORE}"
     f".slice/crio-{CID}.scope", "burstable", "cri-o", CID),
    # cgroup v2, systemd driver: containerd, and guaranteed QoS
    (f"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{USCORE}.slice/"
     f"cri-containerd-{CID}.scope", "besteffort", "containerd", CID),
    (f"0::/kubepods.slice/kubepods-pod{USCORE}.slice/docker-{CID}.scope", "guaranteed",
     "docker", CID),
    # kind: the node is itself a container, kubelet's slices nested under it
    (f"0::/system.slice/docker-{'f' * 64}.scope/kubelet.slice/kubelet-kubepods.slice/"
     f"kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod{USCORE}.slice/"
     f"cri-containerd-{CID}.scope", "burstable", "containerd", CID),
    # containerd's systemd cgroup v1 layout: slice:runtime:id
    (f"13:memory:/system.slice/containerd.service/kubepods-burstable-pod{USCORE}.slice:"
     f"cri-containerd:{CID}", "burstable", "containerd", CID),
    # the pod-level cgroup (no container)
    (f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{USCORE}.slice",
     "burstable", None, None),
])
def test_real_cgroup_formats(line, qos, runtime, cid):
    got = parse_cgroup_path(line)
    assert got is not None
    assert got.pod_uid == UID and got.qos_class == qos
    assert got.runtime == runtime and got.container_id == cid


@pytest.mark.parametrize("line", ["0::/", "0::/user.slice/user-1000.slice/session-3.scope",
                                  f"0::/system.slice/docker-{CID}.scope",
                                  "12:cpu,cpuacct:/kubepods/burstable"])
def test_paths_that_are_not_a_pod(line):
    assert parse_cgroup_path(line) is None


def _proc(tmp_path, text):
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "cgroup").write_text(text)
    return str(tmp_path)


def test_names_come_from_the_downward_api_and_ids_from_the_cgroup(tmp_path):
    proc = _proc(tmp_path, f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                           f"{USCORE}.slice/cri-containerd-{CID}.scope\n")
    env = {"POD_NAME": "vllm-0", "POD_NAMESPACE": "serving", "CONTAINER_NAME": "engine",
           "NODE_NAME": "gpu-node-7"}
    ident = pod_identity(proc, env, sa_namespace_file=str(tmp_path / "none"))
    assert ident.labels() == {"pod": "vllm-0", "namespace": "serving", "container": "engine",
                              "node": "gpu-node-7", "pod_uid": UID, "container_id": CID}
    assert ident.sources["pod_uid"] == "cgroup path"
    assert ident.sources["pod"] == "env POD_NAME (Downward API)"


def test_a_private_cgroup_namespace_leaves_the_downward_api_and_fallbacks(tmp_path):
    proc = _proc(tmp_path, "0::/\n")
    ns = tmp_path / "namespace"
    ns.write_text("serving\n")
    ident = pod_identity(proc, {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "vllm-0"},
                         sa_namespace_file=str(ns))
    assert ident.labels() == {"pod": "vllm-0", "namespace": "serving"}
    assert "defaults to the pod name" in ident.sources["pod"]
    assert ident.pod_uid is None


def test_outside_kubernetes_there_is_no_identity(tmp_path):
    proc = _proc(tmp_path, "0::/user.slice/user-1000.slice/session-3.scope\n")
    assert pod_identity(proc, {"HOSTNAME": "laptop"}) is None
