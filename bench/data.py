"""Deterministic benchmark data: iCalendar events and vCards.

The same ``(index, base)`` always gives the same bytes, so every server gets exactly the
same collection. Events fall between ``base`` (the first day of the current month, UTC)
and ~12 months later, inside oxdav's default sync window (``interval.start=one_month``,
``interval.end=one_year``), so no server hides any of them from listings.

Event mix, by ``index % 10`` (RFC 5545 constructs):

- 0–3: single timed event in Europe/Berlin with its VTIMEZONE (§3.6.5)
- 4: single timed event in UTC with a VALARM (§3.6.6)
- 5: all-day event (``VALUE=DATE``, §3.3.4)
- 6–7: weekly series (``RRULE`` with ``COUNT``, §3.3.10) with two ``EXDATE`` (§3.8.5.1)
- 8: daily series with one overridden instance (``RECURRENCE-ID``, §3.8.4.4)
- 9: meeting with an organizer, three attendees (§3.8.4.1) and an alarm

Cards alternate vCard 3.0 (RFC 2426) and 4.0 (RFC 6350); every tenth has a small PNG
photo (a real 16×16 image, ~0.3 kB).
"""

from __future__ import annotations

import base64
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Item", "base_date", "event", "card", "events", "cards", "changed_event",
           "query_month", "year_window", "rdate_event", "long_event", "small_event"]

BERLIN = """BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""

_WORDS = ("budget planning review sync standup design retro lunch dentist gym "
          "offsite training interview demo release party call workshop").split()
_FIRST = "Anna Ben Chloe David Emma Felix Greta Hugo Ida Jonas Lena Max Nora Otto".split()
_LAST = "Becker Fischer Hoffmann Koch Meyer Richter Schmidt Schulz Wagner Weber".split()


@dataclass(frozen=True)
class Item:
    """One resource to PUT.

    Attributes:
        name: the resource name (``<uid>.ics`` or ``<uid>.vcf``).
        uid: the UID inside the data.
        body: the iCalendar or vCard bytes (CRLF line ends).
        content_type: the Content-Type to send.
    """

    name: str
    uid: str
    body: bytes
    content_type: str


def base_date(today: date | None = None) -> date:
    """The first day of the current (UTC) month: the start of the data."""
    today = today or datetime.now(UTC).date()
    return today.replace(day=1)


def query_month(base: date) -> tuple[datetime, datetime]:
    """The calendar-query window: the whole month after ``base``, in UTC."""
    start = _add_months(base, 1)
    return (datetime(start.year, start.month, 1, tzinfo=UTC),
            datetime(*_add_months(start, 1).timetuple()[:3], tzinfo=UTC))


def year_window(base: date) -> tuple[datetime, datetime]:
    """The twelve months from ``base`` (UTC): where the heavy objects have instances."""
    return (datetime(base.year, base.month, base.day, tzinfo=UTC),
            datetime(*_add_months(base, 12).timetuple()[:3], tzinfo=UTC))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def event(index: int, base: date, *, revision: int = 0) -> Item:
    """The event number ``index``; ``revision`` > 0 gives a modified version of it."""
    rng = random.Random(index * 7919 + 1)
    uid = f"bench-ev-{index:06d}@bench.oxdav.invalid"
    day = datetime(base.year, base.month, base.day) + timedelta(days=rng.randrange(330))
    start = day.replace(hour=rng.randrange(7, 19), minute=rng.choice((0, 15, 30, 45)))
    end = start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
    summary = " ".join(rng.choice(_WORDS) for _ in range(3)).capitalize()
    if revision:
        summary += f" (rev {revision})"
    kind = index % 10
    created = _stamp(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=index))
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{created}", f"CREATED:{created}",
             f"SEQUENCE:{revision}", f"SUMMARY:{summary}",
             f"DESCRIPTION:Benchmark event {index}\\, generated deterministically."]
    timezone = ""
    if kind <= 3:
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}", f"LOCATION:Room {index % 40}"]
    elif kind == 4:
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(end)}"]
        lines += _alarm(15)
    elif kind == 5:
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}", "TRANSP:TRANSPARENT"]
    elif kind in (6, 7):
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}",
                  f"RRULE:FREQ=WEEKLY;COUNT={rng.randrange(6, 20)}",
                  f"EXDATE;TZID=Europe/Berlin:{_local(start + timedelta(weeks=1))},"
                  f"{_local(start + timedelta(weeks=3))}"]
    elif kind == 8:
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(end)}",
                  "RRULE:FREQ=DAILY;COUNT=10"]
    else:
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}",
                  "ORGANIZER;CN=Demo:mailto:demo@example.com"]
        for n in range(3):
            person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            lines.append(f"ATTENDEE;CN={person};PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;"
                         f"RSVP=TRUE:mailto:{person.replace(' ', '.').lower()}{n}@example.org")
        lines += _alarm(10)
    lines.append("END:VEVENT")
    if kind == 8:  # one moved instance of the daily series
        moved = start + timedelta(days=2)
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{created}",
                  f"RECURRENCE-ID:{_stamp(moved)}", f"SUMMARY:{summary} (moved)",
                  f"DTSTART:{_stamp(moved + timedelta(hours=2))}",
                  f"DTEND:{_stamp(end + timedelta(days=2, hours=2))}", "END:VEVENT"]
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oxdav//bench//EN\r\n" + timezone
            + "".join(line + "\r\n" for line in lines) + "END:VCALENDAR\r\n")
    return Item(f"{_safe(uid)}.ics", uid, text.encode(), "text/calendar; charset=utf-8")


def _alarm(minutes: int) -> list[str]:
    return ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder",
            f"TRIGGER:-PT{minutes}M", "END:VALARM"]


def _safe(uid: str) -> str:
    return uid.replace("@", "-")


def card(index: int) -> Item:
    """The card number ``index`` (vCard 3.0 for even, 4.0 for odd numbers)."""
    rng = random.Random(index * 104729 + 3)
    uid = f"bench-card-{index:06d}@bench.oxdav.invalid"
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    mail = f"{first}.{last}{index}@example.org".lower()
    phone = f"+49 30 {rng.randrange(1000000, 9999999)}"
    v4 = index % 2 == 1
    lines = ["BEGIN:VCARD", f"VERSION:{'4.0' if v4 else '3.0'}", f"UID:{uid}",
             f"FN:{first} {last}", f"N:{last};{first};;;", f"ORG:Bench {index % 50} GmbH",
             f"TITLE:{rng.choice(_WORDS).capitalize()} lead",
             f"EMAIL;TYPE=work:{mail}" if v4 else f"EMAIL;TYPE=INTERNET,WORK:{mail}",
             f"TEL;TYPE=cell:{phone}" if v4 else f"TEL;TYPE=CELL:{phone}",
             f"ADR;TYPE=work:;;Hauptstr. {index % 200};Berlin;;10115;Germany",
             f"NOTE:Benchmark contact {index}"]
    if index % 10 == 3:
        photo = base64.b64encode(_png(rng)).decode()
        lines.append(f"PHOTO:data:image/png;base64,{photo}" if v4
                     else f"PHOTO;ENCODING=b;TYPE=PNG:{photo}")
    lines += [f"REV:{_stamp(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=index))}",
              "END:VCARD"]
    text = "".join(_fold(line) + "\r\n" for line in lines)
    return Item(f"{_safe(uid)}.vcf", uid, text.encode(), "text/vcard; charset=utf-8")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 §3.2; ASCII only here)."""
    if len(line) <= 75:
        return line
    parts = [line[:75]] + [line[i:i + 74] for i in range(75, len(line), 74)]
    return "\r\n ".join(parts)


