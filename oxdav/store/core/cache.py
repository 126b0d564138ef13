"""Folders and group memberships kept between transactions, checked on every use.

Nearly every request opens a folder (with its permissions) and needs the user's groups;
building those from rows costs more than the request's own SQL. They are kept here,
tagged with the context's version (which the engine moves on any change of the
context's users, groups, folders or permissions) and, for a folder, its revision (the
one folder column object writes change). Each use checks the tags in the caller's own
snapshot, so what it returns is exactly what reading the rows would give, whoever
changed them: this daemon, another node, or ``oxdav-admin``.

The tags are read by :func:`versions`, once per store call: a read call keeps them for
its own duration (``Rows.call_memo``), so the groups, the folder and the confirmation
of a remembered login share one query, and with a member asked for, a GET is one
statement (``Rows.versions``).

Only read connections fill the cache. A write transaction's version number may be
rolled back and then reused by another commit; a reader sees committed states only,
where one version number names one state. Write transactions still use what is there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import NotFound
from ..models import Folder
from .folders import load_folder, user_groups
from .rows import Rows, Versions

#: Entries kept per kind before the cache starts afresh.
MAX_ENTRIES = 10_000

#: ``prefetched_member`` when the call did not read the member with the versions.
NOT_PREFETCHED: Any = object()


def versions(rows: Rows, context_id: int, folder_id: int | None = None,
             member: str | None = None) -> Versions | None:
    """The context's versions and, if ``folder_id`` is given, that folder's revision;
    None when the context does not exist (``Rows.versions``).

    Within a read call the answer is kept (``call_memo``): the snapshot cannot change
    under it. ``member`` (with ``folder_id``, in a read call) reads that object in the
    same statement, for :func:`prefetched_member`.
    """
    memo = rows.call_memo
    if memo is not None:
        found = memo.get((context_id, folder_id))
        if found is not None and (member is None or (context_id, folder_id, member) in memo):
            return found  # type: ignore[no-any-return]
    read = rows.versions(context_id, folder_id, member)
    if read is None:
        return None
    tags, stored = read
    if memo is not None:
        memo[(context_id, folder_id)] = tags
        memo[(context_id, None)] = Versions(tags.context, tags.names, None)
        if member is not None and folder_id is not None:
            memo[(context_id, folder_id, member)] = stored
    return tags


def prefetched_member(rows: Rows, context_id: int, folder_id: int, member: str) -> Any:
    """The object ``versions(..., member=)`` read in this call (None: no such object;
    any object of the folder: the caller applies the reader's rights), or
    NOT_PREFETCHED."""
    memo = rows.call_memo
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

    def folder(self, rows: Rows, context_id: int, folder_id: int, *, fill: bool) -> Folder:
        """The folder as ``load_folder`` would read it. Raises: NotFound."""
        tags = versions(rows, context_id, folder_id)
        if tags is None or tags.folder is None:
            raise NotFound(f"folder {folder_id} in context {context_id}")
        key = (context_id, folder_id)
        kept = self._folders.get(key)
        if kept is not None and kept[0] == tags.context:
            if kept[1] == tags.folder:
                return kept[2]
            folder = replace(kept[2], revision=tags.folder)  # only objects changed
        else:
            folder = load_folder(rows, context_id, folder_id)
        if fill:
            if len(self._folders) >= self.max_entries:
                self._folders = {}
            self._folders[key] = (tags.context, tags.folder, folder)
        return folder

    def groups(self, rows: Rows, context_id: int, user_id: int, *, fill: bool
               ) -> frozenset[int]:
        """The user's groups as ``user_groups`` would read them. Raises: NotFound."""
        tags = versions(rows, context_id)
        key = (context_id, user_id)
        kept = self._groups.get(key)
        if tags is not None and kept is not None and kept[0] == tags.context:
            return kept[1]
        groups = user_groups(rows, context_id, user_id)
        if fill and tags is not None:
            if len(self._groups) >= self.max_entries:
                self._groups = {}
            self._groups[key] = (tags.context, groups)
        return groups


def folder_for(rows: Rows, context_id: int, folder_id: int) -> Folder:
    """``load_folder`` through the store's cache, if it has one. Raises: NotFound."""
    if rows.metadata is None:
        return load_folder(rows, context_id, folder_id)
    return rows.metadata.folder(rows, context_id, folder_id, fill=rows.fills_metadata)


def groups_for(rows: Rows, context_id: int, user_id: int) -> frozenset[int]:
    """``user_groups`` through the store's cache, if it has one. Raises: NotFound."""
    if rows.metadata is None:
        return user_groups(rows, context_id, user_id)
    return rows.metadata.groups(rows, context_id, user_id, fill=rows.fills_metadata)

