"""The dispatcher: a streamed answer that fails before its first byte is an error
response, never a cut connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_twisted

from oxdav.dav.dispatch import DAVEnvironment, DAVRequest, Dispatcher, MethodHandler, MethodRegistry
from oxdav.dav.errors import DAVError
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse
from tests.dav.conftest import FixtureResource


class _Tree:
    async def resolve(self, path: str) -> DAVResource | None:
        return FixtureResource(path, collection=True)


class _Streams(MethodHandler):
    """REPORT-like: answers with a stream whose chunks come from ``chunks``."""

    name = "REPORT"

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at

    async def handle(self, request: DAVRequest) -> DAVResponse:
        async def body() -> AsyncIterator[bytes]:
            for i in range(3):
                if i == self.fail_at:
                    raise DAVError(403, None, "refused while answering")
                yield f"<chunk{i}/>".encode()

        return DAVResponse(207, {}, body())


def _dispatcher(fail_at: int) -> Dispatcher:
    env = DAVEnvironment(PropertyRegistry([]), ReportRegistry(),
                         MethodRegistry([_Streams(fail_at)]))
    return Dispatcher(env)


@pytest_twisted.ensureDeferred
async def test_a_stream_failing_before_its_first_chunk_becomes_an_error_response() -> None:
    ctx = RequestContext(method="REPORT", path="/caldav/1")
    response = await _dispatcher(fail_at=0).serve(ctx, _Tree(), b"")
    assert response.status == 403
    assert b"refused while answering" in await response.read_body()


@pytest_twisted.ensureDeferred
async def test_a_stream_that_starts_well_keeps_every_chunk() -> None:
    ctx = RequestContext(method="REPORT", path="/caldav/1")
    response = await _dispatcher(fail_at=5).serve(ctx, _Tree(), b"")
    assert response.status == 207
    assert await response.read_body() == b"<chunk0/><chunk1/><chunk2/>"
