"""Effective folder rights (pure logic shared by every backend)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oxdav.store import ALL_USERS_GROUP, Folder, FolderPermission
from oxdav.store.permissions import effective_rights

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def folder(owner: int | None, *permissions: FolderPermission) -> Folder:
    return Folder(context_id=1, id=20, module="calendar", owner_id=owner, name="f",
                  color=None, description=None, is_default=False, revision=0,
                  permissions=permissions, created=NOW, modified=NOW)


def test_owner_has_every_right():
    rights = effective_rights(folder(1), 1, [])
    assert (rights.read, rights.write, rights.delete, rights.admin) == ("all", "all", "all",
                                                                        True)


def test_stranger_has_none():
    rights = effective_rights(folder(1), 2, [])
    assert (rights.read, rights.write, rights.delete, rights.admin) == ("none", "none",
                                                                        "none", False)


def test_all_users_group_applies_to_everyone():
    everyone = FolderPermission(entity=ALL_USERS_GROUP, is_group=True, read="all")
    assert effective_rights(folder(None, everyone), 7, []).read == "all"


def test_group_entry_applies_to_members_only():
    group = FolderPermission(entity=5, is_group=True, read="all")
    assert effective_rights(folder(1, group), 2, [5]).read == "all"
    assert effective_rights(folder(1, group), 2, [6]).read == "none"


def test_user_entry_does_not_match_group_of_same_id():
    user = FolderPermission(entity=5, read="all")
    assert effective_rights(folder(1, user), 2, [5]).read == "none"


def test_entries_combine_to_the_highest_level():
    entries = (FolderPermission(entity=2, read="own", write="all"),
               FolderPermission(entity=5, is_group=True, read="all", admin=True))
    rights = effective_rights(folder(1, *entries), 2, [5])
    assert (rights.read, rights.write, rights.delete, rights.admin) == ("all", "all", "none",
                                                                        True)


def test_own_level_allows_only_own_objects():
    rights = FolderPermission(entity=2, write="own")
    assert rights.allows("write", 2, 2)
    assert not rights.allows("write", 3, 2)
    assert not rights.allows("write", None, 2)


def test_unknown_level_is_refused():
    with pytest.raises(ValueError):
        FolderPermission(entity=1, read="some")  # type: ignore[arg-type]
