"""Objects, change history and dead properties in SQLite (database-thread functions).

Every write bumps the folder's ``revision`` and upserts one ``changes`` row per object
name (deleted=1 is the tombstone), so ``changes(since)`` is a single range scan of the
``changes_modseq`` index (RFC 6578 sync-collection, CalendarServer getctag).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import (
    AlreadyExists,
    ETagMismatch,
    Forbidden,
    InvalidSyncToken,
    NotFound,
    QuotaExceeded,
    UIDConflict,
)
from .models import Changes, FolderPermission, ObjectIndex, ObjectMeta, StoredObject
from .sqlite_rows import (
    OBJECT_META_COLUMN_COUNT,
    OBJECT_META_COLUMNS,
    UNBOUNDED_END,
    UNBOUNDED_START,
    dump_spans,
    meta_from_row,
    now_us,
)


@dataclass(frozen=True)
class Scope:
    """Which folder, as whom, with which rights (``user_id`` None: the system).

    ``quota`` is the limit in bytes of ``user_id``, set only when the folder is theirs
    (the contract's ``Home`` quota rule); None means writes are not checked.
    ``creates``: whether new objects may be made (``permissions.may_create_objects``).
    """

    context_id: int
    folder_id: int
    user_id: int | None
    rights: FolderPermission
    quota: int | None = None
    creates: bool = True

    @property
    def own_only(self) -> bool:
        """Whether reads are limited to objects the user created (read = own)."""
        return self.rights.read == "own"

    def where(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        """The WHERE clause selecting this folder's readable rows, with parameters."""
        prefix = f"{alias}." if alias else ""
        clause = f"{prefix}context_id = :c AND {prefix}folder_id = :f"
        if self.own_only:
            clause += f" AND {prefix}created_by = :u"
        return clause, {"c": self.context_id, "f": self.folder_id, "u": self.user_id}

    def admits(self, created_by: int | None) -> bool:
        """Whether ``where()`` selects an object of ``created_by`` (for a row read
        without it)."""
        return not self.own_only or created_by == self.user_id

    def require(self, right: str, created_by: int | None, what: str) -> None:
        """Raise Forbidden unless the rights allow ``right`` on an object of ``created_by``."""
        if not self.rights.allows(right, created_by, self.user_id):  # type: ignore[arg-type]
            raise Forbidden(right, f"no {right} permission for {what}")


def compute_etag(data: bytes) -> str:
    """A strong validator of the content (RFC 9110 §8.8.3), without quotes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()




def list_query(scope: Scope, time_range: tuple[int | None, int | None] | None,
               component: str | None) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``list_objects``, with parameters (exposed for query-plan tests)."""
    where, params = scope.where()
    if component is not None:
        where += " AND component = :component"
        params["component"] = component
    if time_range is not None:
        start, end = time_range
        if end is not None:
            where += " AND first_start <= :end"
            params["end"] = end
        if start is not None:
            where += " AND last_end >= :start"
            params["start"] = start
    return f"SELECT {OBJECT_META_COLUMNS} FROM objects WHERE {where} ORDER BY name", params


def list_objects(conn: sqlite3.Connection, scope: Scope, time_range: tuple[int | None, int | None]
                 | None, component: str | None, spans: bool = False) -> list[ObjectMeta]:
    """Readable objects by name, pre-filtered by a closed time interval and component;
    ``exact_spans`` decoded only when ``spans``."""
    sql, params = list_query(scope, time_range, component)
    return [meta_from_row(r, spans) for r in conn.execute(sql, params)]


#: Names bound per SELECT of ``get_objects`` (SQLite allows 32,766 parameters).
_NAMES_PER_SELECT = 500


def get_objects(conn: sqlite3.Connection, scope: Scope, names: Iterable[str],
                derived: bool = False) -> list[StoredObject]:
    """Readable objects among ``names``, in the given order, missing ones omitted;
    with their derived bytes only when ``derived``."""
    where, params = scope.where()
    wanted = list(dict.fromkeys(names))
    columns = f"{OBJECT_META_COLUMNS}, data" + (", derived" if derived else "")
    rows: dict[str, StoredObject] = {}
    for first in range(0, len(wanted), _NAMES_PER_SELECT):
        chunk = wanted[first:first + _NAMES_PER_SELECT]
        marks = ", ".join(f":n{i}" for i in range(len(chunk)))
        for row in conn.execute(
                f"SELECT {columns} FROM objects WHERE {where} AND name IN ({marks})",
                {**params, **{f"n{i}": name for i, name in enumerate(chunk)}}):
            other = row["derived"] if derived else None
            rows[row["name"]] = StoredObject(meta_from_row(row), bytes(row["data"]),
                                             None if other is None else bytes(other))
    return [rows[name] for name in wanted if name in rows]


def readable_object(scope: Scope, row: Any) -> StoredObject | None:
    """A row of ``OBJECT_META_COLUMNS`` then ``data`` (any object of the folder) as
    ``get_objects`` would return it: None unless the scope may read it."""
    meta = meta_from_row(row)
    if not scope.admits(meta.created_by):
        return None
    return StoredObject(meta, bytes(row[OBJECT_META_COLUMN_COUNT]), None)


def by_uid(conn: sqlite3.Connection, scope: Scope, uid: str) -> ObjectMeta | None:
    """The readable object holding ``uid``."""
    where, params = scope.where()
    row = conn.execute(f"SELECT {OBJECT_META_COLUMNS} FROM objects WHERE {where} AND uid = :uid",
                       {**params, "uid": uid}).fetchone()
    return None if row is None else meta_from_row(row)


def _existing(conn: sqlite3.Connection, scope: Scope, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT etag, created_by, created, size, uid FROM objects"
        " WHERE context_id = ? AND folder_id = ? AND name = ?",
        (scope.context_id, scope.folder_id, name)).fetchone()
    return row


def used_bytes(conn: sqlite3.Connection, context_id: int, owner_id: int) -> int:
    """Bytes stored in the folders ``owner_id`` owns (RFC 4331 quota-used-bytes)."""
    row = conn.execute(
        "SELECT COALESCE(SUM(o.size), 0) FROM folders f JOIN objects o"
        " ON o.context_id = f.context_id AND o.folder_id = f.id"
        " WHERE f.context_id = ? AND f.owner_id = ?", (context_id, owner_id)).fetchone()
    return int(row[0])


def _check_quota(conn: sqlite3.Connection, scope: Scope, growth: int) -> None:
    """Raise QuotaExceeded when ``growth`` more bytes would pass the scope's quota."""
    if scope.quota is None or scope.user_id is None or growth <= 0:
        return
    used = used_bytes(conn, scope.context_id, scope.user_id)
    if used + growth > scope.quota:
        raise QuotaExceeded(scope.quota, used, growth)


def _bump_revision(conn: sqlite3.Connection, scope: Scope) -> int:
    conn.execute("UPDATE folders SET revision = revision + 1 WHERE context_id = ? AND id = ?",
                 (scope.context_id, scope.folder_id))
    row = conn.execute("SELECT revision FROM folders WHERE context_id = ? AND id = ?",
                       (scope.context_id, scope.folder_id)).fetchone()
    if row is None:
        raise NotFound(f"folder {scope.folder_id} in context {scope.context_id}")
    return int(row[0])


def _record_change(conn: sqlite3.Connection, scope: Scope, name: str, modseq: int,
                   deleted: bool, created_by: int | None, now: int) -> None:
    conn.execute(
        "INSERT INTO changes (context_id, folder_id, name, modseq, deleted, created_by, changed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (context_id, folder_id, name) DO UPDATE SET"
        " modseq = excluded.modseq, deleted = excluded.deleted,"
        " created_by = excluded.created_by, changed = excluded.changed",
        (scope.context_id, scope.folder_id, name, modseq, int(deleted), created_by, now))


#: The columns an ``ObjectIndex`` is stored in, in :func:`_index_values` order.
_INDEX_COLUMNS = ("component, first_start, last_end, recurring, exact_spans, floating_spans,"
                  " derived")


def _index_values(index: ObjectIndex) -> tuple[object, ...]:
    """``index`` as stored in :data:`_INDEX_COLUMNS` (the UID is a column of its own)."""
    return (index.component, UNBOUNDED_START if index.first_start is None else index.first_start,
            UNBOUNDED_END if index.last_end is None else index.last_end, int(index.recurring),
            dump_spans(index.exact_spans), int(index.floating_spans), index.derived)


def put_object(conn: sqlite3.Connection, scope: Scope, name: str, data: bytes,
               index: ObjectIndex, if_etag: str | None, if_absent: bool,
               created_by: int | None) -> tuple[ObjectMeta, bool]:
    """Check preconditions and permissions, then create or replace one object."""
    existing = _existing(conn, scope, name)
    if existing is not None and if_absent:
        raise AlreadyExists(f"object {name!r} exists")
    if if_etag is not None and (existing is None or existing["etag"] != if_etag):
        raise ETagMismatch(None if existing is None else existing["etag"])
    if existing is not None:
        created_by = existing["created_by"]
    elif scope.user_id is not None:
        if created_by not in (None, scope.user_id):
            raise Forbidden("write", "created_by may only be chosen by the system")
        if not scope.creates:
            raise Forbidden("create", f"objects of folder {scope.folder_id} are made by the"
                            " directory only")
        created_by = scope.user_id
    scope.require("write", created_by, f"object {name!r}")
    if existing is not None and existing["uid"] != index.uid:
        # A resource keeps its UID (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1): replacing it
        # with another UID conflicts with the resource itself.
        raise UIDConflict(existing["uid"], name)
    holder = conn.execute(
        "SELECT name FROM objects WHERE context_id = ? AND folder_id = ? AND uid = ?"
        " AND name != ?", (scope.context_id, scope.folder_id, index.uid, name)).fetchone()
    if holder is not None:
        raise UIDConflict(index.uid, holder[0])
    _check_quota(conn, scope, len(data) - (0 if existing is None else existing["size"]))
    modseq = _bump_revision(conn, scope)
    now = now_us()
    created = now if existing is None else existing["created"]
    # size counts data only: derived bytes are no user content (quota, interfaces.Home).
    conn.execute(
        f"INSERT OR REPLACE INTO objects (context_id, folder_id, name, uid, {_INDEX_COLUMNS},"
        " etag, size, modseq, created_by, created, modified, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (scope.context_id, scope.folder_id, name, index.uid, *_index_values(index),
         compute_etag(data), len(data), modseq, created_by, created, now, data))
    _record_change(conn, scope, name, modseq, False, created_by, now)
    row = conn.execute(
        f"SELECT {OBJECT_META_COLUMNS} FROM objects"
        " WHERE context_id = ? AND folder_id = ? AND name = ?",
        (scope.context_id, scope.folder_id, name)).fetchone()
    return meta_from_row(row), existing is None


