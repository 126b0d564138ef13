"""Folders, objects, changes, dead properties, versions and locks as PostgreSQL rows
(``core.rows.ContentRows``).

Write transactions run at READ COMMITTED, several at once: :meth:`hold_writers` takes
row locks (the owner's user row when the quota is checked, then the folder row) that
the other writers of that folder or quota wait for until commit, and every statement
after it sees what they committed. So the checks of a write (If-Match, If-None-Match,
the UID rule, the quota) and the write itself are one step for every node on the
database: of two racing writers exactly one wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors

from ..core.clock import to_datetime
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
    FOLDER_COLUMNS,
    OBJECT_META_COLUMN_COUNT,
    OBJECT_META_COLUMNS,
    PERMISSIONS_JSON,
    UNBOUNDED_END,
    UNBOUNDED_START,
    candidate_from_row,
    dump_spans,
    meta_from_row,
    module_of,
    permission_params,
    permissions_from_json,
)
from .instance_rows import PostgresInstanceRows

_MEMBER_COLUMNS = ", ".join(f"o.{c.strip()}" for c in OBJECT_META_COLUMNS.split(","))
#: The columns an ``ObjectIndex`` is stored in, in :func:`_index_values` order.
_INDEX_COLUMNS = ("component", "first_start", "last_end", "recurring", "exact_spans",
                  "floating_spans", "derived")
_LOCK_COLUMNS = "l.token, l.name, l.creator_id, l.exclusive, l.owner, l.timeout, l.expires"
_FOLDER_ORDER = " ORDER BY f.module, f.is_default DESC, f.id"
#: A folder's columns, its owner's display name (``Folder.owner_name``) and its
#: permissions (``PERMISSIONS_JSON``), from ``f``: one statement for any number of
#: folders.
_FOLDER = (f"SELECT {FOLDER_COLUMNS}, (SELECT u.display_name FROM users u"
           " WHERE u.context_id = f.context_id AND u.id = f.owner_id),"
           f" {PERMISSIONS_JSON} FROM folders f")
_STORE_OBJECT = (
    "INSERT INTO objects (context_id, folder_id, name, uid, "
    + ", ".join(_INDEX_COLUMNS) + ", etag, size, modseq, created_by, created, modified, data)"
    " VALUES (" + ", ".join(["%s"] * (len(_INDEX_COLUMNS) + 11)) + ")"
    " ON CONFLICT (context_id, folder_id, name) DO UPDATE SET uid = EXCLUDED.uid, "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _INDEX_COLUMNS)
    + ", etag = EXCLUDED.etag, size = EXCLUDED.size, modseq = EXCLUDED.modseq,"
    " created_by = EXCLUDED.created_by, created = EXCLUDED.created,"
    " modified = EXCLUDED.modified, data = EXCLUDED.data")


def scope_where(scope: Scope, alias: str = "") -> tuple[str, dict[str, Any]]:
    """The WHERE clause selecting the scope's readable rows, with parameters."""
    prefix = f"{alias}." if alias else ""
    clause = f"{prefix}context_id = %(c)s AND {prefix}folder_id = %(f)s"
    params: dict[str, Any] = {"c": scope.context_id, "f": scope.folder_id}
    if scope.own_only:
        clause += f" AND {prefix}created_by = %(u)s"
        params["u"] = scope.user_id
    return clause, params


