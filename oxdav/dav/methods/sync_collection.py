"""The RFC 6578 ``sync-collection`` REPORT on :class:`SyncableCollection` resources.

* an absent/empty token is the initial sync (§3.8); a foreign or malformed token is
  403 ``valid-sync-token`` (§3.2);
* ``DAV:limit`` truncation (§3.6): the members up to the limit, then a 507 response for
  the request URI, with the token of the last returned change so the client continues;
* removed members get a plain 404 response (§3.5.2);
* ``Depth: 1`` (sent by Thunderbird and Apple) is tolerated; sync-level infinite is
  answered like 1, since collections hold no sub-collections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.methods.capabilities import AggregatedSyncCollection, SyncableCollection
from oxdav.dav.multistatus import ResponseEntry, ResponseItem, multistatus_answer
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.sync import VALID_SYNC_TOKEN, SyncToken, parse_sync_collection, parse_sync_token


class SyncCollectionReport(Report):
    """``DAV:sync-collection``."""

    name = clark(DAV_NS, "sync-collection")
    default_depth = Depth.ZERO

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, SyncableCollection)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, SyncableCollection)
        request = parse_sync_collection(body)
        token = parse_sync_token(request.sync_token, collection=resource.sync_identity)
        if isinstance(resource, AggregatedSyncCollection):
            changes, reached = await resource.changes_since_token(token, request.limit)
            new_token = str(reached)
        else:
            since = token.revision if token is not None else None
            if token is not None and since is None:
                raise DAVError(403, VALID_SYNC_TOKEN, "an aggregated token for a plain collection")
            changes = await resource.changes_since(since, request.limit)
            new_token = str(SyncToken.for_collection(resource.sync_identity, changes.revision))

        async def entries() -> AsyncIterator[ResponseItem]:
            for member in changes.changed:
                yield await self._properties.respond(ctx, member, request.properties)
            for path in changes.deleted:
                yield ResponseEntry(ctx.href(path), status=404)
            if changes.truncated:
                yield ResponseEntry(ctx.href(resource.path, collection=True), status=507,
                                    error=NUMBER_OF_MATCHES_WITHIN_LIMITS)

        # Not bounded by size: a cut here would lose the changes left out; the client's
        # DAV:limit and the store's paging bound it (RFC 6578 §3.6).
        return multistatus_answer(ctx, entries(), sync_token=new_token, bounded=False)
