"""Request heads over the limits get a prompt 414/431 and a closed connection, on the
TLS listener as on the plain one (RFC 9110 §15.5.15, RFC 6585 §5)."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
import pytest_twisted
from twisted.internet.threads import deferToThread

from tests.integration.harness import start_server

#: Much less than the header deadline (30 s) a hanging connection would reach.
PROMPT = 5.0

HEADS = {
    "header line": b"GET /dav/ HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                   + b"a" * 100_000 + b"\r\n\r\n",
    "header count": b"GET /dav/ HTTP/1.1\r\nHost: localhost\r\n"
                    + b"".join(b"X-H%d: 1\r\n" % i for i in range(600)) + b"\r\n",
    "request line": b"GET /dav/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
}
EXPECTED = {
    "header line": b"HTTP/1.1 431 ",
    "header count": b"HTTP/1.1 431 ",
    "request line": b"HTTP/1.1 414 ",
}


def exchange(port: int, head: bytes, *, tls: bool) -> tuple[bytes, bool, float]:
    """Send ``head``; return what came back, whether the server closed, and how long
    it took. Blocking: run it in a thread."""
    started = time.monotonic()
    raw = socket.create_connection(("127.0.0.1", port), timeout=PROMPT)
    sock: socket.socket = raw
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(raw, server_hostname="localhost")
    received, closed = b"", False
    with sock:
        try:
            sock.sendall(head)
            while chunk := sock.recv(65536):
                received += chunk
            closed = True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
            closed = True
        except TimeoutError:
            pass
    return received, closed, time.monotonic() - started


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path, "oxdav.listen.http = 127.0.0.1:0\n")
    yield server
    await server.stop()


@pytest.mark.parametrize("listener", ["https", "http"])
@pytest.mark.parametrize("what", sorted(HEADS))
@pytest_twisted.ensureDeferred
async def test_oversized_request_head_is_answered_promptly_and_closed(
        server, listener: str, what: str) -> None:
    port = server.service.port(listener)
    received, closed, seconds = await deferToThread(
        exchange, port, HEADS[what], tls=listener == "https")
    assert received.startswith(EXPECTED[what]), received[:200]
    assert closed
    assert seconds < PROMPT
