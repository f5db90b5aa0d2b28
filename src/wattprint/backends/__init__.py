"""wattprint.backends: models that run the tasks (transformers, diffusers, any callable, the offline zoo).

Entry point: :func:`load_backend` (``zoo:...``, ``callable:module:function``, folder or hub id).
"""

from wattprint.backends.loader import load_backend

__all__ = ["load_backend"]
