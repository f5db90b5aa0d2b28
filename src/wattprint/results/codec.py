"""How a :class:`~wattprint.results.schema.JobResult` is kept in the store, and read back.

Encoding needs no database: :meth:`RecordCodec.encode_batch` turns records into the rows of
the store's tables (:class:`EncodedBatch`), so it can run in another process than the one
writing SQLite (a bulk import encodes in worker processes; see
:mod:`wattprint.results.bulk_import`). :meth:`~wattprint.results.store.ResultStore.write_encoded`
then writes a batch in one transaction.

A record is stored as compact JSON (``results.record_json``): its fields minus what the store
keeps elsewhere or can recompute — fields equal to their defaults, the fields held in columns
of ``results`` (:data:`COLUMN_KEYS`), the derived totals, the environment (kept once in
``environments``, referenced by ``environment_hash``) and each domain's description (kept
once in ``domain_specs``, referenced as ``{"$s": hash}`` beside the domain's own numbers).
What still repeats from record to record (keys, labels, locations) goes into a compression
dictionary kept once in ``record_dicts``: a batch of :data:`DICT_MIN_BATCH` records or more
gets one of its own, made from its first records; a smaller batch uses the store's latest.
With a dictionary, the JSON is stored compressed (a BLOB: the dictionary's id, 4 bytes
little-endian, then the compressed bytes); without, as text. The dictionary's ``format``
says how: ``zstd`` (a Zstandard frame, level :data:`ZSTD_LEVEL`, the dictionary as raw
content; written since v5), or ``deflate`` (a raw deflate stream, 2 KiB window; v3 and v4
stores, still read). :meth:`RecordCodec.decode` puts everything back and reads with
``JobResult.from_dict``; records stored before v3 (full ``to_dict`` JSON) read as they are.

The JSON is written by orjson (fast: a bulk import encodes hundreds of thousands of records);
a record it would write differently from the standard library (a NaN or infinity, which it
writes as ``null``; a type it does not know) is written by ``json`` instead, so every record
reads back as it was.
"""

from __future__ import annotations

import hashlib
import json
import operator
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, NamedTuple

import orjson
import zstandard

from wattprint.meters.base import DomainEnergy, EstimateModel, Provenance
from wattprint.results.migrations import spec_hash, spec_json
from wattprint.results.schema import JobResult

QUERY_WINDOW = "query"
"""Label under which a result's own (query) window is stored in ``windows``/``domains``."""

COMPACT_FORMAT = 3
"""Value of the ``$v`` key of a compact ``record_json``."""

DICT_MIN_BATCH = 64
"""A batch of at least this many records gets a compression dictionary of its own."""
DICT_SAMPLES = 4
"""Records of a batch whose JSON makes its dictionary."""
DICT_BYTES = 2048
"""Size of a dictionary (the end of its sample records' JSON): enough for records of ~1 KB."""
ZSTD_LEVEL = 3
"""Zstandard level records are compressed at (its default: ~5 µs per 800-byte record)."""
DICT_FORMAT = "zstd"
"""``record_dicts.format`` of the dictionaries this code writes."""
DICT_FORMATS = ("zstd", "deflate")
"""Formats of stored dictionaries this code reads (``deflate``: stores written before v5)."""
_WBITS = -11  # raw deflate, 2 KiB window (the v3/v4 format)
DICT_ID = struct.Struct("<I")
"""The 4-byte little-endian dictionary id that starts a compressed ``record_json``."""
NEW_DICT_ID = 0
"""Placeholder id in the records of a batch whose dictionary is not stored yet (SQLite rowids
start at 1); the writer puts the real id in (:func:`with_dict_id`)."""

COLUMN_KEYS = ("job_id", "repetition", "attempt", "run_id", "suite", "task", "model", "dataset",
               "n", "status", "error", "duration_s", "backend", "source", "source_file",
               "source_line", "created_at")
"""Record fields that ``results`` keeps in columns of their own (not repeated in the JSON)."""

VALUE_COLUMNS = ("job_id", "repetition", "attempt", "run_id", "suite", "task", "model",
                 "dataset", "n", "status", "error", "duration_s", "backend", "measured_j",
                 "integrated_j", "estimated_j", "carbon_g", "source", "source_file",
                 "source_line", "environment_hash", "created_at")
"""The ``results`` columns an :class:`EncodedRecord` carries, in its ``values`` order (the
store adds ``id``, ``stored_at``, ``record_json`` and ``is_answer``)."""
JOB_AT, REPETITION_AT, ATTEMPT_AT, RUN_AT, STATUS_AT, ENVIRONMENT_AT = (
    VALUE_COLUMNS.index(c)
    for c in ("job_id", "repetition", "attempt", "run_id", "status", "environment_hash"))
