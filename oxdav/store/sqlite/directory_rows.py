"""Contexts, users and groups as SQLite rows (``core.rows.DirectoryRows``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import AlreadyExists
from ..models import Context, Group, SearchMatch, SearchTerm, User
from .convert import (
    context_from_row,
    dump_list,
    dump_mapping,
    group_from_row,
    is_unique_violation,
    user_from_row,
)

#: Per-context id counters by the name the core uses.
_COUNTERS = {"user": "next_user_id", "group": "next_group_id", "folder": "next_folder_id"}
#: List-valued user fields, stored as JSON text.
_LISTS = ("aliases", "phones", "permissions")


def _update(conn: sqlite3.Connection, table: str, columns: Mapping[str, Any], where: str,
            params: tuple[Any, ...]) -> None:
    """UPDATE ``table`` SET ``columns`` WHERE ``where`` (names come from code only)."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE {where}",
                 (*columns.values(), *params))


def _stored(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as their columns hold them (JSON lists and mappings, 0/1)."""
    stored: dict[str, Any] = {}
    for name, value in columns.items():
        if name in _LISTS or name == "taxonomy_types":
            value = dump_list(value)
        elif name == "config":
            value = dump_mapping(value)
        elif name == "enabled":
            value = int(value)
        stored[name] = value
    return stored


#: Compares a case-folded column (``{value}``) with a parameter that is folded already.
_MATCHES: dict[SearchMatch, str] = {
    "contains": "instr({value}, ?) > 0",
    "starts-with": "instr({value}, ?) = 1",
    "equals": "{value} = ?",
}


def _user_field(field: str, compare: str) -> str | None:
    """SQL comparing a user's ``field`` as ``compare`` says (one parameter)."""
    if field == "name":
        return compare.format(value="casefold(u.display_name)")
    return ("EXISTS (SELECT 1 FROM user_addresses a WHERE a.context_id = u.context_id"
            f" AND a.user_id = u.id AND {compare.format(value='casefold(a.address)')})")


def _group_field(field: str, compare: str) -> str | None:
    """SQL comparing a group's ``field`` (None: groups have no addresses)."""
    return compare.format(value="casefold(g.display_name)") if field == "name" else None


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
                params.append(term.text.casefold())
        conditions.append("(" + " OR ".join(parts) + ")" if parts else "0")
    if not conditions:
        return "", params
    return " AND (" + (" OR " if any_term else " AND ").join(conditions) + ")", params


class SQLiteDirectoryRows:
    """The directory half of :class:`~oxdav.store.sqlite.rows.SQLiteRows`."""

    conn: sqlite3.Connection

    # -- contexts ---------------------------------------------------------------------

    def context(self, context_id: int) -> Context | None:
        row = self.conn.execute(
            "SELECT *, (SELECT version FROM login_names) AS names_version FROM contexts"
            " WHERE id = ?", (context_id,)).fetchone()
        if row is None:
            return None
        mappings = [r[0] for r in self.conn.execute(
            "SELECT mapping FROM context_mappings WHERE context_id = ? ORDER BY position",
            (context_id,))]
        return context_from_row(row, mappings)

    def context_id_by_mapping(self, mapping: str) -> int | None:
        row = self.conn.execute("SELECT context_id FROM context_mappings WHERE mapping = ?",
                                (mapping,)).fetchone()
        return None if row is None else int(row[0])

    def context_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM contexts ORDER BY id")]

    def insert_context(self, context_id: int | None, name: str, taxonomy_types: list[str],
                       config: dict[str, str], enabled: bool, now: int) -> int:
        try:
            cursor = self.conn.execute(
                "INSERT INTO contexts (id, name, taxonomy_types, config, enabled, created,"
                " modified) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (context_id, name, dump_list(taxonomy_types), dump_mapping(config),
                 int(enabled), now, now))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"context {name!r} (id {context_id}) already exists") from e
        new_id = context_id if context_id is not None else cursor.lastrowid
        assert new_id is not None
        return new_id

    def update_context(self, context_id: int, columns: Mapping[str, Any], now: int) -> None:
        try:
            _update(self.conn, "contexts", {**_stored(columns), "modified": now}, "id = ?",
                    (context_id,))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"context name {columns.get('name')!r} is taken") from e

    def replace_mappings(self, context_id: int, mappings: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM context_mappings WHERE context_id = ?", (context_id,))
        for position, mapping in enumerate(mappings):
            try:
                self.conn.execute("INSERT INTO context_mappings (mapping, context_id, position)"
                                  " VALUES (?, ?, ?)", (mapping, context_id, position))
            except sqlite3.IntegrityError as e:
                raise AlreadyExists(
                    f"login mapping {mapping!r} belongs to another context") from e

    def delete_context(self, context_id: int) -> bool:
        # Foreign keys cascade to everything of the context.
        return self.conn.execute("DELETE FROM contexts WHERE id = ?",
                                 (context_id,)).rowcount > 0

    def next_id(self, context_id: int, counter: str, explicit: int | None) -> int | None:
        column = _COUNTERS[counter]
        row = self.conn.execute(f"SELECT {column} FROM contexts WHERE id = ?",
                                (context_id,)).fetchone()
        if row is None:
            return None
        new_id = row[0] if explicit is None else explicit
        self.conn.execute(f"UPDATE contexts SET {column} = MAX({column}, ?) WHERE id = ?",
                          (new_id + 1, context_id))
        return int(new_id)

    # -- users ------------------------------------------------------------------------

    def user(self, context_id: int, user_id: int) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE context_id = ? AND id = ?",
                                (context_id, user_id)).fetchone()
        return None if row is None else user_from_row(row)

    def user_by_login(self, context_id: int, login: str) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE context_id = ? AND login = ?",
                                (context_id, login)).fetchone()
        return None if row is None else user_from_row(row)

    def user_by_address(self, address: str) -> User | None:
        row = self.conn.execute(
            "SELECT u.* FROM user_addresses a JOIN users u"
            " ON u.context_id = a.context_id AND u.id = a.user_id WHERE a.address = ?",
            (address,)).fetchone()
        return None if row is None else user_from_row(row)

    def users(self, context_id: int) -> list[User]:
        rows = self.conn.execute("SELECT * FROM users WHERE context_id = ? ORDER BY id",
                                 (context_id,))
        return [user_from_row(r) for r in rows]

    def find_users(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                   limit: int) -> list[User]:
        where, params = _search(terms, any_term, _user_field)
        rows = self.conn.execute(
            "SELECT * FROM users u WHERE u.context_id = ? AND u.enabled = 1" + where
            + " ORDER BY u.id LIMIT ?", (context_id, *params, limit))
        return [user_from_row(r) for r in rows]

    def find_group_ids(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                       limit: int) -> list[int]:
        where, params = _search(terms, any_term, _group_field)
        return [r[0] for r in self.conn.execute(
            "SELECT g.id FROM groups g WHERE g.context_id = ?" + where
            + " ORDER BY g.id LIMIT ?", (context_id, *params, limit))]

    def user_group_ids(self, context_id: int, user_id: int) -> list[int] | None:
        if self.conn.execute("SELECT 1 FROM users WHERE context_id = ? AND id = ?",
                             (context_id, user_id)).fetchone() is None:
            return None
        return [r[0] for r in self.conn.execute(
            "SELECT group_id FROM group_members WHERE context_id = ? AND user_id = ?",
            (context_id, user_id))]

    def insert_user(self, context_id: int, user_id: int, fields: Mapping[str, Any],
                    now: int) -> None:
        columns = {"context_id": context_id, "id": user_id, **_stored(fields),
                   "created": now, "modified": now}
        try:
            self.conn.execute(
                f"INSERT INTO users ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})", tuple(columns.values()))
        except sqlite3.IntegrityError as e:
            login = fields.get("login")
            what = f"login {login!r}" if "login" in str(e) else f"user id {user_id}"
            raise AlreadyExists(f"{what} already exists in context {context_id}") from e

    def update_user(self, context_id: int, user_id: int, columns: Mapping[str, Any],
                    now: int) -> None:
        try:
            _update(self.conn, "users", {**_stored(columns), "modified": now},
                    "context_id = ? AND id = ?", (context_id, user_id))
        except sqlite3.IntegrityError as e:
            if not is_unique_violation(e):
                raise
            raise AlreadyExists(f"login {columns.get('login')!r} already exists") from e

    def replace_addresses(self, context_id: int, user_id: int,
                          addresses: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM user_addresses WHERE context_id = ? AND user_id = ?",
                          (context_id, user_id))
        for address in addresses:
            try:
                self.conn.execute("INSERT INTO user_addresses (address, context_id, user_id)"
                                  " VALUES (?, ?, ?)", (address, context_id, user_id))
            except sqlite3.IntegrityError as e:
                raise AlreadyExists(f"address {address!r} belongs to another user") from e

    def delete_user(self, context_id: int, user_id: int) -> None:
        self.conn.execute(
            "DELETE FROM folder_permissions WHERE context_id = ? AND is_group = 0"
            " AND entity = ?", (context_id, user_id))
        # Folders, objects, memberships, addresses and locks cascade.
        self.conn.execute("DELETE FROM users WHERE context_id = ? AND id = ?",
                          (context_id, user_id))

    # -- groups -----------------------------------------------------------------------

    def group(self, context_id: int, group_id: int) -> Group | None:
        row = self.conn.execute("SELECT * FROM groups WHERE context_id = ? AND id = ?",
                                (context_id, group_id)).fetchone()
        if row is None:
            return None
        members = [r[0] for r in self.conn.execute(
            "SELECT user_id FROM group_members WHERE context_id = ? AND group_id = ?",
            (context_id, group_id))]
        return group_from_row(row, members)

    def group_ids(self, context_id: int, member: int | None) -> list[int]:
        if member is None:
            rows: Iterable[Any] = self.conn.execute(
                "SELECT id FROM groups WHERE context_id = ? ORDER BY id", (context_id,))
        else:
            rows = self.conn.execute(
                "SELECT group_id FROM group_members WHERE context_id = ? AND user_id = ?"
                " ORDER BY group_id", (context_id, member))
        return [r[0] for r in rows]

    def insert_group(self, context_id: int, group_id: int, name: str, display_name: str,
                     now: int) -> None:
        try:
            self.conn.execute(
                "INSERT INTO groups (context_id, id, name, display_name, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?)", (context_id, group_id, name, display_name, now,
                                               now))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"group {name!r} (id {group_id}) already exists") from e

    def update_group(self, context_id: int, group_id: int, columns: Mapping[str, Any],
                     now: int) -> None:
        try:
            _update(self.conn, "groups", {**columns, "modified": now},
                    "context_id = ? AND id = ?", (context_id, group_id))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"group name {columns.get('name')!r} is taken") from e

    def replace_members(self, context_id: int, group_id: int, members: Sequence[int]) -> None:
        self.conn.execute("DELETE FROM group_members WHERE context_id = ? AND group_id = ?",
                          (context_id, group_id))
        self.conn.executemany(
            "INSERT INTO group_members (context_id, group_id, user_id) VALUES (?, ?, ?)",
            [(context_id, group_id, user_id) for user_id in members])

    def delete_group(self, context_id: int, group_id: int) -> None:
        self.conn.execute(
            "DELETE FROM folder_permissions WHERE context_id = ? AND is_group = 1"
            " AND entity = ?", (context_id, group_id))
        self.conn.execute("DELETE FROM groups WHERE context_id = ? AND id = ?",
                          (context_id, group_id))
