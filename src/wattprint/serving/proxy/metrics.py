"""The proxy's Prometheus metrics (one registry per proxy; ``prometheus-client``, in the
``telemetry`` extra). Every counter only grows.

Per model, route and tenant (the tenant is a label the operator chose, never an API key):

* ``wattprint_proxy_requests_total{status}`` — requests by how they ended: ``ok``,
  ``truncated`` (a stream cut short), ``failed`` (an upstream error passed through, a
  timeout, a client or upstream that went away);
* ``wattprint_proxy_tokens_total{kind}`` — ``prompt`` and ``output`` tokens of requests that
  ended ``ok`` or ``truncated`` (their work was real);
* ``wattprint_proxy_energy_joules_total{phase, provenance}`` — ``prefill``/``decode`` energy:
  ``attributed`` shares of the node's measured energy, as windows are attributed; or
  ``estimated`` (an upstream the proxy cannot measure), as requests end.

For the node (labels ``part`` and ``basis``, the provenance of the energy split):

* ``wattprint_proxy_node_energy_joules_total{part}`` — every attributed window's energy in
  parts that add up to it: ``idle`` (the idle baseline's share), ``attributed`` (the
  requests' shares), ``queued`` (dynamic energy while requests waited and none ran),
  ``unattributed`` (dynamic energy with no request in the system);
* ``wattprint_proxy_windows_total{result}``, gauges ``wattprint_proxy_in_flight``,
  ``wattprint_proxy_idle_power_watts``, ``wattprint_proxy_j_per_token{kind}`` (the fitted
  per-token energies in use, 0 until measured).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.errors import ConfigError

OTHER_MODEL = "other"
"""The ``model`` label of models beyond the first ``max_model_labels``."""


class ProxyMetrics:
    """The registry and its metrics (module docstring).

    Args:
        max_models: Distinct ``model`` label values at most.
        const_labels: Labels on every sample (the pod's, in Kubernetes).

    Raises:
        ConfigError: prometheus-client is not installed.
    """

    def __init__(self, max_models: int = 64, const_labels: Mapping[str, str] | None = None
                 ) -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
        except ImportError as err:
            raise ConfigError("wattprint proxy needs prometheus-client "
                              "(pip install 'wattprint[telemetry]')") from err
        # the *_created series: twice the text, and no use here
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        self.max_models = max_models
        self._models: set[str] = set()
        self._children: dict[tuple[Any, tuple[str, ...]], Any] = {}
        cl = dict(const_labels or {})
        extra = list(cl)
        reg: dict[str, Any] = {"registry": self.registry}
        who = ["model", "route", "tenant", *extra]
        self._const = [cl[k] for k in extra]
        self.requests = Counter("wattprint_proxy_requests", "Requests passed on, by how they "
                                "ended (ok, truncated, failed)", [*who, "status"], **reg)
        self.tokens = Counter("wattprint_proxy_tokens", "Prompt and output tokens of requests "
                              "that ended ok or truncated", [*who, "kind"], **reg)
        self.energy = Counter("wattprint_proxy_energy_joules", "Request energy by phase: "
                              "attributed shares of the node's energy, or estimated",
                              [*who, "phase", "provenance"], **reg)
        self.node = Counter("wattprint_proxy_node_energy_joules", "The node's energy over "
                            "attributed windows, in parts that add up to it",
                            ["part", "basis", *extra], **reg)
        self.windows = Counter("wattprint_proxy_windows", "Attributed windows by result",
                               ["result", *extra], **reg)
        self.in_flight = Gauge("wattprint_proxy_in_flight", "Requests in flight", extra, **reg)
        self.idle_power = Gauge("wattprint_proxy_idle_power_watts", "Idle power of the energy "
                                "basis measured at start (0: none)", extra, **reg)
        self.per_token = Gauge("wattprint_proxy_j_per_token", "Fitted dynamic energy per token "
                               "in use (0 until measured)", ["kind", *extra], **reg)

    def model_label(self, model: str | None) -> str:
        """The ``model`` label of a request's model (:data:`OTHER_MODEL` beyond the limit)."""
        m = model or "unknown"
        if m in self._models:
            return m
        if len(self._models) >= self.max_models:
            return OTHER_MODEL
        self._models.add(m)
        return m

    def who(self, model: str, route: str, tenant: str) -> list[str]:
        """Label values of one request's counters (constant labels appended)."""
        return [model, route, tenant, *self._const]

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, kept: the same child for the same values without
        prometheus-client's checks and lock on every request (the label values are bounded:
        models by ``max_models``, routes, tenants by the operator's file, statuses)."""
        key = (metric, labels)
        got = self._children.get(key)
        if got is None:
            got = self._children[key] = metric.labels(*labels) if labels else metric
        return got

    def at(self, metric: Any, *values: str) -> Any:
        """``metric`` at these label values (the constant ones appended; the metric itself
        when it has no labels)."""
        return self.child(metric, *values, *self._const)

    def text(self) -> bytes:
        """The exposition text."""
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
