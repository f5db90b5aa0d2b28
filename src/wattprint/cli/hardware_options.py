"""The flags that point wattprint at hardware sources outside the default paths.

They become a typed :class:`~wattprint.meters.probe.HardwareOptions` that the command hands to
its meter, so a flag reaches the sources' ``probe`` functions as a field, not through the
process environment. Each source falls back to its ``WATTPRINT_*`` environment variable when
its flag is not given (the way for shells and containers). Secrets never travel as flags: a
BMC password comes from a credentials file or from
``WATTPRINT_REDFISH_PASSWORD``/``WATTPRINT_IPMI_PASSWORD``.
"""

from __future__ import annotations

import argparse
import dataclasses

from wattprint.meters.probe import HardwareOptions

_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--hwmon-root", "DIR",
     "hwmon class directory for Intel GPU, Gaudi, Jetson and Grace sensors (default: "
     "$WATTPRINT_HWMON_ROOT, else /sys/class/hwmon)"),
    ("--redfish-url", "URL",
     "the BMC's Redfish address for node wall power (e.g. https://bmc.example; default: "
     "$WATTPRINT_REDFISH_URL)"),
    ("--redfish-credentials", "FILE",
     "file with the BMC user and password ('user:password'; or set "
     "WATTPRINT_REDFISH_USERNAME/_PASSWORD)"),
    ("--redfish-chassis", "ID", "Redfish chassis id (default: the first with a reading)"),
    ("--redfish-verify", "yes|no|CA_FILE", "TLS verification of the BMC (default: yes)"),
    ("--ipmi-host", "HOST", "a remote BMC read with ipmitool over lanplus"),
    ("--ipmi-credentials", "FILE",
     "file with the IPMI user and password (or set WATTPRINT_IPMI_USERNAME/_PASSWORD)"),
    ("--prometheus-url", "URL",
     "a DCGM exporter's, Kepler's or wattprint exporter's /metrics page to read energy from "
     "(default: $WATTPRINT_PROMETHEUS_URL)"),
    ("--kepler-pods", "NS/NAME,...",
     "Kepler pods to read from --prometheus-url: namespace/name globs (default: "
     "$WATTPRINT_KEPLER_PODS, else all)"),
)


def add_hardware_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the hardware-source flags to ``parser``."""
    g = parser.add_argument_group("hardware sources (see docs/hardware.md)")
    for flag, metavar, help_text in _FLAGS:
        g.add_argument(flag, metavar=metavar, default=None, help=help_text)
    g.add_argument("--ipmi", action="store_true",
                   help="read node power from the local BMC with `ipmitool dcmi power reading`")


def hardware_options(args: argparse.Namespace) -> HardwareOptions:
    """The hardware flags given, as typed options (a flag not given stays None)."""
    values = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(HardwareOptions)}
    values["ipmi"] = True if getattr(args, "ipmi", False) else None
    return HardwareOptions(**values)
