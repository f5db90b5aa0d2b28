"""``wattprint proxy``: an OpenAI-compatible reverse proxy in front of any engine that records
every real request (tokens, timings, status, as the load client does) and gives each one its
share of the node's measured energy, over sliding windows, with the phase model of ``wattprint
load`` — or an estimate where the upstream cannot be measured (docs/proxy.md).

Modules, one idea each: :mod:`.config` (the frozen configuration and its checks),
:mod:`.tenants` (API key → tenant label, never the key), :mod:`.bodies` (what the proxy reads in
request and answer bodies; the opt-in energy field), :mod:`.steps` (where a whole answer's tokens
were made: at the engine steps seen in streams), :mod:`.relay` (the aiohttp handlers that
pass bytes on unchanged), :mod:`.book` (every request, looked up by id), :mod:`.figures`
(response-time estimates; the estimator for remote upstreams), :mod:`.sliding` (one window's
attribution), :mod:`.metrics` (Prometheus), :mod:`.tracing` (OpenTelemetry spans),
:mod:`.service` (all of it together), :mod:`.testbed` (the proxy against the reference engine's
truth).
"""
