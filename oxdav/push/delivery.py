"""One push message to one subscription: encrypted, signed, posted.

The payload is encrypted for the subscription (RFC 8291, ``aes128gcm`` of RFC 8188,
by ``http_ece``, with a fresh ephemeral key per message), the request signed with the
server's VAPID key (RFC 8292), and posted (RFC 8030 §5) with Twisted's HTTP client to
the address the endpoint check resolved (TLS still verifies the endpoint's host
name), with a timeout. The answer decides what becomes of the subscription: 404 and
410 mean the push service has forgotten it (RFC 8030 §7.3).
"""

from __future__ import annotations

import enum
import os
from io import BytesIO
from typing import Any

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from twisted.internet import endpoints
from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import optionsForClientTLS
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import Agent, FileBodyProducer, HTTPConnectionPool
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer

from oxdav.dav.push import b64url_bytes

from .endpoints import Target
from .vapid import VapidKey

log = Logger()

#: The most bytes of a push service's answer read (it is only logged).
_MAX_ANSWER = 4096


class Outcome(enum.Enum):
    """What became of a message."""

    DELIVERED = "delivered"
    #: The push service does not know the subscription any more: drop it.
    GONE = "gone"
    FAILED = "failed"


def encrypt(payload: bytes, public_key: str, auth_secret: str) -> bytes:
    """``payload`` encrypted for the subscription (RFC 8291 §4: aes128gcm, one record,
    the sender's ephemeral public key as key id). Raises: ValueError (a bad key)."""
    receiver = b64url_bytes(public_key)
    secret = b64url_bytes(auth_secret)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(payload, salt=os.urandom(16), private_key=ephemeral,
                                   dh=receiver, auth_secret=secret, version="aes128gcm")
    return body


class _Head(Protocol):
    """Keeps the first bytes of a body and stops the rest from being sent."""

    def __init__(self, done: Deferred[bytes]) -> None:
        self._done = done
        self._data = bytearray()

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        room = _MAX_ANSWER - len(self._data)
        self._data += data[:room]
        if len(self._data) >= _MAX_ANSWER and self.transport is not None:
            self.transport.stopProducing()

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]  # noqa: N802
        if not self._done.called:
            self._done.callback(bytes(self._data))


async def _head_of_body(response: Any, reactor: Any, timeout: float) -> bytes:
    """At most :data:`_MAX_ANSWER` bytes of the answer's body."""
    done: Deferred[bytes] = Deferred()
    response.deliverBody(_Head(done))
    done.addTimeout(timeout, reactor)
    return await done


@implementer(IAgentEndpointFactory)
class _Pinned:
    """Connects to the checked address whatever the URL's host resolves to now."""

    def __init__(self, reactor: Any, target: Target, timeout: float) -> None:
        self._reactor = reactor
        self._target = target
        self._timeout = timeout

    def endpointForURI(self, uri: Any) -> Any:  # noqa: N802 - Twisted's name
        target = self._target
        tcp = endpoints.TCP6ClientEndpoint if ":" in target.address else \
            endpoints.TCP4ClientEndpoint
        plain = tcp(self._reactor, target.address, target.port, timeout=self._timeout)
        if target.scheme != "https":
            return plain
        return endpoints.wrapClientTLS(optionsForClientTLS(target.host), plain)


class Deliverer:
    """Posts messages; one connection per message (push services are many, and a
    message is rare and small).

    Args:
        reactor: the reactor.
        timeout: seconds a message may take, connecting included.
        ttl: seconds the push service may keep an undelivered message (RFC 8030 §5.2).
    """

    def __init__(self, reactor: Any, *, timeout: float, ttl: int) -> None:
        self._reactor = reactor
        #: The server's VAPID key, set once it is read (``ServerPush.load_key``).
        self.key: VapidKey | None = None
        self.timeout = timeout
        self.ttl = ttl
        self._pool = HTTPConnectionPool(reactor, persistent=False)

    async def send(self, target: Target, body: bytes, topic: str) -> Outcome:
        """Post an encrypted ``body``; never raises (failures are logged)."""
        if self.key is None:
            return Outcome.FAILED
        agent = Agent.usingEndpointFactory(self._reactor,
                                           _Pinned(self._reactor, target, self.timeout),
                                           pool=self._pool)
        headers = Headers({
            "Authorization": [self.key.authorization(target.origin)],
            "Content-Encoding": ["aes128gcm"],
            "Content-Type": ["application/octet-stream"],
            "TTL": [str(self.ttl)],
            "Urgency": ["normal"],
            # RFC 8030 §5.4: a newer message on the topic replaces an undelivered one.
            "Topic": [topic],
        })


        request: Deferred[Any] = agent.request(b"POST", target.url.encode("ascii"), headers,
                                               FileBodyProducer(BytesIO(body)))
        request.addTimeout(self.timeout, self._reactor)
        try:
            response = await request
            text = await _head_of_body(response, self._reactor, self.timeout)
        except Exception as e:
            log.info("push to {origin} failed: {error}", origin=target.origin, error=repr(e))
            return Outcome.FAILED
        code = response.code
        if 200 <= code < 300:
            return Outcome.DELIVERED
        if code in (404, 410):
            return Outcome.GONE
        log.info("push to {origin} answered {code}: {text}", origin=target.origin,
                 code=code, text=text[:_MAX_ANSWER].decode("utf-8", "replace"))
        return Outcome.FAILED
