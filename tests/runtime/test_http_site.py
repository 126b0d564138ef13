"""oxdav.web.site: body limit, deadlines, Server header, access log, 405/501 + Allow."""

from __future__ import annotations

import base64

import pytest
import pytest_twisted
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.internet.threads import deferToThread
from twisted.logger import globalLogPublisher
from twisted.web.resource import Resource

from oxdav.web.auth import record_user, take_credentials
from oxdav.web.site import OxdavChannel, OxdavSite

LIMIT = 1000


class Echo(Resource):
    """GET says hello; PUT answers with the size of the body it received."""

    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"Content-Type", b"text/plain")
        return b"hello"

    def render_PUT(self, request):
        return b"got %d" % len(request.content.read())


class SignsIn(Echo):
    """Takes any Basic credentials as authenticated (what oxdav.web.auth records)."""

    def render_GET(self, request):
        credentials = take_credentials(request)
        record_user(request, credentials.login if credentials else None)
        return super().render_GET(request)


class Broken(Resource):
    isLeaf = True

    def render_GET(self, request):
        raise RuntimeError("secret internals")


class RecordingMetrics:
    def __init__(self):
        self.events = []

    def request_started(self):
        self.events.append(("started",))

    def request_finished(self, method, status, seconds):
        self.events.append(("finished", method, status, seconds))

    def request_aborted(self, method, seconds):
        self.events.append(("aborted", method))

    def request_refused(self, method, status):
        self.events.append(("refused", method, status))


@pytest.fixture
def site(reactor):
    return OxdavSite(Echo(), reactor=reactor, max_body_bytes=LIMIT)


@pytest.fixture
def port(reactor, listen, site):
    return listen(reactor.listenTCP(0, site, interface="127.0.0.1"))


@pytest.fixture
def access_events():
    events = []

    def observe(event):
        if event.get("log_namespace") == "oxdav.access":
            events.append(event)

    globalLogPublisher.addObserver(observe)
    yield events
    globalLogPublisher.removeObserver(observe)


def _status_line(response: bytes) -> bytes:
    return response.split(b"\r\n", 1)[0]


def _headers(response: bytes) -> dict[bytes, bytes]:
    head = response.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in head)}


@pytest_twisted.ensureDeferred
async def test_oversized_content_length_gets_413_before_the_body(port, http_exchange):
    request = (b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n"
               b"Expect: 100-continue\r\n\r\n" % (LIMIT + 1))
    response = await deferToThread(http_exchange, port, request)
    assert _status_line(response) == b"HTTP/1.1 413 Content Too Large"
    assert b"100 Continue" not in response


