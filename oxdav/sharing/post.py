"""POST of a sharing request (caldav-sharing §5.2.3, §5.3.2; draft-pot §4.4.2): a
sharer's ``CS:share`` or ``DAV:share-resource`` on a collection, a sharee's
``CS:invite-reply`` on their home or notification collection."""

from __future__ import annotations

from typing import Final

from lxml import etree

from oxdav.dav.dispatch import DAVRequest, StoreAccess
from oxdav.dav.errors import XML_CONTENT_TYPE, DAVError
from oxdav.dav.methods.post import XML_MEDIA_TYPES, PostKind
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse
from oxdav.folders.collection import FolderCollection
from oxdav.folders.space import HomeCollection
from oxdav.sharing.names import cs, dav
from oxdav.sharing.notifications import NotificationCollection, answer
from oxdav.sharing.requests import parse_invite_reply, parse_share, parse_share_resource
from oxdav.sharing.share import apply_share

#: Largest sharing body (64 sharees with names and summaries fit many times over).
MAX_BODY_BYTES: Final = 64 * 1024

_SHARES = {cs("share"): parse_share, dav("share-resource"): parse_share_resource}


class SharingPostMethod(PostKind):
    """``POST`` of sharing requests."""

    access = StoreAccess.WRITE
    # draft-pot-webdav-resource-sharing §4.4.2 names its own media type.
    media_types = XML_MEDIA_TYPES | {"application/davsharing+xml"}
    roots = frozenset({*_SHARES, cs("invite-reply")})
    max_body = MAX_BODY_BYTES

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, FolderCollection | HomeCollection | NotificationCollection)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        if len(request.body) > MAX_BODY_BYTES:
            raise DAVError(413, None, f"a sharing request has at most {MAX_BODY_BYTES} bytes")
        root = await request.xml_body()
        target = request.target
        if root is None:
            raise DAVError(400, None, "POST here takes a sharing request body")
        parse = _SHARES.get(root.tag)
        if parse is not None and isinstance(target, FolderCollection):
            await apply_share(target, parse(root))
            return DAVResponse(200)
        if root.tag == cs("invite-reply") and isinstance(
                target, HomeCollection | NotificationCollection):
            shared_as = await answer(target.tree, parse_invite_reply(root))
            if shared_as is None:  # declined: nothing to point at (as CalendarServer)
                return DAVResponse(204)
            return DAVResponse(200, {"Content-Type": XML_CONTENT_TYPE},
                               etree.tostring(shared_as, xml_declaration=True,
                                              encoding="utf-8"))
        raise DAVError(415, None, "POST here takes CS:share or DAV:share-resource on a"
                                  " collection, CS:invite-reply on a home")
