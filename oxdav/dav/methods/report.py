"""REPORT (RFC 3253 §3.6) through the report registry."""

from __future__ import annotations

from oxdav.dav.dispatch import DAVRequest, MethodHandler
from oxdav.dav.response import DAVResponse


class ReportMethod(MethodHandler):
    """Parse the body and hand it to the registered report (403 supported-report)."""

    name = "REPORT"

    async def handle(self, request: DAVRequest) -> DAVResponse:
        assert request.target is not None
        root = await request.xml_body()
        return await request.env.reports.run(request.ctx, request.target, root)
