"""COPY and MOVE of non-collection resources (RFC 4918 §9.8, §9.9).

Both read the source and store it into the destination collection through the same
hook as PUT (so CalDAV/CardDAV validation applies); MOVE then deletes the source.
Collections cannot be copied or moved (403). ``Overwrite: F`` with an existing
destination is 412; the answer is 201 (new) or 204 (replaced).
"""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import Deletable, ReadableContent, WritableCollection
from oxdav.dav.methods.lock import check_destination_locks, check_write_locks
from oxdav.dav.paths import PathError, basename, parent_path, same_path
from oxdav.dav.privileges import BIND, UNBIND, WRITE_CONTENT
from oxdav.dav.resource import DAVResource, require_privilege
from oxdav.dav.response import DAVResponse


def destination_path(request: DAVRequest) -> str:
    """The DAV path of the ``Destination`` header (RFC 4918 §10.3).

    Raises:
        DAVError: 400 when absent or undecodable, 502 when outside this DAV tree.
    """
    value = request.ctx.header("destination")
    if not value:
        raise DAVError(400, None, "Destination header required")
    try:
        path = request.ctx.paths.dav_path_of_href(value.strip())
    except PathError as exc:
        raise DAVError(400, None, str(exc)) from None
    if path is None:
        raise DAVError(502, None, "Destination is not on this server")
    return path


class CopyMethod(MethodHandler):
    """COPY an object into a writable collection."""

    name = "COPY"
    access = StoreAccess.WRITE
    moves = False

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, ReadableContent)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        source = request.target
        assert isinstance(source, ReadableContent) and isinstance(source, DAVResource)
        target_path = destination_path(request)
        if same_path(target_path, source.path):
            raise DAVError(403, None, "source and destination are the same")
        overwrite = (request.ctx.header("overwrite") or "T").strip().upper() != "F"
        parent = await request.tree.resolve(parent_path(target_path))
        if not isinstance(parent, WritableCollection):
            raise DAVError(409, None, "the destination collection does not accept members")
        existing = await request.tree.resolve(target_path)
        # RFC 3744 Appendix B: the destination is written like a PUT; MOVE unbinds the
        # source.
        principal = request.ctx.principal
        if existing is not None:
            require_privilege(existing, principal, WRITE_CONTENT, self.name)
        else:
            assert isinstance(parent, DAVResource)
            require_privilege(parent, principal, BIND, self.name)
        if self.moves:
            require_privilege(source, principal, UNBIND, self.name)
        if existing is not None and not overwrite:
            raise DAVError(412, None, "the destination exists and Overwrite is F")
        await check_destination_locks(request, target_path, existing, parent)
        if self.moves:
            await check_write_locks(request)
            if not isinstance(source, Deletable):
                raise DAVError(403, None, "the source cannot be removed")
        data = await source.read()
        if self.moves and isinstance(parent, DAVResource) and same_path(
                parent.path, parent_path(source.path)):
            return await self._rename(request, parent, source, basename(target_path), data,
                                      existing is None)
        outcome = await parent.put_member(
            request.ctx, basename(target_path), data, source.content_type,
            if_etag=None, if_absent=existing is None)
        if self.moves:
            assert isinstance(source, Deletable)
            await source.delete(request.ctx, if_etag=None)
        return DAVResponse(201 if outcome.created else 204, outcome.response_headers())

    @staticmethod
    async def _rename(request: DAVRequest, parent: WritableCollection, source: DAVResource,
                      name: str, data: bytes, new: bool) -> DAVResponse:
        """MOVE inside one collection: the source goes first, or the object would clash
        with its own UID (RFC 4791 §5.3.2.1 no-uid-conflict, RFC 6352 §6.3.2.1); if the
        new name is refused, the source is put back as it was."""
        assert isinstance(source, Deletable)
        await source.delete(request.ctx, if_etag=None)
        try:
            outcome = await parent.put_member(request.ctx, name, data, source.content_type,
                                              if_etag=None, if_absent=new)
        except Exception:
            await parent.put_member(request.ctx, basename(source.path), data,
                                    source.content_type, if_etag=None, if_absent=True)
            raise
        return DAVResponse(201 if outcome.created else 204, outcome.response_headers())


class MoveMethod(CopyMethod):
    """MOVE: COPY, then delete the source."""

    name = "MOVE"
    moves = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, ReadableContent) and isinstance(resource, Deletable)
