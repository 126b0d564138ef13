"""The sharing properties: who a collection is shared with and how (``CS:invite``,
``DAV:invite``, ``DAV:share-access``), whether it may be shared
(``CS:allowed-sharing-modes``), and where a user's notifications are
(``CS:notification-URL``, ``CS:notificationtype``)."""

from __future__ import annotations

from lxml import etree

from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.collection import FolderCollection, of_someone_else
from oxdav.principals.resources import UserPrincipal
from oxdav.sharing.names import CS_STATUS, DAV_STATUS, HREF, cs, dav
from oxdav.sharing.notifications import NOTIFICATIONS_PATH, InviteNotification
from oxdav.sharing.share import access_of
from oxdav.sharing.sharees import Sharee, sharees_of
from oxdav.store.errors import NotFound


def _user_folder(resource: DAVResource) -> bool:
    return isinstance(resource, FolderCollection) and resource.folder.owner_id is not None


def _sharee_href(ctx: RequestContext, sharee: Sharee) -> str:
    """A user by address (how CalendarServer clients match sharees), else by principal."""
    if sharee.address:
        return f"mailto:{sharee.address}"
    return ctx.href(sharee.principal_path, collection=True)


async def _owner(resource: FolderCollection) -> Sharee | None:
    tree = resource.tree
    try:
        return Sharee.of_user(await tree.txn.user(tree.context_id, resource.folder.owner_id))
    except NotFound:
        return None


class InviteProperty(LiveProperty):
    """``CS:invite`` (caldav-sharing §5.2.2): the owner (``organizer``) and each user or
    group the folder is shared with, with their access and answer."""

    name = cs("invite")

    def applies_to(self, resource: DAVResource) -> bool:
        return _user_folder(resource)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        element = etree.Element(self.name)
        owner = await _owner(resource)
        if owner is not None:
            organizer = etree.SubElement(element, cs("organizer"))
            etree.SubElement(organizer, HREF).text = _sharee_href(ctx, owner)
            etree.SubElement(organizer, cs("common-name")).text = owner.name
        replies = await resource.store_collection.share_replies()
        for sharee, permission in await sharees_of(resource.tree, resource.folder.permissions):
            user = etree.SubElement(element, cs("user"))
            etree.SubElement(user, HREF).text = _sharee_href(ctx, sharee)
            etree.SubElement(user, cs("common-name")).text = sharee.name
            reply = None if sharee.is_group else replies.get(sharee.entity)
            etree.SubElement(user, CS_STATUS[reply])
            access = etree.SubElement(user, cs("access"))
            etree.SubElement(access, cs(access_of(permission)))
        return element


class DavInviteProperty(LiveProperty):
    """``DAV:invite`` (draft-pot-webdav-resource-sharing §4.4.2): the sharees."""

    name = dav("invite")

    def applies_to(self, resource: DAVResource) -> bool:
        return _user_folder(resource)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        element = etree.Element(self.name)
        replies = await resource.store_collection.share_replies()
        for sharee, permission in await sharees_of(resource.tree, resource.folder.permissions):
            entry = etree.SubElement(element, dav("sharee"))
            etree.SubElement(entry, HREF).text = ctx.href(sharee.principal_path,
                                                          collection=True)
            props = etree.SubElement(entry, dav("prop"))
            etree.SubElement(props, dav("displayname")).text = sharee.name
            access = etree.SubElement(entry, dav("share-access"))
            etree.SubElement(access, dav(access_of(permission)))
            reply = None if sharee.is_group else replies.get(sharee.entity)
            etree.SubElement(entry, DAV_STATUS[reply])
        return element


class ShareAccessProperty(LiveProperty):
    """``DAV:share-access`` (draft-pot §4.4.1): ``shared-owner`` or ``not-shared`` for
    the owner, ``read`` or ``read-write`` for a sharee."""

    name = dav("share-access")

    def applies_to(self, resource: DAVResource) -> bool:
        return _user_folder(resource)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        if of_someone_else(resource.store_collection):
            value = access_of(resource.store_collection.rights)
        else:
            value = "shared-owner" if resource.folder.permissions else "not-shared"
        element = etree.Element(self.name)
        etree.SubElement(element, dav(value))
        return element


class AllowedSharingModesProperty(LiveProperty):
    """``CS:allowed-sharing-modes`` (caldav-sharing §5.1.1): ``can-be-shared`` for who
    administers the folder; never published (no public access)."""

    name = cs("allowed-sharing-modes")

    def applies_to(self, resource: DAVResource) -> bool:
        return _user_folder(resource)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        element = etree.Element(self.name)
        if resource.store_collection.rights.admin:
            etree.SubElement(element, cs("can-be-shared"))
        return element


class NotificationURLProperty(LiveProperty):
    """``CS:notification-URL`` (caldav-sharing §4.3.1) of a user principal: the
    requester's notification collection."""

    name = cs("notification-URL")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, UserPrincipal)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        element = etree.Element(HREF)
        element.text = ctx.href(NOTIFICATIONS_PATH, collection=True)
        return element


class NotificationTypeProperty(LiveProperty):
    """``CS:notificationtype`` (caldav-sharing §5.3.1) of a notification."""

    name = cs("notificationtype")

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, InviteNotification)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, InviteNotification)
        return resource.notification_type


def sharing_properties() -> list[LiveProperty]:
    """The sharing properties, in the order PROPFIND lists them."""
    return [InviteProperty(), AllowedSharingModesProperty(), ShareAccessProperty(),
            DavInviteProperty(), NotificationURLProperty(), NotificationTypeProperty()]
