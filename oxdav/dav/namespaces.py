"""XML namespace constants and Clark-notation helpers shared by the whole ``dav`` layer.

Code compares Clark names (``{DAV:}prop``), never prefixes: clients choose prefixes
freely (RFC 4918 §8.2 relies on XML Namespaces), see :mod:`oxdav.dav.xml`.
"""

from __future__ import annotations

from typing import Final

#: WebDAV, RFC 4918 §21.
DAV_NS: Final = "DAV:"
#: CalDAV, RFC 4791 §9.
CALDAV_NS: Final = "urn:ietf:params:xml:ns:caldav"
#: CardDAV, RFC 6352 §10.
CARDDAV_NS: Final = "urn:ietf:params:xml:ns:carddav"
#: Apple CalendarServer extensions (getctag, …).
CALENDARSERVER_NS: Final = "http://calendarserver.org/ns/"
#: Apple iCal extensions (calendar-color, calendar-order).
APPLE_ICAL_NS: Final = "http://apple.com/ns/ical/"

#: Prefixes used on the root element of every response we write.
RESPONSE_NSMAP: Final[dict[str, str]] = {
    "D": DAV_NS,
    "C": CALDAV_NS,
    "CR": CARDDAV_NS,
    "CS": CALENDARSERVER_NS,
    "A": APPLE_ICAL_NS,
}


def clark(namespace: str, local: str) -> str:
    """Return the Clark-notation name ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def dav_name(local: str) -> str:
    """Return the Clark name of ``local`` in the ``DAV:`` namespace."""
    return clark(DAV_NS, local)


def split_clark(name: str) -> tuple[str, str]:
    """Split a Clark name into ``(namespace, local)``; no namespace gives ``""``.

    Raises:
        ValueError: ``name`` is not a well-formed Clark name.
    """
    if name.startswith("{"):
        namespace, sep, local = name[1:].partition("}")
        if not sep or not local:
            raise ValueError(f"not a Clark name: {name!r}")
        return namespace, local
    if not name or "}" in name:
        raise ValueError(f"not a Clark name: {name!r}")
    return "", name
