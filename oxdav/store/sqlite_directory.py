"""Contexts, users and groups in SQLite. Every function runs on a database thread with
the transaction's connection and is called inside a savepoint by ``sqlite_txn``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .errors import AlreadyExists, NotFound
from .models import (
    ALL_USERS_GROUP,
    GAL_FOLDER_ID,
    GAL_FOLDER_NAME,
    UNSET,
    Context,
    FolderPermission,
    Group,
    SearchMatch,
    SearchTerm,
    Unset,
    User,
)
from .sqlite_rows import (
    context_from_row,
    dump_list,
    dump_mapping,
    group_from_row,
    is_unique_violation,
    now_us,
    permission_params,
    user_from_row,
)

GAL_PERMISSION = FolderPermission(
    entity=ALL_USERS_GROUP, is_group=True, read="all", write="own", delete="none"
)


def unique(values: Iterable[str]) -> list[str]:
    """Strip, drop empties and case-insensitive duplicates, keep order (addresses,
    phone numbers)."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result


# -- contexts -------------------------------------------------------------------------


def load_context(conn: sqlite3.Connection, context_id: int) -> Context:
    """Raises: NotFound."""
    row = conn.execute(
        "SELECT *, (SELECT version FROM login_names) AS names_version FROM contexts"
        " WHERE id = ?", (context_id,)).fetchone()
    if row is None:
        raise NotFound(f"context {context_id}")
    mappings = [r[0] for r in conn.execute(
        "SELECT mapping FROM context_mappings WHERE context_id = ? ORDER BY position",
        (context_id,))]
    return context_from_row(row, mappings)


def context_by_mapping(conn: sqlite3.Connection, mapping: str) -> Context:
    """Raises: NotFound."""
    row = conn.execute(
        "SELECT context_id FROM context_mappings WHERE mapping = ?", (mapping.strip(),)
    ).fetchone()
    if row is None:
        raise NotFound(f"login mapping {mapping!r}")
    return load_context(conn, row[0])


def all_contexts(conn: sqlite3.Connection) -> list[Context]:
    """Every context by id."""
    ids = [r[0] for r in conn.execute("SELECT id FROM contexts ORDER BY id")]
    return [load_context(conn, i) for i in ids]


def _set_mappings(conn: sqlite3.Connection, context_id: int, mappings: Iterable[str]) -> None:
    conn.execute("DELETE FROM context_mappings WHERE context_id = ?", (context_id,))
    for position, mapping in enumerate(unique(mappings)):
        try:
            conn.execute(
                "INSERT INTO context_mappings (mapping, context_id, position) VALUES (?, ?, ?)",
                (mapping, context_id, position))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"login mapping {mapping!r} belongs to another context") from e


