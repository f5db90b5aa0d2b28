"""``wattprint meters`` (what this machine can measure, and why not the rest) and
``wattprint measure -- CMD`` (run a command and report its energy, like ``perf stat``).

The measurement lives in :mod:`wattprint.meters.command`; this module only parses and prints.
The text report goes to stderr (as ``perf stat`` does, so the command's stdout stays clean);
``--json`` prints one JSON object on stdout. Other modules may extend the measure report:
:func:`measure_lines` returns the text lines and :func:`measure_json` the JSON object for a
result, so extra lines/fields (e.g. carbon) can be appended before printing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from wattprint.cli.common import (
    non_negative_seconds,
    positive_float,
    positive_int,
    print_json,
    sampling_interval,
)
from wattprint.cli.hardware_options import add_hardware_arguments, hardware_options
from wattprint.meters.base import LEAD_JOB, LEAD_PROCESS


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``meters`` and ``measure`` commands."""
    p = sub.add_parser("meters", help="what this machine can measure, how, and why not the rest",
                       description="List every energy source wattprint considered on this "
                       "machine, the one chosen per component, and why the others were not used.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--powercap-root", default="/sys/class/powercap", metavar="DIR",
                   help="powercap class directory for RAPL (default: %(default)s)")
    _cgroup_arg(p)
    add_hardware_arguments(p)
    p.set_defaults(func=cmd_meters)

    m = sub.add_parser("measure", help="run a command and report its energy (like perf stat)",
                       description="Run CMD, wait for it, and print its duration and energy per "
                       "domain with provenance, boundary, average power and the uncertainty of "
                       "estimates. The exit code of CMD is forwarded.")
    m.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout, and nothing else: the command's own "
                   "stdout is sent to stderr")
    m.add_argument("--json-file", metavar="PATH",
                   help="write the JSON object to PATH (the command's output is left alone and "
                   "the text report goes to stderr)")
    m.add_argument("--interval", type=sampling_interval, default=0.1, metavar="S",
                   help="power-sampling interval for sources without a counter, seconds "
                   "(default: %(default)s)")
    m.add_argument("--powercap-root", default="/sys/class/powercap", metavar="DIR",
                   help="powercap class directory for RAPL (default: %(default)s)")
    _cgroup_arg(m)
    m.add_argument("--gpus", default="used", metavar="WHICH", type=_gpus_arg,
                   help="GPUs to measure: 'used' (those on which NVML's per-process list shows "
                   "the command; the default, and the result says which), 'all', 'none', or "
                   "indices such as 0,2 (CUDA numbering)")
    m.add_argument("--idle", type=non_negative_seconds, default=0.0, metavar="S",
                   help="measure idle power for S seconds first and report dynamic energy too")
    m.add_argument("--max-foreign-share", type=_fraction, default=0.05, metavar="F",
                   help="flag the host as shared, and lead with the command's own share, when "
                   "other processes used more than this fraction of the CPU time the figures "
                   "cover (0 to 1, default %(default)s)")
    m.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS...",
                   help="the command to run")
    from wattprint.cli.carbon_options import add_carbon_arguments

    add_carbon_arguments(m)
    add_hardware_arguments(m)
    m.set_defaults(func=cmd_measure)

    e = sub.add_parser("estimate", help="what-if power estimates (before renting a machine)",
                       description="Estimate power from the same models the meters use when "
                       "there is no counter.")
    esub = e.add_subparsers(dest="what", metavar="WHAT", required=True)
    c = esub.add_parser("cpu", help="CPU power of N logical CPUs of a model at a utilisation",
                        description="Print the estimated CPU power (W) with its multiplicative "
                        "band [P/(1+u), P*(1+u)], the model and its sources.")
    c.add_argument("--cpu-model", required=True, type=_cpu_name, metavar="NAME",
                   help='CPU model name, e.g. "AMD EPYC 7763" or "Intel Xeon Platinum 8480+"')
    c.add_argument("--logical-cpus", required=True, type=_logical_cpus, metavar="N",
                   help="logical CPUs (vCPUs) of the machine or share, more than 0 and at "
                   "most 8192 (fractional under a cgroup quota)")
    c.add_argument("--utilisation", required=True, type=_fraction, metavar="U",
                   help="average busy fraction of those CPUs, 0 to 1")
    c.add_argument("--socket-threads", type=_socket_threads, metavar="T",
                   help="threads per physical socket, when the tables do not know it "
                   "(1 to 8192)")
    c.add_argument("--json", action="store_true",
                   help="print one JSON object with keys power_w, low_w, high_w, model, sources")
    c.set_defaults(func=cmd_estimate_cpu)
    from wattprint.cli.estimate_cmd import register as register_estimate_llm

    register_estimate_llm(esub)  # estimate llm, estimate fit


