"""Conversions between SQLite rows and the store's models."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, cast

from ..core.clock import to_datetime
from ..models import (
    LEVELS,
    Candidate,
    Context,
    FolderPermission,
    Group,
    Level,
    Module,
    ObjectMeta,
    User,
    context_version,
    frozen_mapping,
)


def dump_list(values: Iterable[str]) -> str:
    """A JSON list of strings, order kept."""
    return json.dumps([str(v) for v in values])


def dump_mapping(values: Mapping[str, str] | None) -> str:
    """A JSON object of strings."""
    return json.dumps({str(k): str(v) for k, v in (values or {}).items()}, sort_keys=True)


def load_list(text: str) -> tuple[str, ...]:
    """Inverse of ``dump_list``."""
    return tuple(cast(list[str], json.loads(text)))


def load_mapping(text: str) -> Mapping[str, str]:
    """Inverse of ``dump_mapping``, read-only."""
    return frozen_mapping(cast(dict[str, str], json.loads(text)))


def level_to_int(level: Level) -> int:
    """'none'/'own'/'all' → 0/1/2."""
    return LEVELS.index(level)


def int_to_level(value: int) -> Level:
    """0/1/2 → 'none'/'own'/'all'."""
    return LEVELS[value]


def context_from_row(row: sqlite3.Row, mappings: Iterable[str]) -> Context:
    """Build a Context from a ``contexts`` row with ``names_version`` added."""
    return Context(
        id=row["id"],
        name=row["name"],
        mappings=tuple(mappings),
        taxonomy_types=load_list(row["taxonomy_types"]),
        config=load_mapping(row["config"]),
        enabled=bool(row["enabled"]),
        version=context_version(row["version"], row["names_version"]),
    )


def user_from_row(row: sqlite3.Row) -> User:
    """Build a User."""
    return User(
        context_id=row["context_id"],
        id=row["id"],
        login=row["login"],
        display_name=row["display_name"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        aliases=load_list(row["aliases"]),
        password_hash=row["password_hash"],
        permissions=frozenset(load_list(row["permissions"])),
        config=load_mapping(row["config"]),
        enabled=bool(row["enabled"]),
        created=to_datetime(row["created"]),
        modified=to_datetime(row["modified"]),
        phones=load_list(row["phones"]),
    )


def group_from_row(row: sqlite3.Row, members: Iterable[int]) -> Group:
    """Build a Group."""
    return Group(
        context_id=row["context_id"],
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        members=frozenset(members),
    )


def permission_from_row(row: sqlite3.Row) -> FolderPermission:
    """Build a FolderPermission."""
    return FolderPermission(
        entity=row["entity"],
        is_group=bool(row["is_group"]),
        read=int_to_level(row["read_level"]),
        write=int_to_level(row["write_level"]),
        delete=int_to_level(row["delete_level"]),
        admin=bool(row["admin"]),
    )


def permission_params(permission: FolderPermission) -> tuple[int, int, int, int, int, int]:
    """(entity, is_group, read, write, delete, admin) for an INSERT."""
    return (
        permission.entity,
        int(permission.is_group),
        level_to_int(permission.read),
        level_to_int(permission.write),
        level_to_int(permission.delete),
        int(permission.admin),
    )


def module_of(row: sqlite3.Row) -> Module:
    """The folder module column, typed."""
    return cast(Module, row["module"])


OBJECT_META_COLUMNS = ("name, uid, etag, component, size, modseq, created_by, created, modified,"
                       " first_start, last_end")
OBJECT_META_COLUMN_COUNT = OBJECT_META_COLUMNS.count(",") + 1
#: What ``candidate_from_row`` reads, in order.
CANDIDATE_COLUMNS = "name, component, exact_spans, floating_spans"
#: Stored ``first_start`` of an object unbounded in the past.
UNBOUNDED_START = -(2**62)
#: Stored ``last_end`` of an object unbounded in the future.
UNBOUNDED_END = 2**62


def dump_spans(spans: tuple[tuple[int, int], ...] | None) -> str | None:
    """``ObjectIndex.exact_spans`` as stored: a JSON list of pairs, or NULL."""
    return None if spans is None else json.dumps([[start, end] for start, end in spans])


def load_spans(text: str | None) -> tuple[tuple[int, int], ...] | None:
    """Inverse of ``dump_spans``."""
    if text is None:
        return None
    return tuple(map(tuple, json.loads(text)))


def meta_from_row(row: sqlite3.Row | Any) -> ObjectMeta:
    """Build an ObjectMeta from a row starting with ``OBJECT_META_COLUMNS``, read by
    position: a listing builds one per member."""
    (name, uid, etag, component, size, modseq, created_by, created, modified, first_start,
     last_end) = row[:OBJECT_META_COLUMN_COUNT]
    return ObjectMeta(
        name, uid, etag, component, size, modseq, created_by, to_datetime(created),
        to_datetime(modified), None if first_start == UNBOUNDED_START else first_start,
        None if last_end == UNBOUNDED_END else last_end)


def candidate_from_row(row: sqlite3.Row | Any) -> Candidate:
    """A Candidate from a row of ``CANDIDATE_COLUMNS``."""
    name, component, exact_spans, floating_spans = row
    return Candidate(name, component, load_spans(exact_spans), bool(floating_spans))


def is_unique_violation(error: sqlite3.IntegrityError) -> bool:
    """Whether an IntegrityError is a UNIQUE or PRIMARY KEY violation."""
    return "UNIQUE constraint failed" in str(error)
