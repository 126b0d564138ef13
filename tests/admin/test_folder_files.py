"""``oxdav-admin folder export|import`` (issue 21): a folder out as one file and back in,
object by object through the PUT path; export then import into a fresh folder gives
back every object byte for byte where its shape allows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_twisted

from oxdav.caldav.collection import stored_object_index
from oxdav.caldav.freebusy import PRODID
from oxdav.carddav.tasks import checked_card

OURS = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\n"
BERLIN = ("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\n"
          "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
          "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
          "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
          "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")
NEW_YORK = ("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\n"
            "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
            "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")


def event(uid: str, *lines: str, tz: str = "Europe/Berlin") -> str:
    return ("BEGIN:VEVENT\r\n" f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID={tz}:20270310T100000\r\nDURATION:PT1H\r\n"
            + "".join(line + "\r\n" for line in lines) + "END:VEVENT\r\n")


#: Objects in the shape an import writes: they come back byte for byte.
EXACT = {
    "plain": OURS + BERLIN + event("plain", "SUMMARY:Standup") + "END:VCALENDAR\r\n",
    "series": OURS + BERLIN + event("series", "RRULE:FREQ=WEEKLY;COUNT=5", "SUMMARY:Weekly")
    + event("series", "RECURRENCE-ID;TZID=Europe/Berlin:20270317T100000",
            "SUMMARY:Moved") + "END:VCALENDAR\r\n",
    "folded": OURS + BERLIN + NEW_YORK + event(
        "folded", "SUMMARY:Ünïcödé and a line long enough to be folded by any client wh\r\n"
        " o writes iCalendar", "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Soon",
        "TRIGGER:-PT15M", "END:VALARM",
        "X-ZONE-ELSEWHERE;TZID=America/New_York:20270310T050000") + "END:VCALENDAR\r\n",
    "utc": OURS + event("utc", "SUMMARY:No zone", tz="UTC").replace(
        "DTSTART;TZID=UTC:20270310T100000", "DTSTART:20270310T100000Z") + "END:VCALENDAR\r\n",
}
#: A client's object: its calendar properties are the file's after the round trip.
APPLE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14.0//EN\r\n"
         "CALSCALE:GREGORIAN\r\n" + BERLIN + event("apple", "SUMMARY:From a Mac")
         + "END:VCALENDAR\r\n")
CARDS = {
    "three": b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:three\r\nFN:Ann Smith\r\nN:Smith;Ann;;;\r\n"
             b"EMAIL;TYPE=INTERNET:ann@example.com\r\nEND:VCARD\r\n",
    "four": b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:four\r\nFN:B\xc3\xa9a Jones\r\n"
            b"TEL;VALUE=uri;TYPE=cell:tel:+49-30-1234\r\nEND:VCARD\r\n",
}


def created_id(output: str) -> int:
    return int(re.search(r"created folder (\d+)", output).group(1))


async def fill(acme, module: str, objects: dict[str, bytes]) -> int:
    """A new folder of alice's holding ``objects`` (stored as a PUT stores them)."""
    async with acme.transaction(write=True) as txn:
        context, alice = await txn.login_in_mapping("acme.test", "alice")
        home = await txn.home(context.id, alice.id)
        folder = await home.create_folder(module, "Source")
        collection = await home.collection(folder.id)
        for name, data in objects.items():
            index = (stored_object_index(data) if module == "calendar"
                     else checked_card(data, None, len(data)).index)
            await collection.put(name, data, index)
        return folder.id


async def by_uid(acme, folder_id: int) -> dict[str, bytes]:
    async with acme.transaction() as txn:
        context, alice = await txn.login_in_mapping("acme.test", "alice")
        collection = await (await txn.home(context.id, alice.id)).collection(folder_id)
        metas = await collection.list()
        return {m.uid: s.data for m, s in zip(
            metas, await collection.get_many([m.name for m in metas]), strict=True)}


@pytest_twisted.ensureDeferred
async def test_a_calendar_exported_and_imported_into_a_fresh_folder_comes_back(
        acme, tmp_path: Path) -> None:
    source = await fill(acme, "calendar", {
        **{f"{uid}.ics": text.encode() for uid, text in EXACT.items()},
        "apple.ics": APPLE.encode()})  # named as an import names them: same order
    exported = tmp_path / "out.ics"
    acme.ok("folder", "export", "acme", "alice", str(source), "-o", str(exported))
    data = exported.read_bytes()
    assert data.count(b"BEGIN:VCALENDAR") == 1 and data.count(b"BEGIN:VTIMEZONE") == 2

    fresh = created_id(acme.ok("folder", "create", "acme", "alice", "Fresh",
                               "--module", "calendar").out)
    result = acme.ok("folder", "import", "acme", "alice", str(fresh), str(exported))
    assert "5 objects: 5 created, 0 updated, 0 unchanged, 0 refused" in result.out
    before, after = await by_uid(acme, source), await by_uid(acme, fresh)
    assert set(after) == set(before)
    for uid in EXACT:
        assert after[uid] == before[uid], uid  # byte for byte
    # A client's own calendar properties give way to the file's; its components stay.
    assert after["apple"] == APPLE.replace(
        "PRODID:-//Apple Inc.//macOS 14.0//EN\r\nCALSCALE:GREGORIAN\r\n",
        f"PRODID:{PRODID}\r\n").encode()
    # And the fresh folder exports as the first did (but for its name).
    acme.ok("folder", "export", "acme", "alice", str(fresh), "-o", str(tmp_path / "2.ics"))
    assert (tmp_path / "2.ics").read_bytes() == data.replace(b"X-WR-CALNAME:Source",
                                                             b"X-WR-CALNAME:Fresh")


