"""One parser for the model references a user types: zoo models, callables, folders, hub ids.

Every place that needs to know what kind of model a string names (suite validation, the
pre-flight pass, the backend loader, the job id) calls :meth:`ModelRef.parse`; the prefixes
live here only.

* ``zoo:<name>[@<size>]`` — an offline zoo model (size ``tiny``, the default, or ``real-size``);
* ``callable:<package.module>:<function>`` — a Python callable;
* a local folder: a path starting with ``/``, ``./``, ``../``, ``~`` or ``.``, one with more
  than one ``/``, or any name that exists on disk;
* anything else: a Hugging Face Hub id (``owner/name`` or ``name``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ZOO_PREFIX = "zoo:"
CALLABLE_PREFIX = "callable:"

RefKind = Literal["zoo", "callable", "local", "hub"]


def looks_local(text: str) -> bool:
    """True when ``text`` names a filesystem path rather than a hub id (``owner/name``)."""
    return (text.startswith(("/", "./", "../", "~", "."))
            or text.count("/") > 1 or Path(text).expanduser().exists())


@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference.

    Attributes:
        text: The reference as typed (what results record as ``model``).
        kind: ``zoo``, ``callable``, ``local`` or ``hub``.
        name: The zoo model name, the callable's ``module:function``, the folder as typed, or
            the hub id.
        size: The zoo size (``tiny`` when not given); None for other kinds.
    """

    text: str
    kind: RefKind
    name: str
    size: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Classify a reference; never touches the network and never imports the model.

        Raises:
            ValueError: an empty reference, an empty zoo name or a callable without
                ``module:function`` (the message shows the expected form).
        """
        if not text or not text.strip():
            raise ValueError("a model reference is empty")
        if text.startswith(ZOO_PREFIX):
            name, _, size = text[len(ZOO_PREFIX):].partition("@")
            if not name:
                raise ValueError(f"zoo model {text!r} must look like 'zoo:<name>' or 'zoo:<name>@<size>'")
            return cls(text, "zoo", name, size or "tiny")
        if text.startswith(CALLABLE_PREFIX):
            target = text[len(CALLABLE_PREFIX):]
            module, _, function = target.partition(":")
            if not module or not function:
                raise ValueError(f"callable model {text!r} must look like "
                                 "'callable:package.module:function'")
            return cls(text, "callable", target)
        if looks_local(text):
            return cls(text, "local", text)
        return cls(text, "hub", text)

    @property
    def path(self) -> Path:
        """The folder of a local model, user-expanded and absolute.

        Raises:
            ValueError: the reference is not a local folder.
        """
        if self.kind != "local":
            raise ValueError(f"model {self.text!r} is a {self.kind} model, not a local folder")
        return Path(self.name).expanduser().absolute()

    @property
    def module(self) -> str:
        """The module of a callable reference (``package.module``)."""
        return self._callable_parts()[0]

    @property
    def function(self) -> str:
        """The attribute path of a callable reference (``function`` or ``Class.method``)."""
        return self._callable_parts()[1]

    def _callable_parts(self) -> tuple[str, str]:
        if self.kind != "callable":
            raise ValueError(f"model {self.text!r} is a {self.kind} model, not a callable")
        module, _, function = self.name.partition(":")
        return module, function
