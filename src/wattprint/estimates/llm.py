"""The energy of one LLM request, estimated from a fitted model, with an interval.

A request of ``N_in`` prompt tokens and ``N_out`` output tokens costs::

    E = N_out * e_decode + N_in * e_prefill
    e_decode  = fitted J per output token at the assumed size, batch, hardware and devices
    e_prefill = rho * (fitted J per output token at the largest batch measured on that hardware)

The fitted quantity is the energy per output token of measured serving sweeps (the prefill of
the measured workloads' prompts included, spread over their outputs). Neither data source
separates prefill (ML.ENERGY publishes no input lengths; wattprint's stored points carry no
phase totals yet), so ``rho`` is a stated assumption, not a fit: a prompt token costs about the
compute-bound limit of a decoded token (``2 x active params`` FLOPs), taken as the decode cost
at the largest measured batch times ``rho`` in [0.25, 1] (central 0.5; e.g. Llama-3.1-70B on 4
H100: 0.37 J/token at batch 900 against about 0.17 J for 140 GFLOP at 50 % of peak and 600 W).

Every assumption that is a range (active and total parameters of an API model, weight
precision, batch, hardware) is evaluated at its corners; the interval is the lowest and highest
corner widened by the fit's held-out half-width at the stated level (see :mod:`.fit`). Devices
are the fewest (a power of two) whose memory holds 1.2 x the weights, as EcoLogits assumes.
Provenance of every figure: ``estimated``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from wattprint.errors import ConfigError, did_you_mean
from wattprint.estimates.catalog import (
    ModelAssumption,
    Provider,
    Range,
    api_models,
    find_model,
    hardware_specs,
    known_model_names,
    provider,
)
from wattprint.estimates.design import Query
from wattprint.estimates.fit import DEFAULT_LEVEL, FittedModel

DEFAULT_BATCH = Range(16.0, 256.0)
"""Batch assumed when none is given: 16-256 requests decoding together (central 64, EcoLogits'
fixed value; providers tune between latency and efficiency)."""
PREFILL_RATIO = Range(0.25, 1.0)
"""``rho``: prompt-token energy over the decode energy at the largest measured batch."""
PREFILL_RATIO_CENTRAL = 0.5
MEMORY_OVERHEAD = 1.2
"""Memory needed over the weights (KV cache, activations), as EcoLogits."""
MAX_TOKENS = 10_000_000
"""Largest token count accepted (a guard against typos such as 1e12)."""


@dataclass(frozen=True)
class LlmRequest:
    """What to estimate.

    Attributes:
        model: Model name (a table entry, or anything with ``active_params_b``).
        input_tokens, output_tokens: Token counts (>= 0; at least one output token).
        provider: Provider name (PUE, location and hardware assumptions), or None.
        hardware: Hardware keys to assume (empty: the provider's, else every hardware of the fit).
        batch: Requests decoding together (None: :data:`DEFAULT_BATCH`).
        devices: Accelerators serving the model (None: from memory).
        active_params_b, total_params_b, bytes_per_param: Override or supply the model's size.
        level: Coverage of the interval (a level the fit stores: 0.5, 0.8, 0.9, 0.95).
    """

    model: str
    input_tokens: int
    output_tokens: int
    provider: str | None = None
    hardware: tuple[str, ...] = ()
    batch: Range | None = None
    devices: int | None = None
    active_params_b: Range | None = None
    total_params_b: Range | None = None
    bytes_per_param: Range | None = None
    level: float = DEFAULT_LEVEL


@dataclass(frozen=True)
class Interval:
    """A figure with its interval (J)."""

    central_j: float
    low_j: float
    high_j: float

    def to_dict(self) -> dict[str, float]:
        """``{"j": .., "low_j": .., "high_j": ..}``."""
        return {"j": self.central_j, "low_j": self.low_j, "high_j": self.high_j}


@dataclass(frozen=True)
class LlmEstimate:
    """One request's estimated energy.

    Attributes:
        request: What was asked.
        energy: Request energy at the fit's boundary (prefill + decode), J.
        decode, prefill: The two parts, J.
        host: Host (CPU, RAM, fans) energy beside GPU-only figures, J; None when the fit's
            boundary already is the machine or the hardware's host power is unknown.
        j_per_output_token: Central decode energy per output token, J.
        boundary: What ``energy`` covers (the fit's boundary on the assumed hardware).
        model: The size assumption used.
        provider: The provider assumption used, if any.
        hardware: Hardware keys assumed.
        batch: Batch range assumed.
        devices: Devices at the central assumption.
        fit: The fitted model used.
        fit_file: The file it was read from (None: the shipped reference fit).
        warnings: Extrapolations and stand-ins, in words.
    """

    request: LlmRequest
    energy: Interval
    decode: Interval
    prefill: Interval
    host: Interval | None
    j_per_output_token: float
    boundary: str
    model: ModelAssumption
    provider: Provider | None
    hardware: tuple[str, ...]
    batch: Range
    devices: int
    fit: FittedModel
    fit_file: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def method(self) -> str:
        """The method in words: model name and interval construction."""
        return (f"{self.fit.method}: ln(J/output token) regressed on size, batch, hardware and "
                f"devices over measured serving sweeps; prefill = {PREFILL_RATIO_CENTRAL:g} "
                f"({PREFILL_RATIO.lo:g}-{PREFILL_RATIO.hi:g}) x decode at the largest measured "
                f"batch; {self.request.level:.0%} interval = assumption corners x held-out "
                f"(by {self.fit.holdout.by}) residual quantile")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (units in the names)."""
        r, m, f = self.request, self.model, self.fit
        return {
            "kind": "llm_estimate", "provenance": "estimated", "method": self.method,
            "data_version": f.data_version, "model": r.model,
            "provider": self.provider.name if self.provider else None,
            "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
            "energy_j": self.energy.central_j, "energy_low_j": self.energy.low_j,
            "energy_high_j": self.energy.high_j, "interval_level": r.level,
            "energy_kwh": self.energy.central_j / 3.6e6, "boundary": self.boundary,
            "decode": self.decode.to_dict(), "prefill": self.prefill.to_dict(),
            "host": None if self.host is None else self.host.to_dict(),
            "j_per_output_token": self.j_per_output_token,
            "assumptions": {
                "model_kind": m.kind, "model_table_name": m.name,
                "active_params_b": m.active_params_b.to_list(),
                "total_params_b": m.total_params_b.to_list(),
                "bytes_per_param": m.bytes_per_param.to_list(),
                "hardware": list(self.hardware), "batch": self.batch.to_list(),
                "batch_central": self.batch.central, "devices_central": self.devices,
                "prefill_ratio": PREFILL_RATIO.to_list(),
                "prefill_ratio_central": PREFILL_RATIO_CENTRAL,
                "sources": list(m.sources), "note": m.note,
                "ecologits_active_b": m.ecologits_active_b or None,
                "ecologits_total_b": m.ecologits_total_b or None,
                "provider": None if self.provider is None else {
                    "name": self.provider.name, "country": self.provider.country,
                    "pue": self.provider.pue.to_list(), "hardware": list(self.provider.hardware),
                    "source": self.provider.source, "note": self.provider.note},
            },
            "fit": {"file": self.fit_file, "method": f.method, "n_points": f.n_points,
                    "hardware": {h: i.points for h, i in f.hardware.items()},
                    "holdout_by": f.holdout.by, "holdout_groups": f.holdout.groups,
                    "heldout_rmse_log": f.holdout.rmse_log,
                    "heldout_median_abs_rel": f.holdout.median_abs_rel,
                    "heldout_p90_abs_rel": f.holdout.p90_abs_rel,
                    "interval_factor": f.holdout.factor(r.level), "sources": list(f.sources)},
            "warnings": list(self.warnings),
        }


def _check_tokens(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name}: expected a whole number of tokens, got {value!r}")
    if not minimum <= value <= MAX_TOKENS:
        raise ConfigError(f"{name}: expected {minimum} to {MAX_TOKENS:,} tokens, got {value}")
    return value


def resolve_model(req: LlmRequest, fit: FittedModel) -> ModelAssumption:
    """The size assumption for ``req.model`` (table, fit file, or the request's own numbers).

    Raises:
        ConfigError: an unknown model without ``active_params_b``.
    """
    m = find_model(req.model)
    if m is None and req.model in fit.model_sizes:
        a, t, b = fit.model_sizes[req.model]
        m = ModelAssumption(req.model, "fitted", Range(a, a), Range(t, t), Range(b, b),
                            sources=(f"sizes recorded in the fit ({fit.data_version})",))
    if req.active_params_b is not None:
        base = m or ModelAssumption(req.model, "user", req.active_params_b, req.active_params_b,
                                    Range(2.0, 2.0), sources=("--active-params",),
                                    note="weights assumed bf16 (2 bytes) unless "
                                         "--bytes-per-param is given")
        m = ModelAssumption(base.name, "user", req.active_params_b,
                            req.total_params_b or Range(max(req.active_params_b.lo,
                                                            base.total_params_b.lo),
                                                        max(req.active_params_b.hi,
                                                            base.total_params_b.hi)),
                            req.bytes_per_param or base.bytes_per_param, base.provider,
                            tuple(dict.fromkeys(("--active-params", *base.sources))), base.note)
    if m is None:
        raise ConfigError(
            f"unknown model {req.model!r}{did_you_mean(req.model, known_model_names())}: give its "
            "size with --active-params N (billions; --total-params for a mixture of experts), or "
            f"use a known name: {', '.join(sorted({a.name for a in api_models().values()}))}, "
            "or an ML.ENERGY v3 model id (docs/estimates.md lists them)")
    if req.total_params_b is not None or req.bytes_per_param is not None:
        m = ModelAssumption(m.name, m.kind, m.active_params_b,
                            req.total_params_b or m.total_params_b,
                            req.bytes_per_param or m.bytes_per_param, m.provider,
                            m.sources, m.note, m.ecologits_active_b, m.ecologits_total_b)
    return m


def devices_for(weights_gb: float, hardware: str, given: int | None) -> int:
    """Devices serving a model: ``given``, else the fewest (power of two) whose memory holds
    1.2 x the weights, else 1 (hardware of unknown memory, e.g. a CPU)."""
    if given is not None:
        return given
    spec = hardware_specs().get(hardware)
    if spec is None:
        return 1
    n = math.ceil(MEMORY_OVERHEAD * weights_gb / spec.memory_gb)
    return int(2 ** math.ceil(math.log2(max(n, 1))))


def _query(m: ModelAssumption, active: float, total: float, nbytes: float, batch: float,
           hw: str, devices: int | None, out_len: int) -> Query:
    total = max(total, active)
    return Query(hw, devices_for(total * nbytes, hw, devices), active, total, nbytes, batch,
                 float(max(out_len, 1)))


def estimate_llm(req: LlmRequest, fit: FittedModel, *, fit_file: str | None = None
                 ) -> LlmEstimate:
    """Estimate one request (module docstring).

    Raises:
        ConfigError: bad token counts, an unknown model without a size, an unknown provider or
            hardware the fit does not know, a coverage level the fit does not store.
    """
    n_in = _check_tokens("--input-tokens", req.input_tokens, 0)
    n_out = _check_tokens("--output-tokens", req.output_tokens, 1)
    factor = fit.holdout.factor(req.level)
    m = resolve_model(req, fit)
    prov = provider(req.provider) if req.provider else (
        provider(m.provider) if m.provider else None)
    hws = req.hardware or tuple(h for h in (prov.hardware if prov else ())
                                if h in fit.hardware_levels) or fit.hardware_levels
    unknown = [h for h in hws if h not in fit.hardware_levels]
    if unknown:
        raise ConfigError(f"--hardware {', '.join(unknown)}: not in the fit (it knows "
                          f"{', '.join(fit.hardware_levels)}); measure it with `wattprint load` "
                          "and refit with `wattprint estimate fit`")
    batch = req.batch or DEFAULT_BATCH
    warnings: list[str] = []
    corners = list(itertools.product(
        {m.active_params_b.lo, m.active_params_b.hi}, {m.total_params_b.lo, m.total_params_b.hi},
        {m.bytes_per_param.lo, m.bytes_per_param.hi}, hws))
    dec = [fit.j_per_output_token(_query(m, a, t, b, x, h, req.devices, n_out))
           for a, t, b, h in corners for x in {batch.lo, batch.hi}]
    pre = [fit.j_per_output_token(_query(m, a, t, b, fit.hardware[h].batch_range[1], h,
                                         req.devices, n_out)) for a, t, b, h in corners]
    hw0 = hws[0]
    q0 = _query(m, m.active_params_b.central, m.total_params_b.central,
                m.bytes_per_param.central, batch.central, hw0, req.devices, n_out)
    e0 = fit.j_per_output_token(q0)
    p0 = PREFILL_RATIO_CENTRAL * fit.j_per_output_token(_query(
        m, m.active_params_b.central, m.total_params_b.central, m.bytes_per_param.central,
        fit.hardware[hw0].batch_range[1], hw0, req.devices, n_out))
    decode = Interval(n_out * e0, n_out * min(dec) / factor, n_out * max(dec) * factor)
    prefill = Interval(n_in * p0, n_in * PREFILL_RATIO.lo * min(pre) / factor,
                       n_in * PREFILL_RATIO.hi * max(pre) * factor)
    energy = Interval(decode.central_j + prefill.central_j, decode.low_j + prefill.low_j,
                      decode.high_j + prefill.high_j)
    warnings += [f"{w} ({hw0}, central assumption): an extrapolation" for w in fit.out_of_range(q0)]
    if m.note:
        warnings.append(f"model: {m.note}")
    if prov is not None and prov.note:
        warnings.append(f"provider: {prov.note}")
    estimated = sorted({h for h in hws if "estimated" in fit.hardware[h].energy_provenance})
    if estimated:
        warnings.append(f"the fit's energy on {', '.join(estimated)} was itself estimated (no "
                        "energy counter there): this figure estimates an estimate")
    return LlmEstimate(req, energy, decode, prefill, _host(energy, fit, hws), e0,
                       "+".join(sorted({fit.hardware[h].boundary for h in hws})), m, prov, hws,
                       batch, q0.devices, fit, fit_file, tuple(warnings))


def _host(energy: Interval, fit: FittedModel, hws: tuple[str, ...]) -> Interval | None:
    """Host energy beside a GPU-only figure: ``E x host W per device / GPU W per device``, GPU
    power from the fit's points (10th-90th percentile), host power from the hardware table."""
    ratios = []
    for h in hws:
        spec, info = hardware_specs().get(h), fit.hardware[h]
        if spec is None or info.power_w_per_device is None or info.boundary != "gpu":
            return None
        p10, p50, p90 = info.power_w_per_device
        ratios.append((spec.host_w_per_device / p90, spec.host_w_per_device / p50,
                       spec.host_w_per_device / p10))
    return Interval(energy.central_j * ratios[0][1], energy.low_j * min(r[0] for r in ratios),
                    energy.high_j * max(r[2] for r in ratios))