@pytest_twisted.ensureDeferred
async def test_an_address_book_exported_and_imported_comes_back_byte_for_byte(
        acme, tmp_path: Path) -> None:
    source = await fill(acme, "contacts", {f"{n}.vcf": d for n, d in CARDS.items()})
    exported = tmp_path / "out.vcf"
    acme.ok("folder", "export", "acme", "alice", str(source), "-o", str(exported))
    assert exported.read_bytes() == CARDS["four"] + CARDS["three"]
    fresh = created_id(acme.ok("folder", "create", "acme", "alice", "Fresh",
                               "--module", "contacts").out)
    result = acme.ok("folder", "import", "acme", "alice", str(fresh), str(exported))
    assert "2 objects: 2 created" in result.out
    assert await by_uid(acme, fresh) == await by_uid(acme, source)
    # One version for all, as a GET with Accept would give.
    four = acme.ok("folder", "export", "acme", "alice", str(source), "--vcard-version", "4.0")
    assert four.out.count("VERSION:4.0") == 2 and "VERSION:3.0" not in four.out


@pytest_twisted.ensureDeferred
async def test_import_reports_each_object_and_stores_none_in_part(acme, tmp_path: Path) -> None:
    folder = await fill(acme, "calendar", {})
    file = tmp_path / "mixed.ics"
    file.write_bytes((
        OURS + BERLIN + event("good", "SUMMARY:Fine")
        + "BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
          "SUMMARY:no uid\r\nEND:VEVENT\r\n"
        + "BEGIN:VTODO\r\nUID:a-task\r\nDTSTAMP:20260101T000000Z\r\nEND:VTODO\r\n"
        + event("broken", "DTEND;TZID=Europe/Berlin:yesterday")
        + event("half", "SUMMARY:master")
        + event("half", "RECURRENCE-ID:not-a-date", "SUMMARY:bad override")
        + "END:VCALENDAR\r\n").encode())
    result = acme("folder", "import", "acme", "alice", str(folder), str(file))
    assert result.code == 4, result.err
    report = result.out.splitlines()
    assert report[0] == "created good.ics good"
    assert report[1].startswith("refused ") and "a VEVENT has no UID" in report[1]
    assert report[2].startswith("refused a-task.ics a-task: 403 supported-calendar-component")
    assert report[3].startswith("refused broken.ics broken: 403 valid-calendar-data")
    assert report[4].startswith("refused half.ics half: 403 valid-calendar-data")
    assert report[5] == "5 objects: 1 created, 0 updated, 0 unchanged, 4 refused"
    assert "4 of 5 objects refused" in result.err
    assert set(await by_uid(acme, folder)) == {"good"}  # nothing of the refused ones

    # Imported again: the same bytes are left alone, changed ones updated in place.
    again = acme("folder", "import", "acme", "alice", str(folder), str(file), "--json")
    assert again.json()[0] == {"result": "unchanged", "name": "good.ics", "uid": "good",
                               "reason": None}
    file.write_bytes(file.read_bytes().replace(b"SUMMARY:Fine", b"SUMMARY:Finer"))
    again = acme("folder", "import", "acme", "alice", str(folder), str(file), "--json")
    assert again.json()[0]["result"] == "updated"
    assert b"SUMMARY:Finer" in (await by_uid(acme, folder))["good"]


def test_a_file_that_is_no_icalendar_is_refused_whole(acme, tmp_path: Path) -> None:
    folder = created_id(acme.ok("folder", "create", "acme", "alice", "C",
                                "--module", "calendar").out)
    file = tmp_path / "cards.ics"
    file.write_bytes(CARDS["three"])
    result = acme("folder", "import", "acme", "alice", str(folder), str(file))
    assert result.code == 1 and "VCARD outside a VCALENDAR" in result.err


@pytest_twisted.ensureDeferred
async def test_no_one_else_exports_or_imports_a_users_folder(acme, tmp_path: Path) -> None:
    folder = await fill(acme, "calendar", {"plain.ics": EXACT["plain"].encode()})
    acme.ok("user", "create", "acme", "carol", "--password-stdin", "--email",
            "carol@acme.test", stdin="s3cret\n")
    acme.ok("context", "create", "other", "--mapping", "other.test")
    acme.ok("user", "create", "other", "bob", "--password-stdin", "--email",
            "bob@other.test", stdin="s3cret\n")
    file = tmp_path / "in.ics"
    file.write_bytes(EXACT["series"].encode())
    for context, user in (("acme", "carol"), ("other", "bob")):
        result = acme("folder", "export", context, user, str(folder))
        assert result.code == 2 and "Standup" not in result.out, (user, result.out)
        result = acme("folder", "import", context, user, str(folder), str(file))
        assert result.code == 2, (user, result.out, result.err)
    assert set(await by_uid(acme, folder)) == {"plain"}
