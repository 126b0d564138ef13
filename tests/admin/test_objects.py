"""``oxdav-admin object reindex``: the index of objects written before the indexing
changed is rebuilt from their bytes, without changing the objects (issue 7);
``object list`` and ``object delete`` reach any folder, the global address list
included (issue 14)."""

from __future__ import annotations

import pytest_twisted

from oxdav.store import GAL_FOLDER_ID, ObjectIndex

EVENT = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
         b"UID:weekly\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\n"
         b"DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Standup\r\n"
         b"END:VEVENT\r\nEND:VCALENDAR\r\n")
CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card\r\nFN:Ann Smith\r\nN:Smith;Ann;;;\r\nEND:VCARD\r\n"


@pytest_twisted.ensureDeferred
async def test_reindex_rebuilds_old_indexes_and_changes_no_object(acme) -> None:
    async with acme.transaction(write=True) as txn:
        context, alice = await txn.login_in_mapping("acme.test", "alice")
        home = await txn.home(context.id, alice.id)
        calendar = await home.collection((await home.create_folder("calendar", "Old")).id)
        contacts = await home.collection((await home.create_folder("contacts", "Old")).id)
        # As stored before spans, prepared expansions and card versions were indexed.
        event, _ = await calendar.put("weekly.ics", EVENT, ObjectIndex("weekly", "VEVENT"))
        card, _ = await contacts.put("card.vcf", CARD, ObjectIndex("card", "VCARD"))
        await calendar.put("broken.ics", b"not iCalendar", ObjectIndex("broken", "VEVENT"))
        revisions = {c.folder.id: c.folder.revision for c in (calendar, contacts)}

    result = acme.ok("object", "reindex", "acme")

    # the two above and alice's own card in the global address book
    assert "re-indexed 3 objects in 6 folders" in result.out
    assert "1 no longer parse" in result.out
    assert "broken.ics: not re-indexed" in result.out
    async with acme.transaction() as txn:
        home = await txn.home(context.id, alice.id)
        calendar = await home.collection(calendar.folder.id)
        contacts = await home.collection(contacts.folder.id)
        stored_event = await calendar.get("weekly.ics", derived=True)
        assert stored_event.meta[:9] == event[:9]  # same etag, modseq and times
        assert stored_event.meta.first_start is not None
        assert len((await calendar.candidates())[-1].exact_spans or ()) == 3
        assert stored_event.derived is not None  # the prepared expansion
        stored_card = await contacts.get("card.vcf", derived=True)
        assert stored_card.meta[:9] == card[:9]
        assert b"VERSION:4.0" in (stored_card.derived or b"")
        for collection in (calendar, contacts):
            assert collection.folder.revision == revisions[collection.folder.id]
            assert (await collection.changes(revisions[collection.folder.id])).changed == []


def test_reindex_of_an_unknown_context_fails_with_not_found(acme) -> None:
    result = acme("object", "reindex", "nowhere")
    assert result.code == 2 and "nowhere" in result.err


def test_reindex_of_an_unknown_folder_fails_with_not_found(acme) -> None:
    result = acme("object", "reindex", "acme", "--folder", "9999")
    assert result.code == 2 and "no folder 9999 in context acme" in result.err
    result = acme("object", "reindex", "--folder", "9999")
    assert result.code == 2 and "no folder 9999 in any context" in result.err


async def _poisoned_gal(acme) -> tuple[int, dict[str, str]]:
    """A card holding a NUL in acme's global address list, stored past PUT's checks,
    beside alice's own; the context id and the etags by name."""
    poison = CARD.replace(b"Ann Smith", b"Ann\x00\x1b[2J Smith")
    async with acme.transaction(write=True) as txn:
        context, _ = await txn.login_in_mapping("acme.test", "alice")
        gal = await txn.system_collection(context.id, GAL_FOLDER_ID)
        await gal.put("poison\x1b.vcf", poison, ObjectIndex("poison", "VCARD"))
        return context.id, {m.name: m.etag for m in await gal.list()}


@pytest_twisted.ensureDeferred
async def test_object_list_shows_every_object_of_a_folder_and_check_names_the_poisoned(
        acme) -> None:
    _, etags = await _poisoned_gal(acme)
    [alice_card] = [name for name in etags if name != "poison\x1b.vcf"]

    result = acme.ok("object", "list", "acme", "--folder", str(GAL_FOLDER_ID))
    lines = result.out.splitlines()
    assert lines[0].split() == ["name", "uid", "etag", "size", "modified"]
    assert "\x1b" not in result.out and "\x00" not in result.out  # escaped for the terminal
    assert any(line.startswith("poison\\x1b.vcf  ") and etags["poison\x1b.vcf"] in line
               for line in lines)
    assert any(line.startswith(alice_card) for line in lines)

    rows = {row["name"]: row for row in acme.ok(
        "object", "list", "acme", "--folder", "6", "--check", "--json").json()}
    assert rows["poison\x1b.vcf"]["problem"] == "U+0000 at character 42"
    assert rows[alice_card]["problem"] is None
    assert rows[alice_card]["uid"] and rows[alice_card]["size"] > 0


@pytest_twisted.ensureDeferred
async def test_object_delete_removes_a_poisoned_card_from_the_gal(acme) -> None:
    context_id, etags = await _poisoned_gal(acme)
    async with acme.transaction() as txn:
        revision = (await txn.system_collection(context_id, GAL_FOLDER_ID)).folder.revision

    result = acme("object", "delete", "acme", "--folder", "6", "poison\x1b.vcf", "nothing.vcf")
    assert result.code == 2 and "nothing.vcf" in result.err  # and nothing was deleted
    result = acme.ok("object", "delete", "acme", "--folder", "6", "poison\x1b.vcf")
    assert "deleted object 'poison\\x1b.vcf' from folder 6" in result.out

    async with acme.transaction() as txn:
        gal = await txn.system_collection(context_id, GAL_FOLDER_ID)
        assert [m.name for m in await gal.list()] == [n for n in etags if n != "poison\x1b.vcf"]
        assert (await gal.changes(revision)).deleted == ["poison\x1b.vcf"]  # clients sync it


def test_object_list_and_delete_of_an_unknown_folder_or_a_bad_id_fail_clearly(acme) -> None:
    result = acme("object", "list", "acme", "--folder", "9999")
    assert result.code == 2 and "no folder 9999 in context 'acme'" in result.err
    result = acme("object", "delete", "acme", "--folder", "9999", "x.vcf")
    assert result.code == 2
    result = acme("object", "list", "acme", "--folder", "99999999999999999999")
    assert result.code == 1 and "invalid id" in result.err
    result = acme("object", "list", "nowhere", "--folder", "6")
    assert result.code == 2
