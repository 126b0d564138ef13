"""WebDAV-Push (draft-bitfire-webdav-push, as DAVx5 speaks it): the protocol's XML.

A collection that supports push (:class:`PushTarget`) publishes ``transports`` (Web
Push with the server's VAPID key), ``topic`` and ``supported-triggers`` (§2.1); a
``POST`` of ``push-register`` registers a Web Push subscription on it
(:mod:`oxdav.dav.methods.post`), answered with the registration's URL, which a
``DELETE`` removes (§3). After a change the server sends a ``push-message`` with the
topic and the new sync token (§4). Sending is :mod:`oxdav.push`'s; this module only
reads and writes the XML and names what the DAV layer needs of the server's push.
"""

from __future__ import annotations

import abc
import base64
import binascii
import email.utils
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import urlsplit

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.xml import find_child

PUSH_NS: Final = "https://bitfire.at/webdav-push"
#: The root element of a registration (§3.1).
PUSH_REGISTER: Final = clark(PUSH_NS, "push-register")
#: The ``DAV`` header's class for servers that support it (§2).
PUSH_COMPLIANCE: Final = "webdav-push"
#: The DAV path segment under which registrations live (``/push/<id>``).
REGISTRATIONS: Final = "push"
#: The request header naming the writer's own registrations, which are not told.
DONT_NOTIFY: Final = "push-dont-notify"

INVALID_SUBSCRIPTION: Final = clark(PUSH_NS, "invalid-subscription")
PUSH_NOT_AVAILABLE: Final = clark(PUSH_NS, "push-not-available")
NO_SUPPORTED_TRIGGER: Final = clark(PUSH_NS, "no-supported-trigger")

#: A push-register body larger than this is refused unread (413).
MAX_REGISTER_BYTES: Final = 16 * 1024
#: The longest push resource URL accepted.
MAX_ENDPOINT_CHARS: Final = 2048


def _p(local: str) -> str:
    return clark(PUSH_NS, local)


@dataclass(frozen=True)
class Registration:
    """A ``push-register`` request (§3.1, Web Push transport §7.1).

    Attributes:
        endpoint: the push resource URL.
        public_key: the subscription's P-256 public key, base64url (RFC 8291).
        auth_secret: the subscription's 16-byte authentication secret, base64url.
        expires: the expiry the client asked for (epoch seconds), or None.
    """

    endpoint: str
    public_key: str
    auth_secret: str
    expires: float | None


class PushService(Protocol):
    """What the DAV layer needs of the server's push (``oxdav.push`` provides it)."""

    @property
    def vapid_public_key(self) -> str:
        """The VAPID public key (RFC 8292 §3.2): an uncompressed P-256 point, base64url."""
        ...

    @property
    def subscription_limit(self) -> int:
        """The most unexpired subscriptions one user may hold."""
        ...

    def expiry(self, requested: float | None, now: float) -> int:
        """The expiry granted for ``requested`` (epoch seconds; at least 3 days, §3.4)."""
        ...

    async def check_endpoint(self, endpoint: str) -> None:
        """Raises: ValueError, saying why, for an endpoint the server will not send to
        (a private address the admin has not allowed, an unresolvable host)."""
        ...


class PushTarget(abc.ABC):
    """A collection one may subscribe to: its changes are pushed."""

    @property
    @abc.abstractmethod
    def push_identity(self) -> str:
        """What identifies the collection (its sync identity): the topic is made of it."""

    @abc.abstractmethod
    async def register_push(self, ctx: RequestContext, registration: Registration,
                            expires: int, limit: int) -> str:
        """Register (or renew) for the requesting user; returns the registration id.
        Raises: the store's errors (Forbidden, PushLimitExceeded)."""


