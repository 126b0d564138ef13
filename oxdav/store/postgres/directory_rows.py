"""Contexts, users and groups as PostgreSQL rows (``core.rows.DirectoryRows``).

A unique violation fails the statement, and with it the transaction up to the call's
savepoint (``core.transaction``): it is raised as ``AlreadyExists`` with the SQLite
engine's messages. Id counters move with one ``UPDATE … RETURNING``, so concurrent
creators in one context never take the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors

from ..errors import AlreadyExists
from ..models import Context, Group, SearchMatch, SearchTerm, User
from .convert import (
    CONTEXT_COLUMNS,
    GROUP_COLUMNS,
    USER_COLUMNS,
    context_from_row,
    folded,
    group_from_row,
    json_mapping,
    user_from_row,
)

#: Per-context id counters by the name the core uses.
_COUNTERS = {"user": "next_user_id", "group": "next_group_id", "folder": "next_folder_id"}
#: Columns a search term compares, folded by the engine when the row is written.
_FOLDED = {"display_name": "display_name_folded"}


def _stored(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as their columns hold them, with the folded copies searched."""
    stored: dict[str, Any] = {}
    for name, value in columns.items():
        if name in ("aliases", "phones", "permissions", "taxonomy_types"):
            value = [str(v) for v in value]
        elif name == "config":
            value = json_mapping(value)
        stored[name] = value
        if name in _FOLDED:
            stored[_FOLDED[name]] = folded(value)
    return stored


def _update(conn: psycopg.Connection[Any], table: str, columns: Mapping[str, Any],
            where: str, params: tuple[Any, ...]) -> None:
    """UPDATE ``table`` SET ``columns`` WHERE ``where`` (names come from code only)."""
    assignments = ", ".join(f"{column} = %s" for column in columns)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE {where}",
                 (*columns.values(), *params))


def _constraint(error: errors.UniqueViolation) -> str:
    return error.diag.constraint_name or ""


#: Compares a folded column (``{value}``) with a parameter folded already; strpos
#: counts characters, as SQLite's instr does.
_MATCHES: dict[SearchMatch, str] = {
    "contains": "strpos({value}, %s) > 0",
    "starts-with": "strpos({value}, %s) = 1",
    "equals": "{value} = %s",
}


def _user_field(field: str, compare: str) -> str | None:
    if field == "name":
        return compare.format(value="u.display_name_folded")
    return ("EXISTS (SELECT 1 FROM user_addresses a WHERE a.context_id = u.context_id"
            f" AND a.user_id = u.id AND {compare.format(value='a.address_folded')})")


def _group_field(field: str, compare: str) -> str | None:
    return compare.format(value="g.display_name_folded") if field == "name" else None


def _search(terms: Sequence[SearchTerm], any_term: bool,
            field_sql: Callable[[str, str], str | None]) -> tuple[str, list[str]]:
    """The AND clause of a search (one condition per term, met when one of its fields
    matches) and its parameters."""
    conditions: list[str] = []
    params: list[str] = []
    for term in terms:
        parts: list[str] = []
        for field in term.fields:
            sql = field_sql(field, _MATCHES[term.match])
            if sql is not None:
                parts.append(sql)
                params.append(folded(term.text))
        conditions.append("(" + " OR ".join(parts) + ")" if parts else "FALSE")
    if not conditions:
        return "", params
    return " AND (" + (" OR " if any_term else " AND ").join(conditions) + ")", params


