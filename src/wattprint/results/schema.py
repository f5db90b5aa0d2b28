"""The job result record: the one shape that flows from the harness (or an importer) into the
store, and from the store into analysis and reports.

One :class:`JobResult` is one repetition of one job: a model run on ``n`` inputs of one task
and dataset, measured as one ``query`` window. Other phases (model load, warm-up, idle
baseline) are kept beside it in ``phases``.

Energy stays per domain with its provenance; the helpers here never sum across provenances.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wattprint.carbon.record import CarbonRecord
from wattprint.frozen import fast_init
from wattprint.meters.base import (
    SHARE_SCOPES,
    WHOLE_HOST_SCOPES,
    DomainEnergy,
    EnergyResult,
    Headline,
    HostActivity,
    Provenance,
    boundary_split,
    headline,
    totals_by_provenance,
)
from wattprint.results.stats import kwh_per_1k

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUSES = (STATUS_OK, STATUS_FAILED)

WORK_UNITS = ("sample", "token", "image")
"""What one unit of work is for a task: an input sample, a generated token, a generated image."""

MODES = ("task-specific", "zero-shot")
"""How a model runs a task: as a model made for it, or zero-shot through a text-generation model."""

WEIGHTS = ("pretrained", "fine-tuned here", "random", "unknown")
"""Whether the model's weights are trained (as published, or fine-tuned by wattprint's own
build: quality means something) or random (cost only)."""


def job_id_for(spec: Mapping[str, Any]) -> str:
    """Stable id of a job from what defines it.

    Args:
        spec: Everything that defines the job (task, model, revision, dataset, config, split, n,
            settings, hardware id ...). Keys are sorted; values must be JSON-serialisable.

    Returns:
        A 16-hex-digit id; equal specs give equal ids on any machine and in any process.
    """
    return hashlib.sha256(_canonical_json(spec).encode()).hexdigest()[:16]


_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode
"""``json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)``, with the
encoder made once (job ids are computed per imported row)."""


def short_fingerprint(fingerprint: str) -> str:
    """A model fingerprint shortened for display: its kind and 8 hex digits (``files:1a2b3c4d``)."""
    kind, sep, digest = fingerprint.rpartition(":")
    return f"{kind}{sep}{digest[:8]}"


@fast_init  # built per row by imports, per record by reads
@dataclass(frozen=True)
class JobResult:
    """One repetition of one job, measured (or imported), ready to store.

    Attributes:
        job_id: Stable id of the job (see :func:`job_id_for`); equal for all its repetitions.
        repetition: 0-based repetition index.
        task: Hugging Face task id (``text-classification`` ... ``text-to-image``).
        model: Hub id, local path, or callable name.
        dataset: Dataset id (``imdb``, ``builtin:text-classification``, a file path ...).
        n: Number of inferences in the measured window.
        status: ``ok`` or ``failed``; a failed result has ``error`` and no energy is invented.
        duration_s: Length of the measured (query) window, seconds.
        domains: Energy per domain over the query window.
        error: Why it failed (exception type and message), for failed results.
        run_id: Id of the invocation (suite run or import) that produced it.
        suite: Suite name, when run from a suite.
        model_revision: Hub revision / commit, or None.
        weights: ``pretrained``, ``fine-tuned here`` (a published encoder with a head trained
            by ``wattprint zoo build --real``), ``random`` (cost only, quality meaningless)
            or ``unknown``.
        backend: ``transformers``, ``diffusers``, ``callable``, ``codecarbon-import`` ...
        dataset_config, split: Dataset configuration and split, when any.
        work_unit: ``sample``, ``token`` or ``image``.
        work_units: Count of work units in the window (e.g. generated tokens).
        input_tokens, output_tokens: Token counts over the window, when known.
        batch_size, device, dtype: Run settings.
        settings: Every other setting that defines the job (max_new_tokens ...).
        quality: Metric name → value (accuracy, f1, rouge1 ...), when labels exist.
        phases: Other measured windows by phase (``load``, ``warmup``, ``idle``).
        environment: Fingerprint: CPU, GPU, driver, library versions, git commit ...
        hardware_id: Short stable id of the hardware, part of the job id.
        carbon: The grid intensity, its source, PUE and stated emissions
            (:class:`~wattprint.carbon.record.CarbonRecord`; a mapping given here is read
            into one).
        source: ``wattprint`` or the importer (``codecarbon``), plus ``source_file``,
            ``source_line`` for imports.
        node, gpu: Where it ran (cluster node name, GPU index/uuid), when known.
        shared: True when other measured jobs shared the machine (energy distorted), as the
            executor placed them (see also ``host_activity``).
        attempt: 1 for a first try, 2+ when retried after a worker died.
        created_at: ISO-8601 UTC time the record was made.
        mode: How the model ran the task: ``task-specific`` or ``zero-shot`` (None: not
            known, e.g. an import that does not say).
        model_fingerprint: Identity of what was measured: a hash of a local model's config and
            weight files, a hub model's resolved snapshot commit, the zoo version of a zoo
            model, or the source of a callable's module (None when it could not be known).
        parameters: The model's parameter count, when the backend reported it.
        warnings: What the meter or harness flagged about the measured window (clock drift,
            counter wrap, shared machine ...), in order.
        host_activity: Who used the host's CPUs during the query window: this job's process
            tree or others (:class:`~wattprint.meters.base.HostActivity`; None when not
            measured, as in records written before it existed and imports).
        extra: What no code reads back (kept verbatim for people: meter detection, model info).
    """

    job_id: str
    repetition: int
    task: str
    model: str
    dataset: str
    n: int
    status: str
    duration_s: float | None
    domains: tuple[DomainEnergy, ...] = ()
    error: str | None = None
    run_id: str | None = None
    suite: str | None = None
    model_revision: str | None = None
    weights: str = "unknown"
    backend: str | None = None
    dataset_config: str | None = None
    split: str | None = None
    work_unit: str = "sample"
    work_units: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    batch_size: int = 1
    device: str | None = None
    dtype: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    quality: Mapping[str, float] = field(default_factory=dict)
    phases: Mapping[str, EnergyResult] = field(default_factory=dict)
    environment: Mapping[str, Any] = field(default_factory=dict)
    hardware_id: str | None = None
    carbon: CarbonRecord | None = None
    source: str = "wattprint"
    source_file: str | None = None
    source_line: int | None = None
    node: str | None = None
    gpu: str | None = None
    shared: bool = False
    attempt: int = 1
    created_at: str | None = None
    mode: str | None = None
    model_fingerprint: str | None = None
    parameters: int | None = None
    warnings: tuple[str, ...] = ()
    host_activity: HostActivity | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.carbon is not None and not isinstance(self.carbon, CarbonRecord):
            object.__setattr__(self, "carbon", CarbonRecord.from_dict(self.carbon))
        if self.host_activity is not None and not isinstance(self.host_activity, HostActivity):
            object.__setattr__(self, "host_activity", HostActivity.from_dict(self.host_activity))
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status == STATUS_FAILED and not self.error:
            raise ValueError("a failed result must say why (error)")
        if self.status == STATUS_OK and not self.domains:
            raise ValueError("an ok result must carry at least one energy domain")
        if self.work_unit not in WORK_UNITS:
            raise ValueError(f"work_unit must be one of {WORK_UNITS}, got {self.work_unit!r}")
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, got {self.weights!r}")
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if self.mode is not None and self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES} or None, got {self.mode!r}")

    # ---- derived numbers (never summed across provenances) ---------------------------

    def energy_j(self, provenance: Provenance | str, scope: str | None = None) -> float | None:
        """Total query-window energy of one provenance (J), or None when absent.

        Args:
            provenance: Which provenance to sum.
            scope: ``None`` (default) sums the job's boundary
                (:func:`~wattprint.meters.base.boundary_split`): its ``device`` domains and
                the host or the job's share of it (``affinity``/``container``), never a share
                added to the whole host's figure. ``process``-scope domains (energy attributed
                to the measured process) overlap the machine's and are summed only when asked
                for with ``scope="process"``; ``node``-scope domains (the whole node at the
                wall, from its BMC) overlap everything and only with ``scope="node"``.
        """
        prov = Provenance(provenance)
        if scope is None:
            return self.boundary_energy_j().get(prov)
        parts = [d.energy_j for d in self.domains if d.provenance is prov and d.scope == scope]
        return sum(parts) if parts else None

    def boundary_energy_j(self) -> dict[Provenance, float]:
        """Query-window energy (J) per provenance present, over the job's boundary (see
        :meth:`energy_j`), in one pass."""
        totals: dict[Provenance, float] = {}
        for d in boundary_split(self.domains)[0]:
            totals[d.provenance] = totals.get(d.provenance, 0) + d.energy_j
        return totals

    @property
    def shared_host(self) -> bool:
        """Whether the query window is flagged as shared: other jobs placed on the machine
        (``shared``) or others' CPU time above the limit (``host_activity``)."""
        return self.shared or (self.host_activity is not None and self.host_activity.shared)

    def headline(self) -> Headline:
        """What reports lead with: the job's boundary, or on a shared host the process's own
        share with the job's boundary beside it (:func:`~wattprint.meters.base.headline`)."""
        return headline(self.domains, self.host_activity, self.shared)

    def lead_energy_j(self, provenance: Provenance | str) -> float | None:
        """The headline's energy of one provenance (J), or None when absent."""
        return self.headline().energy_j.get(Provenance(provenance))

    def per_inference_j(self, provenance: Provenance | str) -> float | None:
        """Headline energy per inference (J) for one provenance; None if absent or n == 0."""
        e = self.lead_energy_j(provenance)
        return None if e is None or self.n == 0 else e / self.n

    def per_1k_kwh(self, provenance: Provenance | str) -> float | None:
        """Headline kWh per 1,000 inferences, the study's headline unit."""
        e = self.lead_energy_j(provenance)
        return None if e is None or self.n == 0 else kwh_per_1k(e, self.n)

    def per_unit_j(self, provenance: Provenance | str) -> float | None:
        """Headline energy per work unit (J per token / image / sample)."""
        e = self.lead_energy_j(provenance)
        if e is None or not self.work_units:
            return None
        return e / self.work_units

    def totals(self) -> list[dict[str, Any]]:
        """Per (provenance, scope) totals as plain dicts."""
        return [
            {"provenance": t.provenance.value, "scope": t.scope, "energy_j": t.energy_j,
             "domains": list(t.domains), "uncertainty_j": t.uncertainty_j,
             "dynamic_energy_j": t.dynamic_energy_j}
            for t in totals_by_provenance(self.domains)
        ]

    # ---- serialisation -------------------------------------------------------------

    def to_dict(self, *, derived: bool = True) -> dict[str, Any]:
        """A JSON-ready dict: every field, plus derived ``totals`` and ``per_inference``.

        Args:
            derived: Include the derived keys (``from_dict`` ignores them; the store, which
                recomputes them on read, leaves them out).
        """
        d: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            d[name] = getattr(self, name)
        d["domains"] = [x.to_dict() for x in self.domains]
        d["phases"] = {k: v.to_dict() for k, v in self.phases.items()}
        d["settings"] = dict(self.settings)
        d["quality"] = dict(self.quality)
        d["environment"] = dict(self.environment)
        d["extra"] = dict(self.extra)
        d["warnings"] = list(self.warnings)
        d["carbon"] = None if self.carbon is None else self.carbon.to_dict()
        d["host_activity"] = None if self.host_activity is None else self.host_activity.to_dict()
        if not derived:
            return d
        d["totals"] = self.totals()
        head = self.headline()
        d["headline"] = head.to_dict()
        d["per_inference"] = {
            p.value: {"energy_j": self.per_inference_j(p), "kwh_per_1k": self.per_1k_kwh(p),
                      "energy_j_per_unit": self.per_unit_j(p), "basis": head.basis}
            for p in Provenance if p in head.energy_j
        }
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JobResult:
        """Inverse of :meth:`to_dict`; derived keys are ignored.

        Raises:
            ValueError: naming the missing or invalid field.
        """
        missing = [k for k in ("job_id", "repetition", "task", "model", "dataset", "n", "status")
                   if k not in d]
        if missing:
            raise ValueError(f"job result is missing field(s): {', '.join(missing)}")
        kwargs = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        kwargs["domains"] = tuple(DomainEnergy.from_dict(x) for x in d.get("domains") or ())
        kwargs["phases"] = {k: EnergyResult.from_dict(v) for k, v in (d.get("phases") or {}).items()}
        for k in ("settings", "quality", "environment", "extra"):
            kwargs[k] = dict(d.get(k) or {})
        _upgrade_old_record(kwargs)
        return cls(**kwargs)

    def with_(self, **changes: Any) -> JobResult:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _upgrade_old_record(kwargs: dict[str, Any]) -> None:
    """Fill the typed fields of a record written before they existed.

    Records written before these fields existed kept the mode in ``settings["mode"]``, the parameter count
    in ``extra["parameters"]`` and the window's warnings in ``extra["window_warnings"]``; they
    are read into their fields (and left out of ``extra``) so old and new records read alike.
    """
    extra = kwargs["extra"]
    if kwargs.get("mode") is None:
        mode = kwargs["settings"].get("mode")
        kwargs["mode"] = mode if mode in MODES else None
    if kwargs.get("parameters") is None and isinstance(extra.get("parameters"), int):
        kwargs["parameters"] = extra.pop("parameters")
    if not kwargs.get("warnings") and extra.get("window_warnings"):
        kwargs["warnings"] = extra.pop("window_warnings")
    kwargs["warnings"] = tuple(str(w) for w in kwargs.get("warnings") or ())
    if (note := _mixed_scope_note(kwargs["domains"])) and note not in kwargs["warnings"]:
        kwargs["warnings"] = (*kwargs["warnings"], note)


MIXED_SCOPE_NOTE = ("read by a newer wattprint: this record's total no longer adds {apart} "
                    "(the whole host) to the job's share ({share}); it was written when that "
                    "sum was the headline, and {apart} is now reported apart")
"""Said on read of a record written before totals kept a share and the whole host apart."""


def _mixed_scope_note(domains: tuple[DomainEnergy, ...]) -> str | None:
    """The note for a record whose domains of one provenance cover both the job's share of
    the host and the whole host (written before the RAM estimate followed the CPU share)."""
    inside, apart = boundary_split(domains)
    if not apart:
        return None
    share = [d for d in inside if d.scope in SHARE_SCOPES]
    return MIXED_SCOPE_NOTE.format(
        apart=", ".join(f"{d.name} (scope {d.scope})" for d in apart if d.scope in WHOLE_HOST_SCOPES),
        share=", ".join(f"{d.name}, scope {d.scope}" for d in share))
