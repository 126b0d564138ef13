"""oxdav.web.metrics and oxdav.web.health: /metrics, /healthz, /readyz."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.internet.threads import deferToThread
from twisted.web.resource import Resource

from oxdav import __version__
from oxdav.web.health import ReadinessResource, build_ops_site, ops_endpoint
from oxdav.web.metrics import OxdavMetrics
from oxdav.web.site import OxdavSite


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello"


def _get(site, path: bytes, method: bytes = b"GET") -> bytes:
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    protocol = site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    protocol.makeConnection(transport)
    protocol.dataReceived(method + b" " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return transport.value()


def _body(response: bytes) -> str:
    return response.split(b"\r\n\r\n", 1)[1].decode()


@pytest.fixture
def metrics():
    return OxdavMetrics()


@pytest_twisted.ensureDeferred
async def test_metrics_expose_request_counters_after_a_request(
    reactor, listen, metrics, http_exchange
):
    app = OxdavSite(Hello(), reactor=reactor, metrics=metrics.http)
    _get(app, b"/x")
    port = listen(ops_endpoint(reactor, 0).listen(build_ops_site(reactor, metrics)))
    response = await deferToThread(
        http_exchange, port, b"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    text = _body(response)
    assert 'oxdav_http_requests_total{method="GET",status="200"} 1.0' in text
    assert 'oxdav_http_request_duration_seconds_count{method="GET"} 1.0' in text
    assert "oxdav_http_requests_in_flight 0.0" in text
    assert f'oxdav_build_info{{version="{__version__}"}} 1.0' in text


def test_unknown_methods_are_folded_into_other(metrics):
    app = OxdavSite(Hello(), reactor=Clock(), metrics=metrics.http)
    _get(app, b"/x", method=b"XYZZY")
    text = _body(_get(build_ops_site(Clock(), metrics), b"/metrics"))
    assert 'oxdav_http_requests_total{method="other",status="501"} 1.0' in text


def test_metrics_record_reload_and_certificate_expiry(metrics):
    metrics.record_reload(True, 1700000000.0)
    metrics.record_reload(False, 1700000100.0)
    metrics.record_certificate(1800000000.0)
    text = _body(_get(build_ops_site(Clock(), metrics), b"/metrics"))
    assert "oxdav_config_last_reload_successful 0.0" in text
    assert "oxdav_config_last_reload_success_timestamp_seconds 1.7e+09" in text
    assert "oxdav_tls_certificate_not_after_timestamp_seconds 1.8e+09" in text


def test_metrics_include_process_collectors(metrics):
    text = _body(_get(build_ops_site(Clock(), metrics), b"/metrics"))
    assert "process_cpu_seconds_total" in text or "python_info" in text


def test_ops_requests_are_not_counted_in_http_metrics(metrics):
    site = build_ops_site(Clock(), metrics)
    _get(site, b"/healthz")
    text = _body(_get(site, b"/metrics"))
    assert "oxdav_http_requests_total{" not in text


def test_healthz_answers_ok(metrics):
    response = _get(build_ops_site(Clock(), metrics), b"/healthz")
    assert response.startswith(b"HTTP/1.1 200 ")
    assert _body(response) == "ok\n"


def test_readyz_answers_200_when_all_checks_pass(metrics):
    clock = Clock()
    site = build_ops_site(clock, metrics, ReadinessResource(clock, {"config": lambda: True}))
    response = _get(site, b"/readyz")
    assert response.startswith(b"HTTP/1.1 200 ")


def test_readyz_answers_503_with_the_failing_reasons(metrics):
    checks = {
        "config": lambda: True,
        "store": lambda: fail(RuntimeError("database is locked")),
        "tls": lambda: False,
    }
    clock = Clock()
    response = _get(build_ops_site(clock, metrics, ReadinessResource(clock, checks)), b"/readyz")
    assert response.startswith(b"HTTP/1.1 503 ")
    assert _body(response) == "not ready\nstore: database is locked\ntls: not ready\n"


def test_readyz_check_that_never_answers_times_out(metrics):
    clock = Clock()
    readiness = ReadinessResource(clock, {"store": Deferred}, timeout=2)
    site = build_ops_site(clock, metrics, readiness)
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    protocol = site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    protocol.makeConnection(transport)
    protocol.dataReceived(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert transport.value() == b""
    clock.advance(2)
    assert transport.value().startswith(b"HTTP/1.1 503 ")
    assert "store: timed out after 2 s" in _body(transport.value())


def test_readyz_checks_can_be_added_later(metrics):
    clock = Clock()
    readiness = ReadinessResource(clock)
    site = build_ops_site(clock, metrics, readiness)
    readiness.add_check("late", lambda: False)
    assert _get(site, b"/readyz").startswith(b"HTTP/1.1 503 ")


def test_ops_site_has_nothing_else(metrics):
    assert _get(build_ops_site(Clock(), metrics), b"/dav/").startswith(b"HTTP/1.1 404 ")


def test_ops_endpoint_refuses_public_interface(reactor):
    with pytest.raises(ValueError, match="loopback"):
        ops_endpoint(reactor, 9100, "0.0.0.0")


def test_ops_endpoint_allows_public_interface_when_asked(reactor):
    ops_endpoint(reactor, 9100, "0.0.0.0", allow_public=True)
