"""Kepler's Prometheus page (sustainable-computing-io/kepler 0.10 and later) as energy domains.

Metric names and labels are those of Kepler's ``power_collector.go``; every one carries the
constant label ``node_name``:

* ``kepler_node_cpu_joules_total{zone, path}`` — the node's RAPL counters, read by Kepler →
  ``measured``; zones ``package`` (domain ``cpu:<node>/<path>``) and ``dram``
  (``dram:<node>/<path>``). ``core``/``uncore`` lie inside ``package`` and ``psys`` spans the
  platform, so they are not read (summing zones would count energy twice).
* ``kepler_node_cpu_active_joules_total`` / ``kepler_node_cpu_idle_joules_total`` — Kepler's
  split of the same counters into active and idle energy (idle = its auto-detected minimum
  power) → ``attributed``, scope ``split``: ``cpu-active:<node>/<path>``, ``cpu-idle:...``.
* ``kepler_node_gpu_joules_total{gpu, gpu_uuid, gpu_name}`` → ``measured``, ``gpu:<node>/<gpu>``.
* ``kepler_pod_cpu_joules_total{pod_id, pod_name, pod_namespace, state, zone}`` and
  ``kepler_pod_gpu_joules_total`` — Kepler's share of the node's energy given to each pod (by
  CPU time, GPU process utilisation) → ``attributed``, scope ``pod``:
  ``pod:<namespace>/<name>@<node>/<zone>`` and ``.../gpu``. A pod is identified by its id, not its
  ``state``: it stays the same domain when it goes from ``running`` to ``terminated``, and one
  that vanishes from the page stops growing instead of failing the read.

``pods`` selects pods by ``namespace/name`` glob patterns (``--kepler-pods``, else ``WATTPRINT_KEPLER_PODS``,
comma-separated); all pods on the page by default. Kepler refreshes every 5 s by default
(``--monitor.interval``), so its counters move in steps of that interval.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence

from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.prom_series import CounterSeries, Samples

NODE_CPU = "kepler_node_cpu_joules_total"
NODE_CPU_ACTIVE = "kepler_node_cpu_active_joules_total"
NODE_CPU_IDLE = "kepler_node_cpu_idle_joules_total"
NODE_GPU = "kepler_node_gpu_joules_total"
POD_CPU = "kepler_pod_cpu_joules_total"
POD_GPU = "kepler_pod_gpu_joules_total"
ZONES = {"package": "cpu", "dram": "dram"}
"""RAPL zones read, and the component each becomes."""
MONITOR_INTERVAL_S = 5.0
"""Kepler's default ``--monitor.interval``."""


def _norm(name: str) -> str:
    """The prometheus_client parser may or may not keep a counter's ``_total`` suffix."""
    return name if name.endswith("_total") else name + "_total"


def _where(lab: dict[str, str]) -> str:
    path = lab.get("path", "")
    return os.path.basename(path.rstrip("/")) or lab.get("zone", "?")


def _node(url: str, name: str, lab: dict[str, str], node: str) -> CounterSeries | None:
    zone = lab.get("zone", "")
    if zone not in ZONES:
        return None
    comp, where = ZONES[zone], _where(lab)
    ident = tuple((k, lab[k]) for k in ("node_name", "zone", "path") if k in lab)
    src = f"prometheus:{url} {name}"
    if name == NODE_CPU:
        return CounterSeries(DomainSpec(
            f"{comp}:{node}/{where}", comp, f"RAPL {zone} {lab.get('path', '')} on node {node} "
            f"(Kepler at {url})", Provenance.MEASURED, src), name, ident)
    state = "active" if name == NODE_CPU_ACTIVE else "idle"
    return CounterSeries(DomainSpec(
        f"{comp}-{state}:{node}/{where}", comp, f"Kepler's {state} part of RAPL {zone} on node "
        f"{node} (idle = its auto-detected minimum power)", Provenance.ATTRIBUTED, src,
        scope="split"), name, ident)


def _pod(url: str, name: str, lab: dict[str, str], node: str) -> CounterSeries | None:
    zone = lab.get("zone", "gpu") if name == POD_CPU else "gpu"
    if name == POD_CPU and zone not in ZONES:
        return None
    who = f"{lab.get('pod_namespace', '?')}/{lab.get('pod_name', lab.get('pod_id', '?'))}"
    ident = tuple((k, lab[k]) for k in ("node_name", "pod_id", "zone") if k in lab)
    how = "CPU time" if name == POD_CPU else "GPU process utilisation"
    return CounterSeries(DomainSpec(
        f"pod:{who}@{node}/{zone}", ZONES.get(zone, "gpu"),
        f"pod {who} (id {lab.get('pod_id', '?')}): Kepler's share of node {node}'s {zone} "
        f"energy by {how}", Provenance.ATTRIBUTED, f"prometheus:{url} {name}", scope="pod"),
        name, ident, may_vanish=True)


def kepler_series(url: str, host: str, values: Samples,
                  pods: Sequence[str] | None = None) -> list[CounterSeries]:
    """The Kepler series of one scrape (module docstring).

    Args:
        url: The page scraped.
        host: ``host:port`` of the page (node name when the page carries none).
        values: The scrape.
        pods: ``namespace/name`` glob patterns of the pods to read (None: all).
    """
    out: dict[str, CounterSeries] = {}
    for (raw, labels) in sorted(values, key=lambda k: (dict(k[1]).get("state") == "terminated", k)):
        name, lab = _norm(raw), dict(labels)
        node = lab.get("node_name", host)
        s: CounterSeries | None = None
        if name in (NODE_CPU, NODE_CPU_ACTIVE, NODE_CPU_IDLE):
            s = _node(url, name, lab, node)
        elif name == NODE_GPU:
            ident = tuple((k, lab[k]) for k in ("node_name", "gpu") if k in lab)
            s = CounterSeries(DomainSpec(
                f"gpu:{node}/{lab.get('gpu', '?')}", "gpu",
                f"whole GPU {lab.get('gpu_name', '')} {lab.get('gpu_uuid', '')} on node {node} "
                f"(Kepler at {url})", Provenance.MEASURED, f"prometheus:{url} {name}"),
                name, ident)
        elif name in (POD_CPU, POD_GPU):
            who = f"{lab.get('pod_namespace', '')}/{lab.get('pod_name', '')}"
            if pods is None or any(fnmatch.fnmatchcase(who, p) for p in pods):
                s = _pod(url, name, lab, node)
        if s is not None and s.spec.name not in out:
            out[s.spec.name] = CounterSeries(s.spec, raw, s.ident, s.to_j, s.may_vanish)
    return list(out.values())
