"""Look a CPU up in the shipped TDP tables; defaults by vendor and family for unknown CPUs.

Two tables ship in ``data/`` (provenance and licences in ``data/README.md``):

* ``cpu_tdp.csv`` — curated rows with a regular expression, TDP, cores and **threads per
  socket** (vendor specification pages). Threads let the estimate charge a VM or container for
  its share of a socket. Checked first.
* ``cpu_power_codecarbon.csv`` — CodeCarbon's table (MIT), about 4,900 Intel and AMD models and
  Apple chips with their TDP, scraped from Intel ARK and amd.com. It has no thread counts.
* ``cpu_threads_codecarbon.csv`` — cores and threads per socket of 1,711 AMD and Intel Xeon
  models from the vendor tables CodeCarbon scraped (``bench/data/build_cpu_threads.py``), so
  that a machine's sockets follow from its logical CPU count.

Matching against an OS model name (``Intel(R) Xeon(R) Platinum 8480+``, ``AMD EPYC 7763 64-Core
Processor``) normalises both sides (drops ``(R)``, ``(TM)``, ``CPU``, ``Processor``, clock
speeds, ``N-Core``) and requires every word of the table name to appear as a word of the OS
name; the longest matching table name wins. Lookup is indexed by model-number tokens so that
matching stays fast with thousands of rows.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.errors import MeterError

DATA_DIR: str = os.path.join(os.path.dirname(__file__), "data")
CURATED_TABLE: str = os.path.join(DATA_DIR, "cpu_tdp.csv")
CODECARBON_TABLE: str = os.path.join(DATA_DIR, "cpu_power_codecarbon.csv")
CODECARBON_SOURCE: str = ("CodeCarbon 3.3.2 data/hardware/cpu_power.csv (MIT, Intel ARK and "
                          "amd.com specifications)")
THREADS_TABLE: str = os.path.join(DATA_DIR, "cpu_threads_codecarbon.csv")
THREADS_SOURCE: str = ("CodeCarbon's scraped vendor tables (cpu_dataset_builder, MIT), see "
                       "data/README.md")
GLOBAL_W_PER_THREAD: float = 4.0
"""Last-resort TDP per logical CPU, W, for a CPU of unknown vendor (CodeCarbon's own default)."""

FAMILIES: tuple[tuple[str, str, str], ...] = (
    # (family label, regex on the OS name, vendor)
    ("AMD EPYC", r"\bEPYC\b", "AMD"),
    ("AMD Ryzen Threadripper", r"\bThreadripper\b", "AMD"),
    ("AMD Ryzen", r"\bRyzen\b", "AMD"),
    ("Intel Xeon", r"\bXeon\b", "Intel"),
    ("Intel Core", r"\bCore\b.*\bi[3579]\b|\bCore\(TM\)|\bCore i[3579]|Core Ultra", "Intel"),
    ("Arm server", r"\bAmpere\b|\bAltra\b|\bNeoverse\b|\bARM\b|\bCortex\b|\bGraviton", "Arm"),
)
VENDORS: tuple[tuple[str, str], ...] = (("AMD", r"\bAMD\b|AuthenticAMD"),
                                        ("Intel", r"\bIntel\b|GenuineIntel"),
                                        ("Arm", r"\bAmpere\b|\bNeoverse\b|\bARM\b"))

_NOISE = re.compile(r"\((?:R|TM|C)\)|®|™|\bCPU\b|\bProcessor\b|@\s*[\d.]+\s*[GM]Hz|"
                    r"\b\d+-Core\b|\bwith\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class TdpEntry:
    """One row of the curated CPU table.

    Attributes:
        pattern: Regular expression matched (case-insensitive) against the CPU model name.
        tdp_w: Thermal design power of one socket, W.
        cores: Physical cores per socket.
        threads: Hardware threads per socket.
        source: Where the TDP comes from.
        year: Launch year.
    """

    pattern: str
    tdp_w: float
    cores: int
    threads: int
    source: str
    year: int


@dataclass(frozen=True)
class TdpMatch:
    """A table row found for a CPU name.

    Attributes:
        name: The table's name or pattern that matched.
        tdp_w: TDP of one socket, W.
        threads: Hardware threads per socket, None when the table does not say.
        source: Table and vendor source.
        entry: The curated row, when the match came from the curated table.
    """

    name: str
    tdp_w: float
    threads: int | None
    source: str
    entry: TdpEntry | None = None


@dataclass(frozen=True)
class FamilyDefault:
    """The TDP per logical CPU assumed for a CPU not in any table.

    Attributes:
        label: ``AMD EPYC``, ``Intel Xeon``, ``AMD``, ``unknown`` ...
        w_per_thread: TDP per logical CPU, W.
        source: How the value was derived.
    """

    label: str
    w_per_thread: float
    source: str


def _median(values: list[float]) -> float:
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def normalise(name: str) -> str:
    """A CPU name with trademarks, clock speeds and filler words removed, lower case."""
    text = _NOISE.sub(" ", name).replace(",", " ")
    text = re.sub(r"(\d)([vV]\d+)\b", r"\1 \2", text)  # "E3-1280v2" is "E3-1280 v2"
    return " ".join(text.split()).lower()


def load_tdp_table(path: str | os.PathLike[str] | None = None) -> list[TdpEntry]:
    """Read the curated CPU TDP table.

    Args:
        path: A CSV with columns model_pattern,tdp_w,cores,threads,source,year; the shipped
            ``data/cpu_tdp.csv`` when None.

    Raises:
        MeterError: A row is malformed (names the file and line).
    """
    name = str(path) if path is not None else CURATED_TABLE
    rows = []
    for lineno, row in _csv_rows(name):
        try:
            rows.append(TdpEntry(row["model_pattern"], float(row["tdp_w"]), int(row["cores"]),
                                 int(row["threads"]), row["source"], int(row["year"])))
        except (KeyError, TypeError, ValueError) as err:
            raise MeterError(f"{name}:{lineno}: bad CPU TDP row {row!r}: {err}") from err
    return rows


def _csv_rows(name: str) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(name, encoding="utf-8", newline="") as f:
            return list(enumerate(csv.DictReader(f), start=2))
    except OSError as err:
        raise MeterError(f"cannot read CPU TDP table {name}: {err.strerror or err}") from err


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9+]+(?:-[a-z0-9+]+)*", normalise(text))


@functools.lru_cache(maxsize=2)
def _codecarbon_rows(path: str) -> tuple[tuple[str, str, str], ...]:
    """(lower-case name, name, TDP text) per row; parsed further only for candidate rows, so
    that a lookup costs about a millisecond instead of tokenising ~4,900 names."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        raise MeterError(f"cannot read CPU TDP table {path}: {err.strerror or err}") from err
    if not lines or lines[0].strip() != "Name,TDP":
        raise MeterError(f"{path}:1: expected the header 'Name,TDP'")
    out = []
    for lineno, line in enumerate(lines[1:], start=2):
        name, sep, tdp = line.rpartition(",")  # TDP is last and never quoted
        name = name.strip().strip('"').strip()
        if not sep or not name or not tdp.strip():
            raise MeterError(f"{path}:{lineno}: bad CPU TDP row {line!r}: Name and TDP are required")
        out.append((name.lower(), name, tdp.strip()))
    return tuple(out)


def codecarbon_size(path: str = CODECARBON_TABLE) -> int:
    """Number of distinct CPU models in CodeCarbon's table."""
    return len({name for _, name, _ in _codecarbon_rows(path)})


def lookup(cpu_name: str, table: Sequence[TdpEntry] | None = None,
           codecarbon: str | None = CODECARBON_TABLE) -> TdpMatch | None:
    """Find the TDP row for ``cpu_name``: the curated table first, then CodeCarbon's.

    Args:
        cpu_name: The CPU model name as the OS reports it.
        table: Curated rows; the shipped table when None.
        codecarbon: CodeCarbon's table path; None to skip it.

    Returns:
        The match, or None when neither table knows the CPU.
    """
    rows = load_tdp_table() if table is None else table
    lowered = cpu_name.lower()
    for entry in rows:
        literal = entry.pattern.replace("\\b", "").replace("\\", "").lower()
        if literal in lowered and re.search(entry.pattern, cpu_name, flags=re.IGNORECASE):
            return TdpMatch(entry.pattern, entry.tdp_w, entry.threads,
                            f"{entry.source}, {entry.year}", entry)
    if codecarbon is None or not _model_numbers(_tokens(cpu_name)):
        return None  # every CodeCarbon row names a model number: no need to read the table
    found = _best_row(cpu_name, _codecarbon_rows(codecarbon))
    if found is None:
        return None
    name, tdp_text = found
    try:
        tdp = float(tdp_text)
    except ValueError as err:
        raise MeterError(f"{codecarbon}: bad TDP {tdp_text!r} for {name!r}") from err
    return TdpMatch(name, tdp, None, CODECARBON_SOURCE)


def _model_numbers(words: Sequence[str]) -> list[str]:
    """The words of a CPU name that hold a digit (its model number: ``7763``, ``i7-1185g7``)."""
    return [w for w in words if any(ch.isdigit() for ch in w)]


def _best_row(cpu_name: str, rows: Sequence[tuple[str, str, str]]) -> tuple[str, str] | None:
    """The row (name, value) whose name's words all appear in ``cpu_name``; the longest wins.

    ``rows`` hold (lower-case name, name, value); only rows containing one of the OS name's
    model-number words are tokenised.
    """
    words = _tokens(cpu_name)
    have = set(words)
    keys = _model_numbers(words)
    if not keys:  # every row names a model number; a name without one ("AMD EPYC") matches none
        return None
    best: tuple[int, str, str] | None = None
    for low, name, value in rows:
        if not any(k in low for k in keys):
            continue
        toks = _tokens(name)
        if set(toks) <= have and (best is None or len(toks) > best[0]):
            best = (len(toks), name, value)
    return None if best is None else (best[1], best[2])


@dataclass(frozen=True)
class ThreadsMatch:
    """Threads per socket of a CPU model from the vendor tables (no TDP there).

    Attributes:
        name: The table name that matched.
        cores: Physical cores per socket.
        threads: Hardware threads per socket.
        source: The table and the rule that gave the thread count.
    """

    name: str
    cores: int
    threads: int
    source: str


@functools.lru_cache(maxsize=2)
def _threads_rows(path: str) -> tuple[tuple[str, str, str], ...]:
    """(lower-case name, name, "cores,threads,source") per row of the threads table."""
    out = []
    for lineno, row in _csv_rows(path):
        name = (row.get("Name") or "").strip()
        if not name or not (row.get("threads") or "").strip():
            raise MeterError(f"{path}:{lineno}: bad CPU threads row {row!r}: Name and threads "
                             "are required")
        out.append((name.lower(), name, f"{row['cores']},{row['threads']},{row['threads_source']}"))
    return tuple(out)


def threads_lookup(cpu_name: str, path: str = THREADS_TABLE) -> ThreadsMatch | None:
    """Threads per socket of ``cpu_name`` from the vendor tables CodeCarbon scraped
    (``data/cpu_threads_codecarbon.csv``: amd.com threads; Intel ARK cores of Xeons with the
    stated Hyper-Threading rule), matched like :func:`lookup`; None when it is not there."""
    found = _best_row(cpu_name, _threads_rows(path))
    if found is None:
        return None
    name, value = found
    cores, threads, how = value.split(",", 2)
    try:
        return ThreadsMatch(name, int(cores), int(threads), f"{THREADS_SOURCE}: {how}")
    except ValueError as err:
        raise MeterError(f"{path}: bad cores/threads {value!r} for {name!r}") from err


def family_default(cpu_name: str, table: Sequence[TdpEntry] | None = None) -> FamilyDefault:
    """The TDP per logical CPU for a CPU no table knows, by family, then vendor.

    The value is the median TDP per thread of the curated rows of the same family (or vendor),
    so it follows the table; with no such row it is :data:`GLOBAL_W_PER_THREAD`.
    """
    rows = load_tdp_table() if table is None else table

    def median_of(rx: str) -> tuple[float, int] | None:
        vals = [r.tdp_w / r.threads for r in rows
                if re.search(rx, r.pattern.replace("\\b", " "), re.IGNORECASE)
                or re.search(rx, r.source, re.IGNORECASE)]
        return (_median(vals), len(vals)) if vals else None

    for label, rx, vendor in FAMILIES:
        if re.search(rx, cpu_name, re.IGNORECASE):
            fam_rx = rx if label not in ("AMD EPYC",) else r"EPYC"
            got = median_of(fam_rx)
            if got:
                return FamilyDefault(label, got[0], f"median TDP per thread of the {got[1]} "
                                     f"{label} rows of the curated table")
            vend = dict(VENDORS).get(vendor, "")
            break
    else:
        vend = next((rx for v, rx in VENDORS if re.search(rx, cpu_name, re.IGNORECASE)), "")
        vendor = next((v for v, rx in VENDORS if re.search(rx, cpu_name, re.IGNORECASE)), "")
    if vend:
        got = median_of(vendor)
        if got:
            return FamilyDefault(vendor, got[0], f"median TDP per thread of the {got[1]} "
                                 f"{vendor} rows of the curated table")
    return FamilyDefault("unknown", GLOBAL_W_PER_THREAD,
                         f"{GLOBAL_W_PER_THREAD:g} W per logical CPU (CodeCarbon's default; "
                         "about the TDP per thread of recent server CPUs)")
