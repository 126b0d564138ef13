"""The sharee's side: the notification collection (``/caldav/notifications/``) with one
``CS:invite-notification`` per folder shared with them that they have not answered,
and their ``CS:invite-reply`` (caldav-sharing §5.3).

An invitation is a folder of someone else whose permissions name the user or one of
their groups (not the all-users entry: a folder for everyone invites no one); it is
answered once the user accepted or declined it (``Home.reply_to_share``). Declining
hides the folder from the user's homes; the permissions, and so what they may do,
stay the owner's to change.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import ReadableContent
from oxdav.dav.namespaces import CALENDARSERVER_NS, DAV_NS
from oxdav.dav.privileges import READ
from oxdav.dav.resource import COLLECTION, DAVResource, Principal
from oxdav.folders.base import FolderTree, MemberLookup, TreeResource
from oxdav.principals.resources import (
    ADDRESSBOOK_HOME_PATH,
    CALENDAR_HOME_PATH,
    InTree,
    user_principal_path,
)
from oxdav.sharing.names import CS_STATUS, HREF, cs
from oxdav.sharing.requests import Access, InviteReply
from oxdav.sharing.share import access_of
from oxdav.store.errors import NotFound
from oxdav.store.models import ALL_USERS_GROUP, Folder

NOTIFICATIONS_SEGMENT: Final = "notifications"
NOTIFICATIONS_PATH: Final = f"{CALENDAR_HOME_PATH}/{NOTIFICATIONS_SEGMENT}"
NOTIFICATION: Final = cs("notification")
INVITE_NOTIFICATION: Final = cs("invite-notification")
XML_TYPE: Final = "application/xml; charset=utf-8"
NSMAP: Final = {"D": DAV_NS, "CS": CALENDARSERVER_NS}
#: Most invitations the collection lists (the oldest folders first).
MAX_INVITES: Final = 256


def folder_path(folder: Folder) -> str:
    """Where a folder is in every user's tree (its id is the context's)."""
    home = ADDRESSBOOK_HOME_PATH if folder.module == "contacts" else CALENDAR_HOME_PATH
    return f"{home}/{folder.id}"


def invite_uid(folder: Folder) -> str:
    """The invitation's uid (``CS:uid``, answered as ``CS:in-reply-to``)."""
    return f"oxdav-share-{folder.context_id}-{folder.id}"


@dataclass(frozen=True)
class Invitation:
    """A folder shared with the user that they have not answered, with their access."""

    folder: Folder
    access: Access


async def invitations(tree: FolderTree) -> list[Invitation]:
    """The user's unanswered invitations, by folder id, at most ``MAX_INVITES``."""
    home = await tree.home()
    replies = await home.share_replies()
    groups = {g.id for g in await tree.groups_of(tree.user_id)}
    found = []
    for folder in sorted(await home.folders(), key=lambda f: f.id):
        if folder.owner_id in (None, tree.user_id) or folder.id in replies:
            continue
        entries = [p for p in folder.permissions
                   if (p.is_group and p.entity in groups and p.entity != ALL_USERS_GROUP)
                   or (not p.is_group and p.entity == tree.user_id)]
        if entries:
            access = "read-write" if any(access_of(p) == "read-write" for p in entries) \
                else "read"
            found.append(Invitation(folder, access))
            if len(found) == MAX_INVITES:
                break
    return found


class NotificationCollection(TreeResource, MemberLookup):
    """``/caldav/notifications/``: the user's invitations (caldav-sharing §4.3)."""

    def __init__(self, tree: FolderTree) -> None:
        super().__init__(tree, NOTIFICATIONS_PATH)

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset({COLLECTION, NOTIFICATION})

    async def children(self) -> AsyncIterator[DAVResource]:
        for invitation in await invitations(self.tree):
            yield InviteNotification(self, invitation)

    async def resolve_member(self, name: str) -> DAVResource | None:
        for invitation in await invitations(self.tree):
            if InviteNotification.name_of(invitation.folder) == name:
                return InviteNotification(self, invitation)
        return None