"""Where the writer's keys are in ``values``."""

_DERIVED_WINDOW_KEYS = ("totals", "average_power_w", "headline")
_DOMAIN_VALUE_KEYS = ("energy_j", "idle_power_w", "idle_energy_j", "dynamic_energy_j")
"""What is particular to one measurement; the rest of a domain is its (shared) description.
In this order they are also columns of ``domains`` (``energy_j`` … ``dynamic_energy_j``)."""
_DOMAIN_VALUES = operator.attrgetter(*_DOMAIN_VALUE_KEYS)
_SPECIAL = frozenset({"domains", "phases", "settings", "quality", "environment", "extra",
                      "warnings", "carbon", "host_activity"})
"""Fields the encoder converts itself; every other non-column field is a plain JSON value."""
_DESCRIPTION = operator.attrgetter("name", "component", "boundary", "provenance", "source",
                                   "scope", "uncertainty")
"""The parts of a domain that describe it (with its estimate model, compared by identity)."""
_PROVENANCE_VALUE = {p: p.value for p in Provenance}
_TOTALLED = (Provenance.MEASURED, Provenance.INTEGRATED, Provenance.ESTIMATED)
"""Provenances with a total column in ``results`` (``measured_j`` …), in column order."""


def _field_defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(JobResult):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


def environment_entry(environment: Mapping[str, Any]) -> tuple[str, str]:
    """An environment fingerprint as the store keeps it: ``(hash, JSON)``. The JSON is
    canonical (sorted keys, compact), so the 16-hex-digit hash does not depend on key order."""
    text = json.dumps(dict(environment), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16], text


class EncodedRecord(NamedTuple):
    """One record as rows of the store's tables.

    Attributes:
        values: The :data:`VALUE_COLUMNS` of its ``results`` row (energy totals in J, carbon
            in g CO2eq).
        record_json: The compact JSON, or it compressed (bytes starting with a dictionary id).
        windows: ``(label, started_at, duration_s)`` of the query window and each phase.
        domains: ``(window, name, provenance, scope, energy_j, idle_power_w, idle_energy_j,
            dynamic_energy_j, spec_hash)`` per domain and window.
    """

    values: tuple[Any, ...]
    record_json: str | bytes
    windows: tuple[tuple[Any, ...], ...]
    domains: tuple[tuple[Any, ...], ...]


@dataclass
class EncodedBatch:
    """Records ready for one store transaction, with the shared parts they reference.

    The records are kept as parallel lists (one entry per record, in order: cheap to send
    between processes).

    Attributes:
        values: Each record's :data:`VALUE_COLUMNS`.
        record_json: Each record's compact JSON, or it compressed.
        windows: Each record's ``(label, started_at, duration_s)`` rows.
        domains: Each record's domain rows (see :class:`EncodedRecord`).
        specs: Hash → JSON of every domain description the records reference.
        environments: Hash → JSON of every environment the records reference.
        new_dict: The batch's own compression dictionary, when it has one: its records
            carry :data:`NEW_DICT_ID` until the writer stores it and puts its id in.
    """

    values: list[tuple[Any, ...]] = field(default_factory=list)
    record_json: list[str | bytes] = field(default_factory=list)
    windows: list[tuple[tuple[Any, ...], ...]] = field(default_factory=list)
    domains: list[tuple[tuple[Any, ...], ...]] = field(default_factory=list)
    specs: dict[str, str] = field(default_factory=dict)
    environments: dict[str, str] = field(default_factory=dict)
    new_dict: bytes | None = None

    def __len__(self) -> int:
        return len(self.values)

    def append(self, record: EncodedRecord) -> None:
        """Add a record at the end."""
        self.values.append(record.values)
        self.record_json.append(record.record_json)
        self.windows.append(record.windows)
        self.domains.append(record.domains)


