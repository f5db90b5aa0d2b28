"""Any Python callable as a backend: ``fn(inputs) -> output``.

The callable may return a :class:`~wattprint.tasks.base.Prediction` (to report tokens or
work units itself) or any plain value, which is wrapped as one work unit.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from wattprint.backends.base import Backend, ModelInfo
from wattprint.errors import BackendError, ConfigError
from wattprint.tasks.base import Example, Prediction
from wattprint.tasks.imports import cwd_on_path


def resolve_callable(spec: str) -> Callable[[Any], Any]:
    """Import ``"package.module:function"`` and return the function.

    The module is looked up as ``python -m`` would: the current directory comes first on the
    path, so ``callable:mymod:f`` finds ``./mymod.py`` without ``PYTHONPATH=.``.

    Raises:
        ConfigError: the spec is not of that form, or the module/attribute does not exist.
    """
    if ":" not in spec:
        raise ConfigError(f"callable {spec!r} must look like 'package.module:function'")
    module_name, _, attr = spec.partition(":")
    try:
        with cwd_on_path():
            module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"callable {spec!r}: cannot import module {module_name!r}: {err}") from err
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"callable {spec!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(f"callable {spec!r} is not callable")
    fn: Callable[[Any], Any] = obj
    return fn


class CallableBackend(Backend):
    """Wrap a Python callable.

    Args:
        fn: The callable, or a ``"module:function"`` string to import at load time.
        name: Name recorded as the model (defaults to the function's qualified name).
        sync: Optional device-sync callable run before windows open and close.
    """

    def __init__(self, fn: Callable[[Any], Any] | str, name: str | None = None,
                 sync: Callable[[], None] | None = None) -> None:
        self._spec = fn
        self._fn: Callable[[Any], Any] | None = None if isinstance(fn, str) else fn
        self._name = name
        self._sync = sync

    def load(self) -> ModelInfo:
        """Resolve the callable (once) and describe it; the weights are unknown to the harness."""
        if self._fn is None:
            self._fn = resolve_callable(str(self._spec))
        name = self._name or (self._spec if isinstance(self._spec, str)
                              else f"{getattr(self._fn, '__module__', '?')}:{getattr(self._fn, '__qualname__', repr(self._fn))}")
        return ModelInfo(model=str(name), backend="callable", weights="unknown")

    def infer(self, example: Example) -> Prediction:
        """Call the function on the inputs; a plain return value becomes the output."""
        if self._fn is None:
            raise BackendError("CallableBackend.infer called before load()")
        out = self._fn(example.inputs)
        return out if isinstance(out, Prediction) else Prediction(output=out)

    def sync(self) -> None:
        """Call the user's sync hook, if one was given; otherwise a no-op."""
        if self._sync is not None:
            self._sync()