def delete_object(conn: sqlite3.Connection, scope: Scope, name: str, if_etag: str | None
                  ) -> int:
    """Delete one object with its dead properties and locks, leave a tombstone; returns
    the revision."""
    existing = _existing(conn, scope, name)
    if existing is None or (scope.own_only and existing["created_by"] != scope.user_id):
        if if_etag is not None:
            raise ETagMismatch(None)
        raise NotFound(f"object {name!r}")
    if if_etag is not None and existing["etag"] != if_etag:
        raise ETagMismatch(existing["etag"])
    scope.require("delete", existing["created_by"], f"object {name!r}")
    key = (scope.context_id, scope.folder_id, name)
    conn.execute("DELETE FROM objects WHERE context_id = ? AND folder_id = ? AND name = ?", key)
    conn.execute(
        "DELETE FROM dead_properties WHERE context_id = ? AND folder_id = ? AND resource = ?",
        key)
    conn.execute("DELETE FROM locks WHERE context_id = ? AND folder_id = ? AND name = ?", key)
    modseq = _bump_revision(conn, scope)
    _record_change(conn, scope, name, modseq, True, existing["created_by"], now_us())
    return modseq


def changes_query(scope: Scope, since: int | None, limit: int | None
                  ) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``changes_since`` (one row more than ``limit``), with parameters."""
    where, params = scope.where("c")
    if since is None:
        where += " AND c.deleted = 0"
    params["since"] = -1 if since is None else since
    params["limit"] = -1 if limit is None else limit + 1
    return (
        "SELECT o.name, o.uid, o.etag, o.component, o.size, o.modseq, o.created_by,"
        " o.created, o.modified, o.first_start, o.last_end, o.exact_spans,"
        " o.floating_spans,"  # OBJECT_META_COLUMNS first: meta_from_row reads by position
        " c.name AS change_name, c.modseq AS change_modseq, c.deleted"
        " FROM changes c LEFT JOIN objects o ON o.context_id = c.context_id"
        " AND o.folder_id = c.folder_id AND o.name = c.name"
        f" WHERE {where} AND c.modseq > :since ORDER BY c.modseq LIMIT :limit", params)


def changes_since(conn: sqlite3.Connection, scope: Scope, since: int | None,
                  limit: int | None) -> Changes:
    """Changes after ``since`` (None: initial listing), oldest first, at most ``limit``."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    folder = conn.execute(
        "SELECT revision, pruned_revision FROM folders WHERE context_id = ? AND id = ?",
        (scope.context_id, scope.folder_id)).fetchone()
    if folder is None:
        raise NotFound(f"folder {scope.folder_id} in context {scope.context_id}")
    revision, pruned = folder
    if since is not None and not pruned <= since <= revision:
        raise InvalidSyncToken(f"revision {since} is outside {pruned}..{revision}")
    sql, params = changes_query(scope, since, limit)
    rows = conn.execute(sql, params).fetchall()
    truncated = limit is not None and len(rows) > limit
    if truncated:
        rows = rows[:limit]
        revision = rows[-1]["change_modseq"]
    changed = [meta_from_row(r, spans=False) for r in rows if not r["deleted"]]
    deleted = [r["change_name"] for r in rows if r["deleted"]]
    return Changes(revision=revision, changed=changed, deleted=deleted, truncated=truncated)


