"""PROPFIND (RFC 4918 §9.1) wired into the method registry."""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.methods.propfind import propfind
from oxdav.dav.response import DAVResponse


class PropfindMethod(MethodHandler):
    """Depth 0/1 multistatus; infinity → 403 ``propfind-finite-depth``."""

    name = "PROPFIND"

    async def handle(self, request: DAVRequest) -> DAVResponse:
        assert request.target is not None
        return await propfind(request.ctx, request.target, request.body,
                              request.env.properties, limits=request.env.limits,
                              work=request.env.work)
