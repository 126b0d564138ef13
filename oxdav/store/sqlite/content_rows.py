"""Folders, objects, changes, dead properties, versions and locks as SQLite rows
(``core.rows.ContentRows``).

One writer connection serialises every write transaction, so ``hold_writers`` has
nothing to do. A listing selects ``OBJECT_META_COLUMNS`` first and reads them by
position (``convert.meta_from_row``): a listing builds one per member.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.rows import (
    Change,
    ObjectState,
    Versions,
)
from ..core.scope import Scope
from ..errors import AlreadyExists
from ..models import (
    Candidate,
    Folder,
    FolderPermission,
    Lock,
    Module,
    ObjectIndex,
    ObjectMeta,
    StoredObject,
)
from .convert import (
    CANDIDATE_COLUMNS,
    OBJECT_META_COLUMN_COUNT,
    OBJECT_META_COLUMNS,
    UNBOUNDED_END,
    UNBOUNDED_START,
    candidate_from_row,
    dump_list,
    dump_spans,
    load_list,
    meta_from_row,
    module_of,
    permission_from_row,
    permission_params,
    to_datetime,
)
from .instance_rows import SQLiteInstanceRows

_MEMBER_COLUMNS = ", ".join(f"o.{c.strip()}" for c in OBJECT_META_COLUMNS.split(","))
#: Names bound per SELECT of ``get_objects`` (SQLite allows 32,766 parameters).
_NAMES_PER_SELECT = 500
#: The columns an ``ObjectIndex`` is stored in, in :func:`_index_values` order.
_INDEX_COLUMNS = ("component, first_start, last_end, recurring, exact_spans, floating_spans,"
                  " derived")
_LOCK_COLUMNS = "l.token, l.name, l.creator_id, l.exclusive, l.owner, l.timeout, l.expires"
_FOLDER_ORDER = " ORDER BY f.module, f.is_default DESC, f.id"
#: A folder's columns and its owner's display name (``Folder.owner_name``), from ``f``.
_FOLDER = ("SELECT f.*, (SELECT u.display_name FROM users u WHERE u.context_id ="
           " f.context_id AND u.id = f.owner_id) AS owner_name FROM folders f")


def scope_where(scope: Scope, alias: str = "") -> tuple[str, dict[str, Any]]:
    """The WHERE clause selecting the scope's readable rows, with parameters."""
    prefix = f"{alias}." if alias else ""
    clause = f"{prefix}context_id = :c AND {prefix}folder_id = :f"
    if scope.own_only:
        clause += f" AND {prefix}created_by = :u"
    return clause, {"c": scope.context_id, "f": scope.folder_id, "u": scope.user_id}


def list_query(scope: Scope, time_range: tuple[int | None, int | None] | None,
               component: str | None, columns: str = OBJECT_META_COLUMNS
               ) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``list_objects`` (of ``list_candidates`` with their ``columns``),
    with parameters (exposed for query-plan tests)."""
    where, params = scope_where(scope)
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
    return f"SELECT {columns} FROM objects WHERE {where} ORDER BY name", params




def changes_query(scope: Scope, since: int | None, limit: int | None
                  ) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``changes``, with parameters (exposed for query-plan tests)."""
    where, params = scope_where(scope, "c")
    if since is None:
        where += " AND c.deleted = 0"
    params["since"] = -1 if since is None else since
    params["limit"] = -1 if limit is None else limit
    return (
        "SELECT o.name, o.uid, o.etag, o.component, o.size, o.modseq, o.created_by,"
        " o.created, o.modified, o.first_start, o.last_end,"
        # OBJECT_META_COLUMNS first: meta_from_row reads by position
        " c.name AS change_name, c.modseq AS change_modseq, c.deleted"
        " FROM changes c LEFT JOIN objects o ON o.context_id = c.context_id"
        " AND o.folder_id = c.folder_id AND o.name = c.name"
        f" WHERE {where} AND c.modseq > :since ORDER BY c.modseq LIMIT :limit", params)


