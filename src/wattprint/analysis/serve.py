"""Serve a built report on localhost only (the standard library's http.server)."""

from __future__ import annotations

import errno
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from wattprint.errors import ConfigError

HOST = "127.0.0.1"
#: Highest TCP port.
MAX_PORT = 65535


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def make_server(directory: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server for ``directory`` bound to 127.0.0.1 (never to other interfaces).

    Args:
        directory: Folder holding ``index.html`` (it may be written after the server binds).
        port: TCP port, 0-65535; 0 picks a free one (read it back from
            ``server.server_address``).

    Returns:
        A server; call ``serve_forever()`` and ``server_close()``.

    Raises:
        ConfigError: the port is out of range, already in use, or not allowed to this user.
    """
    if not 0 <= port <= MAX_PORT:
        raise ConfigError(f"--port: expected 0-{MAX_PORT} (0: any free port), got {port}")
    handler = functools.partial(_QuietHandler, directory=str(Path(directory)))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            reason = "is already in use"
        elif err.errno == errno.EACCES:
            reason = "needs privileges this user lacks (ports below 1024)"
        else:
            reason = f"cannot be opened ({err.strerror or err})"
        raise ConfigError(f"--port {port}: {HOST}:{port} {reason}; choose another port, or "
                          f"--port 0 for any free one") from err
