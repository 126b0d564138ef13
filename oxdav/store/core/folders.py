"""Folders, their permissions and users' groups: the rules (database-thread functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import NotFound
from ..models import (
    ALL_USERS_GROUP,
    FIRST_FOLDER_ID,
    GAL_FOLDER_ID,
    GAL_FOLDER_NAME,
    MAX_CHOSEN_FOLDER_ID,
    MODULES,
    SHARE_REPLIES,
    Folder,
    FolderPermission,
    Module,
)
from ..permissions import effective_rights
from .clock import now_us
from .rows import DirectoryRows, Rows

#: Every user of a context reads the global address list and changes their own card
#: there; the directory writes the cards (``permissions.may_create_objects``).
GAL_PERMISSION = FolderPermission(
    entity=ALL_USERS_GROUP, is_group=True, read="all", write="own", delete="none"
)


def user_groups(rows: DirectoryRows, context_id: int, user_id: int) -> frozenset[int]:
    """The user's group ids plus ``ALL_USERS_GROUP``. Raises: NotFound (no such user)."""
    groups = rows.user_group_ids(context_id, user_id)
    if groups is None:
        raise NotFound(f"user {user_id} in context {context_id}")
    return frozenset([ALL_USERS_GROUP, *groups])


def load_folder(rows: Rows, context_id: int, folder_id: int) -> Folder:
    """Raises: NotFound."""
    found = rows.folders(context_id, folder_id=folder_id)
    if not found:
        raise NotFound(f"folder {folder_id} in context {context_id}")
    return found[0]


def all_folders(rows: Rows, context_id: int, module: Module | None) -> list[Folder]:
    """Every folder of a context."""
    return rows.folders(context_id, module=module)


def readable_folders(rows: Rows, context_id: int, user_id: int, groups: Iterable[int],
                     module: Module | None) -> list[Folder]:
    """Folders the user owns or holds a read permission on, directly or via a group."""
    return rows.readable_folders(context_id, user_id, frozenset(groups), module)


def _check_permissions(rows: Rows, context_id: int,
                       permissions: Sequence[FolderPermission]) -> None:
    """One entry per user or group, each naming a user or group of the context.

    Raises: ValueError (a repeated entry), NotFound (an unknown user or group).
    """
    seen: set[tuple[bool, int]] = set()
    for permission in permissions:
        key = (permission.is_group, permission.entity)
        if key in seen:
            raise ValueError(f"two permission entries for {key}")
        seen.add(key)
        if permission.is_group and permission.entity != ALL_USERS_GROUP:
            if rows.group(context_id, permission.entity) is None:
                raise NotFound(f"group {permission.entity} in context {context_id}")
        elif not permission.is_group and rows.user(context_id, permission.entity) is None:
            raise NotFound(f"user {permission.entity} in context {context_id}")


def create_folder(rows: Rows, context_id: int, owner_id: int | None, module: Module,
                  name: str, *, color: str | None, description: str | None,
                  permissions: Sequence[FolderPermission], is_default: bool,
                  folder_id: int | None, components: Sequence[str] = ()) -> Folder:
    """Insert a folder with its permissions.

    Raises: ValueError (module, chosen id out of range), AlreadyExists (id or second
    default), NotFound (no context; a permission names an unknown user or group).
    """
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, not {module!r}")
    if folder_id is not None and not FIRST_FOLDER_ID <= folder_id <= MAX_CHOSEN_FOLDER_ID:
        raise ValueError(f"a chosen folder id must be from {FIRST_FOLDER_ID} to "
                         f"{MAX_CHOSEN_FOLDER_ID}, not {folder_id}")
    _check_permissions(rows, context_id, permissions)
    new_id = rows.next_id(context_id, "folder", folder_id)
    if new_id is None:
        raise NotFound(f"context {context_id}")
    rows.insert_folder(context_id, new_id, module, owner_id, name, color, description,
                       is_default, now_us(), components)
    rows.replace_permissions(context_id, new_id, permissions)
    return load_folder(rows, context_id, new_id)