def _gpus_arg(text: str) -> str | list[int]:
    if text in ("used", "all", "none"):
        return text
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or any(i < 0 for i in out):
        raise argparse.ArgumentTypeError(f"expected used, all, none or GPU indices like 0,2; "
                                         f"got {text!r}")
    return out


def _cpu_name(text: str) -> str:
    from wattprint.errors import MeterError
    from wattprint.meters.estimate import check_cpu_name

    try:
        return check_cpu_name(text)
    except MeterError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _logical_cpus(text: str) -> float:
    from wattprint.errors import MeterError
    from wattprint.meters.estimate import check_logical_cpus

    value = positive_float(text)
    try:
        return check_logical_cpus(value)
    except MeterError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _socket_threads(text: str) -> int:
    from wattprint.meters.estimate import MAX_LOGICAL_CPUS

    value = positive_int(text)
    if value > MAX_LOGICAL_CPUS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_LOGICAL_CPUS} threads per "
                                         f"socket, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r} "
                                         "(50 % is 0.5)")
    return value


def cmd_estimate_cpu(args: argparse.Namespace) -> int:
    """Handler of ``wattprint estimate cpu``."""
    from wattprint.meters.estimate import cpu_what_if

    r = cpu_what_if(args.cpu_model, args.logical_cpus, args.utilisation, args.socket_threads)
    if args.json:
        print_json(r.to_dict())
        return 0
    out = sys.stdout
    out.write(f"{args.cpu_model}, {args.logical_cpus:g} logical CPUs at {args.utilisation:.0%}: "
              f"{r.power_w:.3g} W (band {r.low_w:.3g} - {r.high_w:.3g} W)\n")
    out.write(f"  model: {r.model.formula}\n")
    for src in r.sources:
        out.write(f"  source: {src}\n")
    return 0


def _cgroup_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cgroup-root", default="/sys/fs/cgroup", metavar="DIR",
                   help="cgroup mount read for the container's CPU quota, cpuset and memory "
                   "limit (default: %(default)s)")


# --------------------------------------------------------------------------- meters
def cmd_meters(args: argparse.Namespace) -> int:
    """Handler of ``wattprint meters``."""
    from wattprint.meters.energy_meter import EnergyMeter

    meter = EnergyMeter(powercap_root=args.powercap_root, cgroup_root=args.cgroup_root,
                        hardware=hardware_options(args))
    try:
        status = meter.detection
        specs = meter.domains()
    finally:
        meter.close()
    if args.json:
        print_json({"sources": [s.to_dict() for s in status],
                    "domains": [_spec_dict(s) for s in specs]})
        return 0
    out = sys.stdout
    out.write("Energy sources on this machine\n")
    for s in status:
        mark = "USED " if s.chosen else ("avail" if s.available else "no   ")
        out.write(f"  [{mark}] {s.component:<4} {s.source:<9} {s.reason}\n")
    out.write("\nDomains reported\n")
    for sp in specs:
        unc = " " + _unc_text(sp.provenance.value, sp.uncertainty) if sp.uncertainty is not None else ""
        out.write(f"  {sp.name:<12} {sp.provenance.value:<10}{unc:<6} {sp.scope:<8} {sp.boundary}\n")
    return 0


def _spec_dict(s: Any) -> dict[str, Any]:
    return {"name": s.name, "component": s.component, "boundary": s.boundary,
            "provenance": s.provenance.value, "source": s.source, "uncertainty": s.uncertainty,
            "scope": s.scope, "model": None if s.model is None else s.model.to_dict()}


