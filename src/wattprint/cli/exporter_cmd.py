"""``wattprint exporter``: serve this machine's energy counters as Prometheus metrics.

The serving lives in :mod:`wattprint.meters.exporter`; this module parses, detects the meters,
prints where it serves and waits for SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from wattprint.cli.common import positive_float
from wattprint.cli.hardware_options import add_hardware_arguments, hardware_options


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0-65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``exporter`` command."""
    p = sub.add_parser("exporter", help="serve energy counters as Prometheus metrics",
                       description="Serve wattprint_energy_joules_total{domain,provenance,boundary,"
                       "scope} counters and wattprint_power_watts gauges for every meter detected "
                       "on this machine, on http://ADDR:PORT/metrics, until interrupted.")
    p.add_argument("--port", type=port_number, required=True, metavar="P",
                   help="TCP port to serve on (0: any free port, printed at start)")
    p.add_argument("--addr", default="0.0.0.0", metavar="ADDR",
                   help="address to bind (default: %(default)s, as other Prometheus exporters)")
    p.add_argument("--interval", type=positive_float, default=1.0, metavar="S",
                   help="seconds between meter reads (default: %(default)s)")
    p.add_argument("--powercap-root", default="/sys/class/powercap", metavar="DIR",
                   help="powercap class directory for RAPL (default: %(default)s)")
    p.add_argument("--otlp-endpoint", metavar="URL", default=None,
                   help="also push OpenTelemetry metrics (wattprint.energy, wattprint.power) to "
                   "this OTLP/HTTP endpoint, e.g. http://collector:4318/v1/metrics")
    p.add_argument("--otlp-interval", type=positive_float, default=10.0, metavar="S",
                   help="seconds between OTLP pushes (default: %(default)s)")
    p.add_argument("--no-pod-labels", action="store_true",
                   help="in Kubernetes, do not add the pod, namespace, container, node, pod_uid "
                   "and container_id labels (from the cgroup path and the Downward API; "
                   "docs/kubernetes.md)")
    add_hardware_arguments(p)
    p.set_defaults(func=cmd_exporter)


def cmd_exporter(args: argparse.Namespace) -> int:
    """Handler of ``wattprint exporter``."""
    from wattprint.meters.detect import detect
    from wattprint.meters.exporter import TelemetryState, serve
    from wattprint.meters.k8s import pod_identity

    ident = None if args.no_pod_labels else pod_identity()
    labels = ident.labels() if ident else {}
    meters, _status = detect(powercap_root=args.powercap_root, hardware=hardware_options(args))
    state = TelemetryState(meters, interval_s=args.interval)
    stop = threading.Event()
    provider = None
    try:
        if args.otlp_endpoint:
            from wattprint.meters.otel_export import instrument, otlp_provider

            provider = otlp_provider(args.otlp_endpoint, args.otlp_interval)
            instrument(state, provider)
        state.start()
        server, _thread = serve(state, args.port, args.addr, labels)
        domains = [f"{s.spec.name} ({s.spec.provenance})" for s in state.samples()]
        print(f"wattprint exporter: serving http://{args.addr}:{server.server_port}/metrics "
              f"every {args.interval:g} s: {', '.join(domains) or 'no domain'}",
              file=sys.stderr, flush=True)
        if ident is not None:
            print("wattprint exporter: Kubernetes labels " + ", ".join(
                f"{k}={v} ({ident.sources.get(k, '?')})" for k, v in labels.items()),
                file=sys.stderr, flush=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
    finally:
        if provider is not None:
            provider.shutdown()
        state.close()
    return 0