def create_address_list(rows: Rows, context_id: int) -> None:
    """The context's global address list (folder ``GAL_FOLDER_ID``): a system folder
    every user reads."""
    rows.insert_folder(context_id, GAL_FOLDER_ID, "contacts", None, GAL_FOLDER_NAME, None,
                       None, False, now_us(), ())
    rows.replace_permissions(context_id, GAL_FOLDER_ID, [GAL_PERMISSION])


def update_folder(rows: Rows, context_id: int, folder_id: int,
                  changes: Mapping[str, Any]) -> Folder:
    """Apply ``changes`` (name, color, description, permissions; UNSET dropped)."""
    before = load_folder(rows, context_id, folder_id)
    columns = {k: v for k, v in changes.items() if k in ("name", "color", "description")}
    if "permissions" in changes:
        _check_permissions(rows, context_id, changes["permissions"])
    rows.update_folder(context_id, folder_id, columns, now_us())
    if "permissions" in changes:
        rows.replace_permissions(context_id, folder_id, changes["permissions"])
    after = load_folder(rows, context_id, folder_id)
    if "permissions" in changes:
        forget_replies(rows, before, after)
    return after


def forget_replies(rows: Rows, before: Folder, after: Folder) -> None:
    """Drop the share replies the new permissions make void: of users invited afresh
    (an entry naming them that was not there) and of users who may no longer read."""
    replies = rows.share_replies(after.context_id, folder_id=after.id)
    if not replies:
        return
    named = {p.entity for p in before.permissions if not p.is_group}
    fresh = {p.entity for p in after.permissions if not p.is_group} - named
    for user_id, _ in replies:
        groups = rows.user_group_ids(after.context_id, user_id) or []
        rights = effective_rights(after, user_id, [ALL_USERS_GROUP, *groups])
        if user_id in fresh or rights.read == "none":
            rows.set_share_reply(after.context_id, user_id, after.id, None, now_us())


def share_replies(rows: Rows, context_id: int, user_id: int, groups: Iterable[int]
                  ) -> dict[int, str]:
    """The user's replies to folders shared with them that they may still read."""
    replies = rows.share_replies(context_id, user_id=user_id)
    readable = {f.id for f in rows.readable_folders(context_id, user_id, frozenset(groups),
                                                    None)} if replies else set()
    return {folder: status for (_, folder), status in replies.items() if folder in readable}


def reply_to_share(rows: Rows, context_id: int, user_id: int, groups: Iterable[int],
                   folder_id: int, status: str | None) -> Folder:
    """Record the user's reply to a folder shared with them.

    Raises: NotFound (not readable), ValueError (their own or a system folder, an
    unknown reply).
    """
    if status is not None and status not in SHARE_REPLIES:
        raise ValueError(f"a reply is one of {SHARE_REPLIES}, not {status!r}")
    folder = load_folder(rows, context_id, folder_id)
    if effective_rights(folder, user_id, groups).read == "none":
        raise NotFound(f"folder {folder_id} in context {context_id}")
    if not is_shared_with(folder, user_id):
        raise ValueError("only a folder of someone else shared with the user takes a reply")
    rows.set_share_reply(context_id, user_id, folder_id, status, now_us())
    return folder


def is_shared_with(folder: Folder, user_id: int | None) -> bool:
    """Whether ``folder`` belongs to someone other than ``user_id`` (a user's folder
    shared with them; not a system folder, not the system's view): only such a folder
    takes a name of the user's own (``Collection.set_own_name``)."""
    return folder.owner_id is not None and user_id is not None and folder.owner_id != user_id


def delete_folder(rows: Rows, context_id: int, folder_id: int) -> None:
    """Delete a folder with its objects, changes, properties, locks and permissions."""
    if not rows.delete_folder(context_id, folder_id):
        raise NotFound(f"folder {folder_id} in context {context_id}")