# --------------------------------------------------------------------------- measure
def cmd_measure(args: argparse.Namespace) -> int:
    """Handler of ``wattprint measure``: runs the command, prints, forwards its exit code."""
    from wattprint.cli.carbon_options import carbon_from_args
    from wattprint.meters.command import CommandError, measure_command

    argv = list(args.cmd)
    if argv and argv[0] == "--":
        argv = argv[1:]
    from wattprint.cli.impact_options import (
        impact_options_from_args,
        window_impact_json,
        window_impact_lines,
    )

    intensity, pue = carbon_from_args(args)  # bad carbon flags fail before the command runs
    impact_opts = impact_options_from_args(args)  # so do bad impact flags
    try:
        sys.stdout.flush()
        code, result = measure_command(argv, interval_s=args.interval,
                                       powercap_root=args.powercap_root, idle_s=args.idle,
                                       stdout=sys.stderr.fileno() if args.json else None,
                                       cgroup_root=args.cgroup_root, gpus=args.gpus,
                                       max_foreign_share=args.max_foreign_share,
                                       hardware=hardware_options(args))
    except CommandError as err:
        print(f"wattprint: error: {err}", file=sys.stderr)
        return err.exit_code
    doc = None
    if args.json or args.json_file:
        doc = {**measure_json(code, result), "carbon": carbon_by_total(result, intensity, pue, args),
               "impacts": window_impact_json(result, intensity, pue, impact_opts)}
    if args.json_file:
        try:
            with open(args.json_file, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2, default=str)
                f.write("\n")
        except OSError as err:
            print(f"wattprint: error: --json-file {args.json_file}: {err.strerror or err}",
                  file=sys.stderr)
            return 2
    if args.json:
        print_json(doc)
    else:
        lines = (measure_lines(code, result) + [""] + carbon_lines(result, intensity, pue, args)
                 + window_impact_lines(result, intensity, pue, impact_opts))
        sys.stderr.write("\n".join(lines) + "\n")
    return code


def lead_totals(result: Any) -> tuple[list[tuple[Any, bool]], Any]:
    """The window's totals, those the headline leads with first, each with whether it leads;
    and the headline (:meth:`~wattprint.meters.base.EnergyResult.headline`)."""
    head = result.headline()
    lead = set(head.domains)
    marked = [(t, set(t.domains) <= lead) for t in result.totals()]
    return sorted(marked, key=lambda x: not x[1]), head


