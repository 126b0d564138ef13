"""A share request applied to a folder's OX permissions, the same entries
``oxdav-admin folder share`` writes, so both ways agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from oxdav.dav.errors import DAVError
from oxdav.dav.privileges import NEED_PRIVILEGES
from oxdav.folders.collection import FolderCollection
from oxdav.sharing.names import MAX_SHAREES
from oxdav.sharing.requests import Access, ShareChange
from oxdav.sharing.sharees import resolve_sharee
from oxdav.store.models import FolderPermission

#: Most permission entries sharing from a client leaves on one folder.
MAX_FOLDER_SHAREES: Final = 256


def access_of(permission: FolderPermission) -> Access:
    """A permission entry as sharing's two levels: writing anything is read-write."""
    return "read-write" if permission.write != "none" else "read"


def entry_for(key: tuple[bool, int], access: Access,
              existing: FolderPermission | None) -> FolderPermission:
    """The entry giving ``access``; an admin right the entry had stays."""
    level = "all" if access == "read-write" else "none"
    entry = existing or FolderPermission(entity=key[1], is_group=key[0])
    return replace(entry, read="all", write=level, delete=level)


def require_sharing(collection: FolderCollection) -> None:
    """Only who administers a user's folder shares it (403 ``need-privileges``)."""
    if collection.folder.owner_id is None:
        raise DAVError(403, NEED_PRIVILEGES, "a system folder is not shared by its users")
    if not collection.store_collection.rights.admin:
        raise DAVError(403, NEED_PRIVILEGES,
                       "sharing a folder needs its admin right (DAV:write-acl)")


async def apply_share(collection: FolderCollection, changes: Sequence[ShareChange]) -> None:
    """Set or remove the sharees' entries, all or nothing.

    Raises: DAVError: 403 ``need-privileges`` (no admin right), ``recognized-principal``
    (a sharee outside the context, or the owner), ``max-sharees`` (too many entries).
    """
    require_sharing(collection)
    folder = collection.folder
    entries = {(p.is_group, p.entity): p for p in folder.permissions}
    for change in changes:
        sharee = await resolve_sharee(collection.tree, change.href)
        if not sharee.is_group and sharee.entity == folder.owner_id:
            raise DAVError(403, NEED_PRIVILEGES, "the owner holds every right already")
        if change.access is None:
            entries.pop(sharee.key, None)
        else:
            entries[sharee.key] = entry_for(sharee.key, change.access, entries.get(sharee.key))
    if len(entries) > max(MAX_FOLDER_SHAREES, len(folder.permissions)):  # removing is fine
        raise DAVError(403, MAX_SHAREES, f"a folder is shared with at most"
                                         f" {MAX_FOLDER_SHAREES} users and groups")
    if tuple(entries.values()) != folder.permissions:
        await collection.store_collection.update_folder(permissions=list(entries.values()))
