"""Objects, their change log and dead properties: the rules (database-thread functions).

Every write counts against the folder's ``revision`` and leaves one change per object
name (a deletion leaves a tombstone), so ``changes(since)`` is one range scan
(RFC 6578 sync-collection, CalendarServer getctag). A write first asks the engine to
hold off other writers of the folder (and of its owner's quota), then checks, then
writes: with one writer (SQLite) that is free, with several (PostgreSQL) it is what
makes If-Match, If-None-Match, the UID rule and the quota race-free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ..errors import (
    AlreadyExists,
    ETagMismatch,
    Forbidden,
    InvalidSyncToken,
    NotFound,
    QuotaExceeded,
    UIDConflict,
)
from ..models import Candidate, Changes, ObjectIndex, ObjectMeta, StoredObject
from .clock import now_us
from .rows import ContentRows
from .scope import Scope

TimeRange = tuple[int | None, int | None]


def compute_etag(data: bytes) -> str:
    """A strong validator of the content (RFC 9110 §8.8.3), without quotes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: How far the instance index is searched beyond a range: floating and all-day spans
#: are wall-clock times whose instant is up to 14 hours either side (RFC 4791 §7.3).
#: A span starting more than this inside the range meets it in every zone.
INSTANCE_SLACK = 86_400


def list_objects(rows: ContentRows, scope: Scope, time_range: TimeRange | None,
                 component: str | None) -> list[ObjectMeta]:
    """Readable objects by name, pre-filtered by a closed time interval and component."""
    return rows.list_objects(scope, time_range, component)


def candidates(rows: ContentRows, scope: Scope, time_range: TimeRange | None,
               component: str | None) -> list[Candidate]:
    """What ``list_objects`` would give, as a report tests it: with a bounded range, an
    object with an instance index whose window holds the range
    (``ObjectIndex.instances``) is kept only when an indexed instance lies near the
    range, with those instances as its ``exact_spans`` (:func:`near_spans`)."""
    found = rows.list_candidates(scope, time_range, component)
    if time_range is None or None in time_range:
        return found
    start, end = time_range
    assert start is not None and end is not None
    low, high = start - INSTANCE_SLACK, end + INSTANCE_SLACK
    window_rows, inner_rows, edge_rows = rows.instance_spans(
        scope, low, high, (start + INSTANCE_SLACK, end - INSTANCE_SLACK))
    if not window_rows:
        return found
    windows = {name: bool(floating) for name, floating in window_rows}
    first_inner = {name: (first, last) for name, first, last in inner_rows}
    edges: dict[str, list[tuple[int, int]]] = {}
    for name, first, last in edge_rows:
        edges.setdefault(name, []).append((first, last))
    kept = []
    for candidate in found:
        floating = windows.get(candidate.name)
        if floating is None:  # no index, or its window does not hold the range
            kept.append(candidate)
            continue
        inside = first_inner.get(candidate.name)
        near = (inside,) if inside is not None else tuple(edges.get(candidate.name, ()))
        if near:
            kept.append(Candidate(candidate.name, candidate.component, near, floating))
    return kept


def near_spans(spans: Iterable[tuple[int, int]], start: int, end: int
               ) -> tuple[tuple[int, int], ...]:
    """The spans of an instance index :func:`candidates` hands out for the range
    ``[start, end]``: the first starting more than :data:`INSTANCE_SLACK` inside it
    alone (it meets the range in every zone, so it decides), else all those within
    :data:`INSTANCE_SLACK` of it, in start order."""
    ordered = sorted(spans)
    inner = [s for s in ordered if start + INSTANCE_SLACK < s[0] < end - INSTANCE_SLACK]
    if inner:
        return (inner[0],)
    return tuple(s for s in ordered
                 if s[0] <= end + INSTANCE_SLACK and s[1] >= start - INSTANCE_SLACK)


def get_objects(rows: ContentRows, scope: Scope, names: Iterable[str],
                derived: bool = False) -> list[StoredObject]:
    """Readable objects among ``names``, in the given order, missing ones omitted."""
    wanted = list(dict.fromkeys(names))
    found = rows.get_objects(scope, wanted, derived)
    return [found[name] for name in wanted if name in found]


