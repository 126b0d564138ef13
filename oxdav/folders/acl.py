"""A folder's OX permissions as RFC 3744 access control entries (``DAV:acl``).

The owner holds every right (a protected ACE); each permission entry becomes one ACE
for its user or group principal, the virtual all-users group for ``DAV:authenticated``
(RFC 3744 §5.5.1). The privileges are those the entry grants its holder
(:func:`privileges_of`, the one mapping of OX rights to RFC 3744 privileges), so the
ACL and each user's ``current-user-privilege-set`` agree. Whoever may read the folder
may read its ACL, as OX shows a folder's permissions to everyone who sees it.
"""

from __future__ import annotations

from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import (
    ALL,
    BIND,
    READ,
    READ_ACL,
    UNBIND,
    WRITE,
    WRITE_CONTENT,
    WRITE_PROPERTIES,
    Ace,
)
from oxdav.principals.resources import group_principal_path, user_principal_path
from oxdav.store.models import ALL_USERS_GROUP, Folder, FolderPermission

AUTHENTICATED = clark(DAV_NS, "authenticated")

_RIGHTS_ALL = frozenset({READ, WRITE, WRITE_CONTENT, WRITE_PROPERTIES, BIND, UNBIND})


def privileges_of(rights: FolderPermission) -> frozenset[str]:
    """RFC 3744 privileges granted by OX folder rights."""
    granted = {READ} if rights.read != "none" else set()
    if rights.write != "none":
        granted |= {WRITE_CONTENT, BIND}
    if rights.delete != "none":
        granted.add(UNBIND)
    if rights.admin:
        granted |= {ALL} | _RIGHTS_ALL
    return frozenset(granted)


def entry_principal(permission: FolderPermission) -> str:
    """The principal an entry names: a user's or group's path, or
    ``DAV:authenticated`` for every user of the context."""
    if not permission.is_group:
        return user_principal_path(permission.entity)
    if permission.entity == ALL_USERS_GROUP:
        return AUTHENTICATED
    return group_principal_path(permission.entity)


def with_read_acl(granted: frozenset[str]) -> frozenset[str]:
    """Readers of a folder also read its ACL."""
    return granted | {READ_ACL} if READ in granted or ALL in granted else granted


def folder_aces(folder: Folder) -> list[Ace]:
    """The ACEs of ``folder``: the owner's (protected), then one per permission entry
    that grants anything, in the folder's order."""
    aces = []
    if folder.owner_id is not None:
        aces.append(Ace(user_principal_path(folder.owner_id), grant=frozenset({ALL}),
                        protected=True))
    for permission in folder.permissions:
        granted = with_read_acl(privileges_of(permission))
        if granted:
            aces.append(Ace(entry_principal(permission), grant=granted, protected=False))
    return aces
