"""The serving testbed: run a case against the reference engine through wattprint's real path
(probe, idle baseline, load, power timeline read by the RAPL meter, attribution) and compare
every request's attributed energy with the engine's truth.

Targets (issue 19; ``bench/serving_truth.py`` publishes the numbers):

* median per-request error <= :data:`MEDIAN_TARGET`, p95 <= :data:`P95_TARGET` — over the
  requests that ended ``ok`` (the ones the published percentiles cover), error
  ``|attributed - true| / true`` of the dynamic energy (prefill + decode, idle excluded); the
  same targets, apart, over the ``truncated`` requests (streams cut short did real work: their
  share must be theirs, not pushed onto their neighbours);
* phase totals (prefill, decode) within :data:`PHASE_TARGET` of the truth;
* a request that did no work gets at most :data:`NO_WORK_TARGET` of the window's dynamic
  energy.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.rapl import RaplMeter
from wattprint.serving import attribution_v1
from wattprint.serving.arrivals import Arrivals
from wattprint.serving.attribution import Attribution
from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.process import ReferenceProcess
from wattprint.serving.reference.truth import (
    RequestTruth,
    read_steps,
    read_truth,
    true_dynamic_j,
)
from wattprint.serving.session import PointDetail, ServingConfig, ServingSession

COSTS: dict[str, float] = {"step_s": 0.02, "decode_s_per_token": 0.005,
                           "prefill_s_per_token": 0.001, "prefill_j_per_token": 0.03,
                           "decode_j_per_token": 0.25, "idle_power_w": 20.0,
                           "counter_period_s": 0.002}
"""The testbed's engine costs: a decode step of 25 ms (10 W of dynamic power for one
sequence), prefill at 1 ms and 30 W per prompt token, 20 W idle; a RAPL-like counter updated
every 2 ms."""

MEDIAN_TARGET = 0.10
P95_TARGET = 0.25
PHASE_TARGET = 0.05
NO_WORK_TARGET = 0.01


@dataclass(frozen=True)
class Case:
    """One testbed case.

    Attributes:
        name: Short name.
        engine: The reference engine.
        arrivals: The load.
        prompts: (prompt, max_tokens) per request, in sending order; prompts must differ
            (the truth is matched by prompt).
        timeout_s: Per-request client timeout, s.
        interval_s: Power timeline period, s.
        idle_s: Idle baseline, s.
        tokenizer: Give wattprint the engine's tokenizer (for engines without ``usage``).
        seed: Seed of the arrival schedule.
    """

    name: str
    engine: ReferenceConfig
    arrivals: Arrivals
    prompts: tuple[tuple[str, int], ...]
    timeout_s: float = 300.0
    interval_s: float = 0.1
    idle_s: float = 5.0
    tokenizer: bool = False
    seed: int = 0


def prompts(n: int, words: int | Sequence[int], max_tokens: int, tag: str = "r"
            ) -> tuple[tuple[str, int], ...]:
    """``n`` distinct prompts of ``words`` words each (one count, or one per request)."""
    sizes = [words] * n if isinstance(words, int) else list(words)
    return tuple((f"{tag}{k} " + " ".join(["x"] * max(w - 1, 0)), max_tokens)
                 for k, w in zip(range(n), sizes))


def mixed_prompts(n: int, seed: int = 7) -> tuple[tuple[str, int], ...]:
    """``n`` distinct prompts of 30-300 words (one token each to the reference engine) asking
    for 8-64 tokens, drawn uniformly with ``seed`` (as :func:`prompts` writes them)."""
    rng = random.Random(seed)
    drawn = [(rng.randint(30, 300), rng.randint(8, 64)) for _ in range(n)]
    texts = prompts(n, [words for words, _ in drawn], 0, tag="m")
    return tuple((text, max_tokens) for (text, _), (_, max_tokens) in zip(texts, drawn))


@dataclass(frozen=True)
class CaseRun:
    """A case after it ran: wattprint's view and the engine's truth.

    Attributes:
        case: The case.
        detail: What the point was computed from.
        truth: Every request's truth.
        steps: Every engine step (start s, end s, planned s, dynamic J).
    """

    case: Case
    detail: PointDetail
    truth: tuple[RequestTruth, ...]
    steps: tuple[tuple[float, float, float, float], ...] = ()

    def timeline_fidelity(self) -> tuple[float, float]:
        """How faithfully the measured timeline followed the engine's true energy, independent
        of any attribution: (share of the dynamic energy the timeline put in another slice than
        the engine spent it in, measured idle power minus true idle power in W). A loaded
        machine that stalls the counter's writer or the timeline's reader shows here."""
        d = self.detail
        idle_w = self.case.engine.idle_power_w
        ts = np.asarray(d.times_s)
        true_dyn = np.array([true_dynamic_j(list(self.steps), t) for t in ts])
        meas_dyn = np.asarray(d.energy_j) - idle_w * ts
        a, b = np.diff(meas_dyn), np.diff(true_dyn)
        total = float(b.sum())
        moved = float(np.abs(a - b).sum()) / 2 / total if total > 0 else 0.0
        return moved, d.idle_power_w - idle_w


def run_case(case: Case, folder: str | Path, *, log: Callable[[str], None] = lambda m: None
             ) -> CaseRun:
    """Start the engine (its own process), measure the case with :class:`ServingSession`,
    stop the engine."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "max_tokens": m}) + "\n"
                            for p, m in case.prompts), encoding="utf-8")
    with ReferenceProcess(case.engine, d / "engine") as srv:
        tok = str(srv.tokenizer) if case.tokenizer else None
        meter = EnergyMeter(meters=[RaplMeter(str(srv.powercap_root))],
                            proc_root=str(srv.proc_root), interval_s=case.interval_s)
        try:
            cfg = ServingConfig(endpoint=srv.url, model=case.engine.model, loads=(case.arrivals,),
                                requests=len(case.prompts), prompts=str(path), idle_s=case.idle_s,
                                interval_s=case.interval_s, max_lag_s=1.0,
                                timeout_s=case.timeout_s, tokenizer=tok, seed=case.seed)
            session = ServingSession(cfg, f"testbed-{case.name}", meter=meter, log=log)
            session.run()
        finally:
            meter.close()
    if not session.details:
        raise RuntimeError(f"testbed case {case.name}: no point measured ({session.lost})")
    return CaseRun(case, session.details[0], tuple(read_truth(d / "engine")),
                   tuple(read_steps(d / "engine")))


