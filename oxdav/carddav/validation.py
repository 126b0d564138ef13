"""The HTTP face of address object validation (RFC 6352 §6.3.2.1).

What a checked card is indexed with, which clients take vCard 3.0 only, and a stored
card's version read without parsing. The parse runs once per PUT
(:func:`oxdav.carddav.tasks.checked_card`, in a worker process for large bodies:
vobject folding of big PHOTOs is slow).
"""

from __future__ import annotations

import re
from typing import Final

from oxdav.carddav.vcard import ParsedAddressObject
from oxdav.dav.errors import DAVError, condition_with_hrefs
from oxdav.dav.namespaces import CARDDAV_NS, clark
from oxdav.store.models import ObjectIndex

NO_UID_CONFLICT: Final = clark(CARDDAV_NS, "no-uid-conflict")

#: User-Agents of Apple's clients, which take vCard 3.0 only (DESIGN.md §5).
_APPLE_AGENTS: Final = re.compile(
    r"AddressBook|CardDAVPlugin|dataaccessd|accountsd|CFNetwork|Darwin|iOS/|Mac[ _+]OS[ _+]X|macOS",
    re.IGNORECASE)
_VERSION_LINE: Final = re.compile(rb"^VERSION[ \t]*:[ \t]*([0-9.]+)", re.IGNORECASE | re.MULTILINE)

def takes_only_vcard3(user_agent: str | None) -> bool:
    """Whether the client is one of Apple's, which cannot take vCard 4.0."""
    return bool(user_agent) and _APPLE_AGENTS.search(user_agent or "") is not None


def uid_conflict(href: str) -> DAVError:
    """403 ``no-uid-conflict`` naming the resource that holds the UID (§6.3.2.1)."""
    return DAVError(403, condition_with_hrefs(NO_UID_CONFLICT, [href]),
                    "another address object in this address book has the same UID")


def index_of(parsed: ParsedAddressObject, alternate: bytes | None = None) -> ObjectIndex:
    """What the store indexes of a card, with the card in the other vCard version as
    its alternate representation (:mod:`oxdav.carddav.representations`)."""
    return ObjectIndex(uid=parsed.uid, component="VCARD", derived=alternate)


def stored_version(data: bytes) -> str:
    """The VERSION of a stored card, read without parsing it (it was validated)."""
    match = _VERSION_LINE.search(data)
    return match.group(1).decode("ascii") if match else "3.0"


def content_type_of(version: str) -> str:
    """``text/vcard`` with the version parameter for 4.0 (RFC 6350 §10.1)."""
    if version == "3.0":
        return "text/vcard; charset=utf-8"
    return f"text/vcard; charset=utf-8; version={version}"