class InviteNotification(InTree, DAVResource, ReadableContent):
    """One invitation as a ``CS:notification`` document."""

    def __init__(self, parent: NotificationCollection, invitation: Invitation) -> None:
        self.parent = parent
        self.tree = parent.tree
        self.invitation = invitation

    @staticmethod
    def name_of(folder: Folder) -> str:
        return f"invite-{folder.id}.xml"

    @property
    def path(self) -> str:
        return f"{self.parent.path}/{self.name_of(self.invitation.folder)}"

    @property
    def is_collection(self) -> bool:
        return False

    @property
    def content_type(self) -> str:
        return XML_TYPE

    @property
    def etag(self) -> str:
        folder = self.invitation.folder
        seed = f"{folder.id}/{self.invitation.access}/{folder.modified.isoformat()}"
        return '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'

    @property
    def last_modified(self) -> datetime:
        return self.invitation.folder.modified

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return frozenset({READ})

    @property
    def notification_type(self) -> etree._Element:
        """``CS:notificationtype``'s content."""
        element = etree.Element(INVITE_NOTIFICATION)
        element.set("shared-type", "addressbook" if self.invitation.folder.module ==
                    "contacts" else "calendar")
        return element

    async def read(self) -> bytes:
        return etree.tostring(await self.document(), xml_declaration=True,
                              encoding="utf-8")

    async def document(self) -> etree._Element:
        """The notification (caldav-sharing §5.3.1): who shares what with whom, how."""
        folder, ctx = self.invitation.folder, self.tree.ctx
        me = await self.tree.txn.user(self.tree.context_id, self.tree.user_id)
        root = etree.Element(NOTIFICATION, nsmap=NSMAP)
        stamp = folder.modified.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        etree.SubElement(root, cs("dtstamp")).text = stamp
        invite = etree.SubElement(root, INVITE_NOTIFICATION,
                                  self.notification_type.attrib)
        etree.SubElement(invite, cs("uid")).text = invite_uid(folder)
        etree.SubElement(invite, HREF).text = (
            f"mailto:{me.email}" if me.email else ctx.href(user_principal_path(me.id),
                                                           collection=True))
        etree.SubElement(invite, CS_STATUS[None])
        access = etree.SubElement(invite, cs("access"))
        etree.SubElement(access, cs(self.invitation.access))
        host = etree.SubElement(invite, cs("hosturl"))
        etree.SubElement(host, HREF).text = ctx.href(folder_path(folder), collection=True)
        organizer = etree.SubElement(invite, cs("organizer"))
        owner = await self.tree.txn.user(self.tree.context_id, folder.owner_id or 0)
        etree.SubElement(organizer, HREF).text = (
            f"mailto:{owner.email}" if owner.email else
            ctx.href(user_principal_path(owner.id), collection=True))
        etree.SubElement(organizer, cs("common-name")).text = owner.display_name
        etree.SubElement(invite, cs("summary")).text = folder.name
        return root


def _invited_folder(tree: FolderTree, reply: InviteReply) -> int | None:
    if reply.hosturl is not None:
        path = tree.ctx.paths.dav_path_of_href(reply.hosturl) or ""
        home, _, rest = path.rstrip("/").rpartition("/")
        if home in (CALENDAR_HOME_PATH, ADDRESSBOOK_HOME_PATH) and rest.isdigit():
            return int(rest[:19])
    if reply.in_reply_to is not None:
        prefix = f"oxdav-share-{tree.context_id}-"
        rest = reply.in_reply_to[len(prefix):]
        if reply.in_reply_to.startswith(prefix) and rest.isdigit():
            return int(rest[:19])
    return None


async def answer(tree: FolderTree, reply: InviteReply) -> etree._Element | None:
    """Record the sharee's reply; for an acceptance the ``CS:shared-as`` answer naming
    where the folder is in their home (caldav-sharing §5.3.2), for a decline nothing.

    Raises: DAVError (403) when it names no folder shared with them.
    """
    folder_id = _invited_folder(tree, reply)
    home = await tree.home()
    try:
        if folder_id is None:
            raise NotFound("no folder")
        folder = await home.reply_to_share(folder_id,
                                           "accepted" if reply.accepted else "declined")
    except (NotFound, ValueError):
        raise DAVError(403, cs("valid-invite"),
                       "the reply names no folder shared with you") from None
    if not reply.accepted:
        return None
    shared_as = etree.Element(cs("shared-as"), nsmap=NSMAP)
    etree.SubElement(shared_as, HREF).text = tree.ctx.href(folder_path(folder),
                                                           collection=True)
    return shared_as
