"""RFC 6578 sync tokens and ``sync-collection`` REPORT bodies.

A sync token is an absolute URI (RFC 6578 §3.2)::

    http://oxdav.org/ns/sync/<opaque>

``<opaque>`` is unpadded base64url of a small JSON object: ``{"c": collection, "r":
revision}`` for a plain collection, or ``{"c": collection, "m": {member: revision}}``
for an aggregated collection (CardDAV "All Contacts", DESIGN.md §5). ``collection`` is
the issuing collection's identity (chosen by the caller; it should include the tenant,
e.g. ``"1/12"``), so a token presented to any other collection is recognised as
foreign. Unknown, malformed and foreign tokens are all refused with 403
``DAV:valid-sync-token`` (RFC 6578 §3.2), e.g. the bare UUIDs macOS sometimes sends,
and so are tokens no server made: longer than :data:`MAX_SYNC_TOKEN_CHARS`, nested
deeper than the JSON decoder recurses, or with revisions beyond 64 bits.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.property_results import PropFindRequest, parse_property_selection
from oxdav.dav.xml import element_text, find_child

SYNC_TOKEN_PREFIX: Final = "http://oxdav.org/ns/sync/"
VALID_SYNC_TOKEN: Final = clark(DAV_NS, "valid-sync-token")

#: The longest token decoded: an aggregated token names one revision per address book,
#: some 30 characters each, so this holds about two thousand of them.
MAX_SYNC_TOKEN_CHARS: Final = 64 * 1024
#: The largest revision: databases keep revisions as signed 64-bit integers.
_MAX_REVISION: Final = 2**63 - 1

_SYNC_COLLECTION = clark(DAV_NS, "sync-collection")
_SYNC_TOKEN = clark(DAV_NS, "sync-token")
_SYNC_LEVEL = clark(DAV_NS, "sync-level")
_LIMIT = clark(DAV_NS, "limit")
_NRESULTS = clark(DAV_NS, "nresults")


@dataclass(frozen=True)
class SyncToken:
    """A decoded sync token.

    Attributes:
        collection: identity of the collection that issued it.
        revision: the collection's revision (plain collections), else ``None``.
        revisions: member → revision (aggregated collections), sorted; else empty.
    """

    collection: str
    revision: int | None = None
    revisions: tuple[tuple[str, int], ...] = ()

    @classmethod
    def for_collection(cls, collection: str, revision: int) -> SyncToken:
        """A plain collection's token."""
        return cls(collection, revision=revision)

    @classmethod
    def for_aggregate(cls, collection: str, revisions: Mapping[str, int]) -> SyncToken:
        """An aggregated collection's token: one revision per member collection."""
        return cls(collection, revisions=tuple(sorted(revisions.items())))

    @property
    def is_aggregate(self) -> bool:
        """Whether this token carries a member → revision map."""
        return self.revision is None

    @property
    def revision_map(self) -> dict[str, int]:
        """The member → revision map (empty for plain collections)."""
        return dict(self.revisions)

    def __str__(self) -> str:
        return format_sync_token(self)


def format_sync_token(token: SyncToken) -> str:
    """Encode ``token`` as its URI; the same token always gives the same string."""
    payload: dict[str, Any] = {"c": token.collection}
    if token.revision is not None:
        payload["r"] = token.revision
    else:
        payload["m"] = dict(token.revisions)
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return SYNC_TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _invalid(why: str) -> DAVError:
    return DAVError(403, VALID_SYNC_TOKEN, f"invalid sync token: {why}")


def _is_revision(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (
        0 <= value <= _MAX_REVISION)


def decode_sync_token(text: str) -> SyncToken:
    """Decode a token URI without checking which collection issued it.

    Only the canonical encoding :func:`format_sync_token` produces is accepted.

    Raises:
        DAVError: 403 ``valid-sync-token`` when it is not a well-formed oxdav token.
    """
    text = text.strip()
    if not text.startswith(SYNC_TOKEN_PREFIX):
        raise _invalid("not issued by this server")
    if len(text) > MAX_SYNC_TOKEN_CHARS:
        raise _invalid(f"longer than {MAX_SYNC_TOKEN_CHARS} characters")
    opaque = text[len(SYNC_TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(opaque + "=" * (-len(opaque) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: deep nesting
        raise _invalid("malformed") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
        raise _invalid("malformed")
    token = _token_from_payload(payload)
    if token is None or format_sync_token(token) != text:
        raise _invalid("malformed")
    return token


def _token_from_payload(payload: dict[str, Any]) -> SyncToken | None:
    if set(payload) == {"c", "r"} and _is_revision(payload["r"]):
        return SyncToken.for_collection(payload["c"], payload["r"])
    members = payload.get("m")
    if (
        set(payload) == {"c", "m"}
        and isinstance(members, dict)
        and all(isinstance(k, str) and _is_revision(v) for k, v in members.items())
    ):
        return SyncToken.for_aggregate(payload["c"], members)
    return None


def parse_sync_token(text: str | None, *, collection: str) -> SyncToken | None:
    """Decode the token a client sent to ``collection``.

    Returns ``None`` for an absent or empty token: an initial sync (RFC 6578 §3.8).

    Raises:
        DAVError: 403 ``valid-sync-token`` when malformed, unknown or issued by another
            collection.
    """
    if text is None or not text.strip():
        return None
    token = decode_sync_token(text)
    if token.collection != collection:
        raise _invalid("issued by another collection")
    return token


class SyncLevel(enum.Enum):
    """``DAV:sync-level`` (RFC 6578 §6.3)."""

    ONE = "1"
    INFINITE = "infinite"


@dataclass(frozen=True)
class SyncCollectionRequest:
    """A parsed ``sync-collection`` REPORT body (RFC 6578 §3.2, §6.1).

    Attributes:
        sync_token: the token text as sent (``""`` for an initial sync); decode it
            with :func:`parse_sync_token` against the target collection.
        level: sync-level; absent (old Apple clients) means ``1``.
        limit: ``DAV:limit/DAV:nresults``, if given.
        properties: the properties wanted for changed members.
    """

    sync_token: str
    level: SyncLevel
    limit: int | None
    properties: PropFindRequest


def parse_sync_collection(root: etree._Element) -> SyncCollectionRequest:
    """Parse a ``DAV:sync-collection`` body.

    A missing ``DAV:prop`` is accepted as an empty one (hrefs and statuses only).

    Raises:
        DAVError: 400 for another root, a bad sync-level or a bad limit.
    """
    if root.tag != _SYNC_COLLECTION:
        raise DAVError(400, None, f"expected DAV:sync-collection, got {root.tag}")
    token_element = find_child(root, _SYNC_TOKEN)
    level_element = find_child(root, _SYNC_LEVEL)
    level = SyncLevel.ONE
    if level_element is not None:
        try:
            level = SyncLevel(element_text(level_element).lower())
        except ValueError:
            raise DAVError(400, None, "sync-level must be 1 or infinite") from None
    return SyncCollectionRequest(
        sync_token=element_text(token_element),
        level=level,
        limit=_parse_limit(find_child(root, _LIMIT)),
        properties=parse_property_selection(root) or PropFindRequest.prop(()),
    )


def _parse_limit(limit: etree._Element | None) -> int | None:
    """``<D:limit><D:nresults>N</D:nresults></D:limit>`` (RFC 5323 §5.17)."""
    if limit is None:
        return None
    text = element_text(find_child(limit, _NRESULTS))
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        raise DAVError(400, None, f"invalid DAV:nresults {text!r}")
    return int(text)
