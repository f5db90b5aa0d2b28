"""Serve a built report on localhost only (the standard library's http.server)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def make_server(directory: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server for ``directory`` bound to 127.0.0.1 (never to other interfaces).

    Args:
        directory: Folder holding ``index.html``.
        port: TCP port; 0 picks a free one (read it back from ``server.server_address``).

    Returns:
        A server; call ``serve_forever()`` and ``server_close()``.
    """
    handler = functools.partial(_QuietHandler, directory=str(Path(directory)))
    return ThreadingHTTPServer((HOST, port), handler)
