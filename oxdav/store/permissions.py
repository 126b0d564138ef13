"""Effective folder rights (OX permission model), shared by every backend.

A user's rights on a folder are the union of the entries naming them, any of their
groups, or ``ALL_USERS_GROUP``; the owner has every right.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import ALL_USERS_GROUP, LEVELS, Folder, FolderPermission, Level


def full_rights(entity: int) -> FolderPermission:
    """All/all/all plus admin, as held by a folder's owner and by the system."""
    return FolderPermission(entity=entity, read="all", write="all", delete="all", admin=True)


def may_create_objects(folder: Folder, user_id: int | None) -> bool:
    """Whether ``user_id`` (``None``: the system) may create objects in ``folder``.

    A system folder (no owner: the global address list) holds what the directory
    provisions, one card per user. As in OX, whose global address list grants users no
    "create objects" folder right, a user may change their own object there (``write``
    ``own``) but create none, whatever their write level.
    """
    return user_id is None or folder.owner_id is not None


def _highest(levels: Iterable[Level]) -> Level:
    return max(levels, key=LEVELS.index, default="none")


def effective_rights(folder: Folder, user_id: int, group_ids: Iterable[int]
                     ) -> FolderPermission:
    """The rights ``user_id`` (member of ``group_ids``) holds on ``folder``.

    Args:
        folder: the folder with its permission entries.
        user_id: the acting user.
        group_ids: the user's groups; ``ALL_USERS_GROUP`` is always added.

    Returns:
        A FolderPermission for the user (``entity=user_id``, ``is_group=False``).
    """
    if folder.owner_id == user_id:
        return full_rights(user_id)
    groups = {ALL_USERS_GROUP, *group_ids}
    entries = [
        p for p in folder.permissions
        if (p.is_group and p.entity in groups) or (not p.is_group and p.entity == user_id)
    ]
    return FolderPermission(
        entity=user_id,
        is_group=False,
        read=_highest(p.read for p in entries),
        write=_highest(p.write for p in entries),
        delete=_highest(p.delete for p in entries),
        admin=any(p.admin for p in entries),
    )
