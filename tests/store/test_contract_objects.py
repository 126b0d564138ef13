"""Contract: objects in a collection (put/get/list/delete, UIDs, entity tags, time ranges,
object-level permissions)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import (
    GAL_FOLDER_ID,
    AlreadyExists,
    Candidate,
    ETagMismatch,
    FolderPermission,
    Forbidden,
    NotFound,
    ObjectIndex,
    UIDConflict,
)

EVENT = ObjectIndex("uid-1", "VEVENT", 1_000, 2_000)


async def alice_calendar(txn, world, **kwargs):
    home = await txn.home(world.context.id, world.alice.id)
    folder = await home.create_folder("calendar", "Calendar", **kwargs)
    return await home.collection(folder.id)


@pytest_twisted.ensureDeferred
async def test_put_creates_then_replaces(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        meta, created = await calendar.put("a.ics", b"one", EVENT)
        assert created and (meta.name, meta.uid, meta.component, meta.size) == (
            "a.ics", "uid-1", "VEVENT", 3)
        assert meta.created_by == world.alice.id and meta.modseq == 1
        again, created = await calendar.put("a.ics", b"two!", EVENT)
        assert not created and again.etag != meta.etag and again.size == 4
        assert again.created == meta.created and again.modseq == 2


@pytest_twisted.ensureDeferred
async def test_get_returns_data_and_the_same_etag(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        meta, _ = await calendar.put("a.ics", b"BEGIN:VCALENDAR", EVENT)
        stored = await calendar.get("a.ics")
        assert stored.data == b"BEGIN:VCALENDAR" and stored.meta == meta
        assert stored.etag == meta.etag and stored.name == "a.ics"
        assert (await calendar.list())[0].etag == meta.etag
        with pytest.raises(NotFound):
            await calendar.get("missing.ics")


@pytest_twisted.ensureDeferred
async def test_etag_is_a_content_hash_without_quotes(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        first, _ = await calendar.put("a.ics", b"same", EVENT)
        other, _ = await calendar.put("b.ics", b"other", ObjectIndex("uid-2", "VEVENT"))
        again, _ = await calendar.put("a.ics", b"same", EVENT)
    assert first.etag == again.etag and first.etag != other.etag
    assert '"' not in first.etag and first.etag


@pytest_twisted.ensureDeferred
async def test_list_and_get_many(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        for n in (3, 1, 2):
            await calendar.put(f"{n}.ics", str(n).encode(), ObjectIndex(f"u{n}", "VEVENT"))
        assert [m.name for m in await calendar.list()] == ["1.ics", "2.ics", "3.ics"]
        found = await calendar.get_many(["3.ics", "missing.ics", "1.ics"])
        assert [(o.name, o.data) for o in found] == [("3.ics", b"3"), ("1.ics", b"1")]


@pytest_twisted.ensureDeferred
async def test_list_filters_by_component(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("e.ics", b"e", ObjectIndex("e", "VEVENT"))
        await calendar.put("t.ics", b"t", ObjectIndex("t", "VTODO"))
        assert [m.name for m in await calendar.list(component="VTODO")] == ["t.ics"]


@pytest_twisted.ensureDeferred
async def test_by_uid(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"a", EVENT)
        assert (await calendar.by_uid("uid-1")).name == "a.ics"
        assert await calendar.by_uid("nope") is None


@pytest_twisted.ensureDeferred
async def test_uid_conflict_names_the_holder(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"a", EVENT)
        with pytest.raises(UIDConflict) as caught:
            await calendar.put("b.ics", b"b", EVENT)
        assert (caught.value.uid, caught.value.holder) == ("uid-1", "a.ics")
        assert [m.name for m in await calendar.list()] == ["a.ics"]


@pytest_twisted.ensureDeferred
async def test_replacing_an_object_with_another_uid_is_a_uid_conflict(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"a", EVENT)
        with pytest.raises(UIDConflict) as caught:
            await calendar.put("a.ics", b"b", ObjectIndex(uid="uid-2", component="VEVENT"))
        assert (caught.value.uid, caught.value.holder) == ("uid-1", "a.ics")
        assert (await calendar.get("a.ics")).data == b"a"


@pytest_twisted.ensureDeferred
async def test_same_uid_allowed_in_another_collection(store, world):
    async with store.transaction("t", write=True) as txn:
        first = await alice_calendar(txn, world)
        home = await txn.home(world.context.id, world.alice.id)
        second = await home.collection((await home.create_folder("calendar", "2")).id)
        await first.put("a.ics", b"a", EVENT)
        _, created = await second.put("a.ics", b"a", EVENT)
        assert created


@pytest_twisted.ensureDeferred
async def test_if_etag_matches_current_version_only(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        meta, _ = await calendar.put("a.ics", b"one", EVENT)
        with pytest.raises(ETagMismatch) as caught:
            await calendar.put("a.ics", b"two", EVENT, if_etag="stale")
        assert caught.value.current == meta.etag
        updated, _ = await calendar.put("a.ics", b"two", EVENT, if_etag=meta.etag)
        with pytest.raises(ETagMismatch) as caught:
            await calendar.put("new.ics", b"x", ObjectIndex("u9", "VEVENT"), if_etag=meta.etag)
        assert caught.value.current is None
        assert (await calendar.get("a.ics")).etag == updated.etag


@pytest_twisted.ensureDeferred
async def test_if_absent_refuses_existing_name(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"one", EVENT, if_absent=True)
        with pytest.raises(AlreadyExists):
            await calendar.put("a.ics", b"two", EVENT, if_absent=True)
        assert (await calendar.get("a.ics")).data == b"one"


@pytest_twisted.ensureDeferred
async def test_delete_with_and_without_etag(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        meta, _ = await calendar.put("a.ics", b"a", EVENT)
        with pytest.raises(ETagMismatch):
            await calendar.delete("a.ics", if_etag="stale")
        await calendar.delete("a.ics", if_etag=meta.etag)
        with pytest.raises(NotFound):
            await calendar.get("a.ics")
        with pytest.raises(NotFound):
            await calendar.delete("a.ics")
        _, created = await calendar.put("b.ics", b"a", EVENT)
        assert created


@pytest_twisted.ensureDeferred
async def test_writes_bump_the_folder_revision(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"a", EVENT)
        await calendar.delete("a.ics")
        assert calendar.folder.revision == 2
        home = await txn.home(world.context.id, world.alice.id)
        assert (await home.collection(calendar.folder.id)).folder.revision == 2


# -- time ranges ----------------------------------------------------------------------

RANGES = {
    "early.ics": (0, 100),
    "late.ics": (500, 600),
    "open-start.ics": (None, 50),
    "open-end.ics": (550, None),
    "undated.ics": (None, None),
    "touching.ics": (200, 300),
}


async def ranged(txn, world):
    calendar = await alice_calendar(txn, world)
    for name, (start, end) in RANGES.items():
        await calendar.put(name, b"x", ObjectIndex(name, "VEVENT", start, end,
                                                   recurring=end is None))
    return calendar


async def names_in(calendar, time_range):
    return sorted(m.name for m in await calendar.list(time_range=time_range))


@pytest_twisted.ensureDeferred
async def test_time_range_keeps_overlapping_and_unbounded_objects(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await ranged(txn, world)
        assert await names_in(calendar, (80, 520)) == [
            "early.ics", "late.ics", "touching.ics", "undated.ics"]
        assert await names_in(calendar, (560, 700)) == [
            "late.ics", "open-end.ics", "undated.ics"]
        assert await names_in(calendar, (10, 20)) == [
            "early.ics", "open-start.ics", "undated.ics"]


@pytest_twisted.ensureDeferred
async def test_time_range_bounds_are_inclusive(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await ranged(txn, world)
        assert "touching.ics" in await names_in(calendar, (300, 400))
        assert "touching.ics" in await names_in(calendar, (100, 200))
        assert "touching.ics" not in await names_in(calendar, (301, 400))


@pytest_twisted.ensureDeferred
async def test_time_range_with_unbounded_query_ends(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await ranged(txn, world)
        assert await names_in(calendar, (None, 60)) == [
            "early.ics", "open-start.ics", "undated.ics"]
        assert await names_in(calendar, (560, None)) == [
            "late.ics", "open-end.ics", "undated.ics"]
        assert len(await names_in(calendar, (None, None))) == len(RANGES)


# -- object-level permissions -----------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_write_own_lets_users_create_and_change_only_their_objects(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world, permissions=[
            FolderPermission(entity=world.bob.id, read="all", write="own", delete="own")])
        await calendar.put("alice.ics", b"a", EVENT)
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        meta, created = await bob.put("bob.ics", b"b", ObjectIndex("u2", "VEVENT"))
        assert created and meta.created_by == world.bob.id
        await bob.put("bob.ics", b"b2", ObjectIndex("u2", "VEVENT"))
        with pytest.raises(Forbidden):
            await bob.put("alice.ics", b"hijack", EVENT)
        with pytest.raises(Forbidden):
            await bob.delete("alice.ics")
        await bob.delete("bob.ics")
        assert (await calendar.get("alice.ics")).data == b"a"


@pytest_twisted.ensureDeferred
async def test_owner_change_keeps_the_creator(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world, permissions=[
            FolderPermission(entity=world.bob.id, read="all", write="own")])
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        await bob.put("bob.ics", b"b", EVENT)
        meta, _ = await calendar.put("bob.ics", b"edited by alice", EVENT)
        assert meta.created_by == world.bob.id


@pytest_twisted.ensureDeferred
async def test_read_only_share_refuses_writes(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world, permissions=[
            FolderPermission(entity=world.bob.id, read="all")])
        await calendar.put("a.ics", b"a", EVENT)
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        assert (await bob.get("a.ics")).data == b"a"
        with pytest.raises(Forbidden) as caught:
            await bob.put("new.ics", b"x", ObjectIndex("u2", "VEVENT"))
        assert caught.value.right == "write"
        with pytest.raises(Forbidden):
            await bob.delete("a.ics")


@pytest_twisted.ensureDeferred
async def test_read_own_shows_only_own_objects(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world, permissions=[
            FolderPermission(entity=world.bob.id, read="own", write="own")])
        await calendar.put("alice.ics", b"a", EVENT)
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        await bob.put("bob.ics", b"b", ObjectIndex("u2", "VEVENT"))
        assert [m.name for m in await bob.list()] == ["bob.ics"]
        assert [o.name for o in await bob.get_many(["alice.ics", "bob.ics"])] == ["bob.ics"]
        assert await bob.by_uid("uid-1") is None
        with pytest.raises(NotFound):
            await bob.get("alice.ics")
        assert [m.name for m in (await bob.changes(None)).changed] == ["bob.ics"]


@pytest_twisted.ensureDeferred
async def test_gal_cards_written_by_system_are_editable_by_their_user(store, world):
    async with store.transaction("t", write=True) as txn:
        gal = await txn.system_collection(world.context.id, GAL_FOLDER_ID)
        card = ObjectIndex("card-alice", "VCARD")
        meta, _ = await gal.put("alice.vcf", b"v1", card, created_by=world.alice.id)
        assert meta.created_by == world.alice.id
        await gal.put("bob.vcf", b"v1", ObjectIndex("card-bob", "VCARD"),
                      created_by=world.bob.id)
        alice = await (await txn.home(world.context.id, world.alice.id)).collection(
            GAL_FOLDER_ID)
        await alice.put("alice.vcf", b"v2", card)
        with pytest.raises(Forbidden):
            await alice.put("bob.vcf", b"x", ObjectIndex("card-bob", "VCARD"))
        with pytest.raises(Forbidden):
            await alice.delete("alice.vcf")
        assert [m.name for m in await alice.list()] == ["alice.vcf", "bob.vcf"]


@pytest_twisted.ensureDeferred
async def test_users_cannot_choose_another_creator(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        with pytest.raises(Forbidden):
            await calendar.put("a.ics", b"a", EVENT, created_by=world.bob.id)


@pytest_twisted.ensureDeferred
async def test_listing_and_changes_carry_the_indexed_span(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"a", EVENT)
        await calendar.put("open.ics", b"o", ObjectIndex("uid-open", "VEVENT", 500, None))
        listed = {m.name: m for m in await calendar.list()}
        changed = {m.name: m for m in (await calendar.changes(None)).changed}
    for metas in (listed, changed):
        assert (metas["a.ics"].first_start, metas["a.ics"].last_end) == (1_000, 2_000)
        assert (metas["open.ics"].first_start, metas["open.ics"].last_end) == (500, None)
    assert listed["a.ics"].overlaps(2_000, 3_000) and not listed["a.ics"].overlaps(2_001, None)
    assert listed["open.ics"].overlaps(10**9, None) and not listed["open.ics"].overlaps(0, 499)


@pytest_twisted.ensureDeferred
async def test_candidates_are_the_listing_with_the_exact_spans(store, world):
    spans = ((1_000, 1_500), (1_800, 1_800), (1_900, 2_000))
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("exact.ics", b"e", ObjectIndex(
            "uid-exact", "VEVENT", 1_000, 2_000, True, exact_spans=spans))
        await calendar.put("envelope.ics", b"v", EVENT)
        await calendar.put("todo.ics", b"t", ObjectIndex("uid-todo", "VTODO", 1_000, 2_000))
        candidates = await calendar.candidates(time_range=(0, 5_000), component="VEVENT")
        listed = await calendar.list(time_range=(0, 5_000), component="VEVENT")
        later = await calendar.candidates(time_range=(2_001, 5_000))
    assert candidates == [Candidate("envelope.ics", "VEVENT"),
                          Candidate("exact.ics", "VEVENT", spans)]
    assert [c.name for c in candidates] == [m.name for m in listed]
    assert later == []


@pytest_twisted.ensureDeferred
async def test_rewriting_an_object_replaces_its_exact_spans(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"1", ObjectIndex("uid-a", "VEVENT", 1, 2,
                                                      exact_spans=((1, 2),)))
        before = await calendar.candidates()
        _, created = await calendar.put("a.ics", b"2", ObjectIndex("uid-a", "VEVENT", 1, 2))
        after = await calendar.candidates()
    assert before == [Candidate("a.ics", "VEVENT", ((1, 2),))]
    assert not created and after == [Candidate("a.ics", "VEVENT")]


@pytest_twisted.ensureDeferred
async def test_floating_spans_are_kept(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("f.ics", b"f", ObjectIndex("uid-f", "VEVENT", 0, 10**6,
                                                      exact_spans=((50_400, 136_800),),
                                                      floating_spans=True))
        [listed] = await calendar.candidates()
    assert listed == Candidate("f.ics", "VEVENT", ((50_400, 136_800),), True)


@pytest_twisted.ensureDeferred
async def test_derived_bytes_come_back_only_when_asked_for(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("d.ics", b"d", ObjectIndex("uid-d", "VEVENT", 1, 2,
                                                      derived=b"\x00opaque\xff"))
        await calendar.put("plain.ics", b"p", EVENT)
        asked = {s.name: s.derived for s in await calendar.get_many(
            ["d.ics", "plain.ics"], derived=True)}
        default = {s.name: s.derived for s in await calendar.get_many(["d.ics", "plain.ics"])}
        single = await calendar.get("d.ics")
    assert asked == {"d.ics": b"\x00opaque\xff", "plain.ics": None}
    assert default == {"d.ics": None, "plain.ics": None} and single.derived is None


@pytest_twisted.ensureDeferred
async def test_rewriting_an_object_replaces_its_derived_bytes(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        await calendar.put("a.ics", b"1", ObjectIndex("uid-a", "VEVENT", 1, 2, derived=b"one"))
        await calendar.put("a.ics", b"2", ObjectIndex("uid-a", "VEVENT", 1, 2, derived=b"two"))
        [second] = await calendar.get_many(["a.ics"], derived=True)
        await calendar.put("a.ics", b"3", ObjectIndex("uid-a", "VEVENT", 1, 2))
        [third] = await calendar.get_many(["a.ics"], derived=True)
    assert (second.data, second.derived) == (b"2", b"two")
    assert (third.data, third.derived) == (b"3", None)


@pytest_twisted.ensureDeferred
async def test_get_many_of_more_names_than_one_select_binds_keeps_the_order(store, world):
    names = [f"e{n:04d}.ics" for n in range(520)]
    async with store.transaction("t", write=True) as txn:
        calendar = await alice_calendar(txn, world)
        for name in names:
            await calendar.put(name, name.encode(), ObjectIndex(f"uid-{name}", "VEVENT"))
        wanted = [*reversed(names), "missing.ics", names[0]]
        got = await calendar.get_many(wanted)
    assert [s.name for s in got] == list(reversed(names))
    assert all(s.data == s.name.encode() for s in got)


@pytest_twisted.ensureDeferred
async def test_users_create_no_objects_in_the_gal_though_they_change_their_own(store, world):
    async with store.transaction("t", write=True) as txn:
        gal = await txn.system_collection(world.context.id, GAL_FOLDER_ID)
        card = ObjectIndex("card-alice", "VCARD")
        await gal.put("alice.vcf", b"v1", card, created_by=world.alice.id)
        alice = await (await txn.home(world.context.id, world.alice.id)).collection(
            GAL_FOLDER_ID)
        with pytest.raises(Forbidden) as caught:
            await alice.put("new.vcf", b"x", ObjectIndex("card-new", "VCARD"))
        assert caught.value.right == "create"
        with pytest.raises(Forbidden):
            await alice.put("new.vcf", b"x", ObjectIndex("card-new", "VCARD"), if_absent=True)
        await alice.put("alice.vcf", b"v2", card)
        # Shared with write=all, the folder still takes no new object from a user.
        await gal.update_folder(permissions=[FolderPermission(
            world.alice.id, False, read="all", write="all", delete="all", admin=True)])
        alice = await (await txn.home(world.context.id, world.alice.id)).collection(
            GAL_FOLDER_ID)
        with pytest.raises(Forbidden):
            await alice.put("new.vcf", b"x", ObjectIndex("card-new", "VCARD"))
        assert [m.name for m in await gal.list()] == ["alice.vcf"]
        await gal.put("new.vcf", b"x", ObjectIndex("card-new", "VCARD"))  # the directory may