def topic_for(identity: str) -> str:
    """The collection's push topic: stable, the same on every node, and opaque (the
    ids inside are no secret, but a push service need not learn them)."""
    digest = hashlib.sha256(f"oxdav push topic\0{identity}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def registration_path(subscription_id: str) -> str:
    """The DAV path of a registration (its ``Location``)."""
    return f"/{REGISTRATIONS}/{subscription_id}"


def b64url_bytes(text: str) -> bytes:
    """Decode unpadded (or padded) base64url. Raises: ValueError."""
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise ValueError("not base64url") from e


def _invalid(why: str) -> DAVError:
    return DAVError(403, INVALID_SUBSCRIPTION, f"invalid subscription: {why}")


def _text(parent: etree._Element, local: str) -> str:
    child = find_child(parent, _p(local))
    return "" if child is None else (child.text or "").strip()


def _endpoint(text: str) -> str:
    if not text or len(text) > MAX_ENDPOINT_CHARS:
        raise _invalid(f"a push-resource of 1 to {MAX_ENDPOINT_CHARS} characters is needed")
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username \
            or parts.password or any(c.isspace() or ord(c) < 33 for c in text):
        raise _invalid("the push-resource must be an absolute http(s) URL without"
                       " credentials")
    return text


def _key(parent: etree._Element) -> str:
    for local in ("subscription-public-key", "client-public-key"):  # the draft renamed it
        element = find_child(parent, _p(local))
        if element is not None:
            if element.get("type", "p256dh") != "p256dh":
                raise _invalid("only p256dh public keys are supported")
            text = (element.text or "").strip()
            try:
                raw = b64url_bytes(text)
            except ValueError:
                raw = b""
            if len(raw) != 65 or raw[0] != 4:
                raise _invalid("the public key must be an uncompressed P-256 point")
            return text
    raise _invalid("the subscription-public-key is missing")


def _trigger_supported(root: etree._Element) -> bool:
    """Whether the trigger asks for content updates; none at all means content
    updates at depth 1 (what DAVx5 relies on). Property updates are not supported and
    are ignored (§3.1); a sync-level of infinite falls back to 1."""
    trigger = find_child(root, _p("trigger"))
    return trigger is None or find_child(trigger, _p("content-update")) is not None


def parse_registration(root: etree._Element | None) -> Registration:
    """Read a ``push-register`` body.

    Raises:
        DAVError: 415 for another body, 403 ``invalid-subscription`` or
            ``no-supported-trigger`` (§3.1).
    """
    if root is None or root.tag != _p("push-register"):
        raise DAVError(415, None, "POST here takes a push-register body")
    subscription = find_child(root, _p("subscription"))
    web_push = None if subscription is None else find_child(subscription,
                                                             _p("web-push-subscription"))
    if web_push is None:
        raise _invalid("a web-push-subscription is needed")
    encoding = _text(web_push, "content-encoding") or "aes128gcm"
    if encoding != "aes128gcm":
        raise _invalid("only the aes128gcm content encoding is supported")
    endpoint = _endpoint(_text(web_push, "push-resource"))
    public_key = _key(web_push)
    auth = _text(web_push, "auth-secret")
    try:
        valid_auth = len(b64url_bytes(auth)) == 16
    except ValueError:
        valid_auth = False
    if not valid_auth:
        raise _invalid("the auth-secret must be 16 bytes, base64url")
    if not _trigger_supported(root):
        raise DAVError(403, NO_SUPPORTED_TRIGGER, "only content-update triggers are supported")
    expires_text = _text(root, "expires")
    expires: float | None = None
    if expires_text:
        try:
            expires = email.utils.parsedate_to_datetime(expires_text).timestamp()
        except (TypeError, ValueError, OverflowError):
            expires = None  # the server chooses (§3.4)
    return Registration(endpoint, public_key, auth, expires)


def dont_notify(value: str | None) -> tuple[frozenset[str], bool]:
    """The registration ids a ``Push-Dont-Notify`` header names (quoted registration
    URLs, comma-separated), and whether it was ``*`` (all of the writer's own)."""
    if value is None or not value.strip():
        return frozenset(), False
    if value.strip() == "*":
        return frozenset(), True
    ids = set()
    for part in value.split(","):
        url = part.strip().strip('"').rstrip("/")
        segment = url.rpartition("/")[2]
        if segment:
            ids.add(segment[:64])
        if len(ids) >= 16:
            break
    return frozenset(ids), False


def push_message(topic: str, sync_token: str | None) -> bytes:
    """A ``push-message`` (§4.1): the topic and a content update with the new token."""
    root = etree.Element(_p("push-message"), nsmap={"P": PUSH_NS, "D": DAV_NS})
    etree.SubElement(root, _p("topic")).text = topic
    update = etree.SubElement(root, _p("content-update"))
    if sync_token is not None:
        etree.SubElement(update, clark(DAV_NS, "sync-token")).text = sync_token
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


class TransportsProperty(LiveProperty):
    """``transports`` (§2.1, §7.2): Web Push, with the server's VAPID public key."""

    name = _p("transports")

    def __init__(self, service: PushService) -> None:
        self._service = service

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, PushTarget)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        web_push = etree.Element(_p("web-push"))
        key = etree.SubElement(web_push, _p("vapid-public-key"), type="p256ecdsa")
        key.text = self._service.vapid_public_key
        return [web_push]


class TopicProperty(LiveProperty):
    """``topic`` (§2.1): the collection's push topic."""

    name = _p("topic")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, PushTarget)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, PushTarget)
        return topic_for(resource.push_identity)


class SupportedTriggersProperty(LiveProperty):
    """``supported-triggers`` (§2.1): content updates of the members (sync-level 1)."""

    name = _p("supported-triggers")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, PushTarget)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        update = etree.Element(_p("content-update"))
        etree.SubElement(update, clark(DAV_NS, "sync-level")).text = "1"
        return [update]


def push_properties(service: PushService) -> Sequence[LiveProperty]:
    """The push properties, in the order PROPFIND lists them."""
    return [TransportsProperty(service), TopicProperty(), SupportedTriggersProperty()]
