"""What CalDAV asks of scheduling (RFC 6638), which lives above it (``oxdav.scheduling``)
and is plugged in by the composition root: the writes and removals of calendar objects,
and what it adds to the calendar space (methods, properties, errors, ``DAV:`` classes).
"""

from __future__ import annotations

from typing import Protocol

from oxdav.dav.dispatch import MethodHandler
from oxdav.dav.errors import ErrorResponses
from oxdav.dav.methods.capabilities import PutOutcome
from oxdav.dav.properties import LiveProperty
from oxdav.dav.resource import RequestContext
from oxdav.folders.collection import FolderCollection, ObjectResource
from oxdav.store.models import ObjectIndex


class ObjectScheduling(Protocol):
    """Implicit scheduling of calendar object resources (RFC 6638 §3.2); it is given
CalDAV's calendar collections and calendar objects."""

    compliance: tuple[str, ...]
    """``DAV:`` classes it adds (``calendar-auto-schedule``, RFC 6638 §2)."""

    async def put(self, collection: FolderCollection, ctx: RequestContext, name: str,
                  body: bytes, content_type: str | None, index: ObjectIndex, *,
                  if_etag: str | None, if_absent: bool) -> PutOutcome:
        """Store ``body`` (checked, with its ``index``) as member ``name`` and do the
        scheduling it causes, in the request's transaction."""
        ...

    async def delete(self, resource: ObjectResource, ctx: RequestContext, *,
                     if_etag: str | None) -> None:
        """Remove the object and do the scheduling it causes."""

    async def delete_collection(self, collection: FolderCollection,
                                ctx: RequestContext) -> None:
        """Do the scheduling the removal of a whole calendar causes (its upcoming
        scheduling objects), before CalDAV removes it in the same transaction."""

    async def schedule_tag(self, resource: ObjectResource) -> str | None:
        """The object's Schedule-Tag (quoted), None when it is no scheduling object."""
        ...

    def methods(self) -> list[MethodHandler]: ...

    def properties(self) -> list[LiveProperty]: ...

    def errors(self) -> ErrorResponses: ...