def _index_values(index: ObjectIndex) -> tuple[object, ...]:
    """``index`` as stored in :data:`_INDEX_COLUMNS` (the UID is a column of its own)."""
    return (index.component, UNBOUNDED_START if index.first_start is None else index.first_start,
            UNBOUNDED_END if index.last_end is None else index.last_end, int(index.recurring),
            dump_spans(index.exact_spans), int(index.floating_spans), index.derived)


def _lock(row: Any) -> Lock:
    return Lock(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


class SQLiteContentRows(SQLiteInstanceRows):
    """The content half of :class:`~oxdav.store.sqlite.rows.SQLiteRows`."""

    conn: sqlite3.Connection

    # -- versions, folders ------------------------------------------------------------

    def versions(self, context_id: int, folder_id: int | None, member: str | None
                 ) -> tuple[Versions, StoredObject | None] | None:
        # One statement either way: without a member the objects join matches nothing.
        row = self.conn.execute(
            f"SELECT c.version, n.version, f.revision, {_MEMBER_COLUMNS}, o.data"
            " FROM contexts c CROSS JOIN login_names n"
            " LEFT JOIN folders f ON f.context_id = c.id AND f.id = :f"
            " LEFT JOIN objects o ON o.context_id = c.id AND o.folder_id = :f AND o.name = :m"
            " WHERE c.id = :c", {"c": context_id, "f": folder_id, "m": member}).fetchone()
        if row is None:
            return None
        stored = None
        if row[3] is not None:
            object_row = tuple(row)[3:]
            stored = StoredObject(meta_from_row(object_row),
                                  bytes(object_row[OBJECT_META_COLUMN_COUNT]), None)
        return Versions(row[0], row[1], row[2]), stored

    def _folders_from_rows(self, context_id: int, rows: list[sqlite3.Row]) -> list[Folder]:
        ids = [row["id"] for row in rows]
        permissions: dict[int, list[FolderPermission]] = {i: [] for i in ids}
        if ids:
            for row in self.conn.execute(
                    "SELECT * FROM folder_permissions WHERE context_id = ? AND folder_id IN"
                    " (SELECT value FROM json_each(?)) ORDER BY folder_id, position",
                    (context_id, json.dumps(ids))):
                permissions[row["folder_id"]].append(permission_from_row(row))
        return [
            Folder(context_id=row["context_id"], id=row["id"], module=module_of(row),
                   owner_id=row["owner_id"], name=row["name"], color=row["color"],
                   description=row["description"], is_default=bool(row["is_default"]),
                   revision=row["revision"], permissions=tuple(permissions[row["id"]]),
                   created=to_datetime(row["created"]), modified=to_datetime(row["modified"]),
                   components=load_list(row["components"]), owner_name=row["owner_name"])
            for row in rows
        ]

    def folders(self, context_id: int, *, folder_id: int | None = None,
                module: Module | None = None) -> list[Folder]:
        where = "f.context_id = :c"
        if folder_id is not None:
            where += " AND f.id = :f"
        if module is not None:
            where += " AND f.module = :m"
        rows = self.conn.execute(f"{_FOLDER} WHERE {where}" + _FOLDER_ORDER,
                                 {"c": context_id, "f": folder_id, "m": module}).fetchall()
        return self._folders_from_rows(context_id, rows)

    def readable_folders(self, context_id: int, user_id: int, groups: frozenset[int],
                         module: Module | None) -> list[Folder]:
        rows = self.conn.execute(
            _FOLDER + " WHERE f.context_id = :c AND (:m IS NULL OR f.module = :m)"
            " AND (f.owner_id = :u OR f.id IN ("
            "  SELECT p.folder_id FROM folder_permissions p WHERE p.context_id = :c"
            "  AND p.read_level > 0 AND ((p.is_group = 0 AND p.entity = :u) OR"
            "  (p.is_group = 1 AND p.entity IN (SELECT value FROM json_each(:g))))))"
            + _FOLDER_ORDER,
            {"c": context_id, "m": module, "u": user_id, "g": json.dumps(sorted(groups))},
        ).fetchall()
        return self._folders_from_rows(context_id, rows)

    def insert_folder(self, context_id: int, folder_id: int, module: Module,
                      owner_id: int | None, name: str, color: str | None,
                      description: str | None, is_default: bool, now: int,
                      components: Sequence[str]) -> None:
        try:
            self.conn.execute(
                "INSERT INTO folders (context_id, id, module, owner_id, name, color,"
                " description, is_default, created, modified, components)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (context_id, folder_id, module, owner_id, name, color, description,
                 int(is_default), now, now, dump_list(components)))
        except sqlite3.IntegrityError as e:
            what = "a default folder" if "is_default" in str(e) or "owner_id" in str(e) else (
                f"folder {folder_id}")
            raise AlreadyExists(f"{what} already exists in context {context_id}") from e

    def update_folder(self, context_id: int, folder_id: int, columns: Mapping[str, Any],
                      now: int) -> None:
        values = {**columns, "modified": now}
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.conn.execute(f"UPDATE folders SET {assignments} WHERE context_id = ? AND id = ?",
                          (*values.values(), context_id, folder_id))

    def replace_permissions(self, context_id: int, folder_id: int,
                            permissions: Sequence[FolderPermission]) -> None:
        self.conn.execute("DELETE FROM folder_permissions WHERE context_id = ? AND folder_id = ?",
                          (context_id, folder_id))
        self.conn.executemany(
            "INSERT INTO folder_permissions (context_id, folder_id, entity, is_group,"
            " read_level, write_level, delete_level, admin, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(context_id, folder_id, *permission_params(p), position)
             for position, p in enumerate(permissions)])

    def delete_folder(self, context_id: int, folder_id: int) -> bool:
        # Objects, changes, properties, permissions and locks cascade.
        return self.conn.execute("DELETE FROM folders WHERE context_id = ? AND id = ?",
                                 (context_id, folder_id)).rowcount > 0

    def own_name(self, context_id: int, user_id: int, folder_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT name FROM folder_own_names WHERE context_id = ? AND user_id = ?"
            " AND folder_id = ?", (context_id, user_id, folder_id)).fetchone()
        return None if row is None else str(row[0])

    def own_names(self, context_id: int, user_id: int) -> dict[int, str]:
        rows = self.conn.execute("SELECT folder_id, name FROM folder_own_names"
                                 " WHERE context_id = ? AND user_id = ?", (context_id, user_id))
        return {folder_id: name for folder_id, name in rows}

    def set_own_name(self, context_id: int, user_id: int, folder_id: int,
                     name: str | None) -> None:
        if name is None:
            self.conn.execute("DELETE FROM folder_own_names WHERE context_id = ?"
                              " AND user_id = ? AND folder_id = ?",
                              (context_id, user_id, folder_id))
            return
        self.conn.execute("INSERT OR REPLACE INTO folder_own_names (context_id, user_id,"
                          " folder_id, name) VALUES (?, ?, ?, ?)",
                          (context_id, user_id, folder_id, name))

    def share_replies(self, context_id: int, *, user_id: int | None = None,
                      folder_id: int | None = None) -> dict[tuple[int, int], str]:
        where, params = "context_id = ?", [context_id]
        if user_id is not None:
            where, params = where + " AND user_id = ?", [*params, user_id]
        if folder_id is not None:
            where, params = where + " AND folder_id = ?", [*params, folder_id]
        rows = self.conn.execute("SELECT user_id, folder_id, status FROM share_replies"
                                 " WHERE " + where, params)
        return {(user, folder): status for user, folder, status in rows}

    def set_share_reply(self, context_id: int, user_id: int, folder_id: int,
                        status: str | None, now: int) -> None:
        if status is None:
            self.conn.execute("DELETE FROM share_replies WHERE context_id = ?"
                              " AND user_id = ? AND folder_id = ?",
                              (context_id, user_id, folder_id))
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO share_replies (context_id, user_id, folder_id,"
            " status, modified) VALUES (?, ?, ?, ?, ?)",
            (context_id, user_id, folder_id, status, now))

    def folder_property(self, context_id: int, name: str) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT folder_id, value FROM dead_properties WHERE context_id = ?"
            " AND resource = '' AND name = ?", (context_id, name))
        return {folder_id: value for folder_id, value in rows}

    def folder_revisions(self, context_id: int, folder_id: int) -> tuple[int, int] | None:
        row = self.conn.execute(
            "SELECT revision, pruned_revision FROM folders WHERE context_id = ? AND id = ?",
            (context_id, folder_id)).fetchone()
        return None if row is None else (row[0], row[1])

    def bump_revision(self, context_id: int, folder_id: int) -> int | None:
        row = self.conn.execute(
            "UPDATE folders SET revision = revision + 1 WHERE context_id = ? AND id = ?"
            " RETURNING revision", (context_id, folder_id)).fetchone()
        return None if row is None else int(row[0])

    # -- objects ----------------------------------------------------------------------

    def hold_writers(self, context_id: int, folder_id: int, owner_id: int | None) -> None:
        """Nothing to do: the one writer connection serialises write transactions."""

    def list_objects(self, scope: Scope, time_range: tuple[int | None, int | None] | None,
                     component: str | None) -> list[ObjectMeta]:
        sql, params = list_query(scope, time_range, component)
        return [meta_from_row(r) for r in self.conn.execute(sql, params)]

    def list_candidates(self, scope: Scope, time_range: tuple[int | None, int | None] | None,
                        component: str | None) -> list[Candidate]:
        sql, params = list_query(scope, time_range, component, CANDIDATE_COLUMNS)
        return [candidate_from_row(r) for r in self.conn.execute(sql, params)]

    def get_objects(self, scope: Scope, names: Sequence[str], derived: bool
                    ) -> dict[str, StoredObject]:
        where, params = scope_where(scope)
        columns = f"{OBJECT_META_COLUMNS}, data" + (", derived" if derived else "")
        found: dict[str, StoredObject] = {}
        for first in range(0, len(names), _NAMES_PER_SELECT):
            chunk = names[first:first + _NAMES_PER_SELECT]
            marks = ", ".join(f":n{i}" for i in range(len(chunk)))
            for row in self.conn.execute(
                    f"SELECT {columns} FROM objects WHERE {where} AND name IN ({marks})",
                    {**params, **{f"n{i}": name for i, name in enumerate(chunk)}}):
                other = row["derived"] if derived else None
                found[row["name"]] = StoredObject(meta_from_row(row),
                                                  bytes(row["data"]),
                                                  None if other is None else bytes(other))
        return found

    def object_by_uid(self, scope: Scope, uid: str) -> ObjectMeta | None:
        where, params = scope_where(scope)
        row = self.conn.execute(
            f"SELECT {OBJECT_META_COLUMNS} FROM objects WHERE {where} AND uid = :uid",
            {**params, "uid": uid}).fetchone()
        return None if row is None else meta_from_row(row)

    def object_state(self, context_id: int, folder_id: int, name: str) -> ObjectState | None:
        row = self.conn.execute(
            "SELECT etag, created_by, created, size, uid FROM objects"
            " WHERE context_id = ? AND folder_id = ? AND name = ?",
            (context_id, folder_id, name)).fetchone()
        return None if row is None else ObjectState(*row)

    def object_meta(self, context_id: int, folder_id: int, name: str) -> ObjectMeta:
        row = self.conn.execute(
            f"SELECT {OBJECT_META_COLUMNS} FROM objects"
            " WHERE context_id = ? AND folder_id = ? AND name = ?",
            (context_id, folder_id, name)).fetchone()
        return meta_from_row(row)

    def uid_holder(self, context_id: int, folder_id: int, uid: str, other_than: str
                   ) -> str | None:
        row = self.conn.execute(
            "SELECT name FROM objects WHERE context_id = ? AND folder_id = ? AND uid = ?"
            " AND name != ?", (context_id, folder_id, uid, other_than)).fetchone()
        return None if row is None else str(row[0])

    def used_bytes(self, context_id: int, owner_id: int) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(SUM(o.size), 0) FROM folders f JOIN objects o"
            " ON o.context_id = f.context_id AND o.folder_id = f.id"
            " WHERE f.context_id = ? AND f.owner_id = ?", (context_id, owner_id)).fetchone()
        return int(row[0])

    def store_object(self, context_id: int, folder_id: int, name: str, index: ObjectIndex,
                     data: bytes, *, etag: str, modseq: int, created_by: int | None,
                     created: int, modified: int) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO objects (context_id, folder_id, name, uid, {_INDEX_COLUMNS},"
            " etag, size, modseq, created_by, created, modified, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (context_id, folder_id, name, index.uid, *_index_values(index), etag, len(data),
             modseq, created_by, created, modified, data))

    def update_index(self, context_id: int, folder_id: int, name: str,
                     index: ObjectIndex) -> None:
        assignments = ", ".join(f"{column} = ?" for column in _INDEX_COLUMNS.split(", "))
        self.conn.execute(
            f"UPDATE objects SET {assignments} WHERE context_id = ? AND folder_id = ?"
            " AND name = ?", (*_index_values(index), context_id, folder_id, name))

    def remove_object(self, context_id: int, folder_id: int, name: str) -> None:
        key = (context_id, folder_id, name)
        self.store_instances(context_id, folder_id, name, None)
        self.conn.execute("DELETE FROM objects WHERE context_id = ? AND folder_id = ?"
                          " AND name = ?", key)
        self.conn.execute("DELETE FROM dead_properties WHERE context_id = ? AND folder_id = ?"
                          " AND resource = ?", key)
        self.conn.execute("DELETE FROM locks WHERE context_id = ? AND folder_id = ?"
                          " AND name = ?", key)

    def record_change(self, context_id: int, folder_id: int, name: str, modseq: int,
                      deleted: bool, created_by: int | None, now: int) -> None:
        self.conn.execute(
            "INSERT INTO changes (context_id, folder_id, name, modseq, deleted, created_by,"
            " changed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (context_id, folder_id, name)"
            " DO UPDATE SET modseq = excluded.modseq, deleted = excluded.deleted,"
            " created_by = excluded.created_by, changed = excluded.changed",
            (context_id, folder_id, name, modseq, int(deleted), created_by, now))

    def changes(self, scope: Scope, since: int | None, limit: int | None) -> list[Change]:
        sql, params = changes_query(scope, since, limit)
        return [Change(None if r["deleted"] else meta_from_row(r),
                       r["change_name"], r["change_modseq"])
                for r in self.conn.execute(sql, params)]

    def prune_tombstones(self, before_us: int) -> int:
        self.conn.execute(
            "UPDATE folders SET pruned_revision = MAX(pruned_revision, (SELECT MAX(c.modseq)"
            " FROM changes c WHERE c.context_id = folders.context_id AND c.folder_id ="
            " folders.id AND c.deleted = 1 AND c.changed < :t)) WHERE EXISTS (SELECT 1 FROM"
            " changes c WHERE c.context_id = folders.context_id AND c.folder_id = folders.id"
            " AND c.deleted = 1 AND c.changed < :t)", {"t": before_us})
        return self.conn.execute("DELETE FROM changes WHERE deleted = 1 AND changed < ?",
                                 (before_us,)).rowcount

    # -- dead properties --------------------------------------------------------------

    def dead_properties(self, context_id: int, folder_id: int, resource: str
                        ) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT name, value FROM dead_properties WHERE context_id = ? AND folder_id = ?"
            " AND resource = ? ORDER BY name", (context_id, folder_id, resource))
        return {name: value for name, value in rows}

    def change_dead_properties(self, context_id: int, folder_id: int, resource: str,
                               values: Mapping[str, str], remove: Sequence[str]) -> None:
        key = (context_id, folder_id, resource)
        self.conn.executemany(
            "DELETE FROM dead_properties WHERE context_id = ? AND folder_id = ?"
            " AND resource = ? AND name = ?", [(*key, name) for name in remove])
        self.conn.executemany(
            "INSERT OR REPLACE INTO dead_properties (context_id, folder_id, resource, name,"
            " value) VALUES (?, ?, ?, ?, ?)", [(*key, n, v) for n, v in values.items()])

    # -- locks ------------------------------------------------------------------------

    def locks(self, scope: Scope, name: str | None, now: float) -> list[Lock]:
        sql = f"SELECT {_LOCK_COLUMNS} FROM locks l"
        where = "l.context_id = :c AND l.folder_id = :f AND l.expires > :now"
        params: dict[str, Any] = {"c": scope.context_id, "f": scope.folder_id, "now": now,
                                  "u": scope.user_id, "n": name}
        if name is not None:
            where += " AND l.name = :n"
        if scope.own_only:
            sql += (" LEFT JOIN objects o ON o.context_id = l.context_id"
                    " AND o.folder_id = l.folder_id AND o.name = l.name")
            where += " AND (o.name IS NULL OR o.created_by = :u)"
        rows = self.conn.execute(f"{sql} WHERE {where} ORDER BY l.name, l.created, l.token",
                                 params)
        return [_lock(row) for row in rows]

    def lock(self, context_id: int, folder_id: int, name: str, token: str, now: float
             ) -> Lock | None:
        row = self.conn.execute(
            f"SELECT {_LOCK_COLUMNS} FROM locks l WHERE l.token = ? AND l.context_id = ?"
            " AND l.folder_id = ? AND l.name = ? AND l.expires > ?",
            (token, context_id, folder_id, name, now)).fetchone()
        return None if row is None else _lock(row)

    def lock_kinds(self, context_id: int, folder_id: int, name: str) -> list[bool]:
        return [bool(row[0]) for row in self.conn.execute(
            "SELECT exclusive FROM locks WHERE context_id = ? AND folder_id = ? AND name = ?",
            (context_id, folder_id, name))]

    def count_locks(self, context_id: int, creator_id: int, now: float) -> int:
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM locks WHERE context_id = ? AND creator_id = ?"
            " AND expires > ?", (context_id, creator_id, now)).fetchone()[0])

    def insert_lock(self, context_id: int, folder_id: int, lock: Lock, now: int) -> None:
        self.conn.execute(
            "INSERT INTO locks (token, context_id, folder_id, name, creator_id, exclusive,"
            " owner, timeout, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (lock.token, context_id, folder_id, lock.name, lock.creator_id, int(lock.exclusive),
             lock.owner, lock.timeout, now, lock.expires))

    def set_lock_expiry(self, token: str, timeout: int, expires: int) -> None:
        self.conn.execute("UPDATE locks SET timeout = ?, expires = ? WHERE token = ?",
                          (timeout, expires, token))

    def delete_lock(self, token: str) -> None:
        self.conn.execute("DELETE FROM locks WHERE token = ?", (token,))

    def drop_expired_locks(self, context_id: int, folder_id: int, name: str,
                           now: float) -> None:
        self.conn.execute("DELETE FROM locks WHERE context_id = ? AND folder_id = ?"
                          " AND name = ? AND expires <= ?", (context_id, folder_id, name, now))

    def prune_locks(self, now: float) -> int:
        return self.conn.execute("DELETE FROM locks WHERE expires <= ?", (now,)).rowcount

    def inbox_items(self, context_id: int, user_id: int, name: str | None
                    ) -> list[tuple[str, bytes, int]]:
        sql = ("SELECT name, data, created FROM schedule_inbox"
               " WHERE context_id = ? AND user_id = ?")
        params: tuple[object, ...] = (context_id, user_id)
        if name is not None:
            sql += " AND name = ?"
            params += (name,)
        rows = self.conn.execute(sql + " ORDER BY name", params).fetchall()
        return [(str(n), bytes(d), int(c)) for n, d, c in rows]

    def insert_inbox_item(self, context_id: int, user_id: int, name: str, data: bytes,
                          now: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO schedule_inbox (context_id, user_id, name, data, created)"
            " VALUES (?, ?, ?, ?, ?)",
            (context_id, user_id, name, data, now))

    def delete_inbox_item(self, context_id: int, user_id: int, name: str) -> bool:
        return self.conn.execute(
            "DELETE FROM schedule_inbox WHERE context_id = ? AND user_id = ? AND name = ?",
            (context_id, user_id, name)).rowcount > 0
