"""oxdav.web.forwarded: proxy headers honoured from trusted peers only."""

from __future__ import annotations

import json

import pytest
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource

from oxdav.web.forwarded import ForwardedHeaders, TrustedProxies
from oxdav.web.site import OxdavSite


class Describe(Resource):
    """Answers with what the request believes about its client, scheme and host."""

    isLeaf = True

    def render_GET(self, request):
        headers = request.requestHeaders
        return json.dumps(
            {
                "client": request.getClientAddress().host,
                "secure": request.isSecure(),
                "host": request.getRequestHostname().decode(),
                "port": request.getHost().port,
                "xff": headers.hasHeader(b"x-forwarded-for"),
                "forwarded": headers.hasHeader(b"forwarded"),
            }
        ).encode()


def _ask(forwarded, peer, headers: dict[str, str]):
    site = OxdavSite(Describe(), reactor=Clock(), forwarded=forwarded, access_log=False)
    protocol = site.buildProtocol(peer)
    transport = StringTransport(peerAddress=peer)
    protocol.makeConnection(transport)
    lines = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "backend:8080", **headers}.items())
    protocol.dataReceived(f"GET / HTTP/1.1\r\n{lines}\r\n".encode())
    return json.loads(transport.value().split(b"\r\n\r\n", 1)[1])


PROXY = IPv4Address("TCP", "10.0.0.5", 40000)
STRANGER = IPv4Address("TCP", "198.51.100.7", 40000)
X_HEADERS = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "dav.example.com",
}


@pytest.fixture
def x_forwarded():
    return ForwardedHeaders(["10.0.0.0/24", "fd00::/8"])


def test_x_forwarded_headers_are_honoured_from_a_trusted_proxy(x_forwarded):
    seen = _ask(x_forwarded, PROXY, X_HEADERS)
    assert (seen["client"], seen["secure"], seen["host"], seen["port"]) == (
        "203.0.113.9", True, "dav.example.com", 443)


def test_x_forwarded_headers_are_ignored_and_removed_from_other_peers(x_forwarded):
    seen = _ask(x_forwarded, STRANGER, X_HEADERS)
    assert (seen["client"], seen["secure"], seen["host"], seen["xff"]) == (
        "198.51.100.7", False, "backend", False)


def test_headers_are_ignored_without_forwarded_configuration():
    seen = _ask(None, PROXY, X_HEADERS)
    assert (seen["client"], seen["secure"]) == ("10.0.0.5", False)


def test_client_is_the_rightmost_untrusted_hop(x_forwarded):
    seen = _ask(x_forwarded, PROXY,
                {"X-Forwarded-For": "192.0.2.66, 203.0.113.9, 10.0.0.7"})
    assert seen["client"] == "203.0.113.9"


def test_forwarded_family_not_configured_is_removed_even_from_trusted_proxy(x_forwarded):
    seen = _ask(x_forwarded, PROXY, {"Forwarded": "for=192.0.2.1;proto=https"})
    assert (seen["client"], seen["secure"], seen["forwarded"]) == ("10.0.0.5", False, False)


def test_rfc7239_forwarded_header_from_trusted_proxy():
    forwarded = ForwardedHeaders(["10.0.0.5"], use="forwarded")
    seen = _ask(forwarded, PROXY, {
        "Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;host="dav.example.com:8443"',
    })
    assert (seen["client"], seen["secure"], seen["host"], seen["port"]) == (
        "2001:db8:cafe::17", True, "dav.example.com", 8443)


def test_rfc7239_chain_uses_the_element_of_the_client():
    forwarded = ForwardedHeaders(["10.0.0.0/8"], use="forwarded")
    seen = _ask(forwarded, PROXY, {
        "Forwarded": "for=192.0.2.60;proto=http, for=198.51.100.17;proto=https, for=10.1.2.3",
    })
    assert (seen["client"], seen["secure"]) == ("198.51.100.17", True)


def test_ipv6_proxy_network_is_trusted(x_forwarded):
    seen = _ask(x_forwarded, IPv6Address("TCP", "fd00::1", 40000), X_HEADERS)
    assert seen["client"] == "203.0.113.9"


def test_ipv4_mapped_peer_matches_ipv4_network():
    assert TrustedProxies(["10.0.0.0/24"]).contains("::ffff:10.0.0.9")


def test_invalid_proxy_entry_is_a_value_error():
    with pytest.raises(ValueError):
        TrustedProxies(["not-an-address"])


def test_unknown_header_family_is_a_value_error():
    with pytest.raises(ValueError, match="x-forwarded or forwarded"):
        ForwardedHeaders(["10.0.0.1"], use="x-real-ip")


def test_trusted_proxy_verdicts_stay_right_when_remembered_and_when_the_memo_is_full():
    proxies = TrustedProxies(["10.0.0.0/8", "::1"])
    for _ in range(2):
        assert proxies.contains("10.1.2.3") and proxies.contains("::1")
        assert not proxies.contains("192.0.2.1") and not proxies.contains(None)
    for n in range(TrustedProxies.MEMO_SIZE + 10):
        proxies.contains(f"192.0.2.{n % 250}%{n}")
    assert proxies.contains("10.1.2.3") and not proxies.contains("192.0.2.1")
