"""Sending one message by SMTP with Twisted's client (``twisted.mail.smtp``): STARTTLS
required, TLS from the first byte, or plain for a local MTA; AUTH when a login is
set. The server's certificate is checked against the configured or the system's
authorities and its host name (``optionsForClientTLS``)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from twisted.internet import ssl
from twisted.internet.defer import Deferred
from twisted.mail.smtp import ESMTPSenderFactory
from twisted.protocols.tls import TLSMemoryBIOFactory


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mail is sent (``oxdav.imip.*``).

    Attributes:
        host, port: the SMTP server.
        security: ``starttls`` (required), ``tls`` (implicit, RFC 8314) or ``none``.
        login: the AUTH user ('' for none); ``password`` its password.
        ca_file: PEM authorities the server's certificate must chain to (None: the
            system's).
        timeout: seconds the conversation may stay silent.
    """

    host: str
    port: int
    security: str
    login: str = ""
    password: str = ""
    ca_file: Path | None = None
    timeout: float = 60.0


def client_tls(settings: SmtpSettings) -> Any:
    """The TLS client options for the server (certificate and host name checked)."""
    trust: Any = None
    if settings.ca_file is not None:
        pem = settings.ca_file.read_bytes()
        certificates = [ssl.Certificate.loadPEM(b"-----BEGIN CERTIFICATE-----" + block)
                        for block in pem.split(b"-----BEGIN CERTIFICATE-----")[1:]]
        trust = ssl.trustRootFromCertificates(certificates)
    return ssl.optionsForClientTLS(settings.host, trustRoot=trust)


def send_message(reactor: Any, settings: SmtpSettings, sender: str, recipient: str,
                 message: bytes) -> Deferred[Any]:
    """Send ``message`` from ``sender`` (the envelope's MAIL FROM) to ``recipient``.

    Fires once the server accepted it; fails with the server's or the connection's
    error (``twisted.mail.smtp.SMTPClientError`` and its kinds carry the SMTP code).
    """
    result: Deferred[Any] = Deferred()
    tls = client_tls(settings) if settings.security != "none" else None
    factory = ESMTPSenderFactory(
        settings.login.encode() if settings.login else None,
        settings.password.encode() if settings.login else None,
        sender, [recipient], BytesIO(message), result, retries=0,
        timeout=settings.timeout, contextFactory=tls if settings.security == "starttls"
        else None, requireAuthentication=bool(settings.login),
        requireTransportSecurity=settings.security != "none")
    wrapped: Any = factory
    if settings.security == "tls":
        wrapped = TLSMemoryBIOFactory(tls, True, factory)
    reactor.connectTCP(settings.host, settings.port, wrapped, timeout=settings.timeout)
    return result
