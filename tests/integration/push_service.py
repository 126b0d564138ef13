"""A Web Push service for tests (RFC 8030 §5, seen from the application server) and the
client half of a subscription: a real HTTP server on loopback that keeps what the
server posts, and the subscription's private key to decrypt it (RFC 8291) and check
its VAPID signature (RFC 8292).

    service = PushService.start()
    sub = service.subscription("alice-phone")      # endpoint + keys for push-register
    ... a change ...
    message = service.wait_for(sub)                 # decrypted, signature checked
    service.stop()
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

PUSH = "{https://bitfire.at/webdav-push}"
D = "{DAV:}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    """One POST the service received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Message:
    """A decrypted push message whose VAPID signature was checked."""

    topic: str
    sync_token: str | None
    vapid_key: str
    claims: dict[str, object]
    headers: dict[str, str]


@dataclass
class Subscription:
    """The client half: the endpoint and the keys (private one included)."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def public_key(self) -> str:
        return b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def register_body(self, *, trigger: str | None = "content", expires: str | None = None,
                      key_element: str = "subscription-public-key") -> str:
        """A push-register body as DAVx5 sends it."""
        triggers = {
            None: "",
            "content": "<trigger><content-update><D:sync-level>1</D:sync-level>"
                       "</content-update></trigger>",
            "property": "<trigger><property-update><D:depth>0</D:depth>"
                        "</property-update></trigger>",
        }[trigger]
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<push-register xmlns="https://bitfire.at/webdav-push" xmlns:D="DAV:">'
            "<subscription><web-push-subscription>"
            f"<push-resource>{self.endpoint}</push-resource>"
            "<content-encoding>aes128gcm</content-encoding>"
            f'<{key_element} type="p256dh">{self.public_key}</{key_element}>'
            f"<auth-secret>{b64(self.auth_secret)}</auth-secret>"
            "</web-push-subscription></subscription>"
            f"{triggers}"
            + (f"<expires>{expires}</expires>" if expires else "")
            + "</push-register>")


def verify_vapid(authorization: str, audience: str) -> tuple[str, dict[str, object]]:
    """Check ``vapid t=<JWT>,k=<key>`` (RFC 8292 §3): an ES256 JWT signed by ``k`` for
    ``audience``, not expired; returns the key and the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = fields["t"], fields["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64(header_b64))
    assert header["alg"] == "ES256", header
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    raw = unb64(signature_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                     int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64(claims_b64))
    assert claims["aud"] == audience, claims
    assert int(claims["exp"]) > time.time(), claims
    assert str(claims["sub"]).startswith(("mailto:", "https:")), claims
    return key, claims


@dataclass
class PushService:
    """The server; answers 201, or what :meth:`answer_with` set for a path."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls) -> PushService:
        holder: list[PushService] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                service = holder[0]
                with service.lock:
                    service.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = service.answers.get(self.path, 201)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        service = cls(server, thread)
        holder.append(service)
        thread.start()
        return service

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def subscription(self, name: str) -> Subscription:
        return Subscription(name, f"{self.origin}/push/{name}-{secrets.token_hex(4)}",
                            ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def answer_with(self, subscription: Subscription, status: int) -> None:
        with self.lock:
            self.answers[self._path(subscription)] = status

    def _path(self, subscription: Subscription) -> str:
        return subscription.endpoint[len(self.origin):]

    def posts(self, subscription: Subscription) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == self._path(subscription)]

    def decrypt(self, subscription: Subscription, received: Received) -> Message:
        """The message, decrypted with the subscription's key; signature checked."""
        assert received.headers["content-encoding"] == "aes128gcm"
        assert int(received.headers["ttl"]) > 0
        key, claims = verify_vapid(received.headers["authorization"], self.origin)
        plain = http_ece.decrypt(received.body, private_key=subscription.private_key,
                                 auth_secret=subscription.auth_secret, version="aes128gcm")
        root = etree.fromstring(plain)
        assert root.tag == f"{PUSH}push-message", plain
        update = root.find(f"{PUSH}content-update")
        assert update is not None, plain
        return Message(root.findtext(f"{PUSH}topic") or "",
                       update.findtext(f"{D}sync-token"), key, claims, received.headers)

    def wait_for(self, subscription: Subscription, count: int = 1, timeout: float = 15
                 ) -> Message:
        """The ``count``-th message to ``subscription``, waited for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts(subscription)
            if len(posts) >= count:
                return self.decrypt(subscription, posts[count - 1])
            time.sleep(0.05)
        raise AssertionError(f"no message {count} for {subscription.name}"
                             f" (got {len(self.posts(subscription))})")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
