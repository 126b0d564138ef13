"""Extended MKCOL (RFC 5689) of an address book in the home (RFC 6352 §6.3.1).

The request body is ``DAV:mkcol/DAV:set/DAV:prop`` with a ``resourcetype`` of
``collection`` and ``CARDDAV:addressbook``, optionally ``displayname`` and
``addressbook-description``; a contacts folder is created through the store. Any
other resourcetype is 403 ``DAV:valid-resourcetype`` (RFC 5689 §3.3); a property the
server cannot set on creation fails the whole request with 403 (RFC 5689 §3: the
MKCOL is atomic), so nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.carddav.names import ADDRESSBOOK, ADDRESSBOOK_DESCRIPTION
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.mkcol import set_properties
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.xml import child_elements, element_text

_MKCOL: Final = clark(DAV_NS, "mkcol")
_RESOURCETYPE: Final = clark(DAV_NS, "resourcetype")
_COLLECTION: Final = clark(DAV_NS, "collection")
_DISPLAYNAME: Final = clark(DAV_NS, "displayname")
VALID_RESOURCETYPE: Final = clark(DAV_NS, "valid-resourcetype")
#: Properties ignored on creation rather than refused (clients send their colours).
_IGNORED_PREFIXES: Final = ("{http://apple.com/ns/ical/}",)


@dataclass(frozen=True)
class NewAddressBook:
    """What an extended MKCOL asks for."""

    displayname: str | None = None
    description: str | None = None


def parse_mkcol(body: etree._Element | None) -> NewAddressBook:
    """Parse an extended MKCOL body for an address book (RFC 5689 §5.1).

    Raises:
        DAVError: 415 for a body that is not ``DAV:mkcol`` (RFC 5689 §3), 403
            ``valid-resourcetype`` unless the resourcetype is an address book, 403 for a
            property that cannot be set.
    """
    if body is None:
        # RFC 4918 §9.3: a plain MKCOL would make a plain collection: not offered here.
        raise DAVError(403, VALID_RESOURCETYPE, "send an extended MKCOL for an address book")
    if body.tag != _MKCOL:
        raise DAVError(415, None, f"expected DAV:mkcol, got {body.tag}")
    props = set_properties(body).values()
    types: set[str] = set()
    displayname = description = None
    for prop in props:
        if prop.tag == _RESOURCETYPE:
            types = {str(c.tag) for c in child_elements(prop)}
        elif prop.tag == _DISPLAYNAME:
            displayname = element_text(prop) or None
        elif prop.tag == ADDRESSBOOK_DESCRIPTION:
            description = element_text(prop) or None
        elif not str(prop.tag).startswith(_IGNORED_PREFIXES):
            raise DAVError(403, None, f"{prop.tag} cannot be set on a new address book")
    if types != {_COLLECTION, ADDRESSBOOK}:
        raise DAVError(403, VALID_RESOURCETYPE, "only address books can be made here")
    return NewAddressBook(displayname, description)
