"""Scheduling's iCalendar work (oxdav.scheduling.tasks): views and messages made once per
set of attended instances are those made per attendee; copies keep what is their
owner's; the work of a large meeting runs in a worker process over a real store."""

from __future__ import annotations

import re
from typing import Any

import pytest_twisted
from icalendar import Calendar

from oxdav.scheduling import itip, tasks
from oxdav.scheduling.implicit import ImplicitScheduler
from oxdav.scheduling.tasks import Held
from oxdav.work import WorkPool
from tests.integration.scheduling_support import RecordingDelivery
from tests.scheduling.test_incoming import default_calendar, stored

ALICE = frozenset({"alice@acme.example"})


def meeting(master: list[str], overrides: dict[str, list[str]], *, summary: str = "Standup",
            moved: str = "120000") -> bytes:
    """A weekly series of alice's: the master's attendees and per RECURRENCE-ID day
    (January 2027) an override with its own attendees."""
    def people(who: list[str]) -> str:
        return "".join(f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{w}\r\n" for w in who)
    parts = [f"BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20270101T000000Z\r\n"
             f"DTSTART:20270105T100000Z\r\nDTEND:20270105T110000Z\r\nRRULE:FREQ=WEEKLY\r\n"
             f"SUMMARY:{summary}\r\nORGANIZER:mailto:alice@acme.example\r\n"
             f"{people(master)}END:VEVENT\r\n"]
    for day, who in overrides.items():
        parts.append(f"BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20270101T000000Z\r\n"
                     f"RECURRENCE-ID:202701{day}T100000Z\r\nDTSTART:202701{day}T{moved}Z\r\n"
                     f"DTEND:202701{day}T230000Z\r\nSUMMARY:{summary}\r\n"
                     f"ORGANIZER:mailto:alice@acme.example\r\n{people(who)}END:VEVENT\r\n")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(parts)
            + "END:VCALENDAR\r\n").encode()


def unstamped(message: bytes) -> bytes:
    return re.sub(rb"DTSTAMP:[0-9TZ]+\r\n", b"", message)


def one_by_one(old: bytes | None, new: bytes) -> dict[str, list[tuple[str, bytes]]]:
    """The messages of each attendee made the plain way: their own views, one by one."""
    before = Calendar.from_ical(old) if old else None
    after = Calendar.from_ical(new)
    if before is not None:
        itip.keep_answers(after, before, ALICE)
    everyone = {**(itip.all_attendees(before) if before is not None else {}),
                **itip.all_attendees(after)}
    found = {}
    for who in everyone:
        messages = tasks._organizer_messages(
            itip.attendee_view(before, who) if before is not None else None,
            itip.attendee_view(after, who), False)
        if messages:
            found[who] = [(method, unstamped(m)) for method, m in messages]
    return found


def planned(old: bytes | None, new: bytes) -> dict[str, list[tuple[str, bytes]]]:
    plan = tasks.plan_change(old, new, ALICE, 100)
    return {n.address: [(method, unstamped(m)) for method, m in n.messages]
            for n in plan.notices}


def test_messages_made_per_set_of_instances_are_those_made_per_attendee() -> None:
    first = meeting(["bob@x.test", "carol@x.test", "dan@x.test"],
                    {"12": ["bob@x.test", "erin@x.test"], "19": ["bob@x.test"]})
    # erin is in one instance only; the 12th moves, carol leaves, fay joins the series.
    second = meeting(["bob@x.test", "dan@x.test", "fay@x.test"],
                     {"12": ["bob@x.test", "erin@x.test"], "19": ["bob@x.test"]},
                     moved="150000")
    assert planned(None, first) == one_by_one(None, first)
    changed = planned(first, second)
    assert changed == one_by_one(first, second)
    assert [m for m, _ in changed["carol@x.test"]] == ["CANCEL"]
    assert [m for m, _ in changed["fay@x.test"]] == ["REQUEST"]
    assert b"RECURRENCE-ID" in changed["erin@x.test"][0][1]
    assert b"RRULE" not in changed["erin@x.test"][0][1]  # only her instance
    # Nothing that matters to attendees changed: nobody is told anything.
    assert planned(first, first.replace(b"DTSTAMP:20270101", b"DTSTAMP:20270102")) == {}


