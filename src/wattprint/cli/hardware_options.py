"""The flags that point wattprint at hardware sources outside the default paths.

They are turned into ``WATTPRINT_*`` environment variables of this process (and so of the
worker processes it starts), which the sources' ``probe`` functions read: one mechanism for
flags, shells and containers. Secrets never travel as flags: a BMC password comes from a
credentials file or from ``WATTPRINT_REDFISH_PASSWORD``/``WATTPRINT_IPMI_PASSWORD``.
"""

from __future__ import annotations

import argparse
import os

_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("--hwmon-root", "WATTPRINT_HWMON_ROOT", "DIR",
     "hwmon class directory for Intel GPU, Gaudi, Jetson and Grace sensors (default: /sys/class/hwmon)"),
    ("--redfish-url", "WATTPRINT_REDFISH_URL", "URL",
     "the BMC's Redfish address for node wall power (e.g. https://bmc.example)"),
    ("--redfish-credentials", "WATTPRINT_REDFISH_CREDENTIALS", "FILE",
     "file with the BMC user and password ('user:password'; or set WATTPRINT_REDFISH_USERNAME/_PASSWORD)"),
    ("--redfish-chassis", "WATTPRINT_REDFISH_CHASSIS", "ID", "Redfish chassis id (default: the first with a reading)"),
    ("--redfish-verify", "WATTPRINT_REDFISH_VERIFY", "yes|no|CA_FILE",
     "TLS verification of the BMC (default: yes)"),
    ("--ipmi-host", "WATTPRINT_IPMI_HOST", "HOST", "a remote BMC read with ipmitool over lanplus"),
    ("--ipmi-credentials", "WATTPRINT_IPMI_CREDENTIALS", "FILE",
     "file with the IPMI user and password (or set WATTPRINT_IPMI_USERNAME/_PASSWORD)"),
    ("--prometheus-url", "WATTPRINT_PROMETHEUS_URL", "URL",
     "a DCGM exporter's, Kepler's or wattprint exporter's /metrics page to read energy from"),
    ("--kepler-pods", "WATTPRINT_KEPLER_PODS", "NS/NAME,...",
     "Kepler pods to read from --prometheus-url: namespace/name globs (default: all)"),
)


def add_hardware_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the hardware-source flags to ``parser``."""
    g = parser.add_argument_group("hardware sources (see docs/hardware.md)")
    for flag, _env, metavar, help_text in _FLAGS:
        g.add_argument(flag, metavar=metavar, default=None, help=help_text)
    g.add_argument("--ipmi", action="store_true",
                   help="read node power from the local BMC with `ipmitool dcmi power reading`")


def apply_hardware_options(args: argparse.Namespace) -> None:
    """Export the flags given as ``WATTPRINT_*`` variables for the sources' probes."""
    for flag, env, _metavar, _help in _FLAGS:
        value = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if value is not None:
            os.environ[env] = str(value)
    if getattr(args, "ipmi", False):
        os.environ["WATTPRINT_IPMI"] = "1"