def create_context(conn: sqlite3.Connection, name: str, mappings: Iterable[str],
                   taxonomy_types: Iterable[str], config: Mapping[str, str] | None,
                   context_id: int | None, enabled: bool) -> Context:
    """Insert a context and its global address list folder."""
    now = now_us()
    try:
        cursor = conn.execute(
            "INSERT INTO contexts (id, name, taxonomy_types, config, enabled, created, modified)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (context_id, name, dump_list(unique(taxonomy_types)), dump_mapping(config),
             int(enabled), now, now))
    except sqlite3.IntegrityError as e:
        raise AlreadyExists(f"context {name!r} (id {context_id}) already exists") from e
    new_id = context_id if context_id is not None else cursor.lastrowid
    assert new_id is not None
    _set_mappings(conn, new_id, mappings)
    conn.execute(
        "INSERT INTO folders (context_id, id, module, owner_id, name, is_default, created,"
        " modified) VALUES (?, ?, 'contacts', NULL, ?, 0, ?, ?)",
        (new_id, GAL_FOLDER_ID, GAL_FOLDER_NAME, now, now))
    conn.execute(
        "INSERT INTO folder_permissions (context_id, folder_id, entity, is_group, read_level,"
        " write_level, delete_level, admin, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (new_id, GAL_FOLDER_ID, *permission_params(GAL_PERMISSION)))
    return load_context(conn, new_id)


def update_context(conn: sqlite3.Connection, context_id: int, *, name: str | Unset,
                   mappings: Iterable[str] | Unset, taxonomy_types: Iterable[str] | Unset,
                   config: Mapping[str, str] | Unset, enabled: bool | Unset) -> Context:
    """Change the given fields."""
    load_context(conn, context_id)
    columns: dict[str, Any] = {}
    if name is not UNSET:
        columns["name"] = name
    if taxonomy_types is not UNSET:
        columns["taxonomy_types"] = dump_list(unique(taxonomy_types))
    if config is not UNSET:
        columns["config"] = dump_mapping(config)
    if enabled is not UNSET:
        columns["enabled"] = int(enabled)
    columns["modified"] = now_us()
    try:
        update_row(conn, "contexts", columns, "id = ?", (context_id,))
    except sqlite3.IntegrityError as e:
        raise AlreadyExists(f"context name {name!r} is taken") from e
    if mappings is not UNSET:
        _set_mappings(conn, context_id, mappings)
    return load_context(conn, context_id)


def delete_context(conn: sqlite3.Connection, context_id: int) -> None:
    """Delete a context and everything in it (foreign keys cascade)."""
    if conn.execute("DELETE FROM contexts WHERE id = ?", (context_id,)).rowcount == 0:
        raise NotFound(f"context {context_id}")


def update_row(conn: sqlite3.Connection, table: str, columns: Mapping[str, Any], where: str,
               params: tuple[Any, ...]) -> None:
    """UPDATE ``table`` SET ``columns`` WHERE ``where`` (names come from code only)."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE {where}",
                 (*columns.values(), *params))


def next_id(conn: sqlite3.Connection, context_id: int, counter: str,
            explicit: int | None) -> int:
    """Take the next id from a per-context counter, or reserve an explicit one.

    Args:
        counter: ``next_user_id``, ``next_group_id`` or ``next_folder_id``.
        explicit: an id chosen by the caller (the counter moves past it).

    Raises: NotFound (no such context).
    """
    row = conn.execute(f"SELECT {counter} FROM contexts WHERE id = ?", (context_id,)).fetchone()
    if row is None:
        raise NotFound(f"context {context_id}")
    new_id = row[0] if explicit is None else explicit
    conn.execute(f"UPDATE contexts SET {counter} = MAX({counter}, ?) WHERE id = ?",
                 (new_id + 1, context_id))
    return int(new_id)


# -- users ----------------------------------------------------------------------------


def load_user(conn: sqlite3.Connection, context_id: int, user_id: int) -> User:
    """Raises: NotFound."""
    row = conn.execute("SELECT * FROM users WHERE context_id = ? AND id = ?",
                       (context_id, user_id)).fetchone()
    if row is None:
        raise NotFound(f"user {user_id} in context {context_id}")
    return user_from_row(row)


def user_by_login(conn: sqlite3.Connection, context_id: int, login: str) -> User:
    """Raises: NotFound."""
    row = conn.execute("SELECT * FROM users WHERE context_id = ? AND login = ?",
                       (context_id, login)).fetchone()
    if row is None:
        raise NotFound(f"login {login!r} in context {context_id}")
    return user_from_row(row)


def user_by_email(conn: sqlite3.Connection, email: str) -> User:
    """Raises: NotFound."""
    row = conn.execute(
        "SELECT u.* FROM user_addresses a JOIN users u"
        " ON u.context_id = a.context_id AND u.id = a.user_id WHERE a.address = ?",
        (email.strip(),)).fetchone()
    if row is None:
        raise NotFound(f"address {email!r}")
    return user_from_row(row)


def login_in_mapping(conn: sqlite3.Connection, mapping: str, login: str
                     ) -> tuple[Context, User]:
    """Raises: NotFound."""
    context = context_by_mapping(conn, mapping)
    return context, user_by_login(conn, context.id, login)


def login_by_email(conn: sqlite3.Connection, email: str) -> tuple[Context, User]:
    """Raises: NotFound."""
    user = user_by_email(conn, email)
    return load_context(conn, user.context_id), user


def context_users(conn: sqlite3.Connection, context_id: int) -> list[User]:
    """Every user of a context by id. Raises: NotFound (no context)."""
    load_context(conn, context_id)
    rows = conn.execute("SELECT * FROM users WHERE context_id = ? ORDER BY id", (context_id,))
    return [user_from_row(r) for r in rows]


def _set_addresses(conn: sqlite3.Connection, context_id: int, user_id: int,
                   email: str | None, aliases: Iterable[str]) -> None:
    conn.execute("DELETE FROM user_addresses WHERE context_id = ? AND user_id = ?",
                 (context_id, user_id))
    for address in unique([email or "", *aliases]):
        try:
            conn.execute(
                "INSERT INTO user_addresses (address, context_id, user_id) VALUES (?, ?, ?)",
                (address, context_id, user_id))
        except sqlite3.IntegrityError as e:
            raise AlreadyExists(f"address {address!r} belongs to another user") from e


def create_user(conn: sqlite3.Connection, context_id: int, login: str, *, display_name: str,
                first_name: str | None, last_name: str | None, email: str | None,
                aliases: Iterable[str], phones: Iterable[str], password_hash: str | None,
                permissions: Iterable[str], config: Mapping[str, str] | None,
                enabled: bool, user_id: int | None) -> User:
    """Insert a user and their addresses."""
    new_id = next_id(conn, context_id, "next_user_id", user_id)
    aliases = unique(aliases)
    now = now_us()
    try:
        conn.execute(
            "INSERT INTO users (context_id, id, login, display_name, first_name, last_name,"
            " email, aliases, phones, password_hash, permissions, config, enabled, created,"
            " modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (context_id, new_id, login, display_name, first_name, last_name, email,
             dump_list(aliases), dump_list(unique(phones)), password_hash,
             dump_list(sorted(set(permissions))), dump_mapping(config), int(enabled), now, now))
    except sqlite3.IntegrityError as e:
        what = f"login {login!r}" if "login" in str(e) else f"user id {new_id}"
        raise AlreadyExists(f"{what} already exists in context {context_id}") from e
    _set_addresses(conn, context_id, new_id, email, aliases)
    return load_user(conn, context_id, new_id)


def update_user(conn: sqlite3.Connection, context_id: int, user_id: int,
                changes: Mapping[str, Any]) -> User:
    """Apply ``changes`` (field → new value; UNSET fields already dropped)."""
    current = load_user(conn, context_id, user_id)
    columns: dict[str, Any] = {}
    for field in ("login", "display_name", "first_name", "last_name", "email",
                  "password_hash"):
        if field in changes:
            columns[field] = changes[field]
    if "aliases" in changes:
        columns["aliases"] = dump_list(unique(changes["aliases"]))
    if "phones" in changes:
        columns["phones"] = dump_list(unique(changes["phones"]))
    if "permissions" in changes:
        columns["permissions"] = dump_list(sorted(set(changes["permissions"])))
    if "config" in changes:
        columns["config"] = dump_mapping(changes["config"])
    if "enabled" in changes:
        columns["enabled"] = int(changes["enabled"])
    columns["modified"] = now_us()
    try:
        update_row(conn, "users", columns, "context_id = ? AND id = ?", (context_id, user_id))
    except sqlite3.IntegrityError as e:
        if not is_unique_violation(e):
            raise
        raise AlreadyExists(f"login {changes.get('login')!r} already exists") from e
    if "email" in changes or "aliases" in changes:
        _set_addresses(conn, context_id, user_id, changes.get("email", current.email),
                       unique(changes.get("aliases", current.aliases)))
    return load_user(conn, context_id, user_id)


def delete_user(conn: sqlite3.Connection, context_id: int, user_id: int) -> None:
    """Delete a user; folders, objects, memberships and addresses cascade."""
    load_user(conn, context_id, user_id)
    conn.execute(
        "DELETE FROM folder_permissions WHERE context_id = ? AND is_group = 0 AND entity = ?",
        (context_id, user_id))
    conn.execute("DELETE FROM users WHERE context_id = ? AND id = ?", (context_id, user_id))


# -- searches -------------------------------------------------------------------------

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


def _conditions(terms: Sequence[SearchTerm], field_sql: Callable[[str, str], str | None]
                ) -> tuple[list[str], list[str]]:
    """One SQL condition per term (met when one of its fields matches), and the
    parameters of them all."""
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
    return conditions, params


def _where(conditions: list[str], any_term: bool) -> str:
    if not conditions:
        return ""
    return " AND (" + (" OR " if any_term else " AND ").join(conditions) + ")"


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"a search returns at least one match, not {limit}")


def find_users(conn: sqlite3.Connection, context_id: int, terms: Sequence[SearchTerm],
               any_term: bool, limit: int) -> list[User]:
    """Enabled users of a context meeting the terms, by id, at most ``limit``.
    Raises: NotFound (no context), ValueError."""
    _check_limit(limit)
    load_context(conn, context_id)
    conditions, params = _conditions(terms, _user_field)
    rows = conn.execute(
        "SELECT * FROM users u WHERE u.context_id = ? AND u.enabled = 1"
        + _where(conditions, any_term) + " ORDER BY u.id LIMIT ?",
        (context_id, *params, limit))
    return [user_from_row(r) for r in rows]


def find_groups(conn: sqlite3.Connection, context_id: int, terms: Sequence[SearchTerm],
                any_term: bool, limit: int) -> list[Group]:
    """Groups of a context meeting the terms, by id, at most ``limit``.
    Raises: NotFound (no context), ValueError."""
    _check_limit(limit)
    load_context(conn, context_id)
    conditions, params = _conditions(terms, _group_field)
    ids = conn.execute(
        "SELECT g.id FROM groups g WHERE g.context_id = ?" + _where(conditions, any_term)
        + " ORDER BY g.id LIMIT ?", (context_id, *params, limit)).fetchall()
    return [load_group(conn, context_id, r[0]) for r in ids]


# -- groups ---------------------------------------------------------------------------


def load_group(conn: sqlite3.Connection, context_id: int, group_id: int) -> Group:
    """Raises: NotFound."""
    row = conn.execute("SELECT * FROM groups WHERE context_id = ? AND id = ?",
                       (context_id, group_id)).fetchone()
    if row is None:
        raise NotFound(f"group {group_id} in context {context_id}")
    members = [r[0] for r in conn.execute(
        "SELECT user_id FROM group_members WHERE context_id = ? AND group_id = ?",
        (context_id, group_id))]
    return group_from_row(row, members)


def context_groups(conn: sqlite3.Connection, context_id: int, member: int | None
                   ) -> list[Group]:
    """Groups of a context by id, or those ``member`` belongs to."""
    load_context(conn, context_id)
    if member is None:
        ids = conn.execute("SELECT id FROM groups WHERE context_id = ? ORDER BY id",
                           (context_id,))
    else:
        ids = conn.execute(
            "SELECT group_id FROM group_members WHERE context_id = ? AND user_id = ?"
            " ORDER BY group_id", (context_id, member))
    return [load_group(conn, context_id, r[0]) for r in ids.fetchall()]


def _set_members(conn: sqlite3.Connection, context_id: int, group_id: int,
                 members: Iterable[int]) -> None:
    conn.execute("DELETE FROM group_members WHERE context_id = ? AND group_id = ?",
                 (context_id, group_id))
    for user_id in sorted(set(members)):
        load_user(conn, context_id, user_id)
        conn.execute(
            "INSERT INTO group_members (context_id, group_id, user_id) VALUES (?, ?, ?)",
            (context_id, group_id, user_id))


def create_group(conn: sqlite3.Connection, context_id: int, name: str,
                 display_name: str | None, members: Iterable[int],
                 group_id: int | None) -> Group:
    """Insert a group with its members."""
    if group_id is not None and group_id <= ALL_USERS_GROUP:
        raise AlreadyExists(f"group id {group_id} is reserved")
    new_id = next_id(conn, context_id, "next_group_id", group_id)
    now = now_us()
    try:
        conn.execute(
            "INSERT INTO groups (context_id, id, name, display_name, created, modified)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (context_id, new_id, name, display_name or name, now, now))
    except sqlite3.IntegrityError as e:
        raise AlreadyExists(f"group {name!r} (id {new_id}) already exists") from e
    _set_members(conn, context_id, new_id, members)
    return load_group(conn, context_id, new_id)


def update_group(conn: sqlite3.Connection, context_id: int, group_id: int, *,
                 name: str | Unset, display_name: str | Unset,
                 members: Iterable[int] | Unset) -> Group:
    """Change the given fields."""
    load_group(conn, context_id, group_id)
    columns: dict[str, Any] = {"modified": now_us()}
    if name is not UNSET:
        columns["name"] = name
    if display_name is not UNSET:
        columns["display_name"] = display_name
    try:
        update_row(conn, "groups", columns, "context_id = ? AND id = ?", (context_id, group_id))
    except sqlite3.IntegrityError as e:
        raise AlreadyExists(f"group name {name!r} is taken") from e
    if members is not UNSET:
        _set_members(conn, context_id, group_id, members)
    return load_group(conn, context_id, group_id)


def delete_group(conn: sqlite3.Connection, context_id: int, group_id: int) -> None:
    """Delete a group and the folder permissions naming it."""
    load_group(conn, context_id, group_id)
    conn.execute(
        "DELETE FROM folder_permissions WHERE context_id = ? AND is_group = 1 AND entity = ?",
        (context_id, group_id))
    conn.execute("DELETE FROM groups WHERE context_id = ? AND id = ?", (context_id, group_id))
