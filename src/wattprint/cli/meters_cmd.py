"""``wattprint meters`` and ``wattprint measure`` (filled in by the meters work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the meter commands."""
