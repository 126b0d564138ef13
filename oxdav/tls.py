"""Server TLS: Mozilla "intermediate" policy, PEM loading, hot-swappable certificates.

Built in code rather than with ``ssl:`` endpoint strings, which have no cipher
control and read the files only once (OPS.md B4). The policy follows Mozilla's
server-side TLS guidelines v6.0 "intermediate": TLS 1.2 and 1.3 only, and on
TLS 1.2 only ECDHE key exchange with AEAD ciphers (no CBC, no static RSA, no DHE).
TLS 1.3 suites are OpenSSL's defaults, which are exactly Mozilla's list.

Documented deviations: ``OP_CIPHER_SERVER_PREFERENCE`` is set where Mozilla says
"false" (harmless: every allowed suite is AEAD with forward secrecy); there is no OCSP
stapling and no group-list knob (OpenSSL's defaults apply).

The OpenSSL context is built here from ``cryptography`` objects (pyOpenSSL's own key
and certificate types are deprecated, and Twisted's ``CertificateOptions`` takes only
those), with the settings ``CertificateOptions`` would apply. A
:class:`SwappableServerTLS` connection creator serves every handshake from its
``current`` options, so a SIGHUP reload can assign new options: new handshakes get
the new certificate, established connections keep theirs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from OpenSSL import SSL
from twisted.application.internet import StreamServerEndpointService
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import (
    IListeningPort,
    IOpenSSLServerConnectionCreator,
    IProtocolFactory,
    IProtocolNegotiationFactory,
    IStreamServerEndpoint,
)
from twisted.protocols.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol
from zope.interface import implementer

__all__ = [
    "MOZILLA_INTERMEDIATE_CIPHERS",
    "ServerTLSOptions",
    "SwappableServerTLS",
    "TLSConfigError",
    "certificate_not_after",
    "listen_tls",
    "load_certificate_options",
    "server_endpoint",
    "tcp_endpoint_description",
    "tls_endpoint_service",
    "tls_server_factory",
]

#: Mozilla server-side TLS guidelines v6.0, "intermediate", TLS 1.2 cipher list
#: (ssl-config-generator ``src/static/guidelines/6.0.json``). 6.0 dropped the DHE
#: suites that 5.7 still had. TLS 1.3 suites are not set by this string.
MOZILLA_INTERMEDIATE_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)


class TLSConfigError(Exception):
    """The certificate, chain or key files cannot be used; the message names them."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise TLSConfigError(f"cannot read TLS {what} {str(path)!r}: {e.strerror or e}") from e


def _load_certificates(path: Path, what: str) -> list[x509.Certificate]:
    data = _read(path, what)
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise TLSConfigError(f"TLS {what} {str(path)!r} holds no valid PEM certificate") from e
    return certificates


def _load_private_key(path: Path) -> PrivateKeyTypes:
    data = _read(path, "key")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        # TypeError: the key is encrypted; oxdav cannot ask for a passphrase.
        raise TLSConfigError(
            f"TLS key {str(path)!r} is not an unencrypted PEM private key: {e}"
        ) from e


@dataclass(frozen=True)
class ServerTLSOptions:
    """A server certificate with its chain, and the OpenSSL context serving them.

    Attributes:
        certificate: the server's certificate.
        chain: the certificates sent after it, in order.
        context: the context every handshake uses (built once, never changed).
    """

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    context: SSL.Context


def _select_alpn(connection: SSL.Connection, offered: list[bytes]) -> bytes:
    """The first protocol of the site's that the client offered (RFC 7301 §3.2); the
    site is the factory the TLS protocol wraps (``acceptableProtocols``)."""
    factory = connection.get_app_data().factory.wrappedFactory
    negotiation = IProtocolNegotiationFactory(factory, None)
    ours = list(negotiation.acceptableProtocols()) if negotiation is not None else []
    return next((protocol for protocol in ours if protocol in offered), b"")


def server_context(certificate: x509.Certificate, chain: Sequence[x509.Certificate],
                   key: PrivateKeyTypes, ciphers: str = MOZILLA_INTERMEDIATE_CIPHERS
                   ) -> SSL.Context:
    """An OpenSSL server context: TLS >= 1.2, ``ciphers`` for TLS 1.2, no compression,
    no tickets or session cache, ALPN from the site.

    Raises:
        SSL.Error: the key does not belong to the certificate.
    """
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE
                        | SSL.OP_SINGLE_DH_USE | SSL.OP_SINGLE_ECDH_USE | SSL.OP_NO_TICKET)
    context.set_mode(SSL.MODE_RELEASE_BUFFERS)
    context.use_certificate(certificate)
    context.use_privatekey(key)  # type: ignore[arg-type]
    for extra in chain:
        context.add_extra_chain_cert(extra)
    context.check_privatekey()
    context.set_verify(SSL.VERIFY_NONE)
    context.set_session_id(os.urandom(7).hex().encode("ascii"))
    context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    context.set_alpn_select_callback(_select_alpn)
    context.set_cipher_list(ciphers.encode("ascii"))
    return context


