"""Energy of a served model under load: a load generator for OpenAI-compatible endpoints, the
server's energy over the run, and per-request attribution with a sum check (docs/serving.md).

Modules, one idea each: :mod:`records` (per-request record), :mod:`sse` (stream parsing),
:mod:`engines` (per-engine request fields), :mod:`client` (one request), :mod:`arrivals`,
:mod:`lengths`, :mod:`prompts`, :mod:`generator` (one load point), :mod:`probe` (endpoint check),
:mod:`launch` (start/stop an engine), :mod:`power` (power timeline), :mod:`windows` (whole and
steady windows, validity), :mod:`attribution` (per-request shares), :mod:`summary` (one load
point's result), :mod:`sweep` (rates up to saturation), :mod:`session` (a whole measurement),
:mod:`zoo_lm` (a tiny chat LM built offline).
"""