def readable_object(scope: Scope, stored: StoredObject | None) -> StoredObject | None:
    """An object of the folder read without the scope's filter (a prefetch), as
    ``get_objects`` would return it: None unless the scope may read it."""
    if stored is None or not scope.admits(stored.meta.created_by):
        return None
    return stored


def by_uid(rows: ContentRows, scope: Scope, uid: str) -> ObjectMeta | None:
    """The readable object holding ``uid``."""
    return rows.object_by_uid(scope, uid)


def used_bytes(rows: ContentRows, context_id: int, owner_id: int) -> int:
    """Bytes stored in the folders ``owner_id`` owns (RFC 4331 quota-used-bytes)."""
    return rows.used_bytes(context_id, owner_id)


def _check_quota(rows: ContentRows, scope: Scope, growth: int) -> None:
    """Raise QuotaExceeded when ``growth`` more bytes would pass the scope's quota."""
    if scope.quota is None or scope.user_id is None or growth <= 0:
        return
    used = rows.used_bytes(scope.context_id, scope.user_id)
    if used + growth > scope.quota:
        raise QuotaExceeded(scope.quota, used, growth)


def _bump_revision(rows: ContentRows, scope: Scope) -> int:
    revision = rows.bump_revision(scope.context_id, scope.folder_id)
    if revision is None:
        raise NotFound(f"folder {scope.folder_id} in context {scope.context_id}")
    return revision


def put_object(rows: ContentRows, scope: Scope, name: str, data: bytes, index: ObjectIndex,
               if_etag: str | None, if_absent: bool, created_by: int | None
               ) -> tuple[ObjectMeta, bool]:
    """Check preconditions and permissions, then create or replace one object."""
    rows.hold_writers(scope.context_id, scope.folder_id,
                      scope.user_id if scope.quota is not None else None)
    existing = rows.object_state(scope.context_id, scope.folder_id, name)
    if existing is not None and if_absent:
        raise AlreadyExists(f"object {name!r} exists")
    if if_etag is not None and (existing is None or existing.etag != if_etag):
        raise ETagMismatch(None if existing is None else existing.etag)
    if existing is not None:
        created_by = existing.created_by
    elif scope.user_id is not None:
        if created_by not in (None, scope.user_id):
            raise Forbidden("write", "created_by may only be chosen by the system")
        if not scope.creates:
            raise Forbidden("create", f"objects of folder {scope.folder_id} are made by the"
                            " directory only")
        created_by = scope.user_id
    scope.require("write", created_by, f"object {name!r}")
    if existing is not None and existing.uid != index.uid:
        # A resource keeps its UID (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1): replacing it
        # with another UID conflicts with the resource itself.
        raise UIDConflict(existing.uid, name)
    holder = rows.uid_holder(scope.context_id, scope.folder_id, index.uid, name)
    if holder is not None:
        raise UIDConflict(index.uid, holder)
    _check_quota(rows, scope, len(data) - (0 if existing is None else existing.size))
    modseq = _bump_revision(rows, scope)
    now = now_us()
    created = now if existing is None else existing.created
    # size counts data only: derived bytes are no user content (quota, interfaces.Home).
    rows.store_object(scope.context_id, scope.folder_id, name, index, data,
                      etag=compute_etag(data), modseq=modseq, created_by=created_by,
                      created=created, modified=now)
    if existing is not None or index.instances is not None:  # a new plain object has none
        rows.store_instances(scope.context_id, scope.folder_id, name, index.instances)
    rows.record_change(scope.context_id, scope.folder_id, name, modseq, False, created_by, now)
    return rows.object_meta(scope.context_id, scope.folder_id, name), existing is None


