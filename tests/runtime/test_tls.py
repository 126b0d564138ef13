"""oxdav.tls: the cipher policy on a real TLS listener, hot swap, loading errors, ALPN."""

from __future__ import annotations

import ssl
import warnings

import pytest
import pytest_twisted
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.internet.threads import deferToThread
from twisted.web import http
from twisted.web.resource import Resource

from oxdav.tls import (
    ServerTLSOptions,
    SwappableServerTLS,
    TLSConfigError,
    certificate_not_after,
    listen_tls,
    load_certificate_options,
    server_context,
    server_endpoint,
    tcp_endpoint_description,
)
from oxdav.web.site import OxdavSite

LOOPBACK = "tcp:0:interface=127.0.0.1"
CBC_ONLY = "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA256"
STATIC_RSA_ONLY = "AES256-SHA:AES128-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384"


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello"


@pytest.fixture
def site(reactor):
    return OxdavSite(Hello(), reactor=reactor)


@pytest.fixture
def creator(rsa_cert):
    return SwappableServerTLS(load_certificate_options(rsa_cert.cert, rsa_cert.key))


@pytest.fixture
def tls_port(reactor, listen, site, creator):
    return listen(listen_tls(reactor, LOOPBACK, site, creator))


async def _refusal(tls_handshake, port, **kwargs) -> str:
    with pytest.raises(ssl.SSLError) as raised:
        await deferToThread(tls_handshake, port, **kwargs)
    return str(raised.value)


@pytest_twisted.ensureDeferred
async def test_tls_1_1_client_is_refused_with_protocol_version_alert(tls_port, tls_handshake):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1_1
        reason = await _refusal(
            tls_handshake, tls_port, version=ssl.TLSVersion.TLSv1_1, ciphers="DEFAULT:@SECLEVEL=0"
        )
    assert "PROTOCOL_VERSION" in reason.upper()


@pytest_twisted.ensureDeferred
async def test_client_offering_only_cbc_suites_is_refused(tls_port, tls_handshake):
    reason = await _refusal(
        tls_handshake, tls_port, version=ssl.TLSVersion.TLSv1_2, ciphers=CBC_ONLY
    )
    assert "HANDSHAKE_FAILURE" in reason.upper()


@pytest_twisted.ensureDeferred
async def test_client_offering_only_static_rsa_suites_is_refused(tls_port, tls_handshake):
    reason = await _refusal(
        tls_handshake, tls_port, version=ssl.TLSVersion.TLSv1_2, ciphers=STATIC_RSA_ONLY
    )
    assert "HANDSHAKE_FAILURE" in reason.upper()


@pytest_twisted.ensureDeferred
async def test_openssl_default_ciphers_would_accept_static_rsa(
    reactor, listen, site, rsa_cert, tls_handshake
):
    """Control: the refusals above come from our cipher list, not from the client."""
    key = serialization.load_pem_private_key(rsa_cert.key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(rsa_cert.cert.read_bytes())
    wide = ServerTLSOptions(cert, (), server_context(cert, [], key, ciphers="DEFAULT"))
    port = listen(listen_tls(reactor, LOOPBACK, site, SwappableServerTLS(wide)))
    result = await deferToThread(
        tls_handshake, port, version=ssl.TLSVersion.TLSv1_2, ciphers=STATIC_RSA_ONLY
    )
    assert not result.cipher.startswith("ECDHE")


@pytest.mark.parametrize(
    "cipher", ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
               "ECDHE-RSA-CHACHA20-POLY1305"]
)
@pytest_twisted.ensureDeferred
async def test_tls_1_2_aead_client_is_served(tls_port, tls_handshake, cipher):
    result = await deferToThread(
        tls_handshake, tls_port, version=ssl.TLSVersion.TLSv1_2, ciphers=cipher
    )
    assert (result.version, result.cipher) == ("TLSv1.2", cipher)


@pytest_twisted.ensureDeferred
async def test_tls_1_3_client_is_served(tls_port, tls_handshake):
    result = await deferToThread(tls_handshake, tls_port, version=ssl.TLSVersion.TLSv1_3)
    assert result.version == "TLSv1.3"


@pytest_twisted.ensureDeferred
async def test_alpn_offers_only_http_1_1_by_default(tls_port, tls_handshake):
    result = await deferToThread(tls_handshake, tls_port, alpn=["h2", "http/1.1"])
    assert result.alpn == "http/1.1"


