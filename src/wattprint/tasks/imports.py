"""Import user modules the way ``python -m`` finds them: the current directory first.

Used for ``callable:module:function`` models and task plugins (``WATTPRINT_PLUGINS``), in
the driver and in every worker, so ``./mymod.py`` is found without ``PYTHONPATH=.``.
"""

from __future__ import annotations

import os
import sys


class cwd_on_path:  # noqa: N801 - used like a function: ``with cwd_on_path(): ...``
    """Put the current directory first on ``sys.path`` (as ``python -m`` does) while inside."""

    def __enter__(self) -> None:
        self._added = "" not in sys.path and os.getcwd() not in sys.path
        if self._added:
            sys.path.insert(0, os.getcwd())

    def __exit__(self, *exc: object) -> None:
        if self._added:
            try:
                sys.path.remove(os.getcwd())
            except ValueError:
                pass