def _raw_dictionary(data: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def decompressor(fmt: str, data: bytes) -> Callable[[bytes], bytes]:
    """The function that decompresses records stored with a dictionary.

    Args:
        fmt: The dictionary's ``record_dicts.format`` (one of :data:`DICT_FORMATS`).
        data: The dictionary.

    Returns:
        ``compressed bytes → JSON bytes`` (the bytes after the 4-byte id). Not for use by two
        threads at once: make one per thread.

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "zstd":
        return zstandard.ZstdDecompressor(dict_data=_raw_dictionary(data)).decompress
    if fmt == "deflate":
        def inflate(raw: bytes) -> bytes:
            do = zlib.decompressobj(_WBITS, data)
            return do.decompress(raw) + do.flush()
        return inflate
    raise ValueError(f"unknown compression format {fmt!r} (known: {', '.join(DICT_FORMATS)})")


def _refuse(obj: Any) -> Any:
    raise TypeError(type(obj).__name__)


def with_dict_id(blob: str | bytes, dict_id: int) -> str | bytes:
    """A compressed ``record_json`` with its dictionary id set (text is returned as it is)."""
    if isinstance(blob, bytes):
        return DICT_ID.pack(dict_id) + blob[DICT_ID.size:]
    return blob


class RecordCodec:
    """A :class:`JobResult` ↔ the rows the store keeps (see the module docstring).

    One codec per process; it caches domain descriptions and environments by identity, so
    records built from shared parts (an importer's rows) are hashed once.
    """

    def __init__(self) -> None:
        defaults = _field_defaults()
        plain = [name for name in JobResult.__dataclass_fields__
                 if name not in _SPECIAL and name not in COLUMN_KEYS]
        self._plain_names = tuple(plain)
        self._plain_defaults = tuple(defaults.get(name, MISSING) for name in plain)
        self._plain_values = operator.attrgetter(*plain)
        self._std_dumps = json.JSONEncoder(separators=(",", ":"), default=str,
                                           check_circular=False).encode
        self.specs: dict[str, dict[str, Any]] = {}
        """hash → domain description, for every description this codec has seen."""
        self._by_parts: dict[tuple[Any, ...], tuple[str, str, EstimateModel | None]] = {}
        self._envs: dict[int, tuple[Mapping[str, Any], str, str]] = {}
        """id(environment) → (it, hash, JSON), for the batch being encoded."""

    # ---- encoding -------------------------------------------------------------------

    def encode_batch(self, results: Sequence[JobResult],
                     dictionary: tuple[int, bytes] | None = None) -> EncodedBatch:
        """Encode records for one store transaction.

        Args:
            results: The records.
            dictionary: ``(id, bytes)`` of a stored Zstandard dictionary to compress with when
                the batch is too small for one of its own (None: store text).

        Returns:
            The batch; with :attr:`EncodedBatch.new_dict` when it has its own dictionary.
        """
        batch = EncodedBatch()
        self._envs.clear()  # keyed by id(): valid while this batch's records hold them
        if len(results) >= DICT_MIN_BATCH:
            texts = [self._compact_json(r, batch) for r in results[:DICT_SAMPLES]]
            zdict = b"".join(texts)[-DICT_BYTES:]
            batch.new_dict = zdict
            dictionary = (NEW_DICT_ID, zdict)
        compress = None
        prefix = b""
        if dictionary is not None:
            compress = zstandard.ZstdCompressor(
                level=ZSTD_LEVEL, dict_data=_raw_dictionary(dictionary[1]), write_checksum=False,
                write_content_size=True, write_dict_id=False).compress
            prefix = DICT_ID.pack(dictionary[0])
        for r in results:
            batch.append(self._encode(r, batch, compress, prefix))
        return batch

    def _spec(self, obj: DomainEnergy, batch: EncodedBatch) -> str:
        # Keyed on the description's parts (the estimate model by identity, kept alive in the
        # cache so that its id is not reused): one JSON + hash per distinct description.
        key = (*_DESCRIPTION(obj), id(obj.model))
        hit = self._by_parts.get(key)
        if hit is None:
            d = obj.to_dict()
            spec = {k: v for k, v in d.items() if k not in _DOMAIN_VALUE_KEYS}
            text = spec_json(spec)
            h = spec_hash(text)
            self.specs.setdefault(h, spec)
            if len(self._by_parts) > 10_000:
                self._by_parts.clear()
            hit = self._by_parts[key] = (h, text, obj.model)
        batch.specs[hit[0]] = hit[1]
        return hit[0]

    def _environment(self, env: Mapping[str, Any], batch: EncodedBatch) -> str | None:
        if not env:
            return None
        hit = self._envs.get(id(env))
        if hit is None:
            hit = self._envs[id(env)] = (env, *environment_entry(env))
        batch.environments[hit[1]] = hit[2]
        return hit[1]

    def _domains(self, window: str, objs: Sequence[DomainEnergy], batch: EncodedBatch,
                 rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        out = []
        for obj in objs:
            h = self._spec(obj, batch)
            energy_j, idle_power_w, idle_energy_j, dynamic_energy_j = _DOMAIN_VALUES(obj)
            entry: dict[str, Any] = {"$s": h, "energy_j": energy_j}  # a number, always
            if idle_power_w is not None:
                entry["idle_power_w"] = idle_power_w
            if idle_energy_j is not None:
                entry["idle_energy_j"] = idle_energy_j
            if dynamic_energy_j is not None:
                entry["dynamic_energy_j"] = dynamic_energy_j
            out.append(entry)
            rows.append((window, obj.name, _PROVENANCE_VALUE[obj.provenance], obj.scope,
                         energy_j, idle_power_w, idle_energy_j, dynamic_energy_j, h))
        return out

    def _compact(self, r: JobResult, batch: EncodedBatch,
                 rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        """The record's JSON object (domain rows appended to ``rows``)."""
        d: dict[str, Any] = {name: v for name, v, default in zip(
            self._plain_names, self._plain_values(r), self._plain_defaults) if v != default}
        d["domains"] = self._domains(QUERY_WINDOW, r.domains, batch, rows)
        if r.phases:
            phases = {}
            for label, w in r.phases.items():
                wd = w.to_dict()
                for k in _DERIVED_WINDOW_KEYS:
                    wd.pop(k, None)
                wd["domains"] = self._domains(label, w.domains, batch, rows)
                phases[label] = wd
            d["phases"] = phases
        for name in ("settings", "quality", "extra"):
            m = getattr(r, name)
            if m:
                d[name] = m if type(m) is dict else dict(m)  # only written, never changed
        if r.warnings:
            d["warnings"] = list(r.warnings)
        if r.carbon is not None:
            d["carbon"] = r.carbon.to_dict()
        if r.host_activity is not None:  # the measured figures only (the rest is derived)
            d["host_activity"] = r.host_activity.record()
        d["$v"] = COMPACT_FORMAT
        return d

    def _json(self, obj: dict[str, Any]) -> bytes:
        """``obj`` as compact JSON (UTF-8), read back by ``json.loads`` exactly as it was."""
        try:
            out = orjson.dumps(obj, default=_refuse)
        except TypeError:  # a type orjson does not know: the standard encoder's default=str
            return str(self._std_dumps(obj)).encode()
        if b"null" in out:  # a None, or a NaN/inf that orjson wrote as null
            return str(self._std_dumps(obj)).encode()
        return out

    def _compact_json(self, r: JobResult, batch: EncodedBatch) -> bytes:
        return self._json(self._compact(r, batch, []))

    def _encode(self, r: JobResult, batch: EncodedBatch,
                compress: Callable[[bytes], bytes] | None, prefix: bytes) -> EncodedRecord:
        rows: list[tuple[Any, ...]] = []
        text = self._json(self._compact(r, batch, rows))
        blob: str | bytes = text.decode() if compress is None else prefix + compress(text)
        totals = r.boundary_energy_j()
        carbon = r.carbon
        emissions = None if carbon is None or carbon.emissions_g is None else float(carbon.emissions_g)
        windows: list[tuple[Any, ...]] = []
        if r.domains:
            windows.append((QUERY_WINDOW, None, r.duration_s))
        windows.extend((label, w.started_at, w.duration_s) for label, w in r.phases.items())
        values = (r.job_id, r.repetition, r.attempt, r.run_id, r.suite, r.task, r.model,
                  r.dataset, r.n, r.status, r.error, r.duration_s, r.backend,
                  *(totals.get(p) for p in _TOTALLED), emissions, r.source, r.source_file,
                  r.source_line, self._environment(r.environment, batch), r.created_at)
        return EncodedRecord(values, blob, tuple(windows), tuple(rows))

    # ---- decoding -------------------------------------------------------------------

    def decode(self, blob: str | bytes, columns: Mapping[str, Any],
               environment: Mapping[str, Any] | None,
               spec: Callable[[str], dict[str, Any]],
               decompress: Callable[[int], Callable[[bytes], bytes]] | None = None
               ) -> JobResult:
        """Read back a record.

        Args:
            blob: ``results.record_json``.
            columns: The row's :data:`COLUMN_KEYS` columns.
            environment: The environment its ``environment_hash`` names (None: none).
            spec: Looks up a domain description by hash.
            decompress: Dictionary id → its :func:`decompressor` (for compressed records).
        """
        if isinstance(blob, bytes):
            (dict_id,) = DICT_ID.unpack_from(blob)
            if decompress is None:
                raise ValueError("a compressed record needs its dictionary")
            blob = decompress(dict_id)(blob[DICT_ID.size:])
        d = json.loads(blob)
        if d.pop("$v", None) is not None:
            d.update(columns)
            d["environment"] = dict(environment or {})
            d["domains"] = [self._expand(x, spec) for x in d.get("domains") or ()]
            for w in (d.get("phases") or {}).values():
                w["domains"] = [self._expand(x, spec) for x in w.get("domains") or ()]
        return JobResult.from_dict(d)

    @staticmethod
    def _expand(entry: Mapping[str, Any], spec: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        out = dict(spec(entry["$s"]))
        out.update((k, v) for k, v in entry.items() if k != "$s")
        return out
