"""The proxy's configuration: one frozen record, checked where it is built (CLI flags map onto
its fields one to one, and a bad value is a :class:`~wattprint.errors.ConfigError` naming the
flag and what is valid).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from wattprint.errors import ConfigError, unknown_choice
from wattprint.serving.limits import MAX_SECONDS, MIN_INTERVAL_S, check_number

ENERGY_MODES = ("auto", "measure", "estimate")
"""``measure``: this node's meters, attributed to requests; ``estimate``: ``wattprint.estimates``
per request (an upstream on another machine, e.g. a remote API); ``auto``: measure when the
upstream is on this machine (a loopback or local address), else estimate."""
MAX_KEEP = 10_000_000
MAX_MODEL_LABELS = 10_000


@dataclass(frozen=True)
class ProxyConfig:
    """Everything the proxy needs.

    Attributes:
        upstream: Base URL of the engine (``http://127.0.0.1:8000``; a path prefix is kept).
        host, port: Where the proxy listens (``--listen HOST:PORT``; port 0: a free one).
        metrics_port: A second port serving only ``/metrics`` (None: the proxy's own
            ``/wattprint/metrics`` on its main port only).
        tenant_header: Request header holding the API key that tenants are told apart by.
        tenants_file: The operator's API-key to tenant-label mapping (None: one tenant, ``-``).
        window_s: Attribution window, s: every ``window_s`` the node's energy of one window is
            split among the requests that ran in it.
        lag_s: A window is attributed ``lag_s`` after it ends, so that the requests in it have
            finished (a request still running then gets the share of its work seen so far).
        idle_s: Idle baseline measured at start, s (0: none; every joule is then dynamic).
        interval_s: Power timeline period, s.
        energy: One of :data:`ENERGY_MODES`.
        estimate_model: Model name given to the estimator (None: each request's ``model``).
        estimate_active_params_b: Active parameters (billions, low and high) of a model the
            estimator's tables do not know (``--active-params``), or None.
        estimate_provider: Provider given to the estimator (``openai``, ``anthropic`` ...).
        timeout_s: Longest silence from the upstream within one answer, s (then the request
            is recorded ``timeout`` and the client's connection is cut); None: no limit (the
            client decides; a client that leaves cancels the upstream request).
        keep: Finished requests kept for ``/wattprint/requests/<id>`` (oldest dropped first).
        max_model_labels: Distinct ``model`` label values (requests name the model, so a
            client could otherwise grow the metrics without bound); later ones count as
            ``other``.
        otlp_endpoint: OTLP/HTTP traces endpoint for one span per request (None: no spans).
        tokenizer: Model folder whose tokenizer counts prompts when the engine sends no usage.
    """

    upstream: str
    host: str = "127.0.0.1"
    port: int = 8080
    metrics_port: int | None = None
    tenant_header: str = "Authorization"
    tenants_file: str | None = None
    window_s: float = 10.0
    lag_s: float = 30.0
    idle_s: float = 5.0
    interval_s: float = 0.1
    energy: str = "auto"
    estimate_model: str | None = None
    estimate_active_params_b: tuple[float, float] | None = None
    estimate_provider: str | None = None
    timeout_s: float | None = None
    keep: int = 100_000
    max_model_labels: int = 64
    otlp_endpoint: str | None = None
    tokenizer: str | None = None

    def __post_init__(self) -> None:
        check_upstream(self.upstream)
        for name, port in (("--listen", self.port), ("--metrics-port", self.metrics_port)):
            if port is not None and not (isinstance(port, int) and 0 <= port <= 65535):
                raise ConfigError(f"{name}: expected a port 0-65535, got {port!r}")
        if self.metrics_port is not None and self.metrics_port == self.port != 0:
            raise ConfigError(f"--metrics-port {self.metrics_port}: the proxy itself listens "
                              "there; give another port, or none (metrics are also served at "
                              "/wattprint/metrics on the proxy's port)")
        check_number("--window", self.window_s, low=0, high=MAX_SECONDS, low_open=True)
        check_number("--lag", self.lag_s, low=0, high=MAX_SECONDS)
        check_number("--idle", self.idle_s, low=0, high=MAX_SECONDS)
        check_number("--interval", self.interval_s, low=MIN_INTERVAL_S, high=MAX_SECONDS)
        if self.timeout_s is not None:
            check_number("--timeout", self.timeout_s, low=0, high=MAX_SECONDS, low_open=True)
        check_number("--keep", self.keep, low=1, high=MAX_KEEP)
        check_number("--max-model-labels", self.max_model_labels, low=1, high=MAX_MODEL_LABELS)
        if self.interval_s > self.window_s:
            raise ConfigError(f"--interval {self.interval_s:g} s is longer than --window "
                              f"{self.window_s:g} s: a window needs several power samples")
        if self.energy not in ENERGY_MODES:
            raise unknown_choice("--energy mode", self.energy, ENERGY_MODES)
        if not self.tenant_header.strip() or any(c in self.tenant_header for c in " :\r\n"):
            raise ConfigError(f"--tenant-header {self.tenant_header!r}: expected an HTTP header "
                              "name such as Authorization or X-Api-Key")
        if self.otlp_endpoint is not None:
            check_url(self.otlp_endpoint, "--otlp-endpoint")

    @property
    def upstream_base(self) -> str:
        """The upstream URL without a trailing slash."""
        return self.upstream.rstrip("/")

    def energy_mode(self) -> str:
        """``measure`` or ``estimate``: :attr:`energy`, with ``auto`` resolved (module
        docstring of :data:`ENERGY_MODES`)."""
        if self.energy != "auto":
            return self.energy
        return "measure" if is_local_host(urlsplit(self.upstream).hostname or "") else "estimate"


def check_url(url: str, flag: str) -> None:
    """Refuse anything but an ``http(s)://HOST[:PORT][/PATH]`` URL.

    Raises:
        ConfigError: naming ``flag``.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise ConfigError(f"{flag} {url!r}: not a URL ({err})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{flag} {url!r}: expected http://HOST[:PORT] or https://HOST[:PORT]")
    if port == 0 or parts.query or parts.fragment:
        raise ConfigError(f"{flag} {url!r}: expected http(s)://HOST[:PORT][/PATH] with a port "
                          "1-65535 and no query or fragment")


def check_upstream(url: str) -> None:
    """The ``--upstream`` URL (:func:`check_url`)."""
    check_url(url, "--upstream")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; ``:PORT`` or ``PORT`` alone: 127.0.0.1).

    Raises:
        ConfigError: naming ``--listen``.
    """
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        value = int(port)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535 or any(c.isspace() for c in host):
        raise ConfigError(f"--listen {text!r}: expected HOST:PORT with a port 0-65535, e.g. "
                          "127.0.0.1:8080 or 0.0.0.0:8080")
    return host, value


def is_local_host(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost``, a loopback address, or an address of one
    of its interfaces (names other than ``localhost`` are not resolved)."""
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    import psutil

    return any(a.address.split("%")[0] == str(ip)
               for addrs in psutil.net_if_addrs().values() for a in addrs)
