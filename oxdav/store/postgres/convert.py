"""Conversions between PostgreSQL rows and the store's models.

Lists arrive as Python lists (text arrays), mappings as dicts (JSONB), flags as bools;
rows are tuples read by position, in the order of the column lists defined here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from psycopg.types.json import Jsonb

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

#: Stored ``first_start`` of an object unbounded in the past (as in SQLite).
UNBOUNDED_START = -(2**62)
#: Stored ``last_end`` of an object unbounded in the future.
UNBOUNDED_END = 2**62

CONTEXT_COLUMNS = "c.id, c.name, c.taxonomy_types, c.config, c.enabled, c.version"
USER_COLUMNS = ("u.context_id, u.id, u.login, u.display_name, u.first_name, u.last_name,"
                " u.email, u.aliases, u.password_hash, u.permissions, u.config, u.enabled,"
                " u.created, u.modified, u.phones")
GROUP_COLUMNS = "g.context_id, g.id, g.name, g.display_name"
#: The permissions of folder ``f`` as one JSON list of [entity, is_group, read, write,
#: delete, admin] lists, in their order.
PERMISSIONS_JSON = (
    "(SELECT COALESCE(json_agg(json_build_array(p.entity, p.is_group, p.read_level,"
    " p.write_level, p.delete_level, p.admin) ORDER BY p.position), '[]')"
    " FROM folder_permissions p WHERE p.context_id = f.context_id AND p.folder_id = f.id)")
FOLDER_COLUMNS = ("f.context_id, f.id, f.module, f.owner_id, f.name, f.color, f.description,"
                  " f.is_default, f.revision, f.created, f.modified, f.components")
OBJECT_META_COLUMNS = ("name, uid, etag, component, size, modseq, created_by, created,"
                       " modified, first_start, last_end")
OBJECT_META_COLUMN_COUNT = OBJECT_META_COLUMNS.count(",") + 1
#: What ``candidate_from_row`` reads, in order.
CANDIDATE_COLUMNS = "name, component, exact_spans, floating_spans"


def folded(text: str | None) -> str:
    """``text`` case-folded for the searches (``display_name_folded``,
    ``address_folded``): Python's full case folding, as the SQLite engine applies."""
    return (text or "").casefold()


def json_mapping(values: dict[str, str] | None) -> Jsonb:
    """A mapping of strings as a JSONB parameter."""
    return Jsonb({str(k): str(v) for k, v in (values or {}).items()})


def context_from_row(row: Sequence[Any], names_version: int, mappings: Iterable[str]
                     ) -> Context:
    """A Context from ``CONTEXT_COLUMNS``."""
    context_id, name, taxonomy_types, config, enabled, version = row[:6]
    return Context(id=context_id, name=name, mappings=tuple(mappings),
                   taxonomy_types=tuple(taxonomy_types), config=frozen_mapping(config),
                   enabled=enabled, version=context_version(version, names_version))


def user_from_row(row: Sequence[Any]) -> User:
    """A User from ``USER_COLUMNS``."""
    (context_id, user_id, login, display_name, first_name, last_name, email, aliases,
     password_hash, permissions, config, enabled, created, modified, phones) = row[:15]
    return User(context_id=context_id, id=user_id, login=login, display_name=display_name,
                first_name=first_name, last_name=last_name, email=email,
                aliases=tuple(aliases), password_hash=password_hash,
                permissions=frozenset(permissions), config=frozen_mapping(config),
                enabled=enabled, created=to_datetime(created),
                modified=to_datetime(modified), phones=tuple(phones))


def group_from_row(row: Sequence[Any], members: Iterable[int]) -> Group:
    """A Group from ``GROUP_COLUMNS``."""
    context_id, group_id, name, display_name = row[:4]
    return Group(context_id=context_id, id=group_id, name=name, display_name=display_name,
                 members=frozenset(members))


def permissions_from_json(entries: list[list[Any]]) -> tuple[FolderPermission, ...]:
    """FolderPermissions from ``PERMISSIONS_JSON``."""
    return tuple(FolderPermission(entity=entity, is_group=is_group, read=LEVELS[read],
                                  write=LEVELS[write], delete=LEVELS[delete], admin=admin)
                 for entity, is_group, read, write, delete, admin in entries)


def permission_params(permission: FolderPermission) -> tuple[int, bool, int, int, int, bool]:
    """(entity, is_group, read, write, delete, admin) for an INSERT."""
    return (permission.entity, permission.is_group, _level(permission.read),
            _level(permission.write), _level(permission.delete), permission.admin)


def _level(level: Level) -> int:
    return LEVELS.index(level)


def module_of(value: str) -> Module:
    """The folder module column, typed."""
    return cast(Module, value)


def dump_spans(spans: tuple[tuple[int, int], ...] | None) -> list[int] | None:
    """``ObjectIndex.exact_spans`` as stored: the pairs flattened, or NULL."""
    return None if spans is None else [value for pair in spans for value in pair]


def load_spans(values: list[int] | None) -> tuple[tuple[int, int], ...] | None:
    """Inverse of ``dump_spans``."""
    if values is None:
        return None
    return tuple(zip(values[0::2], values[1::2], strict=True))


def meta_from_row(row: Sequence[Any]) -> ObjectMeta:
    """An ObjectMeta from a row starting with ``OBJECT_META_COLUMNS``."""
    (name, uid, etag, component, size, modseq, created_by, created, modified, first_start,
     last_end) = row[:OBJECT_META_COLUMN_COUNT]
    return ObjectMeta(
        name, uid, etag, component, size, modseq, created_by, to_datetime(created),
        to_datetime(modified), None if first_start == UNBOUNDED_START else first_start,
        None if last_end == UNBOUNDED_END else last_end)


def candidate_from_row(row: Sequence[Any]) -> Candidate:
    """A Candidate from a row of ``CANDIDATE_COLUMNS``."""
    name, component, exact_spans, floating_spans = row
    return Candidate(name, component, load_spans(exact_spans), floating_spans)
