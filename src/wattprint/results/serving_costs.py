"""What each output token of a served load point cost, part by part: the whole window's energy
split as idle, queued, prefill, decode and unattributed (the point's phase decomposition),
divided by the output tokens of the requests that ended ``ok``.

Every part has the same denominator, so the parts add up to the whole window's J per output
token and each part's share of it is its share of the window's energy ("idle was 80 % of the
energy per output token"). The headline ``j_per_output_token`` of a point is over its steady
window (tokens arriving in it), so it differs from this total by the ramp-up and drain; the
report shows both.

Points stored before the phase decomposition (``token-occupancy-v1``) have idle,
unattributed and attributed totals only: their stack is idle, attributed (prefill and decode
not split, queueing counted as prefill by that model) and unattributed, labelled v1.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.results.serving_record import V1_MODEL, ServingPoint

V2_PARTS = ("idle", "queued", "prefill", "decode", "unattributed")
"""Parts of a ``phase-occupancy-v2`` stack, bottom to top."""

V1_PARTS = ("idle", "attributed", "unattributed")
"""Parts of a ``token-occupancy-v1`` stack (prefill and decode were not totalled apart)."""

PART_WORDS: dict[str, str] = {
    "idle": "idle power (measured before the load) over the window",
    "queued": "dynamic energy while requests waited and no modelled work ran",
    "prefill": "dynamic energy attributed to prompt processing",
    "decode": "dynamic energy attributed to generating output tokens",
    "unattributed": "dynamic energy with no request in the system",
    "attributed": "dynamic energy attributed to requests (v1: prefill and decode not "
                  "totalled apart; queueing counted as prefill)",
}


@dataclass(frozen=True)
class StackPart:
    """One part of the stack.

    Attributes:
        name: ``idle``, ``queued``, ``prefill``, ``decode``, ``unattributed`` (v1:
            ``attributed``).
        energy_j: The part's energy over the whole window, J.
        j_per_output_token: ``energy_j`` over the ``ok`` requests' output tokens, J.
        share: Its fraction of the window's energy (0..1).
    """

    name: str
    energy_j: float
    j_per_output_token: float
    share: float


@dataclass(frozen=True)
class TokenStack:
    """A point's J per output token, stacked by where the energy went (whole window).

    Attributes:
        model: The attribution model the parts come from.
        parts: The parts, bottom to top (zero parts kept, so every stack has the same rows).
        window_j: The whole window's energy, J (the parts' sum).
        output_tokens: Output tokens of the ``ok`` requests (the denominator).
    """

    model: str
    parts: tuple[StackPart, ...]
    window_j: float
    output_tokens: int

    @property
    def v1(self) -> bool:
        """True for a stack of a ``token-occupancy-v1`` point."""
        return self.model == V1_MODEL

    @property
    def j_per_output_token(self) -> float:
        """The whole window's J per output token (the parts' sum)."""
        return sum(p.j_per_output_token for p in self.parts)

    def part(self, name: str) -> StackPart | None:
        """The part called ``name``, if the stack has it."""
        return next((p for p in self.parts if p.name == name), None)


def _parts_j(p: ServingPoint) -> tuple[tuple[str, float], ...] | None:
    pe = p.phase_energy
    if pe is not None:
        return (("idle", pe.idle_j), ("queued", pe.queued_j), ("prefill", pe.prefill_j),
                ("decode", pe.decode_j), ("unattributed", pe.unattributed_j))
    a = p.attribution
    keys = ("idle_j", "attributed_j", "unattributed_j")
    if not all(isinstance(a.get(k), (int, float)) for k in keys):
        return None
    return tuple((name, float(a[k])) for name, k in zip(V1_PARTS, keys))


def token_stack(p: ServingPoint) -> TokenStack | None:
    """The point's stack (module docstring); None when it cannot be built (see
    :func:`no_stack_reason`)."""
    if no_stack_reason(p) is not None:
        return None
    parts = _parts_j(p)
    assert parts is not None
    window = sum(e for _, e in parts)
    n = p.output_tokens
    return TokenStack(p.attribution_model, tuple(
        StackPart(name, e, e / n, e / window) for name, e in parts), window, n)


def no_stack_reason(p: ServingPoint) -> str | None:
    """Why a point has no stack (None when it has one)."""
    parts = _parts_j(p)
    if parts is None:
        return "no phase decomposition stored with this point"
    if p.output_tokens <= 0:
        return "no output token from a request that ended ok"
    if not sum(e for _, e in parts) > 0:
        return "no energy measured in the window"
    return None
