"""The bodies a sharer and a sharee POST, read into plain values: CalendarServer's
``share`` and ``invite-reply`` (caldav-sharing §5.2.3, §5.3.2) and draft-pot's
``share-resource`` (draft-pot-webdav-resource-sharing §4.4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.sharing.names import HREF, MAX_SHAREES, cs, dav

Access = Literal["read", "read-write"]
"""What a sharee may do: read, or read and write (create, change, delete) objects."""

#: Most sharees one request may set or remove.
MAX_SHAREES_PER_REQUEST: Final = 64


@dataclass(frozen=True)
class ShareChange:
    """One sharee of a share request: give ``access``, or take every right (None)."""

    href: str
    access: Access | None


@dataclass(frozen=True)
class InviteReply:
    """A sharee's answer to an invitation: the shared collection's href (``hosturl``),
    the invitation's uid (``in-reply-to``) and whether they accept."""

    accepted: bool
    hosturl: str | None
    in_reply_to: str | None


def _href(element: etree._Element, what: str) -> str:
    text = (element.findtext(HREF) or "").strip()
    if not text:
        raise DAVError(400, None, f"a {what} needs a DAV:href")
    return text


def _bounded(changes: list[ShareChange]) -> list[ShareChange]:
    if len(changes) > MAX_SHAREES_PER_REQUEST:
        raise DAVError(403, MAX_SHAREES,
                       f"at most {MAX_SHAREES_PER_REQUEST} sharees per request")
    if not changes:
        raise DAVError(400, None, "the request names no sharee")
    return changes


def parse_share(root: etree._Element) -> list[ShareChange]:
    """``CS:share``: ``set`` (with ``read`` or ``read-write``) and ``remove`` entries."""
    changes = []
    for child in root:
        if child.tag == cs("set"):
            access: Access = ("read-write" if child.find(cs("read-write")) is not None
                              else "read")
            changes.append(ShareChange(_href(child, "CS:set"), access))
        elif child.tag == cs("remove"):
            changes.append(ShareChange(_href(child, "CS:remove"), None))
        if len(changes) > MAX_SHAREES_PER_REQUEST:
            break
    return _bounded(changes)


_DAV_ACCESS: Final[dict[str, Access | None]] = {
    dav("read"): "read", dav("read-write"): "read-write", dav("no-access"): None}


def parse_share_resource(root: etree._Element) -> list[ShareChange]:
    """``DAV:share-resource``: ``sharee`` entries, each with its ``share-access``
    (``read``, ``read-write``, or ``no-access`` to remove it)."""
    changes = []
    for sharee in root.iterchildren(dav("sharee")):
        holder = sharee.find(dav("share-access"))
        found = [c.tag for c in (holder if holder is not None else ()) if c.tag in _DAV_ACCESS]
        if len(found) != 1:
            raise DAVError(400, None, "a DAV:sharee needs one DAV:share-access of read,"
                                      " read-write or no-access")
        changes.append(ShareChange(_href(sharee, "DAV:sharee"), _DAV_ACCESS[found[0]]))
        if len(changes) > MAX_SHAREES_PER_REQUEST:
            break
    return _bounded(changes)


def parse_invite_reply(root: etree._Element) -> InviteReply:
    """``CS:invite-reply``: ``invite-accepted`` or ``invite-declined``, the
    ``hosturl`` and/or ``in-reply-to`` naming the invitation."""
    accepted = root.find(cs("invite-accepted")) is not None
    if not accepted and root.find(cs("invite-declined")) is None:
        raise DAVError(400, None, "an invite-reply needs CS:invite-accepted or"
                                  " CS:invite-declined")
    host = root.find(cs("hosturl"))
    hosturl = None if host is None else (host.findtext(HREF) or "").strip() or None
    in_reply_to = (root.findtext(cs("in-reply-to")) or "").strip() or None
    if hosturl is None and in_reply_to is None:
        raise DAVError(400, None, "an invite-reply names its invitation by CS:hosturl or"
                                  " CS:in-reply-to")
    return InviteReply(accepted, hosturl, in_reply_to)
