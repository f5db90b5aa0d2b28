"""make_server refuses ports it cannot have with a ConfigError naming the flag (issue 10, item 4)."""

from __future__ import annotations

import socket

import pytest

from wattprint.analysis.serve import make_server
from wattprint.errors import ConfigError


def test_a_busy_port_is_a_config_error_naming_the_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"--port {port}: 127\.0\.0\.1:{port} is already "
                                              rf"in use; choose another port, or --port 0"):
            make_server(tmp_path, port)


@pytest.mark.parametrize("port", [-1, 65536, 99999])
def test_an_out_of_range_port_is_a_config_error(tmp_path, port):
    with pytest.raises(ConfigError, match=r"--port: expected 0-65535"):
        make_server(tmp_path, port)


def test_port_zero_picks_a_free_port(tmp_path):
    server = make_server(tmp_path, 0)
    try:
        assert server.server_address[1] > 0
    finally:
        server.server_close()
