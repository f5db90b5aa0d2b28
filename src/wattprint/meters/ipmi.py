"""Node wall power from the BMC over IPMI DCMI (``ipmitool dcmi power reading``), integrated.

``ipmitool dcmi power reading`` prints::

        Instantaneous power reading:                   220 Watts
        Minimum during sampling period:                 60 Watts
        Maximum during sampling period:                322 Watts
        Average power reading over sample period:      214 Watts
        IPMI timestamp:                           Thu Mar 16 12:00:00 2023
        Sampling period:                          00000005 Seconds.
        Power reading state is:                   activated

The instantaneous reading is sampled and integrated → ``integrated``; the BMC's sampling
period (its averaging window for min/max/average) is recorded in the domain's source. A
reading state other than ``activated`` is an error (the BMC is not metering).

In-band (the local BMC through ``/dev/ipmi0``) by default. Out-of-band when
``options.ipmi_host`` (or ``$WATTPRINT_IPMI_HOST``) is set: ``-I lanplus -H host -U user -E``,
the password passed to ipmitool in ``$IPMI_PASSWORD`` (its ``-E``), never on its command line;
credentials from ``options.ipmi_credentials`` (a file) or ``$WATTPRINT_IPMI_USERNAME``/
``$WATTPRINT_IPMI_PASSWORD``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.bmc import (
    NODE_BOUNDARY,
    Credentials,
    NodePowerMeter,
    env_path,
    load_credentials,
)
from wattprint.meters.gates import ipmi_asked
from wattprint.meters.hwprobe import ProbeResult, Unavailable, environ_of, option

SOURCE = "ipmi"
ENV_PREFIX = "WATTPRINT_IPMI"
TIMEOUT_S = 10.0

_INSTANT = re.compile(r"Instantaneous power reading:\s*(\d+(?:\.\d+)?)\s*Watts", re.IGNORECASE)
_PERIOD = re.compile(r"Sampling period:\s*(\d+)\s*(Seconds|Milliseconds)", re.IGNORECASE)
_STATE = re.compile(r"Power reading state is:\s*(\w+)", re.IGNORECASE)


def parse_power_reading(text: str) -> tuple[float, float | None, str]:
    """(instantaneous power W, sampling period s or None, reading state) from ipmitool's output.

    Raises:
        MeterError: The output has no instantaneous reading.
    """
    m = _INSTANT.search(text)
    if not m:
        first = text.strip().splitlines()[:1]
        raise MeterError("ipmitool dcmi power reading: no 'Instantaneous power reading' line in "
                         f"its output ({first[0] if first else 'empty'!r})")
    period = _PERIOD.search(text)
    period_s = None if period is None else int(period.group(1)) / (
        1000.0 if period.group(2).lower().startswith("milli") else 1.0)
    state = _STATE.search(text)
    return float(m.group(1)), period_s, (state.group(1).lower() if state else "unknown")


class IpmiMeter(NodePowerMeter):
    """Node energy from DCMI power readings through ipmitool, integrated (J).

    Args:
        host: The BMC's address for out-of-band access; None for the local BMC.
        credentials: User and password (out-of-band).
        ipmitool: The ipmitool executable.
        interval_s: Sampling interval, seconds.
        environ: The environment ipmitool runs with.
        **kwargs: Passed to :class:`NodePowerMeter` (``clock``).

    Raises:
        MeterError: ipmitool is missing or fails, or the BMC is not metering.
    """

    def __init__(self, host: str | None = None, credentials: Credentials | None = None, *,
                 ipmitool: str = "ipmitool", interval_s: float = 1.0,
                 environ: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        exe = shutil.which(ipmitool, path=(environ or os.environ).get("PATH"))
        if exe is None:
            raise MeterError(f"{ipmitool} not found on PATH (install ipmitool, or configure "
                             "--redfish-url for the BMC's Redfish service)")
        self._env = dict(os.environ if environ is None else environ)
        self._argv = [exe]
        where = "local BMC (in-band)"
        if host:
            if credentials is None:
                raise MeterError(f"IPMI host {host} given without credentials (a credentials "
                                 f"file, or ${ENV_PREFIX}_USERNAME/${ENV_PREFIX}_PASSWORD)")
            self._argv += ["-I", "lanplus", "-H", host, "-U", credentials.username, "-E"]
            self._env["IPMI_PASSWORD"] = credentials.password
            where = f"BMC {host} (lanplus)"
        self._argv += ["dcmi", "power", "reading"]
        watts, period_s, state = self._reading()
        if state not in ("activated", "unknown"):
            raise MeterError(f"ipmitool dcmi power reading on the {where}: power reading state is "
                             f"{state!r}; the BMC is not metering (enable DCMI power readings)")
        avg = f"BMC sampling period {period_s:g} s" if period_s is not None else "sampling period not given"
        spec = DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.INTEGRATED,
                          f"ipmi:dcmi power reading, {where}, instantaneous ({avg}; trapezoid)",
                          scope="node")
        super().__init__(SOURCE, spec, read_power_w=lambda: self._reading()[0],
                         interval_s=interval_s, **kwargs)

    def _reading(self) -> tuple[float, float | None, str]:
        try:
            proc = subprocess.run(self._argv, env=self._env, capture_output=True, text=True,
                                  timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as err:
            raise MeterError(f"ipmitool dcmi power reading timed out after {TIMEOUT_S:g} s") from err
        except OSError as err:
            raise MeterError(f"cannot run ipmitool: {err.strerror or err}") from err
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip().splitlines()
            raise MeterError(f"ipmitool dcmi power reading failed (exit {proc.returncode}): "
                             f"{msg[-1] if msg else 'no message'}")
        return parse_power_reading(proc.stdout)


def probe(options: Any = None) -> ProbeResult:
    """An :class:`IpmiMeter` when asked for (``options.ipmi`` or a host), or why there is none.

    IPMI is opt-in (``options.ipmi`` or ``$WATTPRINT_IPMI=1``): probing the local BMC spawns
    ipmitool and may need root (``/dev/ipmi0``).
    """
    if why := ipmi_asked(options):
        return Unavailable(why)
    env = environ_of(options)
    host = option(options, "ipmi_host", None) or env.get(f"{ENV_PREFIX}_HOST")
    try:
        creds = load_credentials(option(options, "ipmi_credentials", None)
                                 or env_path(env, f"{ENV_PREFIX}_CREDENTIALS"), env, ENV_PREFIX)
        return IpmiMeter(host, creds, interval_s=float(option(options, "bmc_interval_s", 1.0)),
                         environ=env)
    except MeterError as err:
        return Unavailable(str(err))
