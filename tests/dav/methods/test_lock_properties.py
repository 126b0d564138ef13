"""``DAV:supportedlock`` and ``DAV:lockdiscovery`` read the LOCK table (RFC 4918 §15.8,
§15.10)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.dav.methods.lock import LockTable, lock_properties
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.propfind import PropFindRequest
from tests.dav.conftest import FixtureResource

D = "{DAV:}"
NAMES = (D + "supportedlock", D + "lockdiscovery")


@pytest.fixture
def table() -> LockTable:
    return LockTable(clock=lambda: 1000.0)


@pytest.fixture
def registry(table: LockTable) -> PropertyRegistry:
    return PropertyRegistry(lock_properties(table))


@pytest.fixture
def event() -> FixtureResource:
    return FixtureResource("/caldav/12/a.ics", etag='"e1"')


@pytest_twisted.ensureDeferred
async def test_supportedlock_offers_exclusive_and_shared_write_locks(registry, ctx, event):
    result = await registry.evaluate(ctx, event, PropFindRequest.prop(NAMES))
    entries = result.value_of(D + "supportedlock").findall(D + "lockentry")
    scopes = [e.find(D + "lockscope")[0].tag for e in entries]
    assert scopes == [D + "exclusive", D + "shared"]
    assert all(e.find(D + "locktype")[0].tag == D + "write" for e in entries)


@pytest_twisted.ensureDeferred
async def test_collections_have_no_supportedlock(registry, ctx, calendar):
    result = await registry.evaluate(ctx, calendar, PropFindRequest.prop(NAMES))
    assert result.value_of(D + "supportedlock") is None
    assert len(result.value_of(D + "lockdiscovery")) == 0


@pytest_twisted.ensureDeferred
async def test_lockdiscovery_is_empty_without_locks(registry, ctx, event):
    result = await registry.evaluate(ctx, event, PropFindRequest.prop(NAMES))
    assert len(result.value_of(D + "lockdiscovery")) == 0


@pytest_twisted.ensureDeferred
async def test_lockdiscovery_shows_the_active_lock_with_its_token(registry, ctx, event, table):
    lock = table.acquire(event.path, exclusive=True, owner=None, timeout=60)
    result = await registry.evaluate(ctx, event, PropFindRequest.prop(NAMES))
    [active] = result.value_of(D + "lockdiscovery")
    assert active.findtext(f"{D}locktoken/{D}href") == lock.token
    assert active.find(f"{D}lockscope/{D}exclusive") is not None
    assert active.findtext(f"{D}lockroot/{D}href") == "/dav/caldav/12/a.ics"
