"""``DAV:supportedlock`` and ``DAV:lockdiscovery`` show what a :class:`Lockable` resource
reveals of its locks (RFC 4918 §15.8, §15.10)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.dav.methods.capabilities import ActiveLock, Lockable, LockLimits
from oxdav.dav.methods.lock import _timeout, lock_properties
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.property_results import PropFindRequest
from tests.dav.conftest import FixtureResource

D = "{DAV:}"
NAMES = (D + "supportedlock", D + "lockdiscovery")
TOKEN = "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"


class LockableResource(FixtureResource, Lockable):
    """A resource holding the locks the test gives it."""

    def __init__(self, path: str, locks: list[ActiveLock], **kwargs) -> None:
        super().__init__(path, **kwargs)
        self.locks = locks

    def lock_limits(self) -> LockLimits:
        return LockLimits(3600, 4096)

    async def active_locks(self):
        return self.locks

    async def acquire_lock(self, *, exclusive, owner, timeout):
        raise NotImplementedError

    async def refresh_lock(self, token, timeout):
        raise NotImplementedError

    async def release_lock(self, token):
        raise NotImplementedError


@pytest.fixture
def registry() -> PropertyRegistry:
    return PropertyRegistry(lock_properties())


def event(*locks: ActiveLock) -> LockableResource:
    return LockableResource("/caldav/12/a.ics", list(locks), etag='"e1"')


@pytest_twisted.ensureDeferred
async def test_supportedlock_offers_exclusive_and_shared_write_locks(registry, ctx):
    result = await registry.evaluate(ctx, event(), PropFindRequest.prop(NAMES))
    entries = result.value_of(D + "supportedlock").findall(D + "lockentry")
    scopes = [e.find(D + "lockscope")[0].tag for e in entries]
    assert scopes == [D + "exclusive", D + "shared"]
    assert all(e.find(D + "locktype")[0].tag == D + "write" for e in entries)


@pytest_twisted.ensureDeferred
async def test_resources_that_take_no_locks_have_no_supportedlock(registry, ctx, calendar):
    for resource in (calendar, FixtureResource("/caldav/12/b.ics")):
        result = await registry.evaluate(ctx, resource, PropFindRequest.prop(NAMES))
        assert result.value_of(D + "supportedlock") is None
        assert len(result.value_of(D + "lockdiscovery")) == 0


@pytest_twisted.ensureDeferred
async def test_lockdiscovery_is_empty_without_locks(registry, ctx):
    result = await registry.evaluate(ctx, event(), PropFindRequest.prop(NAMES))
    assert len(result.value_of(D + "lockdiscovery")) == 0


@pytest_twisted.ensureDeferred
async def test_lockdiscovery_shows_the_active_lock_with_its_token_and_owner(registry, ctx):
    owner = '<D:owner xmlns:D="DAV:"><D:href>mailto:a@example.com</D:href></D:owner>'
    resource = event(ActiveLock(TOKEN, True, owner, 60, mine=True))
    result = await registry.evaluate(ctx, resource, PropFindRequest.prop(NAMES))
    [active] = result.value_of(D + "lockdiscovery")
    assert active.findtext(f"{D}locktoken/{D}href") == TOKEN
    assert active.findtext(f"{D}owner/{D}href") == "mailto:a@example.com"
    assert active.find(f"{D}lockscope/{D}exclusive") is not None
    assert active.findtext(f"{D}timeout") == "Second-60"
    assert active.findtext(f"{D}lockroot/{D}href") == "/dav/caldav/12/a.ics"


@pytest_twisted.ensureDeferred
async def test_a_withheld_token_and_owner_are_left_out(registry, ctx):
    resource = event(ActiveLock(None, False, None, 30, mine=False))
    result = await registry.evaluate(ctx, resource, PropFindRequest.prop(NAMES))
    [active] = result.value_of(D + "lockdiscovery")
    assert active.find(f"{D}locktoken") is None and active.find(f"{D}owner") is None
    assert active.find(f"{D}lockscope/{D}shared") is not None
    assert active.findtext(f"{D}lockroot/{D}href") == "/dav/caldav/12/a.ics"


@pytest.mark.parametrize(("header", "expected"), [
    (None, 3600), ("Infinite", 3600), ("Second-60", 60), ("Second-0", 1),
    ("Infinite, Second-4100000000", 3600), ("Second-99999", 3600),
    ("Second-" + "9" * 5000, 3600), ("Second-²", 3600), ("Second-x, Second-5", 5),
])
def test_timeout_takes_the_first_usable_value_capped(header, expected):
    assert _timeout(header, 3600) == expected  # RFC 4918 §10.7
