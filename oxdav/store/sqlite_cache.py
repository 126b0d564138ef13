"""Folders and group memberships kept between transactions, checked on every use.

Nearly every request opens a folder (with its permissions) and needs the user's groups;
building those from rows costs more than the request's own SQL. They are kept here,
tagged with the context's version (migration 0005: triggers bump it on any change of
the context's users, groups, folders or permissions) and, for a folder, its revision
(the one folder column object writes change). Each use checks the tags in the caller's
own snapshot, so what it returns is exactly what reading the rows would give, whoever
changed them (this daemon or ``oxdav-admin``).

The tags are read by :func:`versions`, once per store call: a read call keeps them for
its own duration (``StoreConnection.call_memo``), so the groups, the folder and the
confirmation of a remembered login (``SQLiteTransaction``) share one query. Each
statement matters beyond its SQL: the sqlite3 module releases the GIL for every step,
and the database thread then waits for the busy reactor thread to hand it back.

Only reader connections fill the cache. A write transaction's version number may be
rolled back and then reused by another commit; a reader sees committed states only,
where one version number names one state. Write transactions still use what is there.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from .errors import NotFound
from .models import Folder
from .sqlite_folders import load_folder, user_groups
from .sqlite_rows import OBJECT_META_COLUMNS

#: Entries kept per kind before the cache starts afresh.
MAX_ENTRIES = 10_000

#: (context version, login-names version, folder revision or None).
Versions = tuple[int, int, int | None]


_MEMBER_COLUMNS = ", ".join(f"o.{c.strip()}" for c in OBJECT_META_COLUMNS.split(","))

#: ``prefetched_member`` when the call did not read the member with the versions.
NOT_PREFETCHED: Any = object()


def versions(conn: sqlite3.Connection, context_id: int, folder_id: int | None = None,
             member: str | None = None) -> Versions | None:
    """The context's version and the login-names version (``Context.version`` is made
    of the two) and, if ``folder_id`` is given, that folder's revision (None when there
    is no such folder); None when the context does not exist.

    Within a read call the answer is kept (``call_memo``): the snapshot cannot change
    under it, and the versions of a context are read with a folder's when one is asked.
    ``member`` (with ``folder_id``, in a read call) reads that object's row in the same
    statement, for :func:`prefetched_member`: a GET is then one statement between BEGIN
    and COMMIT.
    """
    memo: dict[Any, Any] | None = getattr(conn, "call_memo", None)
    if memo is not None:
        found = memo.get((context_id, folder_id))
        if found is not None and (member is None or (context_id, folder_id, member) in memo):
            return found  # type: ignore[no-any-return]
    # One statement either way: without a member the objects join matches nothing.
    row = conn.execute(
        f"SELECT c.version, n.version, f.revision, {_MEMBER_COLUMNS}, o.data"
        " FROM contexts c CROSS JOIN login_names n"
        " LEFT JOIN folders f ON f.context_id = c.id AND f.id = :f"
        " LEFT JOIN objects o ON o.context_id = c.id AND o.folder_id = :f AND o.name = :m"
        " WHERE c.id = :c", {"c": context_id, "f": folder_id, "m": member}).fetchone()
    if row is None:
        return None
    result: Versions = (row[0], row[1], row[2])
    if memo is not None:
        memo[(context_id, folder_id)] = result
        memo[(context_id, None)] = (row[0], row[1], None)
        if member is not None and folder_id is not None:
            memo[(context_id, folder_id, member)] = None if row[3] is None else tuple(row)[3:]
    return result


def prefetched_member(conn: sqlite3.Connection, context_id: int, folder_id: int,
                      member: str) -> Any:
    """The object row ``versions(..., member=)`` read in this call (columns
    ``OBJECT_META_COLUMNS`` then ``data``; None: no such object), or NOT_PREFETCHED.
    Every object of the folder: the caller applies the reader's rights."""
    memo: dict[Any, Any] | None = getattr(conn, "call_memo", None)
    if memo is None:
        return NOT_PREFETCHED
    return memo.get((context_id, folder_id, member), NOT_PREFETCHED)


class MetadataCache:
    """Folders by (context, folder) and group sets by (context, user), with their tags.

    Shared by the store's connections; each entry is one immutable tuple, replaced
    whole, so the database threads need no lock.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._folders: dict[tuple[int, int], tuple[int, int, Folder]] = {}
        self._groups: dict[tuple[int, int], tuple[int, frozenset[int]]] = {}

    def clear(self) -> None:
        """Forget everything (the next uses read the rows)."""
        self._folders = {}
        self._groups = {}

    def folder(self, conn: sqlite3.Connection, context_id: int, folder_id: int, *,
               fill: bool) -> Folder:
        """The folder as ``load_folder`` would read it. Raises: NotFound."""
        tags = versions(conn, context_id, folder_id)
        if tags is None or tags[2] is None:
            raise NotFound(f"folder {folder_id} in context {context_id}")
        version, _, revision = tags
        key = (context_id, folder_id)
        kept = self._folders.get(key)
        if kept is not None and kept[0] == version:
            if kept[1] == revision:
                return kept[2]
            folder = replace(kept[2], revision=revision)  # only objects changed
        else:
            folder = load_folder(conn, context_id, folder_id)
        if fill:
            if len(self._folders) >= self.max_entries:
                self._folders = {}
            self._folders[key] = (version, revision, folder)
        return folder

    def groups(self, conn: sqlite3.Connection, context_id: int, user_id: int, *,
               fill: bool) -> frozenset[int]:
        """The user's groups as ``user_groups`` would read them. Raises: NotFound."""
        tags = versions(conn, context_id)
        key = (context_id, user_id)
        kept = self._groups.get(key)
        if tags is not None and kept is not None and kept[0] == tags[0]:
            return kept[1]
        groups = user_groups(conn, context_id, user_id)
        if fill and tags is not None:
            if len(self._groups) >= self.max_entries:
                self._groups = {}
            self._groups[key] = (tags[0], groups)
        return groups


class StoreConnection(sqlite3.Connection):
    """A store connection: carries the shared cache, whether it may fill it, and what
    the current read call has read of the versions (None outside one and in a call
    that writes, whose own writes move them)."""

    metadata: MetadataCache | None = None
    fills_metadata = False
    call_memo: dict[Any, Versions] | None = None


def folder_for(conn: sqlite3.Connection, context_id: int, folder_id: int) -> Folder:
    """``load_folder`` through the connection's cache, if it has one. Raises: NotFound."""
    cache = getattr(conn, "metadata", None)
    if cache is None:
        return load_folder(conn, context_id, folder_id)
    return cache.folder(conn, context_id, folder_id, fill=conn.fills_metadata)  # type: ignore[attr-defined]


def groups_for(conn: sqlite3.Connection, context_id: int, user_id: int) -> frozenset[int]:
    """``user_groups`` through the connection's cache, if it has one. Raises: NotFound."""
    cache = getattr(conn, "metadata", None)
    if cache is None:
        return user_groups(conn, context_id, user_id)
    return cache.groups(conn, context_id, user_id, fill=conn.fills_metadata)  # type: ignore[attr-defined]
