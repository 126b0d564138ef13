"""PUT of a member resource (RFC 9110 §9.3.4, RFC 4918 §9.7).

Content validation belongs to CalDAV/CardDAV: the target collection does it in
:meth:`WritableCollection.put_member` (through its ``validate_put`` hook). The generic
part here: If-Match / If-None-Match (RFC 9110 §13.1), 201 vs 204, the ETag header.
"""

from __future__ import annotations

from oxdav.dav.conditions import EntityTag, ResourceState, evaluate_preconditions, parse_etag_list
from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import WritableCollection
from oxdav.dav.methods.lock import check_write_locks
from oxdav.dav.paths import basename, parent_path
from oxdav.dav.privileges import BIND, WRITE_CONTENT
from oxdav.dav.resource import DAVResource, require_privilege
from oxdav.dav.response import DAVResponse


def _if_match_etag(value: str | None) -> str | None:
    """The one strong tag of ``If-Match`` (unquoted) for the store's atomic check."""
    if value is None:
        return None
    tags = parse_etag_list(value)
    if tags == "*" or len(tags) != 1:
        return None
    tag: EntityTag = tags[0]
    return None if tag.weak else tag.opaque


class PutMethod(MethodHandler):
    """Create or replace a member of a writable collection."""

    name = "PUT"
    access = StoreAccess.WRITE
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return resource is None or not resource.is_collection

    async def handle(self, request: DAVRequest) -> DAVResponse:
        ctx = request.ctx
        parent = await request.tree.resolve(parent_path(ctx.path))
        if not isinstance(parent, WritableCollection):
            raise DAVError(409 if parent is None else 405, None,
                           "the parent is not a collection that accepts members")
        target = request.target
        if target is not None:
            require_privilege(target, ctx.principal, WRITE_CONTENT, "PUT")
        else:  # RFC 3744 Appendix B: a new member needs bind on its collection
            assert isinstance(parent, DAVResource)
            require_privilege(parent, ctx.principal, BIND, "PUT")
        state = ResourceState(target is not None, target.etag if target else None,
                              target.last_modified if target else None)
        evaluate_preconditions("PUT", ctx.headers, state)
        await check_write_locks(request, parent=parent)
        if_none_match = (ctx.header("if-none-match") or "").strip()
        outcome = await parent.put_member(
            ctx, basename(ctx.path), request.body, ctx.header("content-type"),
            if_etag=_if_match_etag(ctx.header("if-match")), if_absent=if_none_match == "*")
        return DAVResponse(201 if outcome.created else 204, outcome.response_headers())
