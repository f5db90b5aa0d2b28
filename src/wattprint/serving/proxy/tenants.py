"""Tenants: a label per API key, from a mapping the operator writes; never the key itself.

The file (YAML or JSON) maps each tenant label to the keys that belong to it, raw or as the
SHA-256 of the key (so that the file need not hold secrets)::

    tenants:
      team-a: ["sk-live-abc123", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
      batch-jobs: ["sha256:..."]

The key is read from one request header (``--tenant-header``, default ``Authorization``, whose
``Bearer`` prefix is dropped). Only SHA-256 digests are kept in memory. A request whose key is
in no list is ``unknown``; one without the header is ``anonymous``; without a file every
request is tenant ``-``. Labels are Prometheus-safe words (letters, digits, ``_ . -``), and a
label that equals one of the keys is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError

UNKNOWN = "unknown"
"""The tenant of a key that is in no list."""
ANONYMOUS = "anonymous"
"""The tenant of a request without the header."""
NO_TENANTS = "-"
"""Every request's tenant when there is no mapping."""
LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DIGEST = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


def key_digest(key: str) -> str:
    """The SHA-256 hex digest of a key (UTF-8)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def bare_key(header_value: str) -> str:
    """The key in a header value: ``Bearer KEY`` → ``KEY`` (other values as they are, trimmed)."""
    v = header_value.strip()
    scheme, _, rest = v.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else v


@dataclass(frozen=True)
class TenantMap:
    """Key digests to tenant labels.

    Attributes:
        labels: SHA-256 hex digest of a key → its tenant label.
        source: The file it was read from ("" when there is none).
    """

    labels: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def enabled(self) -> bool:
        """Whether a mapping was given."""
        return bool(self.source)

    def tenant(self, header_value: str | None) -> str:
        """The tenant label of a request whose tenant header is ``header_value``."""
        if not self.enabled:
            return NO_TENANTS
        if header_value is None or not header_value.strip():
            return ANONYMOUS
        return self.labels.get(key_digest(bare_key(header_value)), UNKNOWN)

    def names(self) -> list[str]:
        """Every label the map can give (its own, ``unknown`` and ``anonymous``)."""
        return sorted({*self.labels.values(), UNKNOWN, ANONYMOUS}) if self.enabled \
            else [NO_TENANTS]


def read_tenants(path: str | Path) -> TenantMap:
    """Read a tenants file (module docstring).

    Raises:
        ConfigError: a missing or unreadable file, not YAML/JSON, or a bad entry (named with
            its label and position, never with the key).
    """
    import yaml

    p = Path(path)
    where = f"--tenants {p}"
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{where}: cannot read it ({err})") from None
    try:
        doc: Any = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{where}: not {'JSON' if p.suffix == '.json' else 'YAML'} ({err})") \
            from None
    if not isinstance(doc, dict) or set(doc) != {"tenants"} or not isinstance(doc["tenants"], dict):
        raise ConfigError(f"{where}: expected one top-level field 'tenants', a mapping of tenant "
                          "label to a list of API keys (or sha256:HEX digests of them)")
    labels: dict[str, str] = {}
    raw: set[str] = set()
    for label, keys in doc["tenants"].items():
        name = str(label)
        if not LABEL.match(name):
            raise ConfigError(f"{where}: tenant label {name!r}: expected 1-64 letters, digits, "
                              "'_', '.' or '-'")
        if name in (UNKNOWN, ANONYMOUS, NO_TENANTS):
            raise ConfigError(f"{where}: tenant label {name!r} is reserved (a key in no list is "
                              f"{UNKNOWN!r}, a request without the header {ANONYMOUS!r})")
        if not isinstance(keys, list) or not keys:
            raise ConfigError(f"{where}: tenant {name!r}: expected a non-empty list of keys")
        for i, key in enumerate(keys):
            if not isinstance(key, str) or not key.strip():
                raise ConfigError(f"{where}: tenant {name!r}, key {i + 1}: expected a non-empty "
                                  "string")
            m = DIGEST.match(key.strip())
            if m:
                digest = m.group(1).lower()
            else:
                raw.add(bare_key(key))
                digest = key_digest(bare_key(key))
            if digest in labels and labels[digest] != name:
                raise ConfigError(f"{where}: tenant {name!r}, key {i + 1}: the same key is also "
                                  f"listed under {labels[digest]!r}")
            labels[digest] = name
    clash = sorted(set(labels.values()) & raw)
    if clash:
        raise ConfigError(f"{where}: a tenant label equals one of the keys; labels are published "
                          "in metrics, keys never: rename that tenant")
    return TenantMap(labels, str(p))