@pytest_twisted.ensureDeferred
async def test_body_within_the_limit_is_accepted(port, http_exchange):
    body = b"x" * LIMIT
    request = (b"PUT /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
    response = await deferToThread(http_exchange, port, request)
    assert _status_line(response) == b"HTTP/1.1 200 OK"
    assert response.endswith(b"got %d" % LIMIT)


@pytest_twisted.ensureDeferred
async def test_chunked_body_passing_the_limit_cuts_the_connection(port, http_exchange):
    chunk = b"%x\r\n%s\r\n" % (100, b"y" * 100)
    pieces = [b"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
              b"Connection: close\r\n\r\n"] + [chunk] * 20 + [b"0\r\n\r\n"]
    response = await deferToThread(http_exchange, port, pieces)
    assert b"200 OK" not in response
    assert b"got " not in response


@pytest_twisted.ensureDeferred
async def test_unknown_method_gets_501_with_allow_instead_of_huh(port, http_exchange):
    response = await deferToThread(
        http_exchange, port, b"FROBNICATE /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _status_line(response) == b"HTTP/1.1 501 Not Implemented"
    assert _headers(response)[b"allow"] == b"GET, HEAD, PUT"
    assert b"Huh" not in response
    assert _headers(response)[b"content-type"].startswith(b"text/plain")


@pytest_twisted.ensureDeferred
async def test_known_method_not_implemented_by_resource_gets_405_with_allow(port, http_exchange):
    response = await deferToThread(
        http_exchange, port, b"PROPPATCH /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _status_line(response) == b"HTTP/1.1 405 Method Not Allowed"
    assert _headers(response)[b"allow"] == b"GET, HEAD, PUT"


@pytest_twisted.ensureDeferred
async def test_head_is_still_answered_from_get(port, http_exchange):
    response = await deferToThread(
        http_exchange, port, b"HEAD /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _status_line(response) == b"HTTP/1.1 200 OK"


@pytest_twisted.ensureDeferred
async def test_server_header_has_no_version(port, http_exchange):
    response = await deferToThread(
        http_exchange, port, b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _headers(response)[b"server"] == b"oxdav"


@pytest_twisted.ensureDeferred
async def test_access_log_has_the_accepted_user_but_no_authorization_value(
        reactor, listen, http_exchange, access_events):
    port = listen(reactor.listenTCP(0, OxdavSite(SignsIn(), reactor=reactor),
                                    interface="127.0.0.1"))
    credentials = base64.b64encode(b"alice@example.com:s3cr3t-pw")
    request = (b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               b"Authorization: Basic " + credentials + b"\r\n\r\n")
    await deferToThread(http_exchange, port, request)
    [event] = access_events
    line = event["access_line"]
    assert '"GET /x HTTP/1.1" 200 5' in line
    assert " - alice@example.com [" in line
    assert "s3cr3t-pw" not in line
    assert credentials.decode() not in line
    assert "s3cr3t" not in repr(event)


@pytest_twisted.ensureDeferred
async def test_access_log_has_no_user_a_resource_did_not_accept(port, http_exchange,
                                                                access_events):
    credentials = base64.b64encode(b"typed-as-name:s3cr3t-pw")
    request = (b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               b"Authorization: Basic " + credentials + b"\r\n\r\n")
    await deferToThread(http_exchange, port, request)
    [event] = access_events
    assert " - - [" in event["access_line"]
    assert "typed-as-name" not in repr(event) and "s3cr3t" not in repr(event)


@pytest_twisted.ensureDeferred
async def test_resource_error_gets_plain_500_without_details(reactor, listen, http_exchange):
    port = listen(reactor.listenTCP(0, OxdavSite(Broken(), reactor=reactor),
                                    interface="127.0.0.1"))
    response = await deferToThread(
        http_exchange, port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _status_line(response) == b"HTTP/1.1 500 Internal Server Error"
    assert b"secret internals" not in response
    assert b"<html" not in response


# In-memory connections driven by a Clock: deadlines without waiting.


def _connect(site):
    protocol = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 80))
    transport = StringTransport(peerAddress=IPv4Address("TCP", "192.0.2.1", 5555))
    protocol.makeConnection(transport)
    return protocol, transport


@pytest.fixture
def clock():
    return Clock()


def _clocked_site(clock, **kwargs):
    options = dict(max_body_bytes=LIMIT, idle_timeout=60, header_timeout=10, body_timeout=20)
    return OxdavSite(Echo(), reactor=clock, **{**options, **kwargs})


def test_oversized_chunked_body_arriving_at_once_is_never_processed(clock):
    protocol, transport = _connect(_clocked_site(clock))
    chunk = b"%x\r\n%s\r\n" % (600, b"y" * 600)
    protocol.dataReceived(b"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + chunk * 2 + b"0\r\n\r\n")
    assert _status_line(transport.value()) == b"HTTP/1.1 413 Content Too Large"
    assert b"got " not in transport.value()
    assert transport.disconnecting


def test_client_sending_headers_too_slowly_gets_408_and_is_cut(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\n")
    for _ in range(3):  # a header line every 4 s keeps the idle timeout at bay
        clock.advance(4)
        protocol.dataReceived(b"X-Slow: 1\r\n")
    assert _status_line(transport.value()) == b"HTTP/1.1 408 Request Timeout"
    assert transport.disconnecting


def test_client_sending_body_too_slowly_gets_408_and_is_cut(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
    for _ in range(6):
        clock.advance(4)
        protocol.dataReceived(b"z")
    assert _status_line(transport.value()) == b"HTTP/1.1 408 Request Timeout"
    assert transport.disconnecting


def test_request_received_in_time_is_not_cut_later(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(30)
    assert _status_line(transport.value()) == b"HTTP/1.1 200 OK"
    assert not transport.disconnecting


def test_idle_keep_alive_connection_is_closed(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(61)
    assert transport.disconnecting


def test_metrics_hooks_see_a_finished_request(clock):
    metrics = RecordingMetrics()
    protocol, _ = _connect(_clocked_site(clock, metrics=metrics))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    assert metrics.events == [("started",), ("finished", b"GET", 200, 0.0)]


def test_metrics_hooks_count_a_refused_request(clock):
    metrics = RecordingMetrics()
    protocol, _ = _connect(_clocked_site(clock, metrics=metrics))
    protocol.dataReceived(b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
    assert metrics.events == [("refused", b"PUT", 413)]


def test_metrics_hooks_see_an_aborted_request(clock):
    class Slow(Resource):
        isLeaf = True

        def render_GET(self, request):
            from twisted.web.server import NOT_DONE_YET

            return NOT_DONE_YET

    metrics = RecordingMetrics()
    site = OxdavSite(Slow(), reactor=clock, metrics=metrics)
    protocol, _ = _connect(site)
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    protocol.connectionLost(Failure(ConnectionDone()))
    assert metrics.events == [("started",), ("aborted", b"GET")]


def test_header_line_over_the_line_limit_gets_431_and_is_cut(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    assert _status_line(transport.value()) == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert transport.disconnecting


def test_request_line_over_the_line_limit_gets_414_and_is_cut(clock):
    protocol, transport = _connect(_clocked_site(clock))
    protocol.dataReceived(b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert _status_line(transport.value()) == b"HTTP/1.1 414 URI Too Long"
    assert transport.disconnecting


def test_header_section_over_the_total_limit_gets_431(clock):
    protocol, transport = _connect(_clocked_site(clock))
    lines = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 1000) for i in range(20))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n" + lines + b"\r\n")
    assert _status_line(transport.value()) == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert transport.disconnecting


def test_header_count_over_the_limit_gets_431_and_at_the_limit_is_served(clock):
    site = _clocked_site(clock)
    limit = OxdavChannel.maxHeaders
    for count, status in ((limit, b"HTTP/1.1 200 OK"),
                          (limit + 1, b"HTTP/1.1 431 Request Header Fields Too Large")):
        protocol, transport = _connect(site)
        lines = b"Host: a\r\n" + b"".join(b"X%d: 1\r\n" % i for i in range(count - 1))
        protocol.dataReceived(b"GET /x HTTP/1.1\r\n" + lines + b"\r\n")
        assert _status_line(transport.value()) == status


def test_refused_header_is_counted_in_the_metrics(clock):
    metrics = RecordingMetrics()
    protocol, _ = _connect(_clocked_site(clock, metrics=metrics))
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    assert metrics.events == [("refused", b"GET", 431)]
