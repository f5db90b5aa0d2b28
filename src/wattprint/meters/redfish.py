"""Node wall power from the BMC over Redfish (DMTF): energy counter where the BMC has one,
else power readings integrated.

Read from the chassis (``options.redfish_chassis``, else the first chassis with a reading),
most trustworthy first:

1. ``EnvironmentMetrics.EnergyJoules.Reading`` (J) → ``measured``.
2. ``EnvironmentMetrics.EnergykWh.Reading`` (kWh × 3.6e6 → J) → ``measured``; its resolution
   (the decimals the BMC gives) is recorded in the source. Many BMCs give whole kWh (3.6 MJ
   steps), which would read 0 J over most windows: a counter coarser than 1 Wh is not used.
3. ``EnvironmentMetrics.PowerWatts.Reading`` (W) → ``integrated``.
4. ``PowerSubsystem`` → ``PowerSupplies`` → each supply's ``Metrics`` (``PowerSupplyMetrics``):
   the sum of ``EnergykWh`` (``measured``, same resolution rule) or of ``InputPowerWatts``
   (``integrated``): the power drawn at the supplies' inputs.
5. The deprecated ``Power`` resource: ``PowerControl[0].PowerConsumedWatts`` (W) →
   ``integrated``; ``PowerMetrics.IntervalInMin`` (the BMC's averaging window for its
   min/max/average statistics) is recorded in the source.

The domain is ``node:0`` (component ``node``, scope ``node``): it overlaps every component
meter of the same machine and is never a sum of them. Configuration: ``options.redfish_url``
(or ``$WATTPRINT_REDFISH_URL``); credentials from ``options.redfish_credentials`` (a file; or
``$WATTPRINT_REDFISH_CREDENTIALS``) or ``$WATTPRINT_REDFISH_USERNAME``/``$WATTPRINT_REDFISH_PASSWORD``;
``options.redfish_chassis`` (``$WATTPRINT_REDFISH_CHASSIS``); ``options.redfish_verify``
(``$WATTPRINT_REDFISH_VERIFY``: True, False, or a CA bundle path; BMCs often use self-signed
certificates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.bmc import (
    NODE_BOUNDARY,
    Credentials,
    NodePowerMeter,
    env_path,
    load_credentials,
)
from wattprint.meters.gates import redfish_url
from wattprint.meters.hwprobe import ProbeResult, Unavailable, environ_of, option

SOURCE = "redfish"
ENV_PREFIX = "WATTPRINT_REDFISH"
J_PER_KWH = 3.6e6
TIMEOUT_S = 5.0
MAX_COUNTER_RESOLUTION_J = 3600.0
"""An EnergykWh counter coarser than 1 Wh would read 0 J over most windows: power is used."""


class RedfishClient:
    """GET JSON resources from one Redfish service (``requests``, basic auth, one session).

    Args:
        base_url: The BMC's address (``https://bmc.example``); ``/redfish/v1`` is appended to
            relative resource paths as Redfish ``@odata.id`` values already contain it.
        credentials: User and password, or None for an unauthenticated service.
        verify: TLS verification (True, False, or a CA bundle path).
    """

    def __init__(self, base_url: str, credentials: Credentials | None, verify: bool | str = True,
                 timeout_s: float = TIMEOUT_S) -> None:
        try:
            import requests
        except ImportError as err:
            raise MeterError("Redfish needs the requests package (pip install wattprint[telemetry])") from err
        self._requests = requests
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self._session = requests.Session()
        if credentials is not None:
            self._session.auth = (credentials.username, credentials.password)
        self._session.verify = verify
        self._session.headers["Accept"] = "application/json"
        self.timeout_s = timeout_s

    def get(self, path: str) -> dict[str, Any]:
        """The JSON object at ``path`` (``/redfish/v1/...``); MeterError naming the URL otherwise."""
        url = self.base_url + path
        try:
            resp = self._session.get(url, timeout=self.timeout_s)
        except self._requests.RequestException as err:
            raise MeterError(f"Redfish GET {url} failed: {type(err).__name__}: {err}") from err
        if resp.status_code in (401, 403):
            who = (f"user {self.credentials.username!r} from {self.credentials.origin}"
                   if self.credentials else f"no credentials (set ${ENV_PREFIX}_USERNAME/"
                   f"${ENV_PREFIX}_PASSWORD or a credentials file)")
            raise MeterError(f"Redfish GET {url}: HTTP {resp.status_code}, authentication "
                             f"refused for {who}")
        if resp.status_code != 200:
            raise MeterError(f"Redfish GET {url}: HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError as err:
            raise MeterError(f"Redfish GET {url}: the answer is not JSON") from err
        if not isinstance(body, dict):
            raise MeterError(f"Redfish GET {url}: expected a JSON object")
        return body

    def close(self) -> None:
        """Release resources. Idempotent."""
        self._session.close()


def _link(res: Mapping[str, Any], key: str) -> str | None:
    v = res.get(key)
    return v.get("@odata.id") if isinstance(v, dict) and isinstance(v.get("@odata.id"), str) else None


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _decimals(x: Any) -> int:
    """Decimals of a JSON number as the BMC sent it (an int has none)."""
    if isinstance(x, int):
        return 0
    text = repr(x)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


class RedfishMeter(NodePowerMeter):
    """Node energy from a Redfish BMC (J): energy counter (measured) or power (integrated).

    Args:
        base_url: The BMC's address.
        credentials: User and password (or None).
        chassis: The chassis id to read; the first with a reading when None.
        verify: TLS verification.
        interval_s: Power sampling interval, seconds.
        **kwargs: Passed to :class:`NodePowerMeter` (``clock``).

    Raises:
        MeterError: The BMC cannot be reached, refuses the credentials, or has no reading.
    """

    def __init__(self, base_url: str, credentials: Credentials | None = None, *,
                 chassis: str | None = None, verify: bool | str = True, interval_s: float = 1.0,
                 **kwargs: Any) -> None:
        self.client = RedfishClient(base_url, credentials, verify)
        self.notes: list[str] = []
        try:
            spec, reader = self._choose(chassis)
            if spec.provenance is Provenance.MEASURED:
                super().__init__(SOURCE, spec, read_energy_j=reader, interval_s=interval_s, **kwargs)
            else:
                super().__init__(SOURCE, spec, read_power_w=reader, interval_s=interval_s, **kwargs)
        except BaseException:
            self.client.close()
            raise

    def describe(self) -> str:
        """What this meter reports and how, with its notes (fallbacks, counters not used)."""
        return super().describe() + (f"; {'; '.join(self.notes)}" if self.notes else "")

    def _chassis_ids(self, chassis: str | None) -> list[str]:
        if chassis:
            return [f"/redfish/v1/Chassis/{chassis}"]
        members = self.client.get("/redfish/v1/Chassis").get("Members", [])
        ids = [m.get("@odata.id") for m in members if isinstance(m, dict)]
        return [i for i in ids if isinstance(i, str)]

    def _choose(self, chassis: str | None) -> tuple[DomainSpec, Any]:
        tried: list[str] = []
        for cid in self._chassis_ids(chassis):
            res = self.client.get(cid)
            env_path = _link(res, "EnvironmentMetrics")
            if env_path:
                env = self.client.get(env_path)
                got = self._from_environment(env_path, env)
                if got:
                    return got
                tried.append(f"{env_path}: no EnergyJoules, EnergykWh or PowerWatts reading")
            subsystem = _link(res, "PowerSubsystem")
            if subsystem:
                got = self._from_power_supplies(subsystem)
                if got:
                    return got
                tried.append(f"{subsystem}: no power supply with EnergykWh or InputPowerWatts")
            power_path = _link(res, "Power")
            if power_path:
                got = self._from_power(power_path, self.client.get(power_path))
                if got:
                    return got
                tried.append(f"{power_path}: no PowerControl PowerConsumedWatts reading")
            if not env_path and not subsystem and not power_path:
                tried.append(f"{cid}: links neither EnvironmentMetrics, PowerSubsystem nor Power")
        raise MeterError(f"Redfish service {self.client.base_url} has no node power or energy "
                         f"reading: {'; '.join(tried) or 'no chassis'}")

    def _reading(self, path: str, key: str) -> float:
        value = _number((self.client.get(path).get(key) or {}).get("Reading"))
        if value is None:
            raise MeterError(f"Redfish {self.client.base_url}{path}: {key}.Reading is missing or null")
        return value

    def _from_environment(self, path: str, env: Mapping[str, Any]) -> tuple[DomainSpec, Any] | None:
        where = f"redfish:{self.client.base_url}{path}"
        joules = _number((env.get("EnergyJoules") or {}).get("Reading"))
        if joules is not None:
            return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.MEASURED,
                               f"{where} EnergyJoules", scope="node"),
                    lambda: self._reading(path, "EnergyJoules"))
        raw_kwh = (env.get("EnergykWh") or {}).get("Reading")
        kwh = _number(raw_kwh)
        res_j = None if kwh is None else 10 ** -_decimals(raw_kwh) * J_PER_KWH
        if res_j is not None and res_j > MAX_COUNTER_RESOLUTION_J:
            self.notes.append(f"{path} EnergykWh={kwh:g} has a resolution of {res_j:g} J "
                              f"(coarser than {MAX_COUNTER_RESOLUTION_J:g} J): not used as a counter")
        elif kwh is not None:
            return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.MEASURED,
                               f"{where} EnergykWh (resolution {res_j:g} J as reported)",
                               scope="node"),
                    lambda: self._reading(path, "EnergykWh") * J_PER_KWH)
        watts = _number((env.get("PowerWatts") or {}).get("Reading"))
        if watts is not None:
            return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.INTEGRATED,
                               f"{where} PowerWatts (trapezoid)", scope="node"),
                    lambda: self._reading(path, "PowerWatts"))
        return None

    def _from_power_supplies(self, subsystem: str) -> tuple[DomainSpec, Any] | None:
        """The sum over the chassis' power supplies' input (``PowerSupplyMetrics``)."""
        psus = _link(self.client.get(subsystem), "PowerSupplies")
        if not psus:
            return None
        metrics = []
        for m in self.client.get(psus).get("Members", []):
            member = m.get("@odata.id") if isinstance(m, dict) else None
            link = _link(self.client.get(member), "Metrics") if isinstance(member, str) else None
            if link:
                metrics.append(link)
        if not metrics:
            return None
        first = [self.client.get(m) for m in metrics]
        where = f"redfish:{self.client.base_url}{psus} ({len(metrics)} power supplies"
        raw = [(f.get("EnergykWh") or {}).get("Reading") for f in first]
        if all(_number(r) is not None for r in raw):
            res_j = max(10 ** -_decimals(r) * J_PER_KWH for r in raw)
            if res_j <= MAX_COUNTER_RESOLUTION_J:
                return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.MEASURED,
                                   f"{where}, sum of EnergykWh, resolution {res_j:g} J)", scope="node"),
                        lambda: sum(self._reading(m, "EnergykWh") for m in metrics) * J_PER_KWH)
            self.notes.append(f"{psus}: power supply EnergykWh resolution {res_j:g} J is coarser "
                              f"than {MAX_COUNTER_RESOLUTION_J:g} J: not used as a counter")
        if all(_number((f.get("InputPowerWatts") or {}).get("Reading")) is not None for f in first):
            return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.INTEGRATED,
                               f"{where}, sum of InputPowerWatts; trapezoid)", scope="node"),
                    lambda: sum(self._reading(m, "InputPowerWatts") for m in metrics))
        return None

    def _from_power(self, path: str, power: Mapping[str, Any]) -> tuple[DomainSpec, Any] | None:
        controls = power.get("PowerControl") or []
        if not controls or _number(controls[0].get("PowerConsumedWatts")) is None:
            return None
        interval = _number((controls[0].get("PowerMetrics") or {}).get("IntervalInMin"))
        avg = (f"BMC statistics averaged over {interval:g} min" if interval is not None
               else "BMC averaging interval not given")
        src = f"redfish:{self.client.base_url}{path} PowerControl[0].PowerConsumedWatts ({avg}; trapezoid)"

        def watts() -> float:
            ctl = (self.client.get(path).get("PowerControl") or [{}])[0]
            value = _number(ctl.get("PowerConsumedWatts"))
            if value is None:
                raise MeterError(f"Redfish {self.client.base_url}{path}: PowerConsumedWatts is null")
            return value

        return (DomainSpec("node:0", "node", NODE_BOUNDARY, Provenance.INTEGRATED, src,
                           scope="node"), watts)

    def close(self) -> None:
        """Release resources. Idempotent."""
        super().close()
        self.client.close()


def _verify_env(value: str | None) -> bool | str:
    """``--redfish-verify`` or ``$WATTPRINT_REDFISH_VERIFY``: unset/1/true/yes → verify,
    0/false/no → do not, else a CA path."""
    if value is None or value.lower() in ("", "1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    return value


def probe(options: Any = None) -> ProbeResult:
    """A :class:`RedfishMeter` when a BMC address is configured, or why there is none."""
    if why := redfish_url(options):
        return Unavailable(why)
    env = environ_of(options)
    url = option(options, "redfish_url", None) or env[f"{ENV_PREFIX}_URL"]
    try:
        creds = load_credentials(option(options, "redfish_credentials", None)
                                 or env_path(env, f"{ENV_PREFIX}_CREDENTIALS"), env, ENV_PREFIX)
        verify = option(options, "redfish_verify", env.get(f"{ENV_PREFIX}_VERIFY"))
        verify = _verify_env(verify) if verify is None or isinstance(verify, str) else verify
        return RedfishMeter(url, creds, chassis=option(options, "redfish_chassis",
                                                       env.get(f"{ENV_PREFIX}_CHASSIS")),
                            verify=verify,
                            interval_s=float(option(options, "bmc_interval_s", 1.0)))
    except MeterError as err:
        return Unavailable(str(err))
