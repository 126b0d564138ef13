"""Who a folder is shared with: the users and groups of the sharer's context, named by
``mailto:`` address or principal href, and nobody else (tenants are walls)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from oxdav.dav.errors import DAVError
from oxdav.folders.base import FolderTree
from oxdav.principals.resources import (
    GROUPS_PATH,
    USERS_PATH,
    group_principal_path,
    user_principal_path,
)
from oxdav.sharing.names import RECOGNIZED_PRINCIPAL
from oxdav.store.errors import NotFound
from oxdav.store.models import ALL_USERS_GROUP, FolderPermission, Group, User


@dataclass(frozen=True)
class Sharee:
    """A user or group a folder is (or is to be) shared with.

    Attributes:
        entity: the user or group id.
        is_group: whether it is a group.
        name: its display name.
        address: a user's primary e-mail address, if any.
    """

    entity: int
    is_group: bool
    name: str
    address: str | None = None

    @property
    def key(self) -> tuple[bool, int]:
        """What a folder's permission entry for it is keyed by."""
        return self.is_group, self.entity

    @property
    def principal_path(self) -> str:
        return (group_principal_path(self.entity) if self.is_group
                else user_principal_path(self.entity))

    @classmethod
    def of_user(cls, user: User) -> Sharee:
        return cls(user.id, False, user.display_name, user.email)

    @classmethod
    def of_group(cls, group: Group) -> Sharee:
        return cls(group.id, True, group.display_name)


def _refuse(href: str) -> DAVError:
    return DAVError(403, RECOGNIZED_PRINCIPAL,
                    f"{href[:200]} is no user or group of your context")


def _principal_id(path: str | None, collection: str) -> int | None:
    if path is None or not path.startswith(collection + "/"):
        return None
    rest = path[len(collection) + 1:].strip("/")
    return int(rest) if rest.isdigit() and len(rest) < 20 else None


async def resolve_sharee(tree: FolderTree, href: str) -> Sharee:
    """The user (by ``mailto:`` or principal href) or group (principal href) ``href``
    names in the requester's context.

    Raises: DAVError (403 ``DAV:recognized-principal``) for anyone else: unknown, or
    of another context (the same answer, so nothing tells one from the other).
    """
    text = href.strip()
    try:
        if text.lower().startswith("mailto:"):
            user = await tree.txn.user_by_email(unquote(text[7:]))
            if user.context_id != tree.context_id:
                raise _refuse(href)
            return Sharee.of_user(user)
        path = tree.ctx.paths.dav_path_of_href(text)
        user_id = _principal_id(path, USERS_PATH)
        if user_id is not None:
            return Sharee.of_user(await tree.txn.user(tree.context_id, user_id))
        group_id = _principal_id(path, GROUPS_PATH)
        if group_id is not None and group_id != ALL_USERS_GROUP:
            return Sharee.of_group(await tree.txn.group(tree.context_id, group_id))
    except (NotFound, ValueError):
        pass
    raise _refuse(href)


async def sharees_of(tree: FolderTree, permissions: tuple[FolderPermission, ...]
                     ) -> list[tuple[Sharee, FolderPermission]]:
    """The users and groups the entries name (not the all-users entry), as they are
    now, read in one store call; an entry naming someone gone is left out."""
    named = [p for p in permissions if not (p.is_group and p.entity == ALL_USERS_GROUP)]
    if not named:
        return []
    users, groups = await tree.txn.users_and_groups(
        tree.context_id, [p.entity for p in named if not p.is_group],
        [p.entity for p in named if p.is_group])
    found = []
    for permission in named:
        if permission.is_group and permission.entity in groups:
            found.append((Sharee.of_group(groups[permission.entity]), permission))
        elif not permission.is_group and permission.entity in users:
            found.append((Sharee.of_user(users[permission.entity]), permission))
    return found
