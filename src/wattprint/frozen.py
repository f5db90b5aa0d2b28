"""Frozen dataclasses that are cheap to build.

The ``__init__`` that ``@dataclass(frozen=True)`` generates sets each field with its own
``object.__setattr__`` call: 7 µs for a 43-field :class:`~wattprint.results.schema.JobResult`,
built once per row by a bulk import and once per record read back from a store.
:func:`fast_init` gives such a class an ``__init__`` with the same parameters, defaults,
default factories and ``__post_init__`` call that fills the new instance's ``__dict__`` in one
step (3 µs). The instances are the same: equal, immutable, hashed and printed alike, and
``dataclasses.replace`` works on them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_FACTORY = object()
"""Default of a parameter whose field has a default factory: called when it is left out."""


def fast_init(cls: type[T]) -> type[T]:
    """Give a frozen dataclass an ``__init__`` that fills ``__dict__`` in one step.

    Apply it above ``@dataclass(frozen=True)``. Supported: fields with or without a default
    or a default factory, and a ``__post_init__`` without arguments.

    Raises:
        TypeError: ``cls`` is not a frozen dataclass with a ``__dict__``, or has a field the
            fast ``__init__`` does not support (``init=False``, keyword-only, ``InitVar``).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__:
        raise TypeError(f"fast_init: {cls.__name__} is not a frozen dataclass with a __dict__")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    own = {f.name for f in fields}
    extra = [n for n, f in cls.__dataclass_fields__.items()  # type: ignore[attr-defined]
             if n not in own]  # InitVar and ClassVar pseudo-fields
    unsupported = [f.name for f in fields if not f.init or f.kw_only] + extra
    if unsupported:
        raise TypeError(f"fast_init: {cls.__name__} has fields it does not support: "
                        f"{', '.join(unsupported)}")
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    args, fill = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_FACTORY")
            fill.append(f"    if {f.name} is _FACTORY:\n"
                        f"        {f.name} = _factory_{f.name}()\n")
        else:
            args.append(f.name)
    source = (f"def __init__(self, {', '.join(args)}):\n" + "".join(fill)
              + f"    self.__dict__.update({{{', '.join(f'{n!r}: {n}' for n in names)}}})\n")
    if hasattr(cls, "__post_init__"):
        source += "    self.__post_init__()\n"
    exec(source, namespace)  # noqa: S102 - code made here from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
