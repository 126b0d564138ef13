"""The request lifecycle (oxdav.web.lifecycle): transactions around requests, and a
streamed answer that fails before its first byte is an error response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.web.test.requesthelper import DummyRequest

from oxdav.config import ConfigSnapshot, load_config
from oxdav.dav.dispatch import DAVEnvironment, DAVRequest, MethodHandler, MethodRegistry
from oxdav.dav.errors import DAVError
from oxdav.dav.paths import PathMapper
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.directory.results import Authenticated
from oxdav.folders.collection import FolderCollection
from oxdav.folders.space import FolderSpace
from oxdav.store import (
    Context,
    ContextChanged,
    Folder,
    NotFound,
    ObjectIndex,
    User,
    open_store,
)
from oxdav.web.composition import build_dav
from oxdav.web.lifecycle import answer
from tests.dav.conftest import FixtureResource
from tests.integration.harness import write_config

RENAME = b"""<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work</D:displayname>
</D:prop></D:set></D:propertyupdate>"""


class StoringCollection(FolderCollection):
    """A folder collection that accepts any body (content semantics are CalDAV's)."""

    async def validate_put(self, ctx, name, body, content_type):
        return ObjectIndex(name, "VEVENT")


class StoringSpace(FolderSpace):
    name = "caldav"
    modules = ("calendar",)
    collection_type = "{urn:ietf:params:xml:ns:caldav}calendar"
    member_content_type = "text/calendar"

    def folder_collection(self, tree, store_collection, path=None):
        return StoringCollection(tree, self, store_collection)


class RecordingStore:
    """The real store, noting when each transaction has ended."""

    def __init__(self, store, events: list[str]) -> None:
        self.store = store
        self.events = events

    @asynccontextmanager
    async def transaction(self, label: str, *, write: bool = False, snapshot: bool = True,
                          confirm=None):
        async with self.store.transaction(label, write=write, snapshot=snapshot,
                                          confirm=confirm) as txn:
            call = txn.call

            async def counted(*args, **kwargs):
                self.events.append("call")
                return await call(*args, **kwargs)
            txn.call = counted
            yield txn
        self.events.append("commit" if write else "end" if snapshot else "end (no snapshot)")


class RecordingRequest(DummyRequest):
    def __init__(self, method: bytes, path: bytes, body: bytes, events: list[str]) -> None:
        super().__init__([])
        self.method, self.path, self.uri = method, path, path
        self.content = BytesIO(body)
        self.events = events

    def write(self, data: bytes) -> None:
        self.events.append("write")
        super().write(data)


@dataclass
class World:
    """A started store with context acme, user alice (quota 10 bytes) and her calendar."""

    store: Any
    context: Context
    user: User
    folder: Folder
    snapshot: ConfigSnapshot

    @property
    def alice(self) -> Authenticated:
        return Authenticated(self.context, self.user)


@pytest_twisted.async_yield_fixture
async def world(tmp_path):
    store = open_store("sqlite:s.sqlite3", tmp_path, reactor)
    await store.start()
    try:
        async with store.transaction("setup", write=True) as txn:
            context = await txn.create_context("acme")
            user = await txn.create_user(context.id, "alice", display_name="Alice",
                                         config={"oxdav.quota.bytes": "10"})
            folder = await (await txn.home(context.id, user.id)).create_folder(
                "calendar", "Calendar")
        yield World(store, context, user, folder,
                    load_config(write_config(tmp_path / "config")))
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_a_write_is_committed_before_its_response_is_written(world) -> None:
    events: list[str] = []
    lifecycle = build_dav(RecordingStore(world.store, events))
    path = f"/dav/caldav/{world.folder.id}/".encode()
    request = RecordingRequest(b"PROPPATCH", path, RENAME, events)
    await lifecycle.serve_as(request, world.snapshot, PathMapper(), f"/caldav/{world.folder.id}",
                  world.alice)
    assert request.responseCode == 207
    assert events[-2:] == ["commit", "write"]


@pytest_twisted.ensureDeferred
async def test_put_beyond_the_users_quota_is_507_quota_not_exceeded(world) -> None:
    lifecycle = build_dav(world.store, spaces=[StoringSpace()])
    codes = []
    for name, body in (("a.ics", b"x" * 8), ("b.ics", b"x" * 3)):
        path = f"/caldav/{world.folder.id}/{name}"
        request = RecordingRequest(b"PUT", f"/dav{path}".encode(), body, [])
        await lifecycle.serve_as(request, world.snapshot, PathMapper(), path, world.alice)
        codes.append(request.responseCode)
    assert codes == [201, 507]
    assert b"quota-not-exceeded" in b"".join(request.written)  # RFC 4331 §6


@pytest_twisted.ensureDeferred
async def test_a_get_reads_the_object_in_one_store_call_without_a_snapshot(world) -> None:
    async with world.store.transaction("setup", write=True) as txn:
        home = await txn.home(world.context.id, world.user.id)
        store_collection = await home.collection(world.folder.id)
        await store_collection.put("a.ics", b"BEGIN:VCALENDAR", ObjectIndex("a", "VEVENT"))
    events: list[str] = []
    lifecycle = build_dav(RecordingStore(world.store, events),
                          spaces=[StoringSpace()])
    path = f"/caldav/{world.folder.id}/a.ics"
    request = RecordingRequest(b"GET", f"/dav{path}".encode(), b"", events)
    await lifecycle.serve_as(request, world.snapshot, PathMapper(), path, world.alice)
    assert request.responseCode == 200
    assert b"".join(request.written) == b"BEGIN:VCALENDAR"
    assert events == ["call", "end (no snapshot)", "write"]


async def remembered(world, *, current: bool) -> Authenticated:
    """alice as a remembered login: with her context as it is now, or as it was read
    before her user and folder were made (a version since moved)."""
    async with world.store.transaction("read") as txn:
        context = await txn.context(world.context.id) if current else world.context
    return Authenticated(context, world.user, remembered=True)


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_is_confirmed_within_the_gets_one_store_call(world) -> None:
    async with world.store.transaction("setup", write=True) as txn:
        home = await txn.home(world.context.id, world.user.id)
        await (await home.collection(world.folder.id)).put(
            "a.ics", b"BEGIN:VCALENDAR", ObjectIndex("a", "VEVENT"))
    events: list[str] = []
    lifecycle = build_dav(RecordingStore(world.store, events),
                          spaces=[StoringSpace()])
    path = f"/caldav/{world.folder.id}/a.ics"
    request = RecordingRequest(b"GET", f"/dav{path}".encode(), b"", events)
    await lifecycle.serve_as(request, world.snapshot, PathMapper(), path,
                  await remembered(world, current=True))
    assert request.responseCode == 200
    assert events == ["call", "end (no snapshot)", "write"]


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_of_a_changed_context_does_and_answers_nothing(world) -> None:
    events: list[str] = []
    lifecycle = build_dav(RecordingStore(world.store, events),
                          spaces=[StoringSpace()])
    who = await remembered(world, current=False)
    for method, path, body in ((b"PUT", f"/caldav/{world.folder.id}/b.ics", b"x"),
                               (b"OPTIONS", "/", b"")):  # the second needs no store call
        request = RecordingRequest(method, f"/dav{path}".encode(), body, events)
        try:
            await lifecycle.serve_as(request, world.snapshot, PathMapper(), path, who)
        except ContextChanged:
            pass
        else:
            raise AssertionError(f"{method!r} was served on a changed context")
        assert request.written == []
    assert "write" not in events
    async with world.store.transaction("check") as txn:
        home = await txn.home(world.context.id, world.user.id)
        with pytest.raises(NotFound):
            await (await home.collection(world.folder.id)).get("b.ics")


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


def _answer(fail_at: int, ctx: RequestContext):
    env = DAVEnvironment(PropertyRegistry([]), ReportRegistry(),
                         MethodRegistry([_Streams(fail_at)]))
    return answer(env, ctx, _Tree(), env.methods.get(ctx.method), b"")


@pytest_twisted.ensureDeferred
async def test_a_stream_failing_before_its_first_chunk_becomes_an_error_response() -> None:
    ctx = RequestContext(method="REPORT", path="/caldav/1")
    response = await _answer(0, ctx)
    assert response.status == 403
    assert b"refused while answering" in await response.read_body()


@pytest_twisted.ensureDeferred
async def test_a_stream_that_starts_well_keeps_every_chunk() -> None:
    ctx = RequestContext(method="REPORT", path="/caldav/1")
    response = await _answer(5, ctx)
    assert response.status == 207
    assert await response.read_body() == b"<chunk0/><chunk1/><chunk2/>"
