"""``wattprint proxy``: an OpenAI-compatible reverse proxy that gives every request its energy
(docs/proxy.md). The proxy lives in :mod:`wattprint.serving.proxy`; this module parses, builds
its configuration, prints where it serves and waits for SIGINT/SIGTERM.

Exit status: 0 stopped by a signal; 2 bad configuration (a flag, the tenants file, a port that
cannot be bound, an unknown model for the estimator, nothing to measure).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from wattprint.cli.common import (
    non_negative_seconds,
    positive_int,
    positive_seconds,
    sampling_interval,
)
from wattprint.cli.estimate_cmd import value_range
from wattprint.cli.hardware_options import add_hardware_arguments, hardware_options

if TYPE_CHECKING:
    from wattprint.serving.proxy.service import ProxyService

ENV_AGENT_TOKEN = "WATTPRINT_AGENT_TOKEN"
LOOPS = ("auto", "uvloop", "asyncio")
"""``--loop`` choices."""


def listen_address(text: str) -> tuple[str, int]:
    """argparse type: ``HOST:PORT``."""
    from wattprint.errors import ConfigError
    from wattprint.serving.proxy.config import parse_listen

    try:
        return parse_listen(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix(f"--listen {text!r}: ")) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``proxy`` command."""
    from wattprint.cli.exporter_cmd import port_number

    p = sub.add_parser(
        "proxy", help="OpenAI-compatible proxy that gives each request its energy",
        description="Put this in front of an OpenAI-compatible engine: requests and answers pass "
        "through unchanged; each request is recorded (tokens, timings, status) and gets its "
        "share of this node's measured energy (attributed over sliding windows, idle apart), "
        "or an estimate when the upstream is remote. Per request: headers "
        "x-wattprint-request-id and x-energy-estimate-joules, GET /wattprint/requests/ID, "
        "usage.energy on request (x-wattprint-energy: 1), OpenTelemetry spans; Prometheus "
        "counters per model, route and tenant at /wattprint/metrics.")
    p.add_argument("--upstream", required=True, metavar="URL",
                   help="the engine's base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--listen", type=listen_address, default=("127.0.0.1", 8080),
                   metavar="HOST:PORT", help="where the proxy listens (default 127.0.0.1:8080; "
                   "0.0.0.0:8080 for every interface; port 0: a free one, printed)")
    p.add_argument("--metrics-port", type=port_number, default=None, metavar="P",
                   help="also serve the metrics alone at http://HOST:P/metrics")
    p.add_argument("--tenant-header", default="Authorization", metavar="NAME",
                   help="request header holding the API key (default: %(default)s; a Bearer "
                   "prefix is dropped)")
    p.add_argument("--tenants", metavar="FILE",
                   help="YAML/JSON mapping tenant labels to API keys or sha256:HEX digests; "
                   "metrics carry the label, never the key (default: one tenant, '-')")
    p.add_argument("--window", type=positive_seconds, default=10.0, metavar="S",
                   help="attribution window, seconds (default: %(default)s)")
    p.add_argument("--lag", type=non_negative_seconds, default=30.0, metavar="S",
                   help="attribute a window this long after it ends, so its requests have "
                   "finished (default: %(default)s)")
    p.add_argument("--idle", type=non_negative_seconds, default=5.0, metavar="S",
                   help="idle power measured at start, seconds; 0: none (default: %(default)s)")
    p.add_argument("--interval", type=sampling_interval, default=0.1, metavar="S",
                   help="power timeline period, seconds (default: %(default)s)")
    p.add_argument("--energy", choices=("auto", "measure", "estimate"), default="auto",
                   help="measure this node, or estimate each request with `wattprint estimate "
                   "llm` (an upstream elsewhere, e.g. a remote API); auto: measure when the "
                   "upstream is on this machine (default: %(default)s)")
    p.add_argument("--estimate-model", metavar="NAME",
                   help="model name for the estimator (default: each request's model field)")
    p.add_argument("--active-params", type=value_range, metavar="B|LO:HI",
                   help="active parameters of the estimated model, billions (needed for a model "
                   "the estimator's tables do not know)")
    p.add_argument("--provider", metavar="P",
                   help="provider for the estimator: openai, anthropic, mistralai, google")
    p.add_argument("--timeout", type=positive_seconds, default=None, metavar="S",
                   help="cut an answer whose upstream stays silent this long (default: never; "
                   "the client decides, and a client that leaves cancels the upstream request)")
    p.add_argument("--keep", type=positive_int, default=100_000, metavar="N",
                   help="finished requests kept for /wattprint/requests/ID (default: %(default)s)")
    p.add_argument("--max-model-labels", type=positive_int, default=64, metavar="N",
                   help="distinct model label values; later models count as 'other' "
                   "(default: %(default)s)")
    p.add_argument("--tokenizer", metavar="DIR|GGUF",
                   help="the model's tokenizer (a model folder or a GGUF file), to count tokens "
                   "when the engine sends no usage")
    p.add_argument("--otlp-endpoint", metavar="URL",
                   help="send one OpenTelemetry span per request, with its energy, to this "
                   "OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces")
    p.add_argument("--agent", metavar="URL",
                   help="measure the engine's host through `wattprint agent` there (token in "
                   f"${ENV_AGENT_TOKEN})")
    p.add_argument("--powercap-root", default="/sys/class/powercap", metavar="DIR",
                   help="powercap class directory for RAPL (default: %(default)s)")
    p.add_argument("--loop", choices=LOOPS, default="auto",
                   help="event loop: uvloop (faster: less CPU per request) or Python's asyncio; "
                   "auto: uvloop when installed (pip install 'wattprint[serving]'), else asyncio "
                   "(default: %(default)s)")
    p.add_argument("--no-pod-labels", action="store_true",
                   help="in Kubernetes, do not add the pod, namespace, container and node labels")
    add_hardware_arguments(p)
    p.set_defaults(func=cmd_proxy)


