"""Input and output lengths: fixed (``128``) or sampled uniformly from a range (``64:256``)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from wattprint.errors import ConfigError


@dataclass(frozen=True)
class LengthSpec:
    """A token length, fixed (``low == high``) or drawn uniformly from ``[low, high]``.

    Attributes:
        low: Smallest length, tokens (>= 1).
        high: Largest length, tokens (>= low).
    """

    low: int
    high: int

    @property
    def fixed(self) -> bool:
        """Whether every draw gives the same length."""
        return self.low == self.high

    def draw(self, rng: random.Random) -> int:
        """One length, tokens."""
        return self.low if self.fixed else rng.randint(self.low, self.high)

    def __str__(self) -> str:
        return str(self.low) if self.fixed else f"{self.low}:{self.high}"


def parse_length(text: str | int, what: str = "--output-len") -> LengthSpec:
    """Parse ``N`` or ``LOW:HIGH`` (tokens).

    Raises:
        ConfigError: naming ``what`` and the valid forms.
    """
    s = str(text).strip()
    low_s, sep, high_s = s.partition(":")
    try:
        low = int(low_s)
        high = int(high_s) if sep else low
    except ValueError:
        raise ConfigError(f"{what} {text!r}: expected a token count N or a range LOW:HIGH "
                          "(e.g. 128 or 64:256)") from None
    if low < 1 or high < low:
        raise ConfigError(f"{what} {text!r}: lengths must be >= 1 and LOW <= HIGH")
    return LengthSpec(low, high)
