"""Energy of a served model under load: a load generator for OpenAI-compatible endpoints, the
server's energy over the run, and per-request attribution by phase, with checks that can fail
and an error published against a reference engine (docs/serving.md).

Modules, one idea each: :mod:`records` (per-request record), :mod:`sse` (stream parsing),
:mod:`engines` (per-engine request fields), :mod:`client` (one request), :mod:`arrivals`,
:mod:`lengths`, :mod:`prompts`, :mod:`prompt_tokens` (a request's prompt as the engine reads it, counted), :mod:`generator` (one load point), :mod:`probe` (endpoint check),
:mod:`launch` (start/stop an engine), :mod:`power` (power timeline), :mod:`windows` (whole and
steady windows, validity), :mod:`engine_report` (the engine's Prometheus phase histograms),
:mod:`phases` (queued, prefill and decode per request), :mod:`slices` (amounts over timeline
slices), :mod:`weights` (measured J per prompt and decoded token), :mod:`attribution`
(``phase-occupancy-v2`` shares; :mod:`attribution_v1` the old model), :mod:`checks` (checks
that can fail), :mod:`accounting` (all of that for one point), :mod:`summary` (one load
point's result), :mod:`session` (a whole measurement), :mod:`zoo_lm` (a tiny chat LM built
offline), :mod:`reference` (an engine whose energy is known by construction, and the testbed).
"""
