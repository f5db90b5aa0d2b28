"""Embodied carbon of the devices a job ran on, allocated by its measured busy time.

The allocation rule (recorded with every figure, with its parameters)::

    device_kg  = n_gpus × GPU embodied kg + n_gpus / server GPU slots × server-without-GPUs kg
    embodied_g = device_kg × 1000 × busy_s × device_share / lifetime_s

``busy_s`` is the **measured** time the job (or request) held the devices: the query window
of a job, the load window of a served point. ``device_share`` is the share of those devices
it had (1 for a job alone on them; a stated value otherwise), and ``lifetime_s`` the
hardware's service life (3 years by default, as EcoLogits 0.9 uses). No fixed batch size
enters: a request's share comes from what was measured (its window, the requests that shared
it), never from an assumed concurrency.

Factors come from ``data/embodied.csv`` (a GPU per model from the manufacturer's product
carbon footprint, the server remainder from Boavizta data, each with source, licence, version
and year). A GPU the table does not know gets no figure ("—" with the reason), never a zero;
an unknown ``--gpu-model`` is an error listing the known ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from wattprint.carbon.factors import Factor, read_table, row_factor, row_number
from wattprint.carbon.factors import check_value as _check
from wattprint.carbon.impacts import EMBODIED, Part
from wattprint.errors import ConfigError, did_you_mean

EMBODIED_TABLE = "embodied.csv"
SECONDS_PER_YEAR = 365 * 24 * 3600
DEFAULT_LIFETIME_YEARS = 3.0
LIFETIME_SOURCE = ("3 years, the hardware lifespan EcoLogits 0.9.1 uses (HARDWARE_LIFESPAN; "
                   "Ostrouchov et al. 2020 on GPU service life)")
MAX_LIFETIME_YEARS = 20.0
ALLOCATION_RULE = ("busy-time share: (n_gpus x GPU kg + n_gpus / slots x server kg) x busy_s x "
                   "device_share / lifetime_s")
GPU_NAME = "GPU embodied carbon"
SERVER_NAME = "server embodied carbon (without GPUs)"


@dataclass(frozen=True)
class Device:
    """A row of ``embodied.csv``.

    Attributes:
        key: ``nvidia-h100``, ``aws-p5.48xlarge`` ...
        kind: ``gpu`` or ``server``.
        name: Human name.
        match: For a GPU, the model token looked for in a device name (``h100``).
        factor: Its embodied carbon, kg CO2eq, with source and interval.
        gpu_slots: For a server, how many GPUs it holds.
        server: For a GPU, the key of the server it is installed in.
    """

    key: str
    kind: str
    name: str
    match: str
    factor: Factor
    gpu_slots: int | None
    server: str | None


@lru_cache(maxsize=1)
def devices() -> dict[str, Device]:
    """Every row of ``embodied.csv``, checked (a GPU names a known server).

    Raises:
        ConfigError: a malformed row (file, line and column named).
    """
    cols = ("key", "kind", "name", "match", "kg_co2e", "low_kg_co2e", "high_kg_co2e",
            "gpu_slots", "server", "year", "source")
    out: dict[str, Device] = {}
    for line_no, rec in read_table(EMBODIED_TABLE, cols):
        kind = rec["kind"]
        if kind not in ("gpu", "server"):
            raise ConfigError(f"{EMBODIED_TABLE}: line {line_no}: kind {kind!r} is not gpu or "
                              f"server")
        name = GPU_NAME if kind == "gpu" else SERVER_NAME
        f = row_factor(rec, name=f"{name}: {rec['name']}", key=rec["key"], unit="kg CO2eq",
                       table=EMBODIED_TABLE, line_no=line_no, value="kg_co2e",
                       low="low_kg_co2e", high="high_kg_co2e")
        slots = (int(row_number(rec, "gpu_slots", EMBODIED_TABLE, line_no))
                 if kind == "server" else None)
        if slots is not None and slots < 1:
            raise ConfigError(f"{EMBODIED_TABLE}: line {line_no}: gpu_slots must be >= 1")
        if kind == "gpu" and not rec["match"].strip():
            raise ConfigError(f"{EMBODIED_TABLE}: line {line_no}: a GPU row needs a match token")
        out[rec["key"]] = Device(rec["key"], kind, rec["name"], rec["match"].strip().lower(), f,
                                 slots, rec["server"].strip() or None)
    for d in out.values():
        if d.kind == "gpu" and (d.server not in out or out[d.server].kind != "server"):
            raise ConfigError(f"{EMBODIED_TABLE}: GPU {d.key} names server {d.server!r}, which "
                              f"is not a server row")
    return out


def gpu_keys() -> list[str]:
    """The GPU rows' keys (what ``--gpu-model`` accepts, with their match tokens)."""
    return [k for k, d in devices().items() if d.kind == "gpu"]


