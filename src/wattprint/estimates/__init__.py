"""Estimates for what wattprint cannot measure: the energy of an LLM request to a model served
elsewhere (an API) or not yet served, from a model fitted on measured serving sweeps.

Layer: below ``cli``, ``serving``, ``harness`` and ``analysis`` (so the proxy and reports can
use it), above ``results`` and ``carbon`` (it reads stored serving points and prices carbon).

* :mod:`.observations` — one measured point (J per output token at a load, hardware, model size),
  from the shipped ML.ENERGY reference data.
* :mod:`.design` — the regression terms and the design matrix.
* :mod:`.fit` — the fit, its held-out (by model family) residuals and interval widths.
* :mod:`.model_file` — the versioned fit file (``estimate fit``) and its validation.
* :mod:`.catalog` — model, provider and hardware assumptions (shipped tables with sources).
* :mod:`.llm` — one request's estimate with its interval (``estimate llm``).
* :mod:`.ecologits` — EcoLogits' published formula, re-implemented for comparison, and the
  EcoLogits-shaped output block.
* :mod:`.store_points` — stored ``ServingPoint`` records as observations (``estimate fit``).

Every figure is ``estimated`` and carries its method and data version (docs/estimates.md).
"""