class PostgresDirectoryRows:
    """The directory half of :class:`~oxdav.store.postgres.rows.PostgresRows`."""

    conn: psycopg.Connection[Any]

    # -- contexts ---------------------------------------------------------------------

    def context(self, context_id: int) -> Context | None:
        row = self.conn.execute(
            f"SELECT {CONTEXT_COLUMNS}, n.version,"
            " ARRAY(SELECT m.mapping FROM context_mappings m WHERE m.context_id = c.id"
            " ORDER BY m.position) FROM contexts c CROSS JOIN login_names n WHERE c.id = %s",
            (context_id,)).fetchone()
        if row is None:
            return None
        return context_from_row(row, row[6], row[7])

    def context_id_by_mapping(self, mapping: str) -> int | None:
        row = self.conn.execute(
            "SELECT context_id FROM context_mappings WHERE lower(mapping) = lower(%s)",
            (mapping,)).fetchone()
        return None if row is None else int(row[0])

    def context_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM contexts ORDER BY id")]

    def insert_context(self, context_id: int | None, name: str, taxonomy_types: list[str],
                       config: dict[str, str], enabled: bool, now: int) -> int:
        try:
            row = self.conn.execute(
                "INSERT INTO contexts (id, name, taxonomy_types, config, enabled, created,"
                " modified) VALUES (COALESCE(%s, nextval('contexts_id_seq')), %s, %s, %s,"
                " %s, %s, %s) RETURNING id",
                (context_id, name, list(taxonomy_types), json_mapping(config), enabled, now,
                 now)).fetchone()
        except errors.UniqueViolation as e:
            raise AlreadyExists(f"context {name!r} (id {context_id}) already exists") from e
        assert row is not None
        if context_id is not None:
            # An id chosen by hand: the generated ones continue after it, never reusing
            # it (SQLite's AUTOINCREMENT does the same).
            self.conn.execute(
                "SELECT setval('contexts_id_seq', GREATEST(%s, (SELECT CASE WHEN is_called"
                " THEN last_value ELSE 0 END FROM contexts_id_seq)))", (context_id,))
        return int(row[0])

    def update_context(self, context_id: int, columns: Mapping[str, Any], now: int) -> None:
        try:
            _update(self.conn, "contexts", {**_stored(columns), "modified": now}, "id = %s",
                    (context_id,))
        except errors.UniqueViolation as e:
            raise AlreadyExists(f"context name {columns.get('name')!r} is taken") from e

    def replace_mappings(self, context_id: int, mappings: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM context_mappings WHERE context_id = %s", (context_id,))
        for position, mapping in enumerate(mappings):
            try:
                self.conn.execute(
                    "INSERT INTO context_mappings (mapping, context_id, position)"
                    " VALUES (%s, %s, %s)", (mapping, context_id, position))
            except errors.UniqueViolation as e:
                raise AlreadyExists(
                    f"login mapping {mapping!r} belongs to another context") from e

    def delete_context(self, context_id: int) -> bool:
        # Foreign keys cascade to everything of the context.
        return self.conn.execute("DELETE FROM contexts WHERE id = %s",
                                 (context_id,)).rowcount > 0

    def next_id(self, context_id: int, counter: str, explicit: int | None) -> int | None:
        column = _COUNTERS[counter]
        # One statement: the row lock it takes makes concurrent creators wait for it.
        if explicit is None:
            sql = (f"UPDATE contexts SET {column} = {column} + 1 WHERE id = %s"
                   f" RETURNING {column} - 1")
            params: tuple[Any, ...] = (context_id,)
        else:
            sql = (f"UPDATE contexts SET {column} = GREATEST({column}, %s::bigint + 1)"
                   " WHERE id = %s RETURNING %s::bigint")
            params = (explicit, context_id, explicit)
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else int(row[0])

    # -- users ------------------------------------------------------------------------

    def user(self, context_id: int, user_id: int) -> User | None:
        row = self.conn.execute(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.context_id = %s AND u.id = %s",
            (context_id, user_id)).fetchone()
        return None if row is None else user_from_row(row)

    def user_by_login(self, context_id: int, login: str) -> User | None:
        row = self.conn.execute(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.context_id = %s"
            " AND lower(u.login) = lower(%s)", (context_id, login)).fetchone()
        return None if row is None else user_from_row(row)

    def user_by_address(self, address: str) -> User | None:
        row = self.conn.execute(
            f"SELECT {USER_COLUMNS} FROM user_addresses a JOIN users u"
            " ON u.context_id = a.context_id AND u.id = a.user_id"
            " WHERE lower(a.address) = lower(%s)", (address,)).fetchone()
        return None if row is None else user_from_row(row)

    def users(self, context_id: int) -> list[User]:
        rows = self.conn.execute(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.context_id = %s ORDER BY u.id",
            (context_id,))
        return [user_from_row(r) for r in rows]

    def find_users(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                   limit: int) -> list[User]:
        where, params = _search(terms, any_term, _user_field)
        rows = self.conn.execute(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.context_id = %s AND u.enabled"
            + where + " ORDER BY u.id LIMIT %s",
            (context_id, *params, limit))
        return [user_from_row(r) for r in rows]

    def find_group_ids(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                       limit: int) -> list[int]:
        where, params = _search(terms, any_term, _group_field)
        return [r[0] for r in self.conn.execute(
            "SELECT g.id FROM groups g WHERE g.context_id = %s" + where
            + " ORDER BY g.id LIMIT %s", (context_id, *params, limit))]

    def user_group_ids(self, context_id: int, user_id: int) -> list[int] | None:
        row = self.conn.execute(
            "SELECT ARRAY(SELECT m.group_id FROM group_members m WHERE m.context_id ="
            " u.context_id AND m.user_id = u.id) FROM users u WHERE u.context_id = %s"
            " AND u.id = %s", (context_id, user_id)).fetchone()
        return None if row is None else list(row[0])

    def insert_user(self, context_id: int, user_id: int, fields: Mapping[str, Any],
                    now: int) -> None:
        columns = {"context_id": context_id, "id": user_id, **_stored(fields),
                   "created": now, "modified": now}
        try:
            self.conn.execute(
                f"INSERT INTO users ({', '.join(columns)})"
                f" VALUES ({', '.join(['%s'] * len(columns))})", tuple(columns.values()))
        except errors.UniqueViolation as e:
            login = fields.get("login")
            what = f"login {login!r}" if _constraint(e) == "users_login" else (
                f"user id {user_id}")
            raise AlreadyExists(f"{what} already exists in context {context_id}") from e

    def update_user(self, context_id: int, user_id: int, columns: Mapping[str, Any],
                    now: int) -> None:
        try:
            _update(self.conn, "users", {**_stored(columns), "modified": now},
                    "context_id = %s AND id = %s", (context_id, user_id))
        except errors.UniqueViolation as e:
            raise AlreadyExists(f"login {columns.get('login')!r} already exists") from e

    def replace_addresses(self, context_id: int, user_id: int,
                          addresses: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM user_addresses WHERE context_id = %s AND user_id = %s",
                          (context_id, user_id))
        for address in addresses:
            try:
                self.conn.execute(
                    "INSERT INTO user_addresses (address, address_folded, context_id,"
                    " user_id) VALUES (%s, %s, %s, %s)",
                    (address, folded(address), context_id, user_id))
            except errors.UniqueViolation as e:
                raise AlreadyExists(f"address {address!r} belongs to another user") from e

    def delete_user(self, context_id: int, user_id: int) -> None:
        self.conn.execute(
            "DELETE FROM folder_permissions WHERE context_id = %s AND NOT is_group"
            " AND entity = %s", (context_id, user_id))
        # Folders, objects, memberships, addresses and locks cascade.
        self.conn.execute("DELETE FROM users WHERE context_id = %s AND id = %s",
                          (context_id, user_id))

    # -- groups -----------------------------------------------------------------------

    def group(self, context_id: int, group_id: int) -> Group | None:
        row = self.conn.execute(
            f"SELECT {GROUP_COLUMNS}, ARRAY(SELECT m.user_id FROM group_members m"
            " WHERE m.context_id = g.context_id AND m.group_id = g.id)"
            " FROM groups g WHERE g.context_id = %s AND g.id = %s",
            (context_id, group_id)).fetchone()
        return None if row is None else group_from_row(row, row[4])

    def group_ids(self, context_id: int, member: int | None) -> list[int]:
        if member is None:
            cursor = self.conn.execute(
                "SELECT id FROM groups WHERE context_id = %s ORDER BY id", (context_id,))
        else:
            cursor = self.conn.execute(
                "SELECT group_id FROM group_members WHERE context_id = %s AND user_id = %s"
                " ORDER BY group_id", (context_id, member))
        return [r[0] for r in cursor]

    def insert_group(self, context_id: int, group_id: int, name: str, display_name: str,
                     now: int) -> None:
        try:
            self.conn.execute(
                "INSERT INTO groups (context_id, id, name, display_name, display_name_folded,"
                " created, modified) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (context_id, group_id, name, display_name, folded(display_name), now, now))
        except errors.UniqueViolation as e:
            raise AlreadyExists(f"group {name!r} (id {group_id}) already exists") from e

    def update_group(self, context_id: int, group_id: int, columns: Mapping[str, Any],
                     now: int) -> None:
        try:
            _update(self.conn, "groups", {**_stored(columns), "modified": now},
                    "context_id = %s AND id = %s", (context_id, group_id))
        except errors.UniqueViolation as e:
            raise AlreadyExists(f"group name {columns.get('name')!r} is taken") from e

    def replace_members(self, context_id: int, group_id: int, members: Sequence[int]) -> None:
        self.conn.execute("DELETE FROM group_members WHERE context_id = %s AND group_id = %s",
                          (context_id, group_id))
        if members:
            self.conn.execute(
                "INSERT INTO group_members (context_id, group_id, user_id)"
                " SELECT %s, %s, unnest(%s::bigint[])", (context_id, group_id, list(members)))

    def delete_group(self, context_id: int, group_id: int) -> None:
        self.conn.execute(
            "DELETE FROM folder_permissions WHERE context_id = %s AND is_group"
            " AND entity = %s", (context_id, group_id))
        self.conn.execute("DELETE FROM groups WHERE context_id = %s AND id = %s",
                          (context_id, group_id))
