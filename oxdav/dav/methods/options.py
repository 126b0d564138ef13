"""OPTIONS (RFC 4918 §10.1, RFC 9110 §9.3.7): ``DAV`` and ``Allow`` from the registries."""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse


class OptionsMethod(MethodHandler):
    """Answer 200 with ``DAV`` (compliance classes) and ``Allow`` (methods here)."""

    name = "OPTIONS"
    creates = True

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return True

    async def handle(self, request: DAVRequest) -> DAVResponse:
        env = request.env
        return DAVResponse(200, {
            "DAV": env.dav_header(),
            "Allow": ", ".join(env.methods.allowed(request.target)),
            "MS-Author-Via": "DAV",
        })
