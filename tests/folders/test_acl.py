"""A folder's OX permissions as RFC 3744 ACEs (``oxdav.folders.acl``)."""

from __future__ import annotations

from datetime import UTC, datetime

from oxdav.dav.privileges import ALL, BIND, READ, READ_ACL, UNBIND, WRITE_CONTENT
from oxdav.folders.acl import AUTHENTICATED, folder_aces
from oxdav.store.models import ALL_USERS_GROUP, Folder, FolderPermission

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def folder(owner: int | None, *permissions: FolderPermission) -> Folder:
    return Folder(1, 30, "calendar", owner, "Calendar", None, None, False, 0,
                  tuple(permissions), NOW, NOW)


def test_the_owner_then_each_entry_in_order() -> None:
    aces = folder_aces(folder(
        3, FolderPermission(5, read="all", write="all", delete="all"),
        FolderPermission(7, is_group=True, read="all"),
        FolderPermission(ALL_USERS_GROUP, is_group=True, read="all", write="own"),
        FolderPermission(9)))  # grants nothing: no ACE
    assert [(a.principal, a.protected) for a in aces] == [
        ("/principals/users/3", True), ("/principals/users/5", False),
        ("/principals/groups/7", False), (AUTHENTICATED, False)]
    assert aces[0].grant == {ALL}
    assert aces[1].grant == {READ, READ_ACL, WRITE_CONTENT, BIND, UNBIND}
    assert aces[2].grant == {READ, READ_ACL}
    assert aces[3].grant == {READ, READ_ACL, WRITE_CONTENT, BIND}


def test_a_system_folder_has_no_owner_ace() -> None:
    aces = folder_aces(folder(None, FolderPermission(ALL_USERS_GROUP, is_group=True,
                                                     read="all", write="own")))
    assert [a.principal for a in aces] == [AUTHENTICATED]