def test_a_copy_keeps_its_owners_alarm_and_a_copy_of_another_organizer_is_left() -> None:
    first = meeting(["bob@acme.example", "carol@acme.example"], {})
    plan = tasks.plan_change(None, first, ALICE, 100)
    made = tasks.settle(plan, ALICE, {a: Held(None, True, frozenset({a}))
                                      for a in ("bob@acme.example", "carol@acme.example")}, {})
    copies = {c.address: c for c in made.changes}
    assert copies["bob@acme.example"].data == copies["carol@acme.example"].data
    with_alarm = copies["bob@acme.example"].data.replace(
        b"END:VEVENT", b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
        b"TRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT")
    foreign = copies["carol@acme.example"].data.replace(b"alice@acme.example",
                                                         b"mallory@acme.example")
    second = meeting(["bob@acme.example", "carol@acme.example"], {}, summary="Moved")
    plan = tasks.plan_change(made.calendar, second, ALICE, 100)
    again = tasks.settle(plan, ALICE, {
        "bob@acme.example": Held(with_alarm, True, frozenset()),
        "carol@acme.example": Held(foreign, True, frozenset())}, {})
    statuses = dict(again.statuses)
    assert statuses == {"bob@acme.example": "1.2", "carol@acme.example": "3.8"}
    (bob,) = again.changes
    assert b"Moved" in bob.data and b"BEGIN:VALARM" in bob.data
    calendar = Calendar.from_ical(again.calendar)
    assert itip.attendee(itip.scheduled(calendar)[0], "carol@acme.example").params[
        "SCHEDULE-STATUS"] == "3.8"


class CountingPool(WorkPool):
    """The daemon's work pool, counting what it sends to worker processes."""

    def __init__(self, reactor: Any) -> None:
        super().__init__(reactor, threads=1, processes=1)
        self.sent: list[str] = []

    async def process(self, fn, *args):  # type: ignore[no-untyped-def]
        self.sent.append(fn.__name__)
        return await super().process(fn, *args)


@pytest_twisted.ensureDeferred
async def test_a_large_meeting_is_scheduled_in_a_worker_process(store, world) -> None:
    from twisted.internet import reactor

    pool = CountingPool(reactor)
    pool.startService()
    try:
        async with store.transaction("setup", write=True) as txn:
            await default_calendar(txn, world.context.id, world.bob.id)
        guests = [f"guest{i}@outside.test" for i in range(40)]
        big = meeting(["bob@acme.example", *guests], {"12": ["bob@acme.example"]})
        recording = RecordingDelivery()
        async with store.transaction("put", write=True) as txn:
            scheduler = ImplicitScheduler(txn, world.context.id, pool, recording, 100)
            scheduled = await scheduler.written(world.alice.id, None, big)
        assert pool.sent == ["plan_change", "settle"]
        assert len(recording.queued) == 40
        statuses = dict(scheduled.statuses)
        assert statuses["bob@acme.example"] == "1.2"
        assert {statuses[g] for g in guests} == {"1.0"}
        copy = await stored(store, world, world.bob, "m1")
        assert copy is not None and len(itip.scheduled(copy)) == 2
        # A small single meeting is cheaper inline than the trip to a worker.
        pool.sent.clear()
        small = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                 b"UID:s1\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270105T100000Z\r\n"
                 b"DTEND:20270105T110000Z\r\nORGANIZER:mailto:alice@acme.example\r\n"
                 b"ATTENDEE:mailto:bob@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        async with store.transaction("put", write=True) as txn:
            scheduler = ImplicitScheduler(txn, world.context.id, pool, recording, 100)
            assert await scheduler.written(world.alice.id, None, small) is not None
        assert pool.sent == []
        assert await stored(store, world, world.bob, "s1") is not None
    finally:
        pool.stopService()