def _png(rng: random.Random, size: int = 16) -> bytes:
    """A real ``size``×``size`` RGB PNG of random pixels."""
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(size * 3))
                    for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def events(count: int, base: date) -> list[Item]:
    """Events ``0 .. count-1``."""
    return [event(i, base) for i in range(count)]


def cards(count: int) -> list[Item]:
    """Cards ``0 .. count-1``."""
    return [card(i) for i in range(count)]


def changed_event(index: int, base: date, revision: int) -> Item:
    """Event ``index`` as modified for the ``revision``-th time (sync-collection)."""
    return event(index, base, revision=revision)


def _heavy(name: str, uid: str, lines: list[str]) -> Item:
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oxdav//bench//EN\r\n"
            + "".join(_fold(line) + "\r\n" for line in lines) + "END:VCALENDAR\r\n")
    return Item(name, uid, text.encode(), "text/calendar; charset=utf-8")


def rdate_event(index: int, base: date, dates: int, *, revision: int = 0) -> Item:
    """A half-hour event with ``dates`` RDATE values (RFC 5545 §3.8.5.2), one every 25
    minutes from ``base`` on (20,000 of them fill 347 days), in one folded property:
    each value is an instance for max-instances (RFC 4791 §5.2.8) and for every
    expansion. Named ``r<index>.ics`` (short hrefs make the largest multiget fit)."""
    uid = f"bench-rdate-{index}@bench.oxdav.invalid"
    start = datetime(base.year, base.month, base.day, 8, index % 25, tzinfo=UTC)
    values = ",".join(_stamp(start + timedelta(minutes=25 * (i + 1))) for i in range(dates))
    return _heavy(f"r{index}.ics", uid, [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", f"SEQUENCE:{revision}",
        f"SUMMARY:Heavy series {index} (rev {revision})", f"DTSTART:{_stamp(start)}",
        "DURATION:PT30M", f"RDATE:{values}", "END:VEVENT"])


def long_event(index: int, base: date, size: int, *, revision: int = 0) -> Item:
    """A single event whose DESCRIPTION makes the object about ``size`` bytes (folded
    at 75 octets, RFC 5545 §3.1): what a text-match must read through. Named
    ``t<index>.ics``."""
    uid = f"bench-long-{index}@bench.oxdav.invalid"
    start = datetime(base.year, base.month, base.day, 9, tzinfo=UTC) + timedelta(days=index)
    rng = random.Random(index * 31 + revision)
    words: list[str] = []
    length = 0
    target = int(size * 74 / 77) - 400  # folding adds 3 octets per 74
    while length < target:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    return _heavy(f"t{index}.ics", uid, [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", f"SEQUENCE:{revision}",
        f"SUMMARY:Long notes {index} (rev {revision})", f"DTSTART:{_stamp(start)}",
        "DURATION:PT1H", "DESCRIPTION:" + " ".join(words), "END:VEVENT"])


def small_event(base: date) -> Item:
    """The one small event the quiet tenant reads (``quiet.ics``)."""
    item = event(0, base)
    return Item("quiet.ics", item.uid, item.body, item.content_type)