def reindex_object(conn: sqlite3.Connection, scope: Scope, name: str, index: ObjectIndex,
                   if_etag: str) -> bool:
    """Replace the index columns and derived bytes of an unchanged object; no revision,
    no change row (``Collection.reindex``)."""
    existing = _existing(conn, scope, name)
    if existing is None or existing["etag"] != if_etag or existing["uid"] != index.uid:
        return False
    scope.require("write", existing["created_by"], f"object {name!r}")
    assignments = ", ".join(f"{column} = ?" for column in _INDEX_COLUMNS.split(", "))
    conn.execute(
        f"UPDATE objects SET {assignments} WHERE context_id = ? AND folder_id = ? AND name = ?",
        (*_index_values(index), scope.context_id, scope.folder_id, name))
    return True


def prune_tombstones(conn: sqlite3.Connection, before_us: int) -> int:
    """Drop tombstones older than ``before_us`` and raise each folder's pruned revision."""
    conn.execute(
        "UPDATE folders SET pruned_revision = MAX(pruned_revision, (SELECT MAX(c.modseq)"
        " FROM changes c WHERE c.context_id = folders.context_id AND c.folder_id = folders.id"
        " AND c.deleted = 1 AND c.changed < :t)) WHERE EXISTS (SELECT 1 FROM changes c"
        " WHERE c.context_id = folders.context_id AND c.folder_id = folders.id"
        " AND c.deleted = 1 AND c.changed < :t)", {"t": before_us})
    return conn.execute("DELETE FROM changes WHERE deleted = 1 AND changed < ?",
                        (before_us,)).rowcount


