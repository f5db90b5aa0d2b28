"""The suite-file format shared by every kind of suite: strict YAML, typed, located errors.

Job suites (:mod:`wattprint.harness.plan`) and serving suites (:mod:`wattprint.serving.suite`)
are YAML files validated by pydantic models. What they share lives here, once:

- :func:`load_yaml` reads the text with PyYAML's safe loader, refuses a key given twice in one
  mapping (instead of silently keeping the last value) and keeps the node tree so that every
  later error can name its line;
- :class:`StrictModel` is the base of every model of the format: unknown keys are errors,
  instances are frozen, and numbers must be finite (``idle_s: .inf`` would sleep forever);
  fields carry typed defaults;
- :func:`validate` checks the data against a model and turns pydantic's errors into one
  :class:`~wattprint.errors.ConfigError` naming, for each problem, the file, the line, the key
  path (``jobs[3].modle``), the closest valid key and every valid key.

A layer of its own just above the bottom one: it imports nothing of wattprint but
:mod:`wattprint.errors`, and everything above may use it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from wattprint.errors import ConfigError, did_you_mean

M = TypeVar("M", bound=BaseModel)

MAX_SECONDS: float = 7 * 24 * 3600.0
"""Longest duration (idle baseline, timeout) a suite or flag may ask for, s (one week)."""


class StrictModel(BaseModel):
    """Base of the suite-file models: unknown keys refused, frozen, finite numbers only."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document and its node tree (for line numbers).

    Attributes:
        data: The document as Python objects (``safe_load``).
        root: PyYAML's node tree of the same text (None for an empty document).
        source: Where the text came from (a path, a shipped suite's name, ``<string>``).
    """

    data: Any
    root: Any
    source: str

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """1-based line of the key at ``loc`` (see :func:`line_of`)."""
        return line_of(self.root, loc)

    def where(self, loc: Sequence[Any]) -> str:
        """``source:line`` of ``loc`` (``source:?`` when the line is not known)."""
        return f"{self.source}:{self.line_of(loc) or '?'}"


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (instead of last wins)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, line, seen[key])
            except TypeError:  # an unhashable key: let PyYAML report it
                continue
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, source: str = "<string>") -> YamlDoc:
    """Parse YAML text strictly.

    Args:
        text: The file's text.
        source: How errors name the file.

    Raises:
        ConfigError: malformed YAML (with PyYAML's line and column), or a key given twice in
            one mapping (names both lines).
    """
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except _DuplicateKey as err:
        raise ConfigError(f"{source}:{err.line}: duplicate key {err.key!r} (first given at line "
                          f"{err.first}); give each key once") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from err
    return YamlDoc(data, root, source)


def validate(model: type[M], doc: YamlDoc, *, what: str = "suite") -> M:
    """The document as ``model``, or one error listing every problem with its line.

    Args:
        model: The top-level model of the format (a :class:`StrictModel`).
        doc: The parsed document (:func:`load_yaml`).
        what: What the file is, for the error's first line (``invalid suite:``).

    Raises:
        ConfigError: the document is not a mapping, or breaks the model (unknown or missing
            keys, wrong types, values out of range). Each line names ``file:line``, the key
            path and, for an unknown key, the closest valid key and every valid one.
    """
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.source}: a {what} must be a mapping of keys to values, "
                          f"got {type(doc.data).__name__}")
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        raise ConfigError(f"invalid {what}:\n  " + "\n  ".join(
            error_lines(err, doc, model))) from None


def error_lines(err: ValidationError, doc: YamlDoc, model: type[BaseModel]) -> list[str]:
    """One ``file:line: key.path: message`` line per pydantic error of ``model``."""
    lines = []
    for e in err.errors():
        loc = clean_loc(e["loc"])
        if e["type"] == "extra_forbidden":
            key = str(loc[-1])
            valid = keys_at(model, loc[:-1])
            msg = f"unknown key {key!r}{did_you_mean(key, valid)}; valid keys: {', '.join(valid)}"
        elif e["type"] == "missing":
            msg = "required key missing"
        elif e["type"] == "value_error":  # the models' own validators name the valid values
            msg = str(e["msg"]).removeprefix("Value error, ")
        else:
            msg = f"{e['msg']} (got {e.get('input')!r})"
        line = doc.line_of(loc)
        lines.append(f"{doc.source}:{line}: {path_str(loc)}: {msg}" if line
                     else f"{doc.source}: {path_str(loc)}: {msg}")
    return lines


_UNION_TAGS = frozenset({"str", "list[str]", "int", "float", "bool"})


def clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    """A pydantic error location without the union-branch and validator names it appends."""
    return tuple(p for p in loc if not (isinstance(p, str) and (
        p.startswith("function-") or p in _UNION_TAGS)))


def keys_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The valid keys of the mapping at ``loc`` inside ``model`` (empty when it is free-form)."""
    current: Any = model
    for part in loc:
        current = _inner_model(current, part)
        if current is None:
            return []
    return list(current.model_fields) if _is_model(current) else []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _inner_model(tp: Any, part: Any) -> Any:
    """The type found one step (a key or an index) inside ``tp``, unwrapping Optional/list."""
    if isinstance(part, int):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if args else None
    if _is_model(tp) and part in tp.model_fields:
        return _unwrap(tp.model_fields[part].annotation)
    return None


def _unwrap(tp: Any) -> Any:
    """``X | None`` → ``X``; containers are kept for the next (index) step."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else tp
    return tp


def path_str(loc: Sequence[Any]) -> str:
    """``("jobs", 3, "model")`` → ``jobs[3].model`` (``(top level)`` for an empty path)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def line_of(root: Any, loc: Sequence[Any]) -> int | None:
    """1-based line of the YAML node at ``loc`` (the key for mapping entries), when found.

    Where the path leaves the document (a missing key), the line of the deepest node found.
    """
    node = root
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