def load_certificate_options(
    cert_path: str | Path,
    key_path: str | Path,
    chain_paths: Sequence[str | Path] = (),
) -> ServerTLSOptions:
    """Build server TLS options from PEM files, validated before they are used.

    Args:
        cert_path: PEM file whose first certificate is the server's; any further
            certificates in it (a "fullchain" file) are sent as the chain.
        key_path: PEM file with the unencrypted private key.
        chain_paths: extra PEM files of intermediate certificates, appended to the
            chain in order.

    Returns:
        Options with TLS >= 1.2 and :data:`MOZILLA_INTERMEDIATE_CIPHERS`.

    Raises:
        TLSConfigError: a file is unreadable or malformed, or the key does not
            belong to the certificate.
    """
    cert_path, key_path = Path(cert_path), Path(key_path)
    certificates = _load_certificates(cert_path, "certificate")
    for chain_path in chain_paths:
        certificates += _load_certificates(Path(chain_path), "chain")
    leaf, *chain = certificates
    try:
        context = server_context(leaf, chain, _load_private_key(key_path))
    except SSL.Error as e:
        raise TLSConfigError(
            f"TLS key {str(key_path)!r} does not match certificate {str(cert_path)!r}: {e}"
        ) from e
    return ServerTLSOptions(leaf, tuple(chain), context)


def certificate_not_after(options: ServerTLSOptions) -> float:
    """The expiry (notAfter) of the options' server certificate, in Unix seconds."""
    return options.certificate.not_valid_after_utc.timestamp()


@implementer(IOpenSSLServerConnectionCreator)
class SwappableServerTLS:
    """A TLS connection creator whose options can be replaced at runtime.

    Assign :attr:`current` (in the reactor thread) to change the certificate:
    each handshake reads it once, so established connections keep the context they
    started with. ALPN is negotiated from the wrapped site's ``acceptableProtocols``
    (the context's selection callback).

    Attributes:
        current: the options used for new handshakes.
    """

    def __init__(self, options: ServerTLSOptions) -> None:
        self.current = options

    def serverConnectionForTLS(self, tlsProtocol: TLSMemoryBIOProtocol) -> SSL.Connection:
        """Create the OpenSSL connection for one incoming handshake."""
        return SSL.Connection(self.current.context, None)


def tls_server_factory(
    site: IProtocolFactory, creator: IOpenSSLServerConnectionCreator
) -> TLSMemoryBIOFactory:
    """Wrap a site (any protocol factory) so it speaks TLS on a plain stream endpoint."""
    return TLSMemoryBIOFactory(creator, False, site)


def tcp_endpoint_description(host: str, port: int) -> str:
    """A server endpoint string for TCP on ``host`` (IPv4 or IPv6 literal) and ``port``."""
    kind = "tcp6" if ":" in host else "tcp"
    escaped = host.replace(":", "\\:")
    return f"{kind}:port={port}:interface={escaped}"


def server_endpoint(reactor: object, description: str) -> IStreamServerEndpoint:
    """Parse a server endpoint string, with an error that names it.

    Raises:
        ValueError: the string is malformed, or names a systemd socket that was
            not passed in (is ``oxdav.socket`` active, with that FileDescriptorName?).
    """
    try:
        return serverFromString(reactor, description)
    except KeyError as e:
        raise ValueError(
            f"listen endpoint {description!r}: no socket named {e.args[0]!r} was passed "
            "by systemd (socket activation not configured?)"
        ) from e
    except (ValueError, TypeError) as e:
        raise ValueError(f"listen endpoint {description!r} is invalid: {e}") from e


def tls_endpoint_service(
    reactor: object,
    description: str,
    site: IProtocolFactory,
    creator: IOpenSSLServerConnectionCreator,
) -> StreamServerEndpointService:
    """A service that listens with TLS on an endpoint once started.

    Args:
        reactor: the reactor.
        description: a server endpoint string, e.g. ``tcp6:port=443:interface=\\:\\:``
            or ``systemd:domain=INET6:name=https`` for a socket-activated listener
            (the domain must match the socket's family; OPS.md B2).
        site: the HTTP site.
        creator: the TLS connection creator, normally a :class:`SwappableServerTLS`.

    Returns:
        The service; it listens in ``privilegedStartService`` (before twistd drops
        privileges) and reports a listen failure by raising from ``startService``.

    Raises:
        ValueError: from :func:`server_endpoint`.
    """
    endpoint = server_endpoint(reactor, description)
    service = StreamServerEndpointService(endpoint, tls_server_factory(site, creator))
    # As twisted.application.strports.service does: a listen failure fails
    # twistd's start-up instead of only being logged.
    service._raiseSynchronously = True
    return service


def listen_tls(
    reactor: object,
    description: str,
    site: IProtocolFactory,
    creator: IOpenSSLServerConnectionCreator,
) -> Deferred[IListeningPort]:
    """Listen with TLS on a server endpoint string now; fires with the port."""
    endpoint = server_endpoint(reactor, description)
    return endpoint.listen(tls_server_factory(site, creator))