def delete_object(rows: ContentRows, scope: Scope, name: str, if_etag: str | None) -> int:
    """Delete one object with its dead properties and locks, leave a tombstone; returns
    the revision."""
    rows.hold_writers(scope.context_id, scope.folder_id, None)
    existing = rows.object_state(scope.context_id, scope.folder_id, name)
    if existing is None or not scope.admits(existing.created_by):
        if if_etag is not None:
            raise ETagMismatch(None)
        raise NotFound(f"object {name!r}")
    if if_etag is not None and existing.etag != if_etag:
        raise ETagMismatch(existing.etag)
    scope.require("delete", existing.created_by, f"object {name!r}")
    rows.remove_object(scope.context_id, scope.folder_id, name)
    modseq = _bump_revision(rows, scope)
    rows.record_change(scope.context_id, scope.folder_id, name, modseq, True,
                       existing.created_by, now_us())
    return modseq


def changes_since(rows: ContentRows, scope: Scope, since: int | None, limit: int | None
                  ) -> Changes:
    """Changes after ``since`` (None: initial listing), oldest first, at most ``limit``."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    revisions = rows.folder_revisions(scope.context_id, scope.folder_id)
    if revisions is None:
        raise NotFound(f"folder {scope.folder_id} in context {scope.context_id}")
    revision, pruned = revisions
    if since is not None and not pruned <= since <= revision:
        raise InvalidSyncToken(f"revision {since} is outside {pruned}..{revision}")
    found = rows.changes(scope, since, None if limit is None else limit + 1)
    truncated = limit is not None and len(found) > limit
    if truncated:
        found = found[:limit]
        revision = found[-1].modseq
    changed = [c.meta for c in found if c.meta is not None]
    deleted = [c.name for c in found if c.meta is None]
    return Changes(revision=revision, changed=changed, deleted=deleted, truncated=truncated)


def reindex_object(rows: ContentRows, scope: Scope, name: str, index: ObjectIndex,
                   if_etag: str) -> bool:
    """Replace the index and derived bytes of an unchanged object; no revision, no
    change (``Collection.reindex``)."""
    existing = rows.object_state(scope.context_id, scope.folder_id, name)
    if existing is None or existing.etag != if_etag or existing.uid != index.uid:
        return False
    scope.require("write", existing.created_by, f"object {name!r}")
    rows.update_index(scope.context_id, scope.folder_id, name, index)
    rows.store_instances(scope.context_id, scope.folder_id, name, index.instances)
    return True


def aging_instance_indexes(rows: ContentRows, until_before: int, limit: int
                           ) -> list[tuple[int, int, str]]:
    """Objects whose instance index ends before ``until_before``, soonest first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return rows.aging_instance_indexes(until_before, limit)


def prune_tombstones(rows: ContentRows, before_us: int) -> int:
    """Drop tombstones older than ``before_us``; each folder's ``pruned`` revision rises
    to the newest one dropped, so an older sync token is refused, never answered
    wrong."""
    return rows.prune_tombstones(before_us)


def _readable_creator(rows: ContentRows, scope: Scope, resource: str) -> int | None:
    """The object's creator; NotFound when ``resource`` is not a readable object."""
    existing = rows.object_state(scope.context_id, scope.folder_id, resource)
    if existing is None or not scope.admits(existing.created_by):
        raise NotFound(f"object {resource!r}")
    return existing.created_by


def dead_properties(rows: ContentRows, scope: Scope, resource: str) -> dict[str, str]:
    """Dead properties of the folder (``""``) or one readable object."""
    if resource:
        _readable_creator(rows, scope, resource)
    return rows.dead_properties(scope.context_id, scope.folder_id, resource)


def set_dead_properties(rows: ContentRows, scope: Scope, resource: str,
                        values: Mapping[str, str], remove: Iterable[str]) -> None:
    """Set and remove dead properties (folder: admin; object: write on it)."""
    if resource:
        scope.require("write", _readable_creator(rows, scope, resource),
                      f"object {resource!r}")
    elif not scope.rights.admin:
        raise Forbidden("admin", "collection properties need the admin permission")
    rows.change_dead_properties(scope.context_id, scope.folder_id, resource, dict(values),
                                list(remove))