def dump(run: CaseRun, path: str | Path) -> None:
    """Write what the case was computed from (client records, timeline, truth, point) as JSON,
    to look into a result afterwards."""
    d = run.detail
    Path(path).write_text(json.dumps({
        "case": run.case.name, "records": [r.to_dict() for r in d.run.records],
        "prompts": d.prompts, "times_s": d.times_s, "energy_j": d.energy_j,
        "idle_power_w": d.idle_power_w, "truth": [t.to_dict() for t in run.truth],
        "point": d.point.to_dict()}, default=str))


@dataclass(frozen=True)
class RequestComparison:
    """One request: attributed against true dynamic energy (J)."""

    index: int
    status: str
    outcome: str
    true_prefill_j: float
    true_decode_j: float
    prefill_j: float
    decode_j: float

    @property
    def true_j(self) -> float:
        """True prefill + decode, J."""
        return self.true_prefill_j + self.true_decode_j

    @property
    def attributed_j(self) -> float:
        """Attributed prefill + decode, J."""
        return self.prefill_j + self.decode_j

    @property
    def error(self) -> float | None:
        """``|attributed - true| / true`` (None for a request that did no work)."""
        return abs(self.attributed_j - self.true_j) / self.true_j if self.true_j > 0 else None


@dataclass(frozen=True)
class CaseResult:
    """A case compared with its truth under one attribution model.

    Attributes:
        case, model: Which case and model.
        requests: Every request's comparison.
        median_error, p95_error, max_error: Over ``ok`` requests (relative).
        truncated_median_error, truncated_p95_error: Over ``truncated`` requests (None when
            there is none).
        true_prefill_j, prefill_j, true_decode_j, decode_j: Phase totals, J.
        dynamic_j: The window's measured dynamic energy (window less idle), J.
        no_work_share: Largest share of ``dynamic_j`` given to a request that did no work
            (None when every request worked).
        weights: The weights used (``prefill``/``decode`` J per token, and their source).
        checks: The point's checks (``name`` → passed).
        flags: The point's flags.
    """

    case: str
    model: str
    requests: tuple[RequestComparison, ...]
    median_error: float | None
    p95_error: float | None
    max_error: float | None
    true_prefill_j: float
    prefill_j: float
    true_decode_j: float
    decode_j: float
    dynamic_j: float
    no_work_share: float | None
    weights: dict[str, float | str | None] = field(default_factory=dict)
    checks: dict[str, bool | None] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    truncated_median_error: float | None = None
    truncated_p95_error: float | None = None

    @property
    def prefill_total_error(self) -> float | None:
        """Relative error of the prefill total."""
        return abs(self.prefill_j - self.true_prefill_j) / self.true_prefill_j \
            if self.true_prefill_j > 0 else None

    @property
    def decode_total_error(self) -> float | None:
        """Relative error of the decode total."""
        return abs(self.decode_j - self.true_decode_j) / self.true_decode_j \
            if self.true_decode_j > 0 else None

    def targets(self) -> dict[str, bool]:
        """Each target (module docstring) met or not; a figure that cannot be computed
        (no request ok, no request without work) is not listed."""
        out: dict[str, bool] = {}
        if self.median_error is not None and self.p95_error is not None:
            out["median_error"] = self.median_error <= MEDIAN_TARGET
            out["p95_error"] = self.p95_error <= P95_TARGET
        if self.truncated_median_error is not None and self.truncated_p95_error is not None:
            out["truncated_median_error"] = self.truncated_median_error <= MEDIAN_TARGET
            out["truncated_p95_error"] = self.truncated_p95_error <= P95_TARGET
        for name, err in (("prefill_total", self.prefill_total_error),
                          ("decode_total", self.decode_total_error)):
            if err is not None:
                out[name] = err <= PHASE_TARGET
        if self.no_work_share is not None:
            out["no_work_share"] = bool(self.no_work_share <= NO_WORK_TARGET)
        return out


