"""Contract: an object's derived bytes (``ObjectIndex.derived``), stored
with it on write and read back only when asked for (issue 7: reads in the other vCard
version return stored bytes)."""

from __future__ import annotations

import pytest_twisted

from oxdav.store import GAL_FOLDER_ID, ObjectIndex

from .conftest import alice_folder


def card(uid: str, derived: bytes | None) -> ObjectIndex:
    return ObjectIndex(uid, "VCARD", derived=derived)


async def alice_contacts(txn, world, quota=None):
    return await alice_folder(txn, world, "contacts", quota)


@pytest_twisted.ensureDeferred
async def test_derived_is_returned_only_when_asked_for(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        await contacts.put("a.vcf", b"three", card("u1", b"four"))
    async with store.transaction("t") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        contacts = await home.collection(contacts.folder.id)
        assert (await contacts.get("a.vcf")).derived is None
        stored = await contacts.get("a.vcf", derived=True)
        assert (stored.data, stored.derived) == (b"three", b"four")


@pytest_twisted.ensureDeferred
async def test_get_many_returns_each_objects_own_derived_in_order(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        await contacts.put("a.vcf", b"a3", card("u1", b"a4"))
        await contacts.put("b.vcf", b"b3", card("u2", None))
        await contacts.put("c.vcf", b"c3", card("u3", b"c4"))
        found = await contacts.get_many(["c.vcf", "missing.vcf", "a.vcf", "b.vcf"],
                                        derived=True)
        assert [(s.name, s.data, s.derived) for s in found] == [
            ("c.vcf", b"c3", b"c4"), ("a.vcf", b"a3", b"a4"), ("b.vcf", b"b3", None)]
        plain = await contacts.get_many(["a.vcf", "c.vcf"])
        assert [s.derived for s in plain] == [None, None]


@pytest_twisted.ensureDeferred
async def test_a_put_replaces_or_clears_the_derived(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        await contacts.put("a.vcf", b"one", card("u1", b"ONE"))
        await contacts.put("a.vcf", b"two", card("u1", b"TWO"))
        assert (await contacts.get("a.vcf", derived=True)).derived == b"TWO"
        await contacts.put("a.vcf", b"three", card("u1", None))
        stored = await contacts.get("a.vcf", derived=True)
        assert (stored.data, stored.derived) == (b"three", None)


@pytest_twisted.ensureDeferred
async def test_derived_counts_neither_in_size_etag_nor_quota(store, world):
    async with store.transaction("t", write=True) as txn:
        home, contacts = await alice_contacts(txn, world, quota=20)
        with_derived, _ = await contacts.put("a.vcf", b"x" * 10, card("u1", b"y" * 100))
        without, _ = await contacts.put("b.vcf", b"x" * 10, card("u2", None))
        assert with_derived.size == 10 and with_derived.etag == without.etag
        assert await home.used_bytes() == 20
        listed = {m.name: m.size for m in await contacts.list()}
        assert listed == {"a.vcf": 10, "b.vcf": 10}


@pytest_twisted.ensureDeferred
async def test_derived_fits_a_full_quota_when_the_data_does(store, world):
    async with store.transaction("t", write=True) as txn:
        home, contacts = await alice_contacts(txn, world, quota=10)
        await contacts.put("a.vcf", b"x" * 10, card("u1", b"y" * 1000))
        assert await home.used_bytes() == 10


@pytest_twisted.ensureDeferred
async def test_system_collection_stores_and_reads_derived_bytes(store, world):
    async with store.transaction("t", write=True) as txn:
        gal = await txn.system_collection(world.context.id, GAL_FOLDER_ID)
        await gal.put("user-1.vcf", b"three", card("gal-1", b"four"),
                      created_by=world.alice.id)
    async with store.transaction("t") as txn:
        home = await txn.home(world.context.id, world.bob.id)
        gal = await home.collection(GAL_FOLDER_ID)
        assert (await gal.get("user-1.vcf", derived=True)).derived == b"four"


@pytest_twisted.ensureDeferred
async def test_deleting_and_recreating_an_object_does_not_bring_back_its_derived(
        store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        await contacts.put("a.vcf", b"one", card("u1", b"ONE"))
        await contacts.delete("a.vcf")
        await contacts.put("a.vcf", b"two", card("u1", None))
        assert (await contacts.get("a.vcf", derived=True)).derived is None


@pytest_twisted.ensureDeferred
async def test_reindex_replaces_index_and_derived_without_a_change(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        meta, _ = await contacts.put("a.vcf", b"three", card("u1", None))
        revision = contacts.folder.revision
        assert await contacts.reindex("a.vcf", ObjectIndex("u1", "VCARD", 5, 9,
                                                           derived=b"four"), if_etag=meta.etag)
    async with store.transaction("t") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        contacts = await home.collection(contacts.folder.id)
        stored = await contacts.get("a.vcf", derived=True)
        assert (stored.data, stored.derived) == (b"three", b"four")
        assert (stored.meta.first_start, stored.meta.last_end) == (5, 9)
        assert stored.meta[:9] == meta[:9]  # etag, modseq, times: the same object
        assert contacts.folder.revision == revision
        assert (await contacts.changes(revision)).changed == []


@pytest_twisted.ensureDeferred
async def test_reindex_leaves_an_object_changed_meanwhile_or_of_another_uid(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await alice_contacts(txn, world)
        old, _ = await contacts.put("a.vcf", b"one", card("u1", None))
        await contacts.put("a.vcf", b"two", card("u1", b"TWO"))
        assert not await contacts.reindex("a.vcf", card("u1", b"stale"), if_etag=old.etag)
        current = await contacts.get("a.vcf", derived=True)
        assert not await contacts.reindex("a.vcf", card("u9", b"x"), if_etag=current.meta.etag)
        assert not await contacts.reindex("gone.vcf", card("u1", b"x"), if_etag=old.etag)
        assert (await contacts.get("a.vcf", derived=True)).derived == b"TWO"
