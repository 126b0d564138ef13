"""A context of colleagues for the scheduling tests (RFC 6638), through the TLS
listener: anna, bob and carol in one context, eve in another; helpers to PUT, read and
look at calendars and inboxes; a recording :class:`ExternalDelivery`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from icalendar import Calendar

from oxdav.directory import provisioning
from oxdav.itip_terms import PENDING
from oxdav.scheduling import itip
from oxdav.store.interfaces import Transaction
from oxdav.store.models import User
from tests.integration.harness import Server, password_hash
from tests.integration.test_auth_tls import PASSWORD

ICAL_HEADERS = {"Content-Type": "text/calendar; charset=utf-8"}


@dataclass
class Person:
    name: str
    email: str
    user_id: int = 0
    context_id: int = 0
    calendar: int = 0
    password: str = PASSWORD

    @property
    def auth(self) -> tuple[str, str]:
        return (self.email, self.password)

    @property
    def mailto(self) -> str:
        return f"mailto:{self.email}"


@dataclass
class Queued:
    context_id: int
    sender: int
    recipient: str
    method: str
    message: bytes
    uid: str


@dataclass
class RecordingDelivery:
    """An ExternalDelivery that keeps what it is given and says "pending"."""

    queued: list[Queued] = field(default_factory=list)

    async def queue(self, txn: Transaction, *, context_id: int, sender: User,
                    recipient: str, method: str, message: bytes, uid: str) -> str:
        self.queued.append(Queued(context_id, sender.id, recipient, method, message, uid))
        return PENDING


@dataclass
class Office:
    server: Server
    anna: Person
    bob: Person
    carol: Person
    eve: Person
    external: RecordingDelivery

    async def put(self, who: Person, name: str, body: bytes, *, folder: int | None = None,
                  headers: dict[str, str] | None = None) -> tuple[Any, bytes]:
        path = f"/dav/caldav/{folder or who.calendar}/{name}"
        return await self.server.request("PUT", path, auth=who.auth, body=body,
                                         headers={**ICAL_HEADERS, **(headers or {})})

    async def get(self, who: Person, name: str, folder: int | None = None
                  ) -> tuple[Any, bytes]:
        return await self.server.request(
            "GET", f"/dav/caldav/{folder or who.calendar}/{name}", auth=who.auth)

    async def copy_of(self, who: Person, uid: str) -> Calendar | None:
        """``who``'s object of ``uid`` in their default calendar, read from the store."""
        async with self.server.service.store.transaction("look") as txn:
            collection = await txn.system_collection(who.context_id, who.calendar)
            meta = await collection.by_uid(uid)
            if meta is None:
                return None
            return Calendar.from_ical((await collection.get(meta.name)).data)

    async def inbox(self, who: Person) -> list[Calendar]:
        async with self.server.service.store.transaction("look") as txn:
            items = await txn.inbox_items(who.context_id, who.user_id)
        return [Calendar.from_ical(i.data) for i in items]

    async def clear_inboxes(self) -> None:
        async with self.server.service.store.transaction("clear", write=True) as txn:
            for who in (self.anna, self.bob, self.carol, self.eve):
                for item in await txn.inbox_items(who.context_id, who.user_id):
                    await txn.delete_inbox_item(who.context_id, who.user_id, item.name)


def partstat(calendar: Calendar, who: Person, rid: str = "") -> str | None:
    component = itip.by_rid(calendar).get(rid)
    value = None if component is None else itip.attendee(component, who.email)
    return None if value is None else str(value.params.get("PARTSTAT"))


def status(calendar: Calendar, who: Person) -> str | None:
    for component in itip.scheduled(calendar):
        value = itip.attendee(component, who.email)
        if value is not None and "SCHEDULE-STATUS" in value.params:
            return str(value.params["SCHEDULE-STATUS"])
    return None


def methods(inbox: list[Calendar]) -> list[str]:
    return [str(c["METHOD"]) for c in inbox]


async def prepare(server: Server) -> Office:
    """anna, bob and carol in the demo user's context (carol also answers to an alias),
    eve in a context of her own; the recording delivery plugged in."""
    people = {"anna": Person("anna", "anna@example.com"),
              "bob": Person("bob", "bob@example.com"),
              "carol": Person("carol", "carol@example.com"),
              "eve": Person("eve", "eve@elsewhere.test")}
    async with server.service.store.transaction("office", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        other = await txn.create_context("elsewhere", mappings=("elsewhere.test",))
        for person in people.values():
            context = other.id if person.name == "eve" else demo.context_id
            aliases = ("c.c@example.com",) if person.name == "carol" else ()
            made = await provisioning.create_user(
                txn, context, person.name, password_hash=password_hash(PASSWORD),
                display_name=person.name.title(), email=person.email, aliases=aliases)
            home = await txn.home(context, made.id)
            person.user_id, person.context_id = made.id, context
            person.calendar = next(f.id for f in await home.folders("calendar")
                                   if f.owner_id == made.id and f.is_default)
    external = RecordingDelivery()
    server.service.dav.spaces["caldav"].scheduling.external = external
    return Office(server, people["anna"], people["bob"], people["carol"], people["eve"],
                  external)


def meeting(uid: str, organizer: Person, attendees: list[Person | str], *,
            summary: str = "Planning", start: str = "20270105T100000Z",
            end: str = "20270105T110000Z", rrule: str | None = None,
            partstats: dict[str, str] | None = None, extra: str = "",
            overrides: str = "", sequence: int = 0) -> bytes:
    """An organizer's VEVENT (text, as a client writes it)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//scheduling//EN",
             "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z",
             f"DTSTART:{start}", f"DTEND:{end}", f"SUMMARY:{summary}",
             f"SEQUENCE:{sequence}", f"ORGANIZER;CN={organizer.name}:{organizer.mailto}"]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    answers = partstats or {}
    lines.append(f"ATTENDEE;PARTSTAT=ACCEPTED:{organizer.mailto}")
    for person in attendees:
        address = person if isinstance(person, str) else person.mailto
        state = answers.get(address, "NEEDS-ACTION")
        lines.append(f"ATTENDEE;PARTSTAT={state};RSVP=TRUE:{address}")
    if extra:
        lines.extend(extra.strip().splitlines())
    lines.append("END:VEVENT")
    if overrides:
        lines.extend(overrides.strip().splitlines())
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def answered(calendar: Calendar, who: Person, state: str, rid: str | None = None) -> bytes:
    """``calendar`` (an attendee's copy) with ``who``'s PARTSTAT set, for the series or
    for one instance (a new override made from the master, as clients do)."""
    calendar = itip.copy(calendar)
    components = itip.by_rid(calendar)
    if rid is None:
        targets = list(components.values())
    elif rid in components:
        targets = [components[rid]]
    else:
        override = itip._instance_of(components[""], rid)
        calendar.add_component(override)
        targets = [override]
    for component in targets:
        value = itip.attendee(component, who.email)
        assert value is not None
        value.params["PARTSTAT"] = state
    return bytes(calendar.to_ical())
