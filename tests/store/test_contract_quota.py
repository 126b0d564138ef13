"""Contract: per-user storage quota (RFC 4331) given to ``Transaction.home``."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import FolderPermission, NotFound, ObjectIndex, QuotaExceeded

from .conftest import alice_folder


def index(n: int) -> ObjectIndex:
    return ObjectIndex(f"uid-{n}", "VEVENT")


async def alice_calendar(txn, world, quota):
    return await alice_folder(txn, world, "calendar", quota)


@pytest_twisted.ensureDeferred
async def test_used_bytes_sums_objects_in_every_owned_folder(store, world):
    async with store.transaction("t", write=True) as txn:
        home, calendar = await alice_calendar(txn, world, None)
        contacts = await home.collection(
            (await home.create_folder("contacts", "Contacts")).id)
        await calendar.put("a.ics", b"x" * 10, index(1))
        await contacts.put("b.vcf", b"y" * 7, ObjectIndex("uid-2", "VCARD"))
        assert await home.used_bytes() == 17
        assert home.quota is None


@pytest_twisted.ensureDeferred
async def test_put_over_the_quota_raises_and_stores_nothing(store, world):
    async with store.transaction("t", write=True) as txn:
        home, calendar = await alice_calendar(txn, world, 15)
        await calendar.put("a.ics", b"x" * 10, index(1))
        with pytest.raises(QuotaExceeded) as raised:
            await calendar.put("b.ics", b"y" * 6, index(2))
        assert (raised.value.limit, raised.value.used, raised.value.requested) == (15, 10, 6)
        with pytest.raises(NotFound):
            await calendar.get("b.ics")
        assert await home.used_bytes() == 10


@pytest_twisted.ensureDeferred
async def test_put_that_fills_the_quota_exactly_is_accepted(store, world):
    async with store.transaction("t", write=True) as txn:
        home, calendar = await alice_calendar(txn, world, 16)
        await calendar.put("a.ics", b"x" * 10, index(1))
        await calendar.put("b.ics", b"y" * 6, index(2))
        assert await home.used_bytes() == 16


@pytest_twisted.ensureDeferred
async def test_quota_counts_the_objects_of_all_owned_folders(store, world):
    async with store.transaction("t", write=True) as txn:
        home, calendar = await alice_calendar(txn, world, 12)
        await calendar.put("a.ics", b"x" * 10, index(1))
        contacts = await home.collection(
            (await home.create_folder("contacts", "Contacts")).id)
        with pytest.raises(QuotaExceeded):
            await contacts.put("b.vcf", b"y" * 3, ObjectIndex("uid-2", "VCARD"))


@pytest_twisted.ensureDeferred
async def test_replacing_an_object_counts_only_its_growth(store, world):
    async with store.transaction("t", write=True) as txn:
        _, calendar = await alice_calendar(txn, world, 12)
        await calendar.put("a.ics", b"x" * 10, index(1))
        await calendar.put("a.ics", b"x" * 12, index(1))
        with pytest.raises(QuotaExceeded):
            await calendar.put("a.ics", b"x" * 13, index(1))


@pytest_twisted.ensureDeferred
async def test_a_write_that_does_not_grow_passes_over_a_lowered_quota(store, world):
    async with store.transaction("t", write=True) as txn:
        _, calendar = await alice_calendar(txn, world, None)
        await calendar.put("a.ics", b"x" * 10, index(1))
        folder_id = calendar.folder.id
        lowered = await txn.home(world.context.id, world.alice.id, quota=4)
        calendar = await lowered.collection(folder_id)
        meta, created = await calendar.put("a.ics", b"x" * 8, index(1))
        assert (meta.size, created) == (8, False)
        await calendar.delete("a.ics")
        assert await lowered.used_bytes() == 0


@pytest_twisted.ensureDeferred
async def test_zero_quota_refuses_any_content(store, world):
    async with store.transaction("t", write=True) as txn:
        _, calendar = await alice_calendar(txn, world, 0)
        with pytest.raises(QuotaExceeded):
            await calendar.put("a.ics", b"x", index(1))


@pytest_twisted.ensureDeferred
async def test_writes_into_a_shared_folder_count_for_its_owner_not_the_writer(store, world):
    async with store.transaction("t", write=True) as txn:
        alice, calendar = await alice_calendar(txn, world, None)
        await calendar.update_folder(permissions=[
            FolderPermission(entity=world.bob.id, read="all", write="all")])
        bob = await txn.home(world.context.id, world.bob.id, quota=1)
        shared = await bob.collection(calendar.folder.id)
        await shared.put("from-bob.ics", b"x" * 5, index(1))
        assert await alice.used_bytes() == 5
        assert await bob.used_bytes() == 0


@pytest_twisted.ensureDeferred
async def test_system_collection_is_never_limited(store, world):
    async with store.transaction("t", write=True) as txn:
        _, calendar = await alice_calendar(txn, world, 1)
        system = await txn.system_collection(world.context.id, calendar.folder.id)
        await system.put("a.ics", b"x" * 5, index(1))
        assert (await calendar.get("a.ics")).meta.size == 5


@pytest_twisted.ensureDeferred
async def test_negative_quota_is_refused(store, world):
    async with store.transaction("t") as txn:
        with pytest.raises(ValueError):
            await txn.home(world.context.id, world.alice.id, quota=-1)
