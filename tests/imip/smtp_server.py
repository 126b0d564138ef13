"""A real SMTP server for the tests, on loopback: Twisted's own ESMTP server with
STARTTLS (or TLS from the first byte) on the development certificate and AUTH
against one user, recording every message it accepts. It can be stopped and started
again on the same port, and told to refuse recipients (``refuse``: code, text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import IRealm, Portal
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.protocol import ServerFactory
from twisted.mail import smtp
from twisted.protocols.tls import TLSMemoryBIOFactory
from zope.interface import implementer

from oxdav.devcert import ensure_dev_certificate
from oxdav.tls import SwappableServerTLS, load_certificate_options

LOGIN, PASSWORD = "oxdav", "s3cret smtp"


@dataclass
class Received:
    """One accepted message: envelope, whether it came over TLS, who logged in, data."""

    sender: str
    recipients: list[str]
    tls: bool
    login: str | None
    data: bytes


@implementer(smtp.IMessage)
class _Message:
    def __init__(self, server: SmtpServer, protocol: _Protocol, user: smtp.User) -> None:
        self.server, self.protocol, self.user = server, protocol, user
        self.lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)

    def eomReceived(self) -> Deferred[None]:
        self.server.received.append(Received(
            str(self.user.orig), [str(self.user.dest)],
            ISSLTransport.providedBy(self.protocol.transport), self.protocol.login,
            b"\n".join(self.lines[1:]) + b"\n"))  # line 0: our Received header
        waiting, self.server.waiting = self.server.waiting, []
        for d in waiting:
            d.callback(None)
        return succeed(None)

    def connectionLost(self) -> None:
        pass


@implementer(smtp.IMessageDelivery)
class _Delivery:
    def __init__(self, server: SmtpServer, protocol: _Protocol) -> None:
        self.server, self.protocol = server, protocol

    def receivedHeader(self, helo: Any, origin: Any, recipients: Any) -> bytes:
        return b"Received: from test"

    def validateFrom(self, helo: Any, origin: Any) -> Any:
        return origin

    def validateTo(self, user: smtp.User) -> Any:
        if self.server.refuse is not None:
            code, text = self.server.refuse
            raise smtp.SMTPBadRcpt(user, code, text)
        return lambda: _Message(self.server, self.protocol, user)


class _Protocol(smtp.ESMTP):
    login: str | None = None
    server: SmtpServer

    def _cbAuthenticated(self, loginInfo: Any) -> Any:
        self.login = LOGIN
        return super()._cbAuthenticated(loginInfo)


@implementer(IRealm)
class _Realm:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.protocol: _Protocol | None = None

    def requestAvatar(self, avatar_id: Any, mind: Any, *interfaces: Any) -> Any:
        assert self.protocol is not None
        return smtp.IMessageDelivery, _Delivery(self.server, self.protocol), lambda: None


class _Factory(ServerFactory):
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def buildProtocol(self, addr: Any) -> _Protocol:
        realm = _Realm(self.server)
        checker = InMemoryUsernamePasswordDatabaseDontUse(**{LOGIN: PASSWORD.encode()})
        proto = _Protocol({b"LOGIN": smtp.LOGINCredentials},
                          None if self.server.implicit else self.server.tls)
        realm.protocol = proto
        proto.portal = Portal(realm, [checker])
        proto.factory = self
        proto.host = b"smtp.test"
        return proto


@dataclass
class SmtpServer:
    """The server; ``start`` listens (on the same port as before after a ``stop``)."""

    reactor: Any
    directory: Path
    implicit: bool = False
    received: list[Received] = field(default_factory=list)
    waiting: list[Deferred[None]] = field(default_factory=list)
    refuse: tuple[int, str] | None = None
    port: int = 0
    _listening: Any = None

    def __post_init__(self) -> None:
        self.cert = self.directory / "smtp-cert.pem"
        key = self.directory / "smtp-key.pem"
        ensure_dev_certificate(self.cert, key, ["localhost"])
        self.tls = SwappableServerTLS(load_certificate_options(self.cert, key))

    def start(self) -> None:
        factory: Any = _Factory(self)
        if self.implicit:
            factory = TLSMemoryBIOFactory(self.tls, False, factory)
        self._listening = self.reactor.listenTCP(self.port, factory, interface="127.0.0.1")
        self.port = self._listening.getHost().port

    async def stop(self) -> None:
        if self._listening is not None:
            await self._listening.stopListening()
            self._listening = None

    async def next_message(self, count: int = 1, timeout: float = 20.0) -> Received:
        """Wait until ``count`` messages have arrived in all; the last of them."""
        while len(self.received) < count:
            d: Deferred[None] = Deferred()
            self.waiting.append(d)
            d.addTimeout(timeout, self.reactor)
            await d
        return self.received[count - 1]
