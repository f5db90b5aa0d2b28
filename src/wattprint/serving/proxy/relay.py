"""Pass requests to the upstream and its answers back, unchanged, while recording them.

Completions (``POST /v1/chat/completions``, ``/v1/completions``) are recorded: the request body
goes upstream as it came, and the answer's status, headers (less the hop-by-hop ones) and body
come back as the upstream sent them — a stream chunk by chunk as it arrives, a whole answer
once complete. The proxy adds response headers only (``x-wattprint-request-id``,
``x-energy-lookup``, and on whole answers ``x-energy-estimate-joules`` with
``x-energy-estimate``), and changes the body only when the client asks for the energy field
with the request header ``x-wattprint-energy: 1`` (then the JSON object or stream event that
carries ``usage`` is written again with ``usage.energy`` added; nothing else changes).

Failures are passed through, never added: an upstream error status and body come back as they
are (recorded ``http_error``); an upstream that breaks mid-stream breaks the client's connection
the same way (recorded ``disconnected``); a client that goes away cancels the upstream request
(recorded ``disconnected``, with the tokens it had received). Only an upstream that cannot be
reached at all gets an answer of the proxy's own, 502, since there is nothing to pass on (one
that was reached but closed the connection before answering has the client's connection
closed likewise); and
``--timeout`` (off by default) cuts an upstream silent for that long. The request is never
changed upstream: token counts come from the answer's ``usage`` when the engine sends it (the
client asked for it, or the engine always does), else the tokenizer (``--tokenizer``), else one
token per chunk and the prompt's words, saying which (docs/proxy.md).

Every other path is passed through unrecorded.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from wattprint.serving.observer import StreamObserver, fail
from wattprint.serving.prompt_tokens import Counter
from wattprint.serving.proxy.bodies import (
    ROUTES,
    STREAMED,
    RequestInfo,
    event_with_energy,
    observe_whole,
    read_request,
    with_energy,
)
from wattprint.serving.proxy.book import ProxiedRequest, RequestBook
from wattprint.serving.proxy.figures import EnergyFigure
from wattprint.serving.proxy.tenants import TenantMap
from wattprint.serving.records import Status
from wattprint.serving.sse import StreamFormatError

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host",
                        "content-length"})
ENERGY_REQUEST_HEADER = "x-wattprint-energy"
"""Request header with which a client asks for ``usage.energy`` in the answer (``1``)."""
ID_HEADER = "x-wattprint-request-id"
LOOKUP_HEADER = "x-energy-lookup"
ESTIMATE_HEADER = "x-energy-estimate-joules"
ESTIMATE_INFO_HEADER = "x-energy-estimate"
LOOKUP_PATH = "/wattprint/requests/"
TRACE_HEADERS = ("traceparent", "tracestate")
CLIENT_LEFT = "the client went away before the answer ended; the upstream request was cancelled"


_NOT_UPSTREAM = HOP_BY_HOP | {ENERGY_REQUEST_HEADER}


def request_headers(headers: Any) -> CIMultiDict[str]:
    """The client's headers as sent upstream: all but the hop-by-hop ones and the proxy's own."""
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in _NOT_UPSTREAM)


def response_headers(headers: Any) -> CIMultiDict[str]:
    """The upstream's headers as passed back: all but the hop-by-hop ones."""
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP)


def _wants_energy(headers: Any) -> bool:
    return headers.get(ENERGY_REQUEST_HEADER, "").strip().lower() in ("1", "true", "yes")


