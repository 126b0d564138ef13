"""A folder's OX permissions as RFC 3744 access control entries (``DAV:acl``).

The owner holds every right (a protected ACE); each permission entry becomes one ACE
for its user or group principal, the virtual all-users group for ``DAV:authenticated``
(RFC 3744 §5.5.1). The privileges are those the entry grants its holder
(:func:`privileges_of`, the one mapping of OX rights to RFC 3744 privileges), so the
ACL and each user's ``current-user-privilege-set`` agree. Whoever may read the folder
may read its ACL, as OX shows a folder's permissions to everyone who sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import (
    ALL,
    BIND,
    READ,
    READ_ACL,
    UNBIND,
    WRITE,
    WRITE_ACL,
    WRITE_CONTENT,
    WRITE_PROPERTIES,
    Ace,
    Privilege,
    expand_privileges,
)
from oxdav.principals.resources import (
    GROUPS_PATH,
    USERS_PATH,
    group_principal_path,
    user_principal_path,
)
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Transaction
from oxdav.store.models import ALL_USERS_GROUP, Folder, FolderPermission, Level

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


def _refuse(condition: str, description: str) -> DAVError:
    return DAVError(403, clark(DAV_NS, condition), description)


async def _entry_key(txn: Transaction, context_id: int, principal: str) -> tuple[bool, int]:
    """The permission entry an ACE's principal is: a user or group of the context, or
    every user of it (``DAV:authenticated``). Raises: DAVError (403
    ``recognized-principal``, ``allowed-principal``)."""
    if principal == AUTHENTICATED:
        return True, ALL_USERS_GROUP
    if principal.startswith("{"):
        raise _refuse("allowed-principal", f"{principal} cannot be granted privileges here")
    collection, _, rest = principal.rpartition("/")
    if collection in (USERS_PATH, GROUPS_PATH) and rest.isdigit() and len(rest) < 20:
        try:
            if collection == USERS_PATH:
                return False, (await txn.user(context_id, int(rest))).id
            group = await txn.group(context_id, int(rest))
            if group.id != ALL_USERS_GROUP:
                return True, group.id
        except NotFound:
            pass
    raise _refuse("recognized-principal", f"{principal} is no user or group of this context")


def _entry(key: tuple[bool, int], granted: frozenset[str]) -> FolderPermission:
    """The OX entry closest to ``granted`` (closed over the privilege tree): creating
    without changing (``bind`` alone) is writing one's own objects."""
    write: Level = "all" if WRITE_CONTENT in granted else "own" if BIND in granted else "none"
    return FolderPermission(entity=key[1], is_group=key[0],
                            read="all" if READ in granted else "none", write=write,
                            delete="all" if UNBIND in granted else "none",
                            admin=WRITE_ACL in granted)


async def permissions_of_aces(txn: Transaction, context_id: int,
                              aces: Sequence[Ace], privileges: Privilege
                              ) -> list[FolderPermission]:
    """The permission entries an ACL request (RFC 3744 §8.1) asks for: one per principal
    (the grants of its ACEs together), those granting nothing left out."""
    granted: dict[tuple[bool, int], frozenset[str]] = {}
    for ace in aces:
        key = await _entry_key(txn, context_id, ace.principal)
        granted[key] = granted.get(key, frozenset()) | expand_privileges(ace.grant,
                                                                         privileges)
    entries = [_entry(key, names) for key, names in granted.items()]
    return [e for e in entries if e.read != "none" or e.write != "none"
            or e.delete != "none" or e.admin]