def cmd_proxy(args: argparse.Namespace) -> int:
    """Handler of ``wattprint proxy``."""
    from wattprint.errors import ConfigError
    from wattprint.meters.k8s import pod_identity
    from wattprint.serving.proxy.config import ProxyConfig
    from wattprint.serving.proxy.service import ProxyService

    try:
        import aiohttp  # noqa: F401
    except ImportError as err:
        raise ConfigError("wattprint proxy needs aiohttp (pip install 'wattprint[serving]')") \
            from err
    run = event_loop_runner(args.loop)
    host, port = args.listen
    cfg = ProxyConfig(
        upstream=args.upstream, host=host, port=port, metrics_port=args.metrics_port,
        tenant_header=args.tenant_header, tenants_file=args.tenants, window_s=args.window,
        lag_s=args.lag, idle_s=args.idle, interval_s=args.interval,
        energy="measure" if args.agent and args.energy == "auto" else args.energy,
        estimate_model=args.estimate_model, estimate_provider=args.provider,
        estimate_active_params_b=args.active_params,
        timeout_s=args.timeout, keep=args.keep, max_model_labels=args.max_model_labels,
        otlp_endpoint=args.otlp_endpoint, tokenizer=args.tokenizer)
    ident = None if args.no_pod_labels else pod_identity()

    def log(msg: str) -> None:
        print(f"wattprint proxy: {msg}", file=sys.stderr, flush=True)

    meter = None
    if cfg.energy_mode() == "measure":
        from wattprint.meters.energy_meter import EnergyMeter

        if args.agent:
            from wattprint.serving.agent import RemoteMeter

            remote = RemoteMeter(args.agent, os.environ.get(ENV_AGENT_TOKEN, ""),
                                 interval_s=cfg.interval_s)
            meter = EnergyMeter(meters=[remote], interval_s=cfg.interval_s)
        else:
            meter = EnergyMeter(interval_s=cfg.interval_s, powercap_root=args.powercap_root,
                                hardware=hardware_options(args))
    service = ProxyService(cfg, meter=meter, const_labels=ident.labels() if ident else None,
                           log=log, window_process=True)
    try:
        service.prepare_energy()
        run(_serve(service))
    finally:
        if meter is not None:
            meter.close()
    return 0


def event_loop_runner(loop: str) -> Callable[[Coroutine[Any, Any, None]], None]:
    """``asyncio.run`` on the event loop ``--loop`` names (:data:`LOOPS`).

    Raises:
        ConfigError: ``uvloop`` asked for and not installed.
    """
    from wattprint.errors import ConfigError

    if loop != "asyncio":
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            if loop == "uvloop":
                raise ConfigError("--loop uvloop: uvloop is not installed (pip install "
                                  "'wattprint[serving]', or pip install uvloop)") from None
        else:
            run: Callable[[Coroutine[Any, Any, None]], None] = uvloop.run
            return run
    return asyncio.run


async def _serve(service: ProxyService) -> None:
    from wattprint.serving.proxy.service import freeze_start_up

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    freeze_start_up()
    cfg = service.cfg
    where = f"http://{cfg.host}:{service.port}"
    metrics = f"{where}/wattprint/metrics" + (
        f" and http://{cfg.host}:{service.metrics_port}/metrics"
        if service.metrics_port is not None else "")
    service.log(f"serving {where} -> {cfg.upstream} ({service.mode}; windows of "
                f"{cfg.window_s:g} s, attributed {cfg.lag_s:g} s after they end); metrics "
                f"{metrics}")
    try:
        await stop.wait()
    finally:
        service.log("stopping")
        await service.stop()
