"""What share of the host this process may use: cgroup limits and CPU affinity.

A job in a container or pinned with ``taskset`` can use only part of the machine, and an
estimate must charge it for that part, not for the host. This module reads, without any
privilege:

* **cgroup v2** (one unified hierarchy, ``/proc/self/cgroup`` line ``0::<path>``):
  ``cpu.max`` (``"<quota_us> <period_us>"`` or ``"max <period_us>"``),
  ``cpuset.cpus.effective``, ``memory.max`` and ``cpu.stat`` (``usage_usec``);
* **cgroup v1** (one hierarchy per controller, lines ``N:cpu,cpuacct:<path>``):
  ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, ``cpuset.effective_cpus`` (or
  ``cpuset.cpus``), ``memory.limit_in_bytes`` and ``cpuacct.usage`` (ns);
* ``sched_getaffinity(0)``: the CPUs this process may run on.

Limits are read along the path from the process's cgroup up to the root (the smallest wins,
as the kernel enforces). The cgroup mount is ``cgroup_root`` (default ``/sys/fs/cgroup``) and
procfs is ``proc_root``, both settable so that tests use fake trees.

**Scope** names what the CPU share is bounded by: ``affinity`` when the affinity mask is the
tightest limit and smaller than the host, ``container`` when a cgroup quota or cpuset is, and
``host`` otherwise. The CPU count of the share may be fractional (``cpu.max`` of 150000/100000
is 1.5 CPUs).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

UNLIMITED_BYTES: int = 2**60
"""cgroup v1 reports "no memory limit" as a page-rounded 2^63-1; anything above this is none."""


@dataclass(frozen=True)
class CpuShare:
    """The CPUs and memory this process may use, and how utilisation is read for them.

    Attributes:
        scope: ``host``, ``container`` or ``affinity``.
        cpus: CPUs of the share (may be fractional under a cgroup quota).
        host_cpus: Logical CPUs of the host.
        affinity: The CPU ids this process may run on.
        cgroup_dir: The cgroup directory whose CPU usage is read (container scope), or "".
        cgroup_version: 1 or 2 (0 when no cgroup was read).
        memory_limit_bytes: The cgroup memory limit, None when there is none.
        reason: How the share was found, in words.
    """

    scope: str
    cpus: float
    host_cpus: int
    affinity: tuple[int, ...]
    cgroup_dir: str = ""
    cgroup_version: int = 0
    memory_limit_bytes: int | None = None
    reason: str = ""

    def busy_s_reader(self, proc_root: str = "/proc") -> Callable[[], float]:
        """A function returning cumulative busy CPU-seconds of this share.

        ``container``: the cgroup's own usage (``cpu.stat`` usage_usec / ``cpuacct.usage``);
        ``affinity``: the per-CPU lines of ``/proc/stat`` for the allowed CPUs; ``host``: the
        first line of ``/proc/stat``.
        """
        if self.scope == "container" and self.cgroup_dir:
            return _cgroup_usage_reader(self.cgroup_dir, self.cgroup_version)
        if self.scope == "affinity":
            return _proc_stat_reader(os.path.join(proc_root, "stat"), set(self.affinity))
        return _proc_stat_reader(os.path.join(proc_root, "stat"), None)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def parse_cpu_list(text: str) -> tuple[int, ...]:
    """Parse a kernel CPU list (``"0-3,8,10-11"``) into CPU ids.

    Raises:
        ValueError: The text is not a CPU list.
    """
    out: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return tuple(sorted(set(out)))


def cgroup_paths(proc_root: str = "/proc") -> dict[str, str]:
    """Controller → cgroup path of this process (``""`` key for the v2 unified hierarchy)."""
    text = _read(os.path.join(proc_root, "self", "cgroup")) or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hid, ctrls, path = parts
        if hid == "0" and ctrls == "":
            out[""] = path
        for c in ctrls.split(","):
            if c:
                out[c] = path
    return out


def _dirs_up(root: str, path: str) -> list[str]:
    """Existing directories from ``root/path`` up to ``root`` (a namespaced container sees
    its own cgroup as the mount root, so the leaf may not exist under the host path)."""
    parts = [p for p in path.split("/") if p]
    out = []
    for i in range(len(parts), -1, -1):
        d = os.path.join(root, *parts[:i])
        if os.path.isdir(d):
            out.append(d)
    return out


def _v2_limits(dirs: list[str]) -> tuple[float | None, tuple[int, ...] | None, int | None]:
    quota: float | None = None
    cpuset: tuple[int, ...] | None = None
    mem: int | None = None
    for d in dirs:
        if (t := _read(os.path.join(d, "cpu.max"))) is not None:
            q, _, period = t.partition(" ")
            if q != "max" and period:
                cpus = int(q) / int(period)
                quota = cpus if quota is None else min(quota, cpus)
        if cpuset is None and (t := _read(os.path.join(d, "cpuset.cpus.effective"))):
            cpuset = parse_cpu_list(t)
        if (t := _read(os.path.join(d, "memory.max"))) is not None and t != "max":
            mem = int(t) if mem is None else min(mem, int(t))
    return quota, cpuset, mem


def _v1_limits(root: str, paths: dict[str, str]
               ) -> tuple[float | None, tuple[int, ...] | None, int | None, str]:
    quota: float | None = None
    cpuset: tuple[int, ...] | None = None
    mem: int | None = None
    acct_dir = ""
    for mount in ("cpu,cpuacct", "cpu", "cpuacct"):
        if "cpu" in paths and os.path.isdir(os.path.join(root, mount)):
            for d in _dirs_up(os.path.join(root, mount), paths.get("cpu", "/")):
                q, p = _read(os.path.join(d, "cpu.cfs_quota_us")), _read(os.path.join(d, "cpu.cfs_period_us"))
                if q and p and int(q) > 0:
                    cpus = int(q) / int(p)
                    quota = cpus if quota is None else min(quota, cpus)
            break
    for mount in ("cpu,cpuacct", "cpuacct"):
        if "cpuacct" in paths and os.path.isdir(os.path.join(root, mount)):
            dirs = _dirs_up(os.path.join(root, mount), paths["cpuacct"])
            acct_dir = dirs[0] if dirs and os.path.exists(os.path.join(dirs[0], "cpuacct.usage")) else ""
            break
    if "cpuset" in paths:
        for d in _dirs_up(os.path.join(root, "cpuset"), paths["cpuset"]):
            t = _read(os.path.join(d, "cpuset.effective_cpus")) or _read(os.path.join(d, "cpuset.cpus"))
            if t:
                cpuset = parse_cpu_list(t)
                break
    if "memory" in paths:
        for d in _dirs_up(os.path.join(root, "memory"), paths["memory"]):
            t = _read(os.path.join(d, "memory.limit_in_bytes"))
            if t and int(t) < UNLIMITED_BYTES:
                mem = int(t) if mem is None else min(mem, int(t))
    return quota, cpuset, mem, acct_dir


def cpu_share(cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc",
              host_cpus: int | None = None, affinity: tuple[int, ...] | None = None) -> CpuShare:
    """Find the CPU and memory share of this process.

    Args:
        cgroup_root: The cgroup mount.
        proc_root: The procfs mount (``self/cgroup`` is read there).
        host_cpus: Logical CPUs of the host (``os.cpu_count()`` when None).
        affinity: Allowed CPU ids (``os.sched_getaffinity(0)`` when None).

    Returns:
        The share; ``host`` scope when nothing limits the process.
    """
    host = host_cpus if host_cpus is not None else (os.cpu_count() or 1)
    if affinity is None:
        try:
            affinity = tuple(sorted(os.sched_getaffinity(0)))
        except (AttributeError, OSError):  # not on Linux
            affinity = tuple(range(host))
    paths = cgroup_paths(proc_root)
    version = 0
    acct_dir = ""
    quota: float | None = None
    cpuset: tuple[int, ...] | None = None
    mem: int | None = None
    if "" in paths and os.path.exists(os.path.join(cgroup_root, "cgroup.controllers")):
        version = 2
        dirs = _dirs_up(cgroup_root, paths[""])
        quota, cpuset, mem = _v2_limits(dirs)
        acct_dir = dirs[0] if dirs and os.path.exists(os.path.join(dirs[0], "cpu.stat")) else ""
    elif any(k for k in paths if k):
        version = 1
        quota, cpuset, mem, acct_dir = _v1_limits(cgroup_root, paths)
    n_aff = len(affinity) or host
    n_set = len(cpuset) if cpuset else host
    limits = {"affinity": float(n_aff), "cpuset": float(n_set),
              "quota": quota if quota is not None else float(host)}
    cpus = min(float(host), *limits.values())
    if cpus >= host:
        scope, why = "host", f"no CPU limit: all {host} logical CPUs of the host"
    elif limits["affinity"] <= min(limits["cpuset"], limits["quota"]):
        scope, why = "affinity", (f"CPU affinity allows {n_aff} of {host} logical CPUs "
                                  f"({','.join(map(str, affinity))})")
    else:
        scope = "container"
        why = (f"cgroup v{version} limits this process to {cpus:g} of {host} logical CPUs ("
               + ", ".join(x for x in (f"quota {quota:g} CPUs" if quota is not None else "",
                                       f"cpuset {n_set} CPUs" if cpuset else "") if x) + ")")
    if scope == "container" and not acct_dir:
        why += "; the cgroup's CPU usage is not readable, so host CPU time is used"
    return CpuShare(scope, cpus, host, tuple(affinity), acct_dir if scope == "container" else "",
                    version, mem, why)


def _cgroup_usage_reader(cgroup_dir: str, version: int) -> Callable[[], float]:
    path = os.path.join(cgroup_dir, "cpu.stat" if version == 2 else "cpuacct.usage")

    def busy_s() -> float:
        text = _read(path)
        if text is None:
            from wattprint.errors import MeterError

            raise MeterError(f"cannot read the cgroup's CPU usage at {path}")
        if version == 2:
            for line in text.splitlines():
                k, _, v = line.partition(" ")
                if k == "usage_usec":
                    return int(v) / 1e6
            from wattprint.errors import MeterError

            raise MeterError(f"{path}: no usage_usec line")
        return int(text) / 1e9

    return busy_s


def _proc_stat_reader(path: str, cpus: set[int] | None) -> Callable[[], float]:
    tick_s = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01

    def busy_s() -> float:
        text = _read(path) or ""
        total = 0
        for line in text.splitlines():
            if not line.startswith("cpu"):
                break
            f = line.split()
            name = f[0]
            if cpus is None:
                if name != "cpu":
                    continue
            elif name == "cpu" or int(name[3:]) not in cpus:
                continue
            # user nice system idle iowait irq softirq: busy = user+nice+system+irq+softirq
            total += int(f[1]) + int(f[2]) + int(f[3]) + int(f[6]) + int(f[7])
            if cpus is None:
                break
        return total * tick_s

    return busy_s
