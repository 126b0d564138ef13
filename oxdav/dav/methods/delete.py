"""DELETE (RFC 4918 §9.6): objects, and collections the resource lets go."""

from __future__ import annotations

from oxdav.dav.conditions import ResourceState, evaluate_preconditions
from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.methods.capabilities import Deletable
from oxdav.dav.methods.lock import check_write_locks
from oxdav.dav.methods.put import _if_match_etag
from oxdav.dav.privileges import UNBIND
from oxdav.dav.resource import DAVResource, require_privilege
from oxdav.dav.response import DAVResponse


class DeleteMethod(MethodHandler):
    """204 on success; If-Match is checked atomically by the store."""

    name = "DELETE"
    access = StoreAccess.WRITE

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, Deletable)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        target = request.target
        assert isinstance(target, Deletable) and isinstance(target, DAVResource)
        # RFC 3744 Appendix B: removing a member needs unbind (as the target's
        # privileges say, which are its folder's rights on it).
        require_privilege(target, request.ctx.principal, UNBIND, "DELETE")
        evaluate_preconditions("DELETE", request.ctx.headers,
                               ResourceState(True, target.etag, target.last_modified))
        await check_write_locks(request)
        # Its locks go with it (RFC 4918 §7: a lock whose root becomes unmapped is deleted).
        await target.delete(request.ctx, if_etag=_if_match_etag(request.ctx.header("if-match")))
        return DAVResponse(204)
