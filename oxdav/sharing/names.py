"""The XML names of CalendarServer sharing (caldav-sharing) and of WebDAV resource
sharing (draft-pot-webdav-resource-sharing), and the ``DAV`` classes they add."""

from __future__ import annotations

from typing import Final

from oxdav.dav.namespaces import CALENDARSERVER_NS, DAV_NS, clark
from oxdav.store.models import ShareReply


def cs(local: str) -> str:
    """A CalendarServer name."""
    return clark(CALENDARSERVER_NS, local)


def dav(local: str) -> str:
    """A ``DAV:`` name."""
    return clark(DAV_NS, local)


#: ``DAV`` header classes: CalendarServer sharing, and draft-pot §4.1's.
COMPLIANCE: Final = ("calendarserver-sharing", "resource-sharing")

HREF: Final = dav("href")

#: A sharee's answer (None: none yet) in each vocabulary.
CS_STATUS: Final[dict[ShareReply | None, str]] = {
    None: cs("invite-noresponse"), "accepted": cs("invite-accepted"),
    "declined": cs("invite-declined")}
DAV_STATUS: Final[dict[ShareReply | None, str]] = {
    None: dav("invite-noresponse"), "accepted": dav("invite-accepted"),
    "declined": dav("invite-declined")}

#: More sharees than a request or a folder may hold (403 with this condition).
MAX_SHAREES: Final = cs("max-sharees")
#: A sharee that is no user or group of the sharer's context (RFC 3744 §8.1.1's
#: condition for an unknown principal).
RECOGNIZED_PRINCIPAL: Final = dav("recognized-principal")
