"""A reference OpenAI-compatible engine whose energy is known by construction (the serving
testbed; docs/serving.md, "Ground truth").

It serves streaming chat and completions on 127.0.0.1, schedules requests serially or with
continuous batching behind a FIFO queue, spends a configured time and energy per prompt token
and per decoded token on top of a constant idle power, and writes the machine's cumulative
energy as a RAPL-shaped sysfs counter that wattprint's real RAPL meter reads. What really
happened to every request (its queue, prefill and decode times and energies) goes to
``truth.jsonl``, which nothing in the attribution reads.

Modules: :mod:`.config` (costs, mode, dialect), :mod:`.ledger` (energy by construction),
:mod:`.sysfs` (the simulated counter), :mod:`.engine` (scheduler and truth), :mod:`.metrics`
(vLLM-named Prometheus page), :mod:`.truth` (the truth records), :mod:`.server` (HTTP),
:mod:`.tokenizer` (a tokenizer folder that counts like the engine).
"""

from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.server import ReferenceServer
from wattprint.serving.reference.truth import RequestTruth, read_truth

__all__ = ["ReferenceConfig", "ReferenceServer", "RequestTruth", "read_truth"]
