"""Fixtures for the runtime building blocks: certificates, listeners, raw clients."""

from __future__ import annotations

import datetime
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure


@pytest.fixture
def reactor() -> Any:
    """The session reactor pytest-twisted runs."""
    from twisted.internet import reactor

    return reactor


@dataclass
class CertFiles:
    cert: Path
    key: Path
    der: bytes


def write_rsa_certificate(directory: Path, name: str, common_name: str = "localhost") -> CertFiles:
    """A self-signed RSA-2048 certificate, so static-RSA suites would be possible."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = CertFiles(directory / f"{name}.crt", directory / f"{name}.key",
                      certificate.public_bytes(serialization.Encoding.DER))
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def rsa_cert(tmp_path: Path) -> CertFiles:
    return write_rsa_certificate(tmp_path, "server")


@pytest.fixture
def other_rsa_cert(tmp_path: Path) -> CertFiles:
    return write_rsa_certificate(tmp_path, "other")


@pytest.fixture
def listen(reactor: Any) -> Iterator[Callable[[Any], int]]:
    """``listen(deferred_port) -> port number``; every port is closed after the test."""
    ports: list[Any] = []

    def _listen(port_or_deferred: Any) -> int:
        port = port_or_deferred
        if isinstance(port_or_deferred, Deferred):
            # TCP endpoints listen synchronously: the Deferred has already fired.
            results: list[Any] = []
            port_or_deferred.addBoth(results.append)
            assert results, "listen() did not complete synchronously"
            if isinstance(results[0], Failure):
                results[0].raiseException()
            port = results[0]
        ports.append(port)
        return port.getHost().port

    yield _listen
    for port in ports:
        pytest_twisted.blockon(port.stopListening())


@dataclass
class HandshakeResult:
    version: str
    cipher: str
    alpn: str | None
    peer_der: bytes


def _tls_handshake(
    port: int,
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
    alpn: list[str] | None = None,
) -> HandshakeResult:
    """Blocking TLS client (run it with deferToThread); raises ssl.SSLError on refusal."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            cipher = tls.cipher()
            return HandshakeResult(
                tls.version() or "", cipher[0] if cipher else "",
                tls.selected_alpn_protocol(), tls.getpeercert(binary_form=True) or b"",
            )


def _http_exchange(port: int, data: bytes | list[bytes], read_timeout: float = 10.0) -> bytes:
    """Blocking plain-HTTP client: send ``data`` (pieces in order), read until EOF.

    A connection reset by the server ends the read like EOF; what was read so far
    is returned.
    """
    pieces = [data] if isinstance(data, bytes) else data
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    return received


@pytest.fixture
def tls_handshake() -> Callable[..., HandshakeResult]:
    """The blocking TLS client function (call it through deferToThread)."""
    return _tls_handshake


@pytest.fixture
def http_exchange() -> Callable[..., bytes]:
    """The blocking raw HTTP client function (call it through deferToThread)."""
    return _http_exchange
