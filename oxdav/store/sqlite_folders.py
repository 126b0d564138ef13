"""Folders and their permissions in SQLite (database-thread functions)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import AlreadyExists, NotFound
from .models import (
    ALL_USERS_GROUP,
    MODULES,
    Folder,
    FolderPermission,
    Module,
)
from .sqlite_directory import load_group, load_user, next_id, update_row
from .sqlite_rows import (
    dump_list,
    load_list,
    module_of,
    now_us,
    permission_from_row,
    permission_params,
    to_datetime,
)


def user_groups(conn: sqlite3.Connection, context_id: int, user_id: int) -> frozenset[int]:
    """The user's group ids plus ``ALL_USERS_GROUP``. Raises: NotFound (no such user)."""
    if conn.execute("SELECT 1 FROM users WHERE context_id = ? AND id = ?",
                    (context_id, user_id)).fetchone() is None:
        raise NotFound(f"user {user_id} in context {context_id}")
    rows = conn.execute("SELECT group_id FROM group_members WHERE context_id = ? AND user_id = ?",
                        (context_id, user_id))
    return frozenset([ALL_USERS_GROUP, *(r[0] for r in rows)])


def _folders_from_rows(conn: sqlite3.Connection, context_id: int,
                       rows: list[sqlite3.Row]) -> list[Folder]:
    ids = [row["id"] for row in rows]
    permissions: dict[int, list[FolderPermission]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute(
                "SELECT * FROM folder_permissions WHERE context_id = ? AND folder_id IN"
                " (SELECT value FROM json_each(?)) ORDER BY folder_id, position",
                (context_id, json.dumps(ids))):
            permissions[row["folder_id"]].append(permission_from_row(row))
    return [
        Folder(
            context_id=row["context_id"],
            id=row["id"],
            module=module_of(row),
            owner_id=row["owner_id"],
            name=row["name"],
            color=row["color"],
            description=row["description"],
            is_default=bool(row["is_default"]),
            revision=row["revision"],
            permissions=tuple(permissions[row["id"]]),
            created=to_datetime(row["created"]),
            modified=to_datetime(row["modified"]),
            components=load_list(row["components"]),
            owner_name=row["owner_name"],
        )
        for row in rows
    ]


#: A folder's columns and its owner's display name (``Folder.owner_name``), from ``f``.
_FOLDER = ("SELECT f.*, (SELECT u.display_name FROM users u WHERE u.context_id ="
           " f.context_id AND u.id = f.owner_id) AS owner_name FROM folders f")


def load_folder(conn: sqlite3.Connection, context_id: int, folder_id: int) -> Folder:
    """Raises: NotFound."""
    rows = conn.execute(_FOLDER + " WHERE f.context_id = ? AND f.id = ?",
                        (context_id, folder_id)).fetchall()
    if not rows:
        raise NotFound(f"folder {folder_id} in context {context_id}")
    return _folders_from_rows(conn, context_id, rows)[0]


_ORDER = " ORDER BY module, is_default DESC, id"


def all_folders(conn: sqlite3.Connection, context_id: int, module: Module | None
                ) -> list[Folder]:
    """Every folder of a context."""
    rows = conn.execute(
        _FOLDER + " WHERE f.context_id = ? AND (? IS NULL OR f.module = ?)" + _ORDER,
        (context_id, module, module)).fetchall()
    return _folders_from_rows(conn, context_id, rows)


def readable_folders(conn: sqlite3.Connection, context_id: int, user_id: int,
                     groups: Iterable[int], module: Module | None) -> list[Folder]:
    """Folders the user owns or holds a read permission on, directly or via a group."""
    rows = conn.execute(
        _FOLDER + " WHERE f.context_id = :c AND (:m IS NULL OR f.module = :m)"
        " AND (f.owner_id = :u OR f.id IN ("
        "  SELECT p.folder_id FROM folder_permissions p WHERE p.context_id = :c"
        "  AND p.read_level > 0 AND ((p.is_group = 0 AND p.entity = :u) OR"
        "  (p.is_group = 1 AND p.entity IN (SELECT value FROM json_each(:g))))))" + _ORDER,
        {"c": context_id, "m": module, "u": user_id, "g": json.dumps(sorted(groups))},
    ).fetchall()
    return _folders_from_rows(conn, context_id, rows)


def _set_permissions(conn: sqlite3.Connection, context_id: int, folder_id: int,
                     permissions: Sequence[FolderPermission]) -> None:
    conn.execute("DELETE FROM folder_permissions WHERE context_id = ? AND folder_id = ?",
                 (context_id, folder_id))
    seen: set[tuple[bool, int]] = set()
    for position, permission in enumerate(permissions):
        key = (permission.is_group, permission.entity)
        if key in seen:
            raise ValueError(f"two permission entries for {key}")
        seen.add(key)
        if permission.is_group and permission.entity != ALL_USERS_GROUP:
            load_group(conn, context_id, permission.entity)
        elif not permission.is_group:
            load_user(conn, context_id, permission.entity)
        conn.execute(
            "INSERT INTO folder_permissions (context_id, folder_id, entity, is_group,"
            " read_level, write_level, delete_level, admin, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (context_id, folder_id, *permission_params(permission), position))


def create_folder(conn: sqlite3.Connection, context_id: int, owner_id: int | None,
                  module: Module, name: str, *, color: str | None, description: str | None,
                  permissions: Sequence[FolderPermission], is_default: bool,
                  folder_id: int | None, components: Sequence[str] = ()) -> Folder:
    """Insert a folder with its permissions.

    Raises: ValueError (module), AlreadyExists (id or second default), NotFound
    (a permission names an unknown user or group).
    """
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, not {module!r}")
    new_id = next_id(conn, context_id, "next_folder_id", folder_id)
    now = now_us()
    try:
        conn.execute(
            "INSERT INTO folders (context_id, id, module, owner_id, name, color, description,"
            " is_default, created, modified, components)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (context_id, new_id, module, owner_id, name, color, description, int(is_default),
             now, now, dump_list(components)))
    except sqlite3.IntegrityError as e:
        what = "a default folder" if "is_default" in str(e) or "owner_id" in str(e) else (
            f"folder {new_id}")
        raise AlreadyExists(f"{what} already exists in context {context_id}") from e
    _set_permissions(conn, context_id, new_id, permissions)
    return load_folder(conn, context_id, new_id)


def update_folder(conn: sqlite3.Connection, context_id: int, folder_id: int,
                  changes: Mapping[str, Any]) -> Folder:
    """Apply ``changes`` (name, color, description, permissions; UNSET dropped)."""
    load_folder(conn, context_id, folder_id)
    columns = {k: v for k, v in changes.items() if k in ("name", "color", "description")}
    columns["modified"] = now_us()
    update_row(conn, "folders", columns, "context_id = ? AND id = ?", (context_id, folder_id))
    if "permissions" in changes:
        _set_permissions(conn, context_id, folder_id, changes["permissions"])
    return load_folder(conn, context_id, folder_id)


def delete_folder(conn: sqlite3.Connection, context_id: int, folder_id: int) -> None:
    """Delete a folder; objects, changes, properties and permissions cascade."""
    if conn.execute("DELETE FROM folders WHERE context_id = ? AND id = ?",
                    (context_id, folder_id)).rowcount == 0:
        raise NotFound(f"folder {folder_id} in context {context_id}")


# -- names users gave folders of others -----------------------------------------------


def is_shared_with(folder: Folder, user_id: int | None) -> bool:
    """Whether ``folder`` belongs to someone other than ``user_id`` (a user's folder
    shared with them; not a system folder, not the system's view)."""
    return folder.owner_id is not None and user_id is not None and folder.owner_id != user_id


def own_name(conn: sqlite3.Connection, context_id: int, user_id: int,
             folder_id: int) -> str | None:
    """The name ``user_id`` gave the folder for themselves, if any."""
    row = conn.execute(
        "SELECT name FROM folder_own_names WHERE context_id = ? AND user_id = ?"
        " AND folder_id = ?", (context_id, user_id, folder_id)).fetchone()
    return None if row is None else str(row[0])


def own_names(conn: sqlite3.Connection, context_id: int, user_id: int) -> dict[int, str]:
    """Every name ``user_id`` gave a folder for themselves, by folder id."""
    rows = conn.execute("SELECT folder_id, name FROM folder_own_names WHERE context_id = ?"
                        " AND user_id = ?", (context_id, user_id))
    return {folder_id: name for folder_id, name in rows}


def set_own_name(conn: sqlite3.Connection, context_id: int, user_id: int, folder_id: int,
                 name: str | None) -> None:
    """Give (``None``: take back) the user's own name for the folder."""
    if name is None:
        conn.execute("DELETE FROM folder_own_names WHERE context_id = ? AND user_id = ?"
                     " AND folder_id = ?", (context_id, user_id, folder_id))
        return
    conn.execute("INSERT OR REPLACE INTO folder_own_names (context_id, user_id, folder_id,"
                 " name) VALUES (?, ?, ?, ?)", (context_id, user_id, folder_id, name))
