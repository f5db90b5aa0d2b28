"""Callables for the terminal-output tests: their errors look like rich markup.

They live in their own module (not in a test file) so that a worker can import them by name.
"""

from __future__ import annotations

#: An error text that rich would shorten, crash on, or rewrite if it were read as markup.
HOSTILE_ERROR = ("expected [batch, seq_len] input, got [/] and [bold]x[/bold]; "
                 "hub datasets need pip install 'wattprint[hub]' :cat:")


def shape_error(x: object) -> object:
    """Always fails with :data:`HOSTILE_ERROR`."""
    raise ValueError(HOSTILE_ERROR)