def test_site_does_not_offer_h2_when_http2_is_disabled(site, monkeypatch):
    monkeypatch.setattr(http, "H2_ENABLED", True)  # as if h2 were installed
    assert site.acceptableProtocols() == [b"http/1.1"]


def test_site_offers_h2_first_when_enabled_and_available(reactor, monkeypatch):
    monkeypatch.setattr(http, "H2_ENABLED", True)
    site = OxdavSite(Hello(), reactor=reactor, http2=True)
    assert site.acceptableProtocols() == [b"h2", b"http/1.1"]


@pytest_twisted.ensureDeferred
async def test_swapped_options_serve_new_certificate_to_new_handshakes(
    tls_port, creator, rsa_cert, other_rsa_cert, tls_handshake
):
    before = await deferToThread(tls_handshake, tls_port)
    creator.current = load_certificate_options(other_rsa_cert.cert, other_rsa_cert.key)
    after = await deferToThread(tls_handshake, tls_port)
    assert (before.peer_der, after.peer_der) == (rsa_cert.der, other_rsa_cert.der)


def test_mismatched_certificate_and_key_raise_tls_config_error(rsa_cert, other_rsa_cert):
    with pytest.raises(TLSConfigError, match="does not match") as raised:
        load_certificate_options(rsa_cert.cert, other_rsa_cert.key)
    assert str(rsa_cert.cert) in str(raised.value)
    assert str(other_rsa_cert.key) in str(raised.value)


def test_missing_key_file_raises_tls_config_error_naming_it(rsa_cert, tmp_path):
    missing = tmp_path / "absent.key"
    with pytest.raises(TLSConfigError, match="absent.key"):
        load_certificate_options(rsa_cert.cert, missing)


def test_garbage_certificate_raises_tls_config_error(rsa_cert, tmp_path):
    bad = tmp_path / "bad.crt"
    bad.write_text("not a certificate\n")
    with pytest.raises(TLSConfigError, match="bad.crt"):
        load_certificate_options(bad, rsa_cert.key)


def test_fullchain_file_sends_following_certificates_as_chain(rsa_cert, other_rsa_cert, tmp_path):
    fullchain = tmp_path / "fullchain.pem"
    fullchain.write_bytes(rsa_cert.cert.read_bytes() + other_rsa_cert.cert.read_bytes())
    options = load_certificate_options(fullchain, rsa_cert.key)
    chain = [c.public_bytes(_der()) for c in options.chain]
    assert chain == [other_rsa_cert.der]


def test_chain_paths_are_appended_to_the_chain(rsa_cert, other_rsa_cert):
    options = load_certificate_options(rsa_cert.cert, rsa_cert.key, [other_rsa_cert.cert])
    chain = [c.public_bytes(_der()) for c in options.chain]
    assert chain == [other_rsa_cert.der]


def test_certificate_not_after_is_the_certificates_expiry(rsa_cert):
    from cryptography import x509

    expected = x509.load_pem_x509_certificate(rsa_cert.cert.read_bytes()).not_valid_after_utc
    options = load_certificate_options(rsa_cert.cert, rsa_cert.key)
    assert certificate_not_after(options) == expected.timestamp()


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "tcp:port=443:interface=127.0.0.1"),
     ("::", "tcp6:port=443:interface=\\:\\:")],
)
def test_tcp_endpoint_description_escapes_ipv6_colons(host, expected):
    assert tcp_endpoint_description(host, 443) == expected


def test_missing_systemd_socket_is_a_clear_value_error(reactor, monkeypatch):
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    monkeypatch.delenv("LISTEN_FDNAMES", raising=False)
    with pytest.raises(ValueError, match="no socket named 'https'"):
        server_endpoint(reactor, "systemd:domain=INET6:name=https")


def test_malformed_endpoint_is_a_value_error(reactor):
    with pytest.raises(ValueError, match="nonsense"):
        server_endpoint(reactor, "nonsense:443")


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


class Scheme(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"secure" if request.isSecure() else b"plain"


def _https_get(port: int) -> bytes:
    import socket

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            while chunk := tls.recv(65536):
                received += chunk
    return received


@pytest_twisted.ensureDeferred
async def test_site_behind_tls_serves_requests_that_know_they_are_secure(
    reactor, listen, creator
):
    port = listen(listen_tls(reactor, LOOPBACK, OxdavSite(Scheme(), reactor=reactor), creator))
    response = await deferToThread(_https_get, port)
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b"secure")
