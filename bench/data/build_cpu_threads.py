"""Build ``src/wattprint/meters/data/cpu_threads_codecarbon.csv``: threads per socket by model.

Input: the scraped vendor tables CodeCarbon keeps beside its ``cpu_power.csv``, folder
``codecarbon/data/hardware/cpu_dataset_builder/`` (github.com/mlco2/codecarbon, MIT):

* ``amd_cpu_server_dataset.csv`` and ``amd_cpu_desktop_dataset.csv`` (amd.com): ``# of CPU
  Cores`` and ``# of Threads`` per socket — threads as the vendor states them;
* ``intel_cpu_ark_dataset.csv`` (ark.intel.com): ``total_cores`` only. Xeon rows only (the
  multi-socket parts; desktop parts have one socket, where the one-socket cap is right):
  threads = 2 × cores (Hyper-Threading), except Xeon Phi (4 per core), Xeon Bronze, Xeon 6
  E-core parts (``…E``), the pre-Nehalem 3000/5000/7000 series (``X5460``, ``L5420``,
  ``X3360``, ``E7340``) and E5-2603/E5-2609 (1 per core): the ``threads_source`` column says
  which rule gave the number.

Output columns: ``Name`` (as CodeCarbon's ``cpu_power.csv`` spells it: trademarks and
"Processor" dropped), ``cores``, ``threads``, ``threads_source``.

Usage::

    python bench/data/build_cpu_threads.py DIR    # DIR holds the three CSV files
"""

from __future__ import annotations

import csv
import os
import re
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "wattprint",
                   "meters", "data", "cpu_threads_codecarbon.csv")
_MARKS = re.compile(r"[®™]|\(R\)|\(TM\)")
_ONE_PER_CORE = re.compile(r"\bBronze\b|\b\d{4}E\b|\b[ELX](?:3[0-3]|5[0-4]|7[34])\d{2}\b|"
                           r"\bE5-26(?:03|09)\b", re.IGNORECASE)
"""Xeons without Hyper-Threading: Bronze, Xeon 6 E-cores, the pre-Nehalem 3000/5000/7000 series
(X3360, L5420, X5460, E7340; the Nehalem 55xx/56xx and later have it), E5-2603/E5-2609."""


def clean(name: str) -> str:
    """A vendor product name as CodeCarbon's table spells it."""
    text = _MARKS.sub("", name).replace("Processor", " ")
    return " ".join(text.split())


def intel_threads(name: str, cores: int) -> tuple[int, str]:
    """Threads per socket of a Xeon from its core count, and the rule used."""
    if "Phi" in name:
        return 4 * cores, "ARK cores x 4 (Xeon Phi: 4 threads per core)"
    if _ONE_PER_CORE.search(name):
        return cores, "ARK cores x 1 (no Hyper-Threading on this series)"
    return 2 * cores, "ARK cores x 2 (Hyper-Threading)"


def main(folder: str) -> int:
    rows: dict[str, tuple[int, int, str]] = {}
    for fname in ("amd_cpu_server_dataset.csv", "amd_cpu_desktop_dataset.csv"):
        with open(os.path.join(folder, fname), encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                try:
                    cores, threads = int(r["# of CPU Cores"]), int(r["# of Threads"])
                except (KeyError, ValueError):
                    continue
                rows.setdefault(clean(r["Name"]), (cores, threads, "amd.com threads"))
    with open(os.path.join(folder, "intel_cpu_ark_dataset.csv"), encoding="utf-8",
              newline="") as f:
        for r in csv.DictReader(f):
            name = clean(r["cpu_name"])
            if "Xeon" not in name:
                continue
            try:
                cores = int(r["total_cores"])
            except ValueError:
                continue
            threads, how = intel_threads(name, cores)
            rows.setdefault(name, (cores, threads, how))
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Name", "cores", "threads", "threads_source"])
        for name in sorted(rows):
            w.writerow([name, *rows[name]])
    print(f"{len(rows)} models -> {os.path.normpath(OUT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