class _Decoded:
    """A copy of an encoded body, decoded for reading (gzip, deflate); the bytes passed on are
    the encoded ones."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.strip().lower()
        self.readable = self.encoding in ("", "identity", "gzip", "deflate", "x-gzip")
        self._z = zlib.decompressobj(47) if self.encoding not in ("", "identity") \
            and self.readable else None

    def __call__(self, data: bytes) -> bytes:
        return self._z.decompress(data) if self._z is not None else data


def _abort(request: web.Request) -> None:
    """Cut the client's connection (an upstream that broke mid-answer breaks the client's too)."""
    if request.transport is not None:
        request.transport.abort()


class Relay:
    """The handlers (module docstring).

    Args:
        upstream: Upstream base URL.
        session: The client session to the upstream (``auto_decompress=False``).
        book: Where requests are recorded.
        tenants: Tenant labels.
        model_label: A request's ``model`` → its label.
        estimate: A request that ended → its response-time figure (None: none).
        ended: Called once for every recorded request after it ended.
        timeout_s: Longest upstream silence within an answer, s (None: no limit).
        pace: The engine's recent time per step, s (None: not known), for whole answers.
        count_tokens: The model's tokenizer (prompts, and outputs without usage).
        tenant_header: The header holding the API key.
        clock: Monotonic clock (the power timeline's).
    """

    def __init__(self, upstream: str, session: aiohttp.ClientSession, book: RequestBook,
                 tenants: TenantMap, *, model_label: Callable[[str | None], str],
                 estimate: Callable[[ProxiedRequest, int | None, int], EnergyFigure | None],
                 ended: Callable[[ProxiedRequest], None], timeout_s: float | None = None,
                 pace: Callable[[], float | None] = lambda: None,
                 count_tokens: Counter | None = None, tenant_header: str = "Authorization",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.upstream = upstream.rstrip("/")
        self.session, self.book, self.tenants = session, book, tenants
        self.model_label, self.estimate, self.ended = model_label, estimate, ended
        self.pace = pace
        self.timeout = aiohttp.ClientTimeout(total=None, sock_read=timeout_s)
        self.count_tokens, self.tenant_header, self.clock = count_tokens, tenant_header, clock

    def _url(self, request: web.Request) -> str:
        return self.upstream + request.rel_url.raw_path_qs

    async def completion(self, request: web.Request) -> web.StreamResponse:
        """A recorded completion (module docstring)."""
        body = await request.read()
        info = read_request(body, ROUTES[request.path])
        req = self.book.open(
            self.clock(), api=info.api, model=self.model_label(info.model), route=request.path,
            tenant=self.tenants.tenant(request.headers.get(self.tenant_header)),
            stream=info.stream, requested_model=info.model, started_unix_ns=time.time_ns(),
            trace_headers={h: request.headers[h] for h in TRACE_HEADERS if h in request.headers})
        req.record.requested_output_tokens = info.max_tokens
        try:
            return await self._forward(request, body, info, req)
        finally:
            if req.record.end_s is None:   # an exception of the proxy's own: never unrecorded
                fail(req.record, Status.CANCELLED, "the proxy stopped before the answer ended",
                     self.clock())
            req.ended_unix_ns = time.time_ns()
            self.book.end(req)
            self.ended(req)

    def _ids(self, req: ProxiedRequest) -> dict[str, str]:
        return {ID_HEADER: req.rid, LOOKUP_HEADER: LOOKUP_PATH + req.rid}

    async def _forward(self, request: web.Request, body: bytes, info: RequestInfo,
                       req: ProxiedRequest) -> web.StreamResponse:
        rec = req.record
        url = self._url(request)
        try:
            up = await self.session.request(request.method, url, data=body,
                                            headers=request_headers(request.headers),
                                            timeout=self.timeout)
        except asyncio.CancelledError:
            fail(rec, Status.DISCONNECTED, CLIENT_LEFT, self.clock())
            raise
        except aiohttp.ServerDisconnectedError as err:   # reached, but it closed: break ours too
            fail(rec, Status.DISCONNECTED, f"the upstream broke before answering: {err!r}",
                 self.clock())
            _abort(request)
            return web.Response(status=502, headers=self._ids(req))
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            fail(rec, Status.DISCONNECTED, f"the upstream could not be reached: {err!r}",
                 self.clock())
            return web.json_response(
                {"error": {"message": f"wattprint proxy: the upstream {self.upstream} could not "
                           f"be reached ({err})", "type": "upstream_unreachable", "code": 502}},
                status=502, headers=self._ids(req))
        try:
            rec.http_status = up.status
            headers = response_headers(up.headers)
            headers.update(self._ids(req))
            decoded = _Decoded(up.headers.get("Content-Encoding", ""))
            if up.status < 300 and up.content_type == "text/event-stream":
                return await self._stream(request, up, req, info, headers, decoded)
            return await self._whole(request, up, req, info, headers, decoded)
        except asyncio.CancelledError:
            if rec.end_s is None:
                fail(rec, Status.DISCONNECTED, CLIENT_LEFT, self.clock())
            raise
        finally:
            up.close()

    async def _whole(self, request: web.Request, up: aiohttp.ClientResponse,
                     req: ProxiedRequest, info: RequestInfo, headers: CIMultiDict[str],
                     decoded: _Decoded) -> web.StreamResponse:
        rec = req.record
        try:
            data = await up.read()
        except asyncio.TimeoutError:
            fail(rec, Status.TIMEOUT, "the upstream sent nothing for the --timeout", self.clock())
            _abort(request)
            return web.Response(status=504)
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as err:
            fail(rec, Status.DISCONNECTED, f"the upstream broke mid-answer: {err!r}", self.clock())
            _abort(request)
            return web.Response(status=502)
        end = self.clock()
        if up.status >= 300:
            detail = data[:300].decode("utf-8", errors="replace")
            fail(rec, Status.HTTP_ERROR, f"HTTP {up.status}: {detail}", end)
        elif not decoded.readable:
            fail(rec, Status.PROTOCOL_ERROR, f"the proxy cannot read a body encoded with "
                 f"{decoded.encoding!r} (passed on unread)", end)
        else:
            req.timing = observe_whole(rec, decoded(data), end, prompt=info.prompt,
                                       count_tokens=self.count_tokens, pace_s=self.pace())
            fig = self.estimate(req, rec.input_tokens, rec.output_tokens)
            if fig is not None:
                headers[ESTIMATE_HEADER] = f"{fig.energy_j:.6g}"
                headers[ESTIMATE_INFO_HEADER] = fig.header()
                if _wants_energy(request.headers) and decoded.encoding in ("", "identity"):
                    data = with_energy(data, self._field(req, fig)) or data
        return web.Response(body=data, status=up.status, reason=up.reason, headers=headers)

    def _field(self, req: ProxiedRequest, fig: EnergyFigure) -> dict[str, Any]:
        return {**fig.to_dict(), "request_id": req.rid, "lookup": LOOKUP_PATH + req.rid}

    async def _stream(self, request: web.Request, up: aiohttp.ClientResponse,
                      req: ProxiedRequest, info: RequestInfo, headers: CIMultiDict[str],
                      decoded: _Decoded) -> web.StreamResponse:
        rec = req.record
        req.timing = STREAMED
        resp = web.StreamResponse(status=up.status, reason=up.reason, headers=headers)
        await resp.prepare(request)
        watch = StreamObserver(rec, prompt=info.prompt, count_tokens=self.count_tokens)
        failure = None if decoded.readable else (
            Status.PROTOCOL_ERROR, f"the proxy cannot read a stream encoded with "
            f"{decoded.encoding!r} (passed on unread)")
        energize = _Energize(self, req) if _wants_energy(request.headers) \
            and decoded.encoding in ("", "identity") else None
        try:
            async for data in up.content.iter_any():
                t = self.clock()
                if failure is None:
                    try:
                        failure = watch.feed(decoded(data), t)
                    except StreamFormatError as err:
                        failure = Status.PROTOCOL_ERROR, str(err)
                out = energize(data) if energize is not None else data
                if out:
                    await resp.write(out)
            if energize is not None and (rest := energize.rest()):
                await resp.write(rest)
            if failure is None:
                try:
                    watch.close()
                except StreamFormatError as err:
                    failure = Status.PROTOCOL_ERROR, str(err)
        except asyncio.TimeoutError:
            fail(rec, Status.TIMEOUT, "the upstream sent nothing for the --timeout", self.clock())
            _abort(request)
            return resp
        except ConnectionResetError:     # writing to a client that went away
            fail(rec, Status.DISCONNECTED, CLIENT_LEFT, self.clock())
            return resp
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as err:
            fail(rec, Status.DISCONNECTED, f"the upstream broke mid-stream: {err!r}", self.clock())
            _abort(request)
            return resp
        end = self.clock()
        if failure is not None:
            fail(rec, *failure, end)
        else:
            watch.finish(end)
        try:
            await resp.write_eof()
        except ConnectionResetError:
            pass
        return resp

    async def passthrough(self, request: web.Request) -> web.StreamResponse:
        """Any other path: passed through as it is, not recorded."""
        body = await request.read()
        try:
            up = await self.session.request(request.method, self._url(request), data=body,
                                            headers=request_headers(request.headers),
                                            timeout=self.timeout)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            return web.json_response(
                {"error": {"message": f"wattprint proxy: the upstream {self.upstream} could not "
                           f"be reached ({err})", "type": "upstream_unreachable", "code": 502}},
                status=502)
        try:
            resp = web.StreamResponse(status=up.status, reason=up.reason,
                                      headers=response_headers(up.headers))
            await resp.prepare(request)
            try:
                async for data in up.content.iter_any():
                    await resp.write(data)
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError,
                    asyncio.TimeoutError):
                _abort(request)
                return resp
            except ConnectionResetError:
                return resp
            await resp.write_eof()
            return resp
        finally:
            up.close()


class _Energize:
    """Adds ``usage.energy`` to the stream event carrying ``usage`` (whole lines are passed on
    as they complete; bytes after the last newline wait for the next piece)."""

    def __init__(self, relay: Relay, req: ProxiedRequest) -> None:
        self.relay, self.req = relay, req
        self._buf = b""

    def _energy(self, usage: dict[str, Any]) -> dict[str, Any] | None:
        p, c = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if not isinstance(c, int):
            return None
        fig = self.relay.estimate(self.req, p if isinstance(p, int) else None, c)
        return None if fig is None else self.relay._field(self.req, fig)

    def __call__(self, data: bytes) -> bytes:
        buf = self._buf + data
        cut = buf.rfind(b"\n") + 1
        self._buf = buf[cut:]
        if not cut:
            return b""
        return b"".join(event_with_energy(line, self._energy)
                        for line in buf[:cut].splitlines(keepends=True))

    def rest(self) -> bytes:
        """What is left at the end of the body."""
        rest, self._buf = self._buf, b""
        return event_with_energy(rest, self._energy) if rest else b""