def lookup_gpu_model(text: str, flag: str = "--gpu-model") -> Device:
    """The GPU row named by the user (its key, ``h100``, or a device name containing it).

    Raises:
        ConfigError: no row matches; the message lists the known models (exit 2 in the CLI).
    """
    key = text.strip().lower()
    table = devices()
    if key in table and table[key].kind == "gpu":
        return table[key]
    found = detect_gpu([text])
    if found is None:
        choices = sorted({*gpu_keys(), *(table[k].match for k in gpu_keys())})
        raise ConfigError(f"unknown {flag} {text!r}{did_you_mean(key, choices)}: no "
                          f"embodied-carbon factor for it; valid: {', '.join(choices)} "
                          f"(`wattprint carbon factors` lists them with their sources)")
    return found


def detect_gpu(names: Iterable[str]) -> Device | None:
    """The GPU row whose model token appears in a device name or description
    (``NVIDIA H100 80GB HBM3``, a GPU domain's boundary text), or None when none does."""
    gpus = [devices()[k] for k in gpu_keys()]
    for text in names:
        low = text.lower()
        for d in gpus:
            if re.search(rf"(?<![a-z0-9]){re.escape(d.match)}(?![0-9])", low):
                return d
    return None


def check_lifetime_years(value: float | str, what: str = "--lifetime-years") -> float:
    """Parse a hardware lifetime in years; return it in seconds.

    Raises:
        ConfigError: not a number in (0, 20] years.
    """
    years = _check(value, what, "years", high=MAX_LIFETIME_YEARS, low_exclusive=True,
                   hint="datacentre GPUs serve 1-6 years")
    return years * SECONDS_PER_YEAR


def check_share(value: float | str, what: str = "--device-share") -> float:
    """Parse a device share (0 < share <= 1).

    Raises:
        ConfigError: not a number in (0, 1].
    """
    share = _check(value, what, "(fraction of the devices)", high=1.0, low_exclusive=True,
                   hint="1 for a job alone on its devices, 0.5 for half of them")
    return share


@dataclass(frozen=True)
class Allocation:
    """How much of the devices' life one job or request used.

    Attributes:
        busy_s: Time the devices were held, s (measured, unless ``busy_source`` says not).
        device_share: Share of those devices it had (0 < share <= 1).
        lifetime_s: Hardware service life, s.
        share_source: Where the share comes from, in words.
        lifetime_source: Where the lifetime comes from, in words.
        rule: The allocation rule, in words.
        busy_source: Where the busy time comes from (``measured``, ``--busy-s``).
    """

    busy_s: float
    device_share: float
    lifetime_s: float
    share_source: str = ""
    lifetime_source: str = LIFETIME_SOURCE
    rule: str = ALLOCATION_RULE
    busy_source: str = "measured"

    @property
    def fraction(self) -> float:
        """``busy_s × device_share / lifetime_s``: the share of the devices' life used."""
        return self.busy_s * self.device_share / self.lifetime_s

    def parameters(self) -> dict[str, float | str]:
        """The rule and its parameters, for the figure's record."""
        return {"allocation_rule": self.rule, "busy_s": self.busy_s,
                "busy_source": self.busy_source,
                "device_share": self.device_share, "device_share_source": self.share_source,
                "lifetime_s": self.lifetime_s, "lifetime_years": self.lifetime_s / SECONDS_PER_YEAR,
                "lifetime_source": self.lifetime_source}


def embodied_part(gpu: Device | None, gpu_count: int, allocation: Allocation | None, *,
                  reason: str = "") -> tuple[Part, tuple[Factor, ...]]:
    """The embodied-carbon part (g CO2eq) of a figure, and the factors it used.

    Args:
        gpu: The GPU row, or None when unknown (then ``reason`` says why).
        gpu_count: How many of those GPUs the job ran on (>= 1).
        allocation: Busy time, share and lifetime; None when unknown (``reason``).
        reason: Why there is no figure, when ``gpu`` or ``allocation`` is None.

    Raises:
        ConfigError: a GPU count below 1 or a negative busy time.
    """
    if gpu is None or allocation is None:
        return Part("embodied", EMBODIED, None, None, None,
                    reason=reason or "no device or busy time known"), ()
    if gpu_count < 1:
        raise ConfigError(f"embodied carbon: GPU count must be >= 1, got {gpu_count}")
    if not allocation.busy_s >= 0:
        raise ConfigError(f"embodied carbon: busy time must be >= 0 s, got {allocation.busy_s}")
    server = devices()[gpu.server] if gpu.server else None
    slots = server.gpu_slots if server and server.gpu_slots else 1
    g = gpu.factor
    s = server.factor if server else None
    srv_share = gpu_count / slots

    def kg(pick: str) -> float:
        server_kg = float(getattr(s, pick)) if s else 0.0
        return gpu_count * float(getattr(g, pick)) + srv_share * server_kg

    k = allocation.fraction * 1000.0
    formula = (f"({gpu_count} x {g.value:g} kg + {gpu_count}/{slots} x "
               f"{s.value if s else 0:g} kg) x {allocation.busy_s:.4g} s x "
               f"{allocation.device_share:g} / {allocation.lifetime_s / SECONDS_PER_YEAR:g} years")
    part = Part("embodied", EMBODIED, kg("value") * k, kg("low") * k, kg("high") * k, formula)
    return part, (g, s) if s else (g,)