def carbon_by_total(result: Any, intensity: Any, pue: float, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Emissions and equivalents of each (provenance, scope) energy total, never of their sum;
    the totals the headline leads with first (``leads``)."""
    from wattprint.cli.carbon_options import carbon_json

    start_s, end_s = result.started_at, result.started_at + result.duration_s
    out = []
    for t, leads in lead_totals(result)[0]:
        d = carbon_json(t.energy_j, intensity, pue, args=args, start_s=start_s, end_s=end_s)
        if t.uncertainty_j is not None and t.energy_j > 0:
            d["uncertainty_g"] = d["emissions_g"] * t.uncertainty_j / t.energy_j
        out.append({"provenance": t.provenance.value, "scope": t.scope,
                    "domains": list(t.domains), "leads": leads, **d})
    return out


def carbon_lines(result: Any, intensity: Any, pue: float, args: argparse.Namespace) -> list[str]:
    """The carbon report: one block per (provenance, scope) total, the headline's first."""
    from wattprint.cli.carbon_options import format_carbon_lines

    start_s, end_s = result.started_at, result.started_at + result.duration_s
    lines = ["  carbon (per energy total; totals of different provenance are never added):"]
    totals, head = lead_totals(result)
    for t, leads in totals:
        role = ("" if head.basis == LEAD_JOB and leads else "  (leads: the command's own share)"
                if leads else "  (beside: the whole host, others' work included)"
                if head.basis == LEAD_PROCESS else "  (beside)")
        lines.append(f"    [{t.provenance.value} {t.scope}: {', '.join(t.domains)}]{role}")
        lines.extend("      " + x for x in format_carbon_lines(t.energy_j, intensity, pue, args=args,
                                                                start_s=start_s, end_s=end_s))
    return lines


def measure_json(exit_code: int, result: Any) -> dict[str, Any]:
    """The ``--json`` object: duration_s, exit_code, domains, totals, average power, warnings."""
    d = result.to_dict()
    d["exit_code"] = exit_code
    d["command"] = d.pop("label")
    return {"command": d["command"], "exit_code": exit_code, "duration_s": d["duration_s"],
            **{k: v for k, v in d.items() if k not in ("command", "duration_s", "exit_code")}}


def _unc_text(provenance: str, u: float) -> str:
    """An estimate's multiplicative band (``x/÷1.5``) or a counter's relative error (``±3%``)."""
    return f"x/÷{1 + u:.3g}" if provenance == "estimated" else f"±{u:.0%}"


def measure_lines(exit_code: int, result: Any) -> list[str]:
    """The human-readable report of one measured command, one string per line: the headline
    (the job's boundary, or on a shared host the command's own share) and why, then every
    domain and total."""
    from wattprint.units import format_energy

    lines = [f"wattprint measure: {result.label}",
             f"  exit code   {exit_code}",
             f"  duration    {result.duration_s:.3f} s"]
    totals, head = lead_totals(result)
    if head.energy_j:
        lead = ", ".join(f"{format_energy(e)} {p.value}" for p, e in head.energy_j.items())
        beside = ", ".join(f"{format_energy(e)} {p.value}" for p, e in head.beside_j.items())
        what = ("the command's own share (scope process) and its devices"
                if head.basis == LEAD_PROCESS else "the job's boundary")
        lines.append(f"  headline    {lead}: {what}" + (
            f"; beside it {beside} ({'the whole host' if head.basis == LEAD_PROCESS else 'kept apart'})"
            if beside else ""))
        lines.append(f"  why         {head.reason}")
    lines.append("")
    columns = f"  {'domain':<12} {'energy':>10} {'avg power':>10}  {'provenance':<10} {'error':>6}  {'scope':<8} boundary"
    lines.append(columns)
    power = result.average_power_w()
    for d in result.domains:
        unc = _unc_text(d.provenance.value, d.uncertainty) if d.uncertainty is not None else ""
        p = f"{power[d.name]:.3g} W" if d.name in power else "-"
        lines.append(f"  {d.name:<12} {format_energy(d.energy_j):>10} {p:>10}  "
                     f"{d.provenance.value:<10} {unc:>6}  {d.scope:<8} {d.boundary}")
        if d.dynamic_energy_j is not None:
            lines.append(f"  {'':<12} idle {d.idle_power_w:.3g} W -> idle {format_energy(d.idle_energy_j)}, "
                         f"dynamic {format_energy(d.dynamic_energy_j)}")
    lines.append("")
    lines.append("  totals (never summed across provenances or scopes; the headline's first):")
    for t, leads in totals:
        unc = (f" ({format_energy(t.low_j)} - {format_energy(t.high_j)})"
               if t.low_j is not None and t.high_j is not None else "")
        dyn = (f", dynamic {format_energy(t.dynamic_energy_j)}" if t.dynamic_energy_j is not None
               else "")
        mark = "  <- headline" if leads and head.basis == LEAD_PROCESS else ""
        lines.append(f"    {t.provenance.value:<10} {t.scope:<8} {format_energy(t.energy_j)}{unc}{dyn}"
                     f"  ({', '.join(t.domains)}){mark}")
    models = {d.model.name: d.model for d in result.domains if d.model is not None}
    if models:
        lines.append("")
        lines.append("  estimate models:")
        for m in models.values():
            lines.append(f"    {m.name}: {m.formula}")
            consts = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in m.constants.items())
            lines.append(f"      constants: {consts}")
            lines.append(f"      source: {m.source}")
    if result.warnings:
        lines.append("")
        lines.extend(f"  warning: {w}" for w in result.warnings)
    return lines
