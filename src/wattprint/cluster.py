"""Ray resource rules, shared by the suite executor (``harness``) and serving suites (``serving``).

Pure functions over the alive nodes' resources (no Ray import), so both executors ask Ray for
the same things: a GPU job takes ``gpus_per_job`` GPUs and one CPU; a CPU job takes a whole
node's CPUs unless ``cpus_per_job`` allows sharing.
"""

from __future__ import annotations

from collections.abc import Sequence

from wattprint.errors import ConfigError


def alive_resource(nodes: Sequence[dict], resource: str) -> list[float]:
    """Amount of ``resource`` (``CPU``, ``GPU``) on each alive node of ``ray.nodes()``."""
    return [float(n["Resources"].get(resource, 0)) for n in nodes if n.get("Alive")]


def ray_resources(*, wants_gpu: bool, what: str, node_cpus: Sequence[float],
                  node_gpus: Sequence[float], gpus_per_job: float,
                  cpus_per_job: float | None) -> tuple[dict[str, float], bool]:
    """Ray options for one job, and whether it may share its node with other jobs.

    Args:
        wants_gpu: The job runs on a GPU.
        what: How to name the job in the error (e.g. ``"job X wants a GPU (cuda:0)"``).
        node_cpus, node_gpus: CPUs and GPUs of each alive node.
        gpus_per_job: GPUs a GPU job asks for.
        cpus_per_job: CPUs a CPU job asks for; None: every CPU of a node (the job runs alone).

    Raises:
        ConfigError: a GPU job and no alive node with enough GPUs.
    """
    if wants_gpu:
        if not any(g >= gpus_per_job for g in node_gpus):
            raise ConfigError(f"{what} but no alive Ray node has {gpus_per_job:g} GPU(s)")
        # host-side domains (CPU, RAM) are shared with the other GPUs' jobs on the node
        return {"num_gpus": gpus_per_job, "num_cpus": 1.0}, any(g > gpus_per_job for g in node_gpus)
    if cpus_per_job is None:
        return {"num_cpus": max(node_cpus) if node_cpus else 1.0, "num_gpus": 0}, False
    return {"num_cpus": cpus_per_job, "num_gpus": 0}, cpus_per_job < max(node_cpus or [0])