def list_query(scope: Scope, time_range: tuple[int | None, int | None] | None,
               component: str | None, columns: str = OBJECT_META_COLUMNS
               ) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``list_objects`` (of ``list_candidates`` with their ``columns``),
    with parameters (exposed for query-plan tests)."""
    where, params = scope_where(scope)
    if component is not None:
        where += " AND component = %(component)s"
        params["component"] = component
    if time_range is not None:
        start, end = time_range
        if end is not None:
            where += " AND first_start <= %(end)s"
            params["end"] = end
        if start is not None:
            where += " AND last_end >= %(start)s"
            params["start"] = start
    return f"SELECT {columns} FROM objects WHERE {where} ORDER BY name", params




def changes_query(scope: Scope, since: int | None, limit: int | None
                  ) -> tuple[str, dict[str, Any]]:
    """The SELECT of ``changes``, with parameters (exposed for query-plan tests)."""
    if since is None:
        # The initial listing is every live object, whose modseq is its last change's:
        # read from objects alone. Joined with the changes, a folder filled since the last
        # ANALYZE was planned as one row and every change compared with every object of
        # the folder (260 ms at 1,000 members).
        where, params = scope_where(scope, "o")
        params["limit"] = limit
        return (f"SELECT {_MEMBER_COLUMNS}, o.name, o.modseq, false FROM objects o"
                f" WHERE {where} ORDER BY o.modseq LIMIT %(limit)s", params)
    where, params = scope_where(scope, "c")
    params["since"] = since
    params["limit"] = limit
    return (
        f"SELECT {_MEMBER_COLUMNS},"  # first: meta_from_row reads by position
        " c.name, c.modseq, c.deleted"
        " FROM changes c LEFT JOIN objects o ON o.context_id = c.context_id"
        " AND o.folder_id = c.folder_id AND o.name = c.name"
        f" WHERE {where} AND c.modseq > %(since)s ORDER BY c.modseq LIMIT %(limit)s", params)


def _index_values(index: ObjectIndex) -> tuple[object, ...]:
    """``index`` as stored in :data:`_INDEX_COLUMNS` (the UID is a column of its own)."""
    return (index.component, UNBOUNDED_START if index.first_start is None else index.first_start,
            UNBOUNDED_END if index.last_end is None else index.last_end, index.recurring,
            dump_spans(index.exact_spans), index.floating_spans, index.derived)


def _lock(row: Sequence[Any]) -> Lock:
    return Lock(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


class PostgresContentRows(PostgresInstanceRows):
    """The content half of :class:`~oxdav.store.postgres.rows.PostgresRows`."""

    conn: psycopg.Connection[Any]

    # -- versions, folders ------------------------------------------------------------

    def versions(self, context_id: int, folder_id: int | None, member: str | None
                 ) -> tuple[Versions, StoredObject | None] | None:
        # One statement either way: without a member the objects join matches nothing.
        row = self.conn.execute(
            f"SELECT c.version, n.version, f.revision, {_MEMBER_COLUMNS}, o.data"
            " FROM contexts c CROSS JOIN login_names n"
            " LEFT JOIN folders f ON f.context_id = c.id AND f.id = %(f)s"
            " LEFT JOIN objects o ON o.context_id = c.id AND o.folder_id = %(f)s"
            " AND o.name = %(m)s WHERE c.id = %(c)s",
            {"c": context_id, "f": folder_id, "m": member}).fetchone()
        if row is None:
            return None
        stored = None
        if row[3] is not None:
            object_row = row[3:]
            stored = StoredObject(meta_from_row(object_row),
                                  object_row[OBJECT_META_COLUMN_COUNT], None)
        return Versions(row[0], row[1], row[2]), stored

    @staticmethod
    def _folders_from_rows(rows: list[Any]) -> list[Folder]:
        return [
            Folder(context_id=row[0], id=row[1], module=module_of(row[2]), owner_id=row[3],
                   name=row[4], color=row[5], description=row[6], is_default=row[7],
                   revision=row[8], created=to_datetime(row[9]),
                   modified=to_datetime(row[10]), components=tuple(row[11]),
                   owner_name=row[12], permissions=permissions_from_json(row[13]))
            for row in rows
        ]

    def folders(self, context_id: int, *, folder_id: int | None = None,
                module: Module | None = None) -> list[Folder]:
        where = "f.context_id = %(c)s"
        if folder_id is not None:
            where += " AND f.id = %(f)s"
        if module is not None:
            where += " AND f.module = %(m)s"
        rows = self.conn.execute(f"{_FOLDER} WHERE {where}" + _FOLDER_ORDER,
                                 {"c": context_id, "f": folder_id, "m": module}).fetchall()
        return self._folders_from_rows(rows)

    def readable_folders(self, context_id: int, user_id: int, groups: frozenset[int],
                         module: Module | None) -> list[Folder]:
        where = "f.context_id = %(c)s"
        if module is not None:
            where += " AND f.module = %(m)s"
        rows = self.conn.execute(
            f"{_FOLDER} WHERE {where} AND (f.owner_id = %(u)s OR f.id IN ("
            "  SELECT p.folder_id FROM folder_permissions p WHERE p.context_id = %(c)s"
            "  AND p.read_level > 0 AND ((NOT p.is_group AND p.entity = %(u)s) OR"
            "  (p.is_group AND p.entity = ANY(%(g)s::bigint[])))))" + _FOLDER_ORDER,
            {"c": context_id, "m": module, "u": user_id, "g": sorted(groups)},
        ).fetchall()
        return self._folders_from_rows(rows)

    def insert_folder(self, context_id: int, folder_id: int, module: Module,
                      owner_id: int | None, name: str, color: str | None,
                      description: str | None, is_default: bool, now: int,
                      components: Sequence[str]) -> None:
        try:
            self.conn.execute(
                "INSERT INTO folders (context_id, id, module, owner_id, name, color,"
                " description, is_default, created, modified, components)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (context_id, folder_id, module, owner_id, name, color, description,
                 is_default, now, now, list(components)))
        except errors.UniqueViolation as e:
            what = ("a default folder" if e.diag.constraint_name == "folders_one_default"
                    else f"folder {folder_id}")
            raise AlreadyExists(f"{what} already exists in context {context_id}") from e

    def update_folder(self, context_id: int, folder_id: int, columns: Mapping[str, Any],
                      now: int) -> None:
        values = {**columns, "modified": now}
        assignments = ", ".join(f"{column} = %s" for column in values)
        self.conn.execute(
            f"UPDATE folders SET {assignments} WHERE context_id = %s AND id = %s",
            (*values.values(), context_id, folder_id))

    def replace_permissions(self, context_id: int, folder_id: int,
                            permissions: Sequence[FolderPermission]) -> None:
        self.conn.execute(
            "DELETE FROM folder_permissions WHERE context_id = %s AND folder_id = %s",
            (context_id, folder_id))
        if permissions:
            self.conn.cursor().executemany(
                "INSERT INTO folder_permissions (context_id, folder_id, entity, is_group,"
                " read_level, write_level, delete_level, admin, position)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(context_id, folder_id, *permission_params(p), position)
                 for position, p in enumerate(permissions)])

    def delete_folder(self, context_id: int, folder_id: int) -> bool:
        # Objects, changes, properties, permissions and locks cascade.
        return self.conn.execute("DELETE FROM folders WHERE context_id = %s AND id = %s",
                                 (context_id, folder_id)).rowcount > 0

    def own_name(self, context_id: int, user_id: int, folder_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT name FROM folder_own_names WHERE context_id = %s AND user_id = %s"
            " AND folder_id = %s", (context_id, user_id, folder_id)).fetchone()
        return None if row is None else str(row[0])

    def own_names(self, context_id: int, user_id: int) -> dict[int, str]:
        rows = self.conn.execute("SELECT folder_id, name FROM folder_own_names"
                                 " WHERE context_id = %s AND user_id = %s",
                                 (context_id, user_id))
        return {folder_id: name for folder_id, name in rows}

    def set_own_name(self, context_id: int, user_id: int, folder_id: int,
                     name: str | None) -> None:
        if name is None:
            self.conn.execute("DELETE FROM folder_own_names WHERE context_id = %s"
                              " AND user_id = %s AND folder_id = %s",
                              (context_id, user_id, folder_id))
            return
        self.conn.execute(
            "INSERT INTO folder_own_names (context_id, user_id, folder_id, name)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (context_id, user_id, folder_id)"
            " DO UPDATE SET name = EXCLUDED.name", (context_id, user_id, folder_id, name))

    def share_replies(self, context_id: int, *, user_id: int | None = None,
                      folder_id: int | None = None) -> dict[tuple[int, int], str]:
        where, params = "context_id = %s", [context_id]
        if user_id is not None:
            where, params = where + " AND user_id = %s", [*params, user_id]
        if folder_id is not None:
            where, params = where + " AND folder_id = %s", [*params, folder_id]
        rows = self.conn.execute("SELECT user_id, folder_id, status FROM share_replies"
                                 " WHERE " + where, params)
        return {(user, folder): status for user, folder, status in rows}

    def set_share_reply(self, context_id: int, user_id: int, folder_id: int,
                        status: str | None, now: int) -> None:
        if status is None:
            self.conn.execute("DELETE FROM share_replies WHERE context_id = %s"
                              " AND user_id = %s AND folder_id = %s",
                              (context_id, user_id, folder_id))
            return
        self.conn.execute(
            "INSERT INTO share_replies (context_id, user_id, folder_id, status, modified)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (context_id, user_id, folder_id)"
            " DO UPDATE SET status = EXCLUDED.status, modified = EXCLUDED.modified",
            (context_id, user_id, folder_id, status, now))

    def folder_property(self, context_id: int, name: str) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT folder_id, value FROM dead_properties WHERE context_id = %s"
            " AND resource = '' AND name = %s", (context_id, name))
        return {folder_id: value for folder_id, value in rows}

    def folder_revisions(self, context_id: int, folder_id: int) -> tuple[int, int] | None:
        row = self.conn.execute(
            "SELECT revision, pruned_revision FROM folders WHERE context_id = %s AND id = %s",
            (context_id, folder_id)).fetchone()
        return None if row is None else (row[0], row[1])

    def bump_revision(self, context_id: int, folder_id: int) -> int | None:
        row = self.conn.execute(
            "UPDATE folders SET revision = revision + 1 WHERE context_id = %s AND id = %s"
            " RETURNING revision", (context_id, folder_id)).fetchone()
        return None if row is None else int(row[0])

    # -- objects ----------------------------------------------------------------------

    def hold_writers(self, context_id: int, folder_id: int, owner_id: int | None) -> None:
        """Lock the owner's user row (when the quota is checked), then the folder row,
        until commit; one statement, locking in that order (subqueries are run left
        to right), so that writers taking both never wait for each other in a circle.
        NO KEY UPDATE: other writers wait, inserts that only check the rows' keys (a
        lock on a member, a dead property) do not."""
        self.conn.execute(
            "SELECT (SELECT 1 FROM users WHERE context_id = %(c)s AND id = %(o)s"
            " FOR NO KEY UPDATE), (SELECT 1 FROM folders WHERE context_id = %(c)s"
            " AND id = %(f)s FOR NO KEY UPDATE)",
            {"c": context_id, "o": owner_id, "f": folder_id})

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
        # Rows in binary: bytea as it is rather than hex text twice its size, which the
        # server encodes and psycopg decodes (a report's batches ~30 % faster).
        for row in self.conn.execute(
                f"SELECT {columns} FROM objects WHERE {where} AND name = ANY(%(names)s)",
                {**params, "names": list(names)}, binary=True):
            found[row[0]] = StoredObject(meta_from_row(row),
                                         row[OBJECT_META_COLUMN_COUNT],
                                         row[OBJECT_META_COLUMN_COUNT + 1] if derived else None)
        return found

    def object_by_uid(self, scope: Scope, uid: str) -> ObjectMeta | None:
        where, params = scope_where(scope)
        row = self.conn.execute(
            f"SELECT {OBJECT_META_COLUMNS} FROM objects WHERE {where} AND uid = %(uid)s",
            {**params, "uid": uid}).fetchone()
        return None if row is None else meta_from_row(row)

    def object_state(self, context_id: int, folder_id: int, name: str) -> ObjectState | None:
        row = self.conn.execute(
            "SELECT etag, created_by, created, size, uid FROM objects"
            " WHERE context_id = %s AND folder_id = %s AND name = %s",
            (context_id, folder_id, name)).fetchone()
        return None if row is None else ObjectState(*row)

    def object_meta(self, context_id: int, folder_id: int, name: str) -> ObjectMeta:
        row = self.conn.execute(
            f"SELECT {OBJECT_META_COLUMNS} FROM objects"
            " WHERE context_id = %s AND folder_id = %s AND name = %s",
            (context_id, folder_id, name)).fetchone()
        return meta_from_row(row)

    def uid_holder(self, context_id: int, folder_id: int, uid: str, other_than: str
                   ) -> str | None:
        row = self.conn.execute(
            "SELECT name FROM objects WHERE context_id = %s AND folder_id = %s AND uid = %s"
            " AND name <> %s", (context_id, folder_id, uid, other_than)).fetchone()
        return None if row is None else str(row[0])

    def used_bytes(self, context_id: int, owner_id: int) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(SUM(o.size), 0) FROM folders f JOIN objects o"
            " ON o.context_id = f.context_id AND o.folder_id = f.id"
            " WHERE f.context_id = %s AND f.owner_id = %s", (context_id, owner_id)).fetchone()
        return int(row[0])

    def store_object(self, context_id: int, folder_id: int, name: str, index: ObjectIndex,
                     data: bytes, *, etag: str, modseq: int, created_by: int | None,
                     created: int, modified: int) -> None:
        self.conn.execute(_STORE_OBJECT, (
            context_id, folder_id, name, index.uid, *_index_values(index), etag, len(data),
            modseq, created_by, created, modified, data))

    def update_index(self, context_id: int, folder_id: int, name: str,
                     index: ObjectIndex) -> None:
        assignments = ", ".join(f"{column} = %s" for column in _INDEX_COLUMNS)
        self.conn.execute(
            f"UPDATE objects SET {assignments} WHERE context_id = %s AND folder_id = %s"
            " AND name = %s", (*_index_values(index), context_id, folder_id, name))

    def remove_object(self, context_id: int, folder_id: int, name: str) -> None:
        # One statement, one round trip.
        self.conn.execute(
            "WITH properties AS (DELETE FROM dead_properties WHERE context_id = %(c)s"
            " AND folder_id = %(f)s AND resource = %(n)s), held AS (DELETE FROM locks"
            " WHERE context_id = %(c)s AND folder_id = %(f)s AND name = %(n)s),"
            " windows AS (DELETE FROM instance_windows WHERE context_id = %(c)s"
            " AND folder_id = %(f)s AND name = %(n)s), spans AS (DELETE FROM"
            " object_instances WHERE context_id = %(c)s AND folder_id = %(f)s"
            " AND name = %(n)s)"
            " DELETE FROM objects WHERE context_id = %(c)s AND folder_id = %(f)s"
            " AND name = %(n)s", {"c": context_id, "f": folder_id, "n": name})

    def record_change(self, context_id: int, folder_id: int, name: str, modseq: int,
                      deleted: bool, created_by: int | None, now: int) -> None:
        self.conn.execute(
            "INSERT INTO changes (context_id, folder_id, name, modseq, deleted, created_by,"
            " changed) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (context_id, folder_id, name) DO UPDATE SET modseq = EXCLUDED.modseq,"
            " deleted = EXCLUDED.deleted, created_by = EXCLUDED.created_by,"
            " changed = EXCLUDED.changed",
            (context_id, folder_id, name, modseq, deleted, created_by, now))

    def changes(self, scope: Scope, since: int | None, limit: int | None) -> list[Change]:
        sql, params = changes_query(scope, since, limit)
        width = OBJECT_META_COLUMN_COUNT
        return [Change(None if r[width + 2] else meta_from_row(r), r[width],
                       r[width + 1])
                for r in self.conn.execute(sql, params)]

    def prune_tombstones(self, before_us: int) -> int:
        self.conn.execute(
            "UPDATE folders f SET pruned_revision = GREATEST(f.pruned_revision, t.top)"
            " FROM (SELECT context_id, folder_id, MAX(modseq) AS top FROM changes"
            " WHERE deleted AND changed < %(t)s GROUP BY context_id, folder_id) t"
            " WHERE f.context_id = t.context_id AND f.id = t.folder_id", {"t": before_us})
        return self.conn.execute("DELETE FROM changes WHERE deleted AND changed < %s",
                                 (before_us,)).rowcount

    # -- dead properties --------------------------------------------------------------

    def dead_properties(self, context_id: int, folder_id: int, resource: str
                        ) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT name, value FROM dead_properties WHERE context_id = %s AND folder_id = %s"
            " AND resource = %s ORDER BY name", (context_id, folder_id, resource))
        return {name: value for name, value in rows}

    def change_dead_properties(self, context_id: int, folder_id: int, resource: str,
                               values: Mapping[str, str], remove: Sequence[str]) -> None:
        key = (context_id, folder_id, resource)
        if remove:
            self.conn.execute(
                "DELETE FROM dead_properties WHERE context_id = %s AND folder_id = %s"
                " AND resource = %s AND name = ANY(%s)", (*key, list(remove)))
        if values:
            self.conn.cursor().executemany(
                "INSERT INTO dead_properties (context_id, folder_id, resource, name, value)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (context_id, folder_id, resource,"
                " name) DO UPDATE SET value = EXCLUDED.value",
                [(*key, n, v) for n, v in values.items()])

    # -- locks ------------------------------------------------------------------------

    def locks(self, scope: Scope, name: str | None, now: float) -> list[Lock]:
        sql = f"SELECT {_LOCK_COLUMNS} FROM locks l"
        where = "l.context_id = %(c)s AND l.folder_id = %(f)s AND l.expires > %(now)s"
        params: dict[str, Any] = {"c": scope.context_id, "f": scope.folder_id, "now": now,
                                  "u": scope.user_id, "n": name}
        if name is not None:
            where += " AND l.name = %(n)s"
        if scope.own_only:
            sql += (" LEFT JOIN objects o ON o.context_id = l.context_id"
                    " AND o.folder_id = l.folder_id AND o.name = l.name")
            where += " AND (o.name IS NULL OR o.created_by = %(u)s)"
        rows = self.conn.execute(
            f"{sql} WHERE {where} ORDER BY l.name, l.created, l.token", params)
        return [_lock(row) for row in rows]

    def lock(self, context_id: int, folder_id: int, name: str, token: str, now: float
             ) -> Lock | None:
        row = self.conn.execute(
            f"SELECT {_LOCK_COLUMNS} FROM locks l WHERE l.token = %s AND l.context_id = %s"
            " AND l.folder_id = %s AND l.name = %s AND l.expires > %s",
            (token, context_id, folder_id, name, now)).fetchone()
        return None if row is None else _lock(row)

    def lock_kinds(self, context_id: int, folder_id: int, name: str) -> list[bool]:
        return [row[0] for row in self.conn.execute(
            "SELECT exclusive FROM locks WHERE context_id = %s AND folder_id = %s"
            " AND name = %s", (context_id, folder_id, name))]

    def count_locks(self, context_id: int, creator_id: int, now: float) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM locks WHERE context_id = %s AND creator_id = %s"
            " AND expires > %s", (context_id, creator_id, now)).fetchone()
        return int(row[0])

    def insert_lock(self, context_id: int, folder_id: int, lock: Lock, now: int) -> None:
        self.conn.execute(
            "INSERT INTO locks (token, context_id, folder_id, name, creator_id, exclusive,"
            " owner, timeout, created, expires) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s)", (lock.token, context_id, folder_id, lock.name, lock.creator_id,
                     lock.exclusive, lock.owner, lock.timeout, now, lock.expires))

    def set_lock_expiry(self, token: str, timeout: int, expires: int) -> None:
        self.conn.execute("UPDATE locks SET timeout = %s, expires = %s WHERE token = %s",
                          (timeout, expires, token))

    def delete_lock(self, token: str) -> None:
        self.conn.execute("DELETE FROM locks WHERE token = %s", (token,))

    def drop_expired_locks(self, context_id: int, folder_id: int, name: str,
                           now: float) -> None:
        self.conn.execute("DELETE FROM locks WHERE context_id = %s AND folder_id = %s"
                          " AND name = %s AND expires <= %s", (context_id, folder_id, name, now))

    def prune_locks(self, now: float) -> int:
        return self.conn.execute("DELETE FROM locks WHERE expires <= %s", (now,)).rowcount

    def inbox_items(self, context_id: int, user_id: int, name: str | None
                    ) -> list[tuple[str, bytes, int]]:
        sql = ("SELECT name, data, created FROM schedule_inbox"
               " WHERE context_id = %s AND user_id = %s")
        params: tuple[object, ...] = (context_id, user_id)
        if name is not None:
            sql += " AND name = %s"
            params += (name,)
        rows = self.conn.execute(sql + " ORDER BY name", params).fetchall()
        return [(str(n), bytes(d), int(c)) for n, d, c in rows]

    def insert_inbox_item(self, context_id: int, user_id: int, name: str, data: bytes,
                          now: int) -> None:
        self.conn.execute(
            "INSERT INTO schedule_inbox (context_id, user_id, name, data, created)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (context_id, user_id, name)"
            " DO UPDATE SET data = EXCLUDED.data, created = EXCLUDED.created",
            (context_id, user_id, name, data, now))

    def delete_inbox_item(self, context_id: int, user_id: int, name: str) -> bool:
        return self.conn.execute(
            "DELETE FROM schedule_inbox WHERE context_id = %s AND user_id = %s AND name = %s",
            (context_id, user_id, name)).rowcount > 0