def v1_attribution(run: CaseRun) -> Attribution:
    """The same case's energy split by ``token-occupancy-v1`` (for comparison), given the same
    prompt-token counts as v2 (the client records none for failed requests; v1 spread a failed
    request's prompt over its whole wait when it had one)."""
    d = run.detail
    counts = {p.index: p.prompt_tokens for p in d.account.phases}
    records = [r if r.input_tokens is not None or counts.get(r.index) is None else
               dataclasses.replace(r, input_tokens=int(round(counts[r.index] or 0)))
               for r in d.run.records]
    return attribution_v1.attribute(records, d.times_s, d.energy_j,
                                    idle_power_w=d.idle_power_w,
                                    window_j=d.energy_j[-1] - d.energy_j[0],
                                    basis_provenance=d.account.attribution.basis_provenance,
                                    basis_domains=d.account.attribution.basis_domains)


def compare(run: CaseRun, attribution: Attribution | None = None) -> CaseResult:
    """Compare ``attribution`` (default: the point's own, v2) with the truth."""
    d = run.detail
    att = attribution if attribution is not None else d.account.attribution
    by_prompt = {t.prompt: t for t in run.truth}
    rows = []
    for s in att.shares:
        t = by_prompt.get(d.prompts.get(s.index, ""))
        if t is None:
            raise RuntimeError(f"testbed case {run.case.name}: no truth for request {s.index}")
        rows.append(RequestComparison(s.index, s.status, t.outcome, t.prefill_j, t.decode_j,
                                      s.prefill_j, s.decode_j))
    p = d.point
    return score(run.case.name, str(att.model.get("name")), rows, att.window_j - att.idle_j,
                 {"prefill_j_per_token": att.weights.prefill_j_per_token,
                  "decode_j_per_token": att.weights.decode_j_per_token,
                  "source": att.weights.source},
                 {c.name: c.passed for c in p.checks}, p.flags)


def score(case: str, model: str, rows: Sequence[RequestComparison], dynamic_j: float,
          weights: dict[str, float | str | None], checks: dict[str, bool | None],
          flags: Sequence[str]) -> CaseResult:
    """The statistics of a case's comparisons (the proxy's testbed scores its own with it).

    Args:
        case, model: Names.
        rows: Every request's comparison.
        dynamic_j: The measured dynamic energy the requests were attributed from, J.
        weights, checks, flags: What the attribution used and found.
    """
    errs = [r.error for r in rows if r.status == "ok" and r.error is not None]
    cut = [r.error for r in rows if r.status == "truncated" and r.error is not None]
    idle = [r.attributed_j / dynamic_j for r in rows if r.true_j == 0 and dynamic_j > 0]
    return CaseResult(
        case, model, tuple(rows),
        float(np.median(errs)) if errs else None,
        float(np.percentile(errs, 95)) if errs else None, float(max(errs)) if errs else None,
        sum(r.true_prefill_j for r in rows), sum(r.prefill_j for r in rows),
        sum(r.true_decode_j for r in rows), sum(r.decode_j for r in rows), dynamic_j,
        float(max(idle)) if idle else None, dict(weights), dict(checks), tuple(flags),
        float(np.median(cut)) if cut else None, float(np.percentile(cut, 95)) if cut else None)
