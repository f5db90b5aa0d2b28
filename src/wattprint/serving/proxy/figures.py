"""The energy figures the proxy gives for one request, each saying how it was obtained.

* :func:`from_weights` — at response time, on a measured node: the request's prompt and decoded
  tokens times the per-token energies fitted from the node's power timeline over the last
  windows (:mod:`wattprint.serving.weights`), with their 90 % bootstrap intervals. Provenance
  ``estimated``: the request's own share is not known until its window is attributed. Given
  only when the fit is ``measured`` (both intervals exclude 0).
* attributed (:mod:`.book`) — after the window(s) the request ran in were split (provenance
  ``attributed``), at ``/wattprint/requests/<id>``.
* :class:`LlmEstimator` — an upstream this node cannot measure (a remote API): ``wattprint
  estimate llm`` for the request's model and tokens (provenance ``estimated``, the fit's
  interval, boundary and data version).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from wattprint.errors import ConfigError
from wattprint.results.serving_energy import TokenWeights

WEIGHTS_METHOD = ("fitted J per prompt token x prompt tokens + fitted J per decoded token x "
                  "(output tokens - 1), from this node's power timeline (wattprint.serving."
                  "weights); interval: the fit's 90 % bootstrap intervals")
DYNAMIC_SCOPE = "request, dynamic (the node's idle power excluded)"
CACHE = 4096
"""Estimates kept per (model, provider, input, output) (the estimator takes about 1 ms)."""


@dataclass(frozen=True)
class EnergyFigure:
    """One request's energy figure (J).

    Attributes:
        energy_j: The figure, J.
        low_j, high_j: Its interval, J (None when there is none).
        level: The interval's coverage (0.9), None without an interval.
        provenance: ``estimated`` or ``attributed``.
        scope: What it covers, in words.
        boundary: The energy's boundary (domains, or the estimator's hardware boundary).
        method: How it was obtained, in words.
        prefill_j, decode_j: Its two parts, J.
    """

    energy_j: float
    low_j: float | None
    high_j: float | None
    level: float | None
    provenance: str
    scope: str
    boundary: str
    method: str
    prefill_j: float | None = None
    decode_j: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, units in the names."""
        return {"joules": self.energy_j, "low_j": self.low_j, "high_j": self.high_j,
                "interval_level": self.level, "provenance": self.provenance,
                "scope": self.scope, "boundary": self.boundary, "method": self.method,
                "prefill_j": self.prefill_j, "decode_j": self.decode_j}

    def header(self) -> str:
        """The ``x-energy-estimate`` header value: ``provenance=...; low_j=...; ...``."""
        parts = [f"provenance={self.provenance}"]
        if self.low_j is not None and self.high_j is not None:
            parts += [f"low_j={self.low_j:.6g}", f"high_j={self.high_j:.6g}",
                      f"level={self.level:g}"]
        return "; ".join([*parts, f"scope={'dynamic' if 'dynamic' in self.scope else 'request'}"])


def from_weights(w: TokenWeights | None, prompt_tokens: int | None, output_tokens: int,
                 boundary: str) -> EnergyFigure | None:
    """The response-time estimate from measured per-token energies (module docstring); None
    without a measured fit or without a prompt count."""
    if w is None or w.source != "measured" or prompt_tokens is None \
            or w.prefill_ci_j is None or w.decode_ci_j is None:
        return None
    d = max(output_tokens - 1, 0)
    pre, dec = prompt_tokens * w.prefill_j_per_token, d * w.decode_j_per_token
    return EnergyFigure(pre + dec, prompt_tokens * w.prefill_ci_j[0] + d * w.decode_ci_j[0],
                        prompt_tokens * w.prefill_ci_j[1] + d * w.decode_ci_j[1], 0.9,
                        "estimated", DYNAMIC_SCOPE, boundary, WEIGHTS_METHOD, pre, dec)


class LlmEstimator:
    """``wattprint estimate llm`` per request (module docstring).

    Args:
        model: The model name to estimate for (None: each request's ``model``).
        provider: The provider (PUE, hardware assumptions), or None.
        active_params_b: Active parameters, billions (low, high), for a model the tables do
            not know (``--active-params``), or None.

    Raises:
        ConfigError: ``model`` or ``provider`` unknown to the estimator (checked at start).
    """

    def __init__(self, model: str | None = None, provider: str | None = None,
                 active_params_b: tuple[float, float] | None = None) -> None:
        from wattprint.estimates.catalog import Range
        from wattprint.estimates.reference import reference_fit

        self.model, self.provider = model, provider
        self.active_params_b = None if active_params_b is None else Range(*active_params_b)
        self.fit = reference_fit()
        self._cache: OrderedDict[tuple[str, int, int], EnergyFigure | str] = OrderedDict()
        if model is not None:
            self._estimate(model, 0, 1)
            err = self._cache[(model, 0, 1)]
            if isinstance(err, str):
                raise ConfigError(f"--estimate-model: {err}")
        elif provider is not None:
            from wattprint.estimates.catalog import provider as find_provider

            find_provider(provider)

    def figure(self, model: str | None, prompt_tokens: int | None, output_tokens: int
               ) -> EnergyFigure | str:
        """The estimate for one request, or why there is none (unknown model, no counts)."""
        name = self.model or model
        if name is None:
            return "the request names no model"
        if prompt_tokens is None:
            return "the prompt's tokens are unknown"
        key = (name, prompt_tokens, max(output_tokens, 1))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._estimate(*key)
        else:
            self._cache.move_to_end(key)
        return hit

    def _estimate(self, name: str, n_in: int, n_out: int) -> EnergyFigure | str:
        from wattprint.estimates.llm import LlmRequest, estimate_llm

        try:
            e = estimate_llm(LlmRequest(model=name, input_tokens=n_in, output_tokens=n_out,
                                        provider=self.provider,
                                        active_params_b=self.active_params_b), self.fit)
            out: EnergyFigure | str = EnergyFigure(
                e.energy.central_j, e.energy.low_j, e.energy.high_j, e.request.level,
                "estimated", "request, at the estimator's boundary (batch share of the servers)",
                e.boundary, f"{e.method} ({e.fit.data_version})", e.prefill.central_j,
                e.decode.central_j)
        except ConfigError as err:
            out = str(err)
        self._cache[(name, n_in, n_out)] = out
        if len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return out
