"""Which Kubernetes pod and container this process runs in: from its cgroup path, and from the
Downward API where the path cannot say.

The cgroup path (``/proc/self/cgroup``) carries the pod's **UID**, its QoS class and the
**container ID**, in the formats kubelet writes:

* cgroupfs driver (v1 ``N:ctrl:/...`` or v2 ``0::/...``): ``/kubepods/burstable/pod<uid>/<id>``,
  ``/kubepods/pod<uid>/<id>`` (Guaranteed QoS);
* systemd driver: ``/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with
  _>.slice/cri-containerd-<id>.scope`` (``crio-``, ``docker-`` for other runtimes), also nested
  under ``kubelet.slice`` (kind) and the ``...slice:cri-containerd:<id>`` form of containerd's
  systemd cgroup v1 layout.

It never carries the pod's **name**, **namespace** or **container name**: those come from the
Downward API (``POD_NAME``, ``POD_NAMESPACE``, ``CONTAINER_NAME``, ``NODE_NAME`` environment
variables, as docs/kubernetes.md's manifest sets them), then from the service-account namespace
file and the hostname (which defaults to the pod name). Each field records where it came from.
With a private cgroup namespace (the default under cgroup v2) the path is ``0::/`` and only the
Downward API answers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_UID = r"([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})"
_POD = re.compile(r"pod" + _UID)
_QOS = re.compile(r"kubepods[-/](burstable|besteffort)")
_CONTAINER = re.compile(r"(?:/|[-:])(?:(cri-containerd|crio|docker)[-:])?([0-9a-f]{64})(?:\.scope)?$")
RUNTIMES = {"cri-containerd": "containerd", "crio": "cri-o", "docker": "docker"}
SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass(frozen=True)
class CgroupPod:
    """What a cgroup path says about a pod.

    Attributes:
        pod_uid: The pod's UID (dashes restored).
        qos_class: ``guaranteed``, ``burstable`` or ``besteffort``.
        container_id: The container's 64-hex ID, when the path ends in one.
        runtime: ``containerd``, ``cri-o`` or ``docker`` when the path names it.
    """

    pod_uid: str
    qos_class: str
    container_id: str | None = None
    runtime: str | None = None


def parse_cgroup_path(line: str) -> CgroupPod | None:
    """Parse one ``/proc/<pid>/cgroup`` line (or a bare path); None when it is not a pod's."""
    path = line.split(":", 2)[2] if re.match(r"^\d+:[^:]*:", line) else line
    path = path.strip()
    if "kubepods" not in path:
        return None
    pod = _POD.search(path)
    if pod is None:
        return None
    qos = _QOS.search(path)
    tail = _CONTAINER.search(path)
    return CgroupPod(pod.group(1).replace("_", "-"), qos.group(1) if qos else "guaranteed",
                     tail.group(2) if tail else None,
                     RUNTIMES.get(tail.group(1) or "") if tail else None)


@dataclass(frozen=True)
class PodIdentity:
    """The pod and container this process runs in.

    Attributes:
        pod, namespace, container, node: Names (None when unknown).
        pod_uid, container_id, qos_class, runtime: From the cgroup path.
        sources: Field -> where it came from (``cgroup path``, ``env POD_NAME`` ...).
    """

    pod: str | None = None
    namespace: str | None = None
    container: str | None = None
    node: str | None = None
    pod_uid: str | None = None
    container_id: str | None = None
    qos_class: str | None = None
    runtime: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """Prometheus labels of the known fields (``pod``, ``namespace``, ``container``,
        ``node``, ``pod_uid``, ``container_id``), in that order."""
        keys = ("pod", "namespace", "container", "node", "pod_uid", "container_id")
        return {k: str(getattr(self, k)) for k in keys if getattr(self, k)}


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def pod_identity(proc_root: str = "/proc", environ: Mapping[str, str] | None = None,
                 sa_namespace_file: str = SA_NAMESPACE) -> PodIdentity | None:
    """This process's pod, or None when it does not run in Kubernetes (no pod in its cgroup
    path and no ``KUBERNETES_SERVICE_HOST``)."""
    env = os.environ if environ is None else environ
    cg: CgroupPod | None = None
    for line in (_read(os.path.join(proc_root, "self", "cgroup")) or "").splitlines():
        cg = parse_cgroup_path(line) or cg
        if cg is not None and cg.container_id:
            break
    if cg is None and "KUBERNETES_SERVICE_HOST" not in env:
        return None
    sources: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for key, var in (("pod", "POD_NAME"), ("namespace", "POD_NAMESPACE"),
                     ("container", "CONTAINER_NAME"), ("node", "NODE_NAME")):
        if env.get(var):
            values[key], sources[key] = env[var], f"env {var} (Downward API)"
    if "namespace" not in values:
        ns = _read(sa_namespace_file)
        if ns:
            values["namespace"], sources["namespace"] = ns, sa_namespace_file
    if "pod" not in values and env.get("HOSTNAME"):
        values["pod"], sources["pod"] = env["HOSTNAME"], "env HOSTNAME (defaults to the pod name)"
    if cg is not None:
        for k in ("pod_uid", "qos_class", "container_id", "runtime"):
            if getattr(cg, k):
                sources[k] = "cgroup path"
    return PodIdentity(values.get("pod"), values.get("namespace"), values.get("container"),
                       values.get("node"), cg.pod_uid if cg else None,
                       cg.container_id if cg else None, cg.qos_class if cg else None,
                       cg.runtime if cg else None, sources)
