"""``wattprint agent``: serve this host's energy counters to a remote ``wattprint load``."""

from __future__ import annotations

import argparse
import os
import sys

ENV_TOKEN = "WATTPRINT_AGENT_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wattprint agent``."""
    p = sub.add_parser("agent", help="stream this host's energy counters to a remote load generator",
                       description="Run on the host of a serving engine; `wattprint load --agent "
                       "http://HOST:PORT` on another host then measures this host's energy.")
    p.add_argument("--host", required=True,
                   help="address to bind (e.g. the private interface's IP; 127.0.0.1 for local only)")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--token", default=os.environ.get(ENV_TOKEN),
                   help=f"shared secret clients must send (default ${ENV_TOKEN})")
    p.set_defaults(func=_agent)


def _agent(args: argparse.Namespace) -> int:
    from aiohttp import web

    from wattprint.errors import ConfigError
    from wattprint.meters.energy_meter import EnergyMeter
    from wattprint.serving.agent import make_app

    if not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: expected a TCP port 1-65535")
    if not args.token:
        raise ConfigError(f"wattprint agent needs a token: --token SECRET or ${ENV_TOKEN}")
    meter = EnergyMeter()
    app = make_app(list(meter.meters), args.token)
    names = ", ".join(f"{s.name} ({s.provenance})" for s in meter.domains())
    print(f"wattprint agent on http://{args.host}:{args.port}: {names}", file=sys.stderr)
    try:
        web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    except OSError as err:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    finally:
        meter.close()
    return 0
