"""A folder read whole (GET of a collection, ``oxdav-admin folder export``) and a file
of objects written into one (``oxdav-admin folder import``), content-neutral.

CalDAV and CardDAV say how their objects join into one document and how a file splits
into objects (:mod:`oxdav.caldav.calendar_file`, :mod:`oxdav.carddav.card_file`); here
is what is the same for both: members read in batches within the answer bound, and
each object of a file stored through the collection's own PUT path
(:meth:`FolderCollection.put_member`), so an import refuses exactly what a PUT refuses.
"""

from __future__ import annotations

import abc
import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from oxdav.dav.errors import DAVError, ErrorMapper
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS, RequestLimits
from oxdav.dav.resource import RequestContext
from oxdav.folders.collection import FolderCollection
from oxdav.store.interfaces import Collection
from oxdav.store.models import ObjectMeta, StoredObject

#: Members read per store call when a collection is read whole.
BATCH_OBJECTS = 100
#: A UID that is used as the resource name as it is (else its SHA-1 is).
_PLAIN_UID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=-]{0,199}")


def check_whole_size(metas: Sequence[ObjectMeta], limits: RequestLimits) -> None:
    """Refuse a whole read larger than the answer bound before its first byte.

    Raises:
        DAVError: 507 with ``DAV:number-of-matches-within-limits``, the way a listing
            over ``oxdav.dav.maxResponseSize`` is marked (RFC 6578 §3.6).
    """
    bound = limits.max_answer_bytes
    total = sum(meta.size for meta in metas)
    if bound is not None and total > bound:
        raise DAVError(507, NUMBER_OF_MATCHES_WITHIN_LIMITS,
                       f"the collection holds {total} bytes in {len(metas)} objects, more "
                       f"than one answer carries ({bound}); synchronise it instead, or "
                       "have an administrator export it (oxdav-admin folder export)")


async def stored_batches(store_collection: Collection, names: Sequence[str], *,
                         derived: bool = False) -> AsyncIterator[list[StoredObject]]:
    """The objects ``names`` with their bytes, :data:`BATCH_OBJECTS` per store call.

    Each call reads in one snapshot of its own: an object changed meanwhile is read as
    it is then, one deleted meanwhile is left out (a sequence of GETs would see the same).
    """
    for first in range(0, len(names), BATCH_OBJECTS):
        found = await store_collection.get_many(names[first:first + BATCH_OBJECTS],
                                                derived=derived)
        if found:
            yield found


@dataclass(frozen=True)
class FileObject:
    """One object of an imported file: its UID (None when it has none) and its bytes,
    a whole object resource as a PUT would send it."""

    uid: str | None
    data: bytes


class FileContent(abc.ABC):
    """A collection that a file of its objects can fill (``oxdav-admin folder import``)."""

    #: The suffix of the resource names imported objects get (``.ics``).
    file_suffix: str
    #: The Content-Type each object is stored with, as a PUT would send it.
    file_content_type: str

    @abc.abstractmethod
    def split_file(self, data: bytes) -> list[FileObject]:
        """The objects of a file, one per resource. Raises: ValueError (not such a file)."""


@dataclass(frozen=True)
class ImportOutcome:
    """What importing one object did.

    Attributes:
        uid: the object's UID (None: it had none).
        name: the resource name it was (or would have been) stored under.
        result: ``created``, ``updated``, ``unchanged`` (the object holding its UID has
            these very bytes: nothing written) or ``refused``.
        reason: why it was refused (the status, precondition and text a PUT answers).
    """

    uid: str | None
    name: str
    result: Literal["created", "updated", "unchanged", "refused"]
    reason: str | None = None


def member_name(item: FileObject, suffix: str) -> str:
    """The resource name a new object of a file gets: its UID when that is a plain
    token (how Radicale names imported objects), else a hash of it (or of the bytes)."""
    uid = item.uid
    if uid is not None and _PLAIN_UID.fullmatch(uid):
        return uid + suffix
    digest = hashlib.sha1((uid or "").encode() or item.data, usedforsecurity=False)
    return digest.hexdigest() + suffix


def refusal(error: DAVError) -> str:
    """A one-line reason from the error a PUT would have answered."""
    condition = error.precondition_name
    what = f"{error.status} {condition.split('}')[-1]}" if condition else str(error.status)
    return f"{what}: {error.description}" if error.description else what


async def import_object(collection: FolderCollection, ctx: RequestContext, item: FileObject,
                        suffix: str, content_type: str, errors: ErrorMapper) -> ImportOutcome:
    """Store ``item`` in ``collection`` as a PUT of it would, whole or not at all (each
    store call changes everything or nothing): under the name of the object holding its
    UID already (updated; unchanged when it holds these bytes), else under
    :func:`member_name` (created).

    Raises:
        Exception: an error the map does not know (a server fault, not the object's).
    """
    held = None if item.uid is None else await collection.store_collection.by_uid(item.uid)
    name = held.name if held is not None else member_name(item, suffix)
    if held is not None and held.size == len(item.data) and (
            await collection.store_collection.get(held.name)).data == item.data:
        return ImportOutcome(item.uid, name, "unchanged")
    lockable = collection.member(held) if held is not None else collection.unmapped_member(name)
    if lockable is not None and await lockable.active_locks():
        # RFC 4918 §7: a write without the lock's token is refused, as a PUT without If.
        return ImportOutcome(item.uid, name, "refused", "423 locked: the object is locked")
    try:
        outcome = await collection.put_member(ctx, name, item.data, content_type,
                                              if_etag=None, if_absent=held is None)
    except Exception as exc:  # noqa: BLE001 - a mapped error refuses this object only
        error = errors.to_dav_error(exc)
        if error is None:
            raise
        return ImportOutcome(item.uid, name, "refused", refusal(error))
    return ImportOutcome(item.uid, name, "created" if outcome.created else "updated")