def _require_resource(conn: sqlite3.Connection, scope: Scope, resource: str
                      ) -> int | None:
    """The object's creator; NotFound when ``resource`` is not a readable object."""
    where, params = scope.where()
    row = conn.execute(f"SELECT created_by FROM objects WHERE {where} AND name = :n",
                       {**params, "n": resource}).fetchone()
    if row is None:
        raise NotFound(f"object {resource!r}")
    return row[0]  # type: ignore[no-any-return]


def dead_properties(conn: sqlite3.Connection, scope: Scope, resource: str) -> dict[str, str]:
    """Dead properties of the folder (``""``) or one readable object."""
    if resource:
        _require_resource(conn, scope, resource)
    rows = conn.execute(
        "SELECT name, value FROM dead_properties WHERE context_id = ? AND folder_id = ?"
        " AND resource = ? ORDER BY name", (scope.context_id, scope.folder_id, resource))
    return {name: value for name, value in rows}


def set_dead_properties(conn: sqlite3.Connection, scope: Scope, resource: str,
                        values: Mapping[str, str], remove: Iterable[str]) -> None:
    """Set and remove dead properties (folder: admin; object: write on it)."""
    if resource:
        scope.require("write", _require_resource(conn, scope, resource), f"object {resource!r}")
    elif not scope.rights.admin:
        raise Forbidden("admin", "collection properties need the admin permission")
    key = (scope.context_id, scope.folder_id, resource)
    conn.executemany(
        "DELETE FROM dead_properties WHERE context_id = ? AND folder_id = ? AND resource = ?"
        " AND name = ?", [(*key, name) for name in remove])
    conn.executemany(
        "INSERT OR REPLACE INTO dead_properties (context_id, folder_id, resource, name, value)"
        " VALUES (?, ?, ?, ?, ?)", [(*key, name, value) for name, value in values.items()])
