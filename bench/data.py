"""Deterministic benchmark data: iCalendar events and vCards.

The same ``(index, base)`` always gives the same bytes, so every server gets exactly the
same collection. Events fall between ``base`` (the first day of the current month, UTC)
and ~12 months later, inside oxdav's default sync window (``interval.start=one_month``,
``interval.end=one_year``), so no server hides any of them from listings.

Event mix, by ``index % 20``, shaped like real calendars (RFC 5545 constructs): a fifth
recurring, most of those without end and started years before ``base``:

- 0–7: single timed event in Europe/Berlin with its VTIMEZONE (§3.6.5)
- 8–10: single timed event in UTC with a VALARM (§3.6.6)
- 11: all-day event of one to three days (``VALUE=DATE``, §3.3.4)
- 12–13: meeting with an organizer, three to six attendees (§3.8.4.1) and an alarm
- 14: open-ended weekly meeting in Europe/Berlin (no COUNT/UNTIL, §3.3.10) started up to
  six years ago, many with EXDATEs (§3.8.5.1), every third with overridden instances
  (``RECURRENCE-ID``, §3.8.4.4) moved into and out of the query month
- 15: open-ended daily series (workdays or every day) started up to four years ago, in
  Europe/Berlin, UTC or floating time, some with EXDATEs and a moved instance
- 16: yearly all-day birthday without end, every eighth on February 29th
- 17: bounded series: weekly with ``COUNT`` and two EXDATEs, or daily with ``COUNT``
  and one moved instance
- 18–19: single UTC events with a DURATION or with neither DTEND nor DURATION

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
    kind = index % 20
    created = _stamp(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=index))
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{created}", f"CREATED:{created}",
             f"SEQUENCE:{revision}", f"SUMMARY:{summary}",
             f"DESCRIPTION:Benchmark event {index}\\, generated deterministically."]
    timezone, extra = "", []
    if kind <= 7:
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}", f"LOCATION:Room {index % 40}"]
    elif kind <= 10:
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(end)}"]
        lines += _alarm(15)
    elif kind == 11:
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{start + timedelta(days=1 + index % 3):%Y%m%d}",
                  "TRANSP:TRANSPARENT"]
    elif kind in (12, 13):
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}"]
        lines += _attendees(rng, 3 + index % 4)
        lines += _alarm(10)
    elif kind == 14:
        timezone, extra = BERLIN, _standing_weekly(lines, index, base, rng, uid, summary,
                                                   created)
    elif kind == 15:
        timezone, extra = _standing_daily(lines, index, base, rng, uid, summary, created)
    elif kind == 16:
        _birthday(lines, index, rng)
    elif index % 40 == 17:
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
                  f"DTEND;TZID=Europe/Berlin:{_local(end)}",
                  f"RRULE:FREQ=WEEKLY;COUNT={rng.randrange(6, 20)}",
                  f"EXDATE;TZID=Europe/Berlin:{_local(start + timedelta(weeks=1))},"
                  f"{_local(start + timedelta(weeks=3))}"]
    elif kind == 17:
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(end)}",
                  "RRULE:FREQ=DAILY;COUNT=10"]
        moved = start + timedelta(days=2)
        extra = _override(uid, created, summary, ":" + _stamp(moved),
                          [f"DTSTART:{_stamp(moved + timedelta(hours=2))}",
                           f"DTEND:{_stamp(end + timedelta(days=2, hours=2))}"])
    else:  # 18, 19: plain single events in UTC, some without DTEND
        lines += [f"DTSTART:{_stamp(start)}"]
        lines += [f"DURATION:PT{rng.choice((15, 30, 60))}M"] if kind == 18 else []
    lines.append("END:VEVENT")
    lines += extra
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oxdav//bench//EN\r\n" + timezone
            + "".join(_fold(line) + "\r\n" for line in lines) + "END:VCALENDAR\r\n")
    return Item(f"{_safe(uid)}.ics", uid, text.encode(), "text/calendar; charset=utf-8")


def _attendees(rng: random.Random, count: int) -> list[str]:
    lines = ["ORGANIZER;CN=Demo:mailto:demo@example.com"]
    for n in range(count):
        person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        state = rng.choice(("NEEDS-ACTION", "ACCEPTED", "TENTATIVE", "DECLINED"))
        lines.append(f"ATTENDEE;CN={person};PARTSTAT={state};ROLE=REQ-PARTICIPANT;"
                     f"RSVP=TRUE:mailto:{person.replace(' ', '.').lower()}{n}@example.org")
    return lines


def _override(uid: str, created: str, summary: str, recurrence_id: str,
              times: list[str]) -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{created}", f"RECURRENCE-ID{recurrence_id}",
            f"SUMMARY:{summary} (moved)", *times, "END:VEVENT"]


def _weeks_before(base: date, rng: random.Random, most_years: int) -> datetime:
    """A start up to ``most_years`` before ``base``: standing series run for years."""
    weeks = rng.randrange(1, most_years * 52)
    return datetime(base.year, base.month, base.day) - timedelta(weeks=weeks)


def _standing_weekly(lines: list[str], index: int, base: date, rng: random.Random, uid: str,
                     summary: str, created: str) -> list[str]:
    """An open-ended weekly meeting in Europe/Berlin (no COUNT, no UNTIL) started up to six
    years ago: every second with EXDATEs (up to 30, a few in the query month), every
    third with overridden instances, some moved into the query month, some out of it."""
    first = _weeks_before(base, rng, 6).replace(hour=rng.randrange(8, 17),
                                                 minute=rng.choice((0, 30)))
    length = timedelta(minutes=rng.choice((30, 60, 90)))
    rule = "RRULE:FREQ=WEEKLY" + (";INTERVAL=2" if index % 7 == 0 else "")
    step = timedelta(weeks=2 if index % 7 == 0 else 1)
    lines += [f"DTSTART;TZID=Europe/Berlin:{_local(first)}",
              f"DTEND;TZID=Europe/Berlin:{_local(first + length)}", rule,
              f"LOCATION:Room {index % 40}"]
    lines += _attendees(rng, 2 + index % 5) if index % 3 else []
    lines += _alarm(15) if index % 4 == 0 else []
    month = datetime(*query_month(base)[0].timetuple()[:3])
    in_month = first + step * max(0, -(-(month - first) // step))  # first one in the month
    if index % 2 == 0:
        span = max(2, (month - first) // step + 30)
        skipped = sorted({rng.randrange(0, span) for _ in range(rng.randrange(4, 30))})
        dates = [first + step * k for k in skipped] + [in_month + step]
        lines.append("EXDATE;TZID=Europe/Berlin:" + ",".join(_local(d) for d in sorted(dates)))
    extra: list[str] = []
    if index % 3 == 0:
        moves = [(in_month, timedelta(days=40)),  # out of the month
                 (in_month - step * 6, timedelta(days=42)),  # into it
                 (in_month + step * 10, timedelta(hours=3))]
        for when, shift in moves:
            if when <= first:
                continue
            extra += _override(uid, created, summary, f";TZID=Europe/Berlin:{_local(when)}",
                               [f"DTSTART;TZID=Europe/Berlin:{_local(when + shift)}",
                                f"DTEND;TZID=Europe/Berlin:{_local(when + shift + length)}"])
    return extra


def _standing_daily(lines: list[str], index: int, base: date, rng: random.Random, uid: str,
                    summary: str, created: str) -> tuple[str, list[str]]:
    """An open-ended daily series (workdays or every day) started up to four years ago:
    in Europe/Berlin, in UTC, or floating (every fifth); some with EXDATEs and one
    overridden instance moved by a day."""
    first = _weeks_before(base, rng, 4).replace(hour=rng.randrange(7, 10),
                                                 minute=rng.choice((0, 15, 30)))
    first += timedelta(days=(7 - first.weekday()) % 7)  # a Monday
    length = timedelta(minutes=rng.choice((15, 30)))
    zone = ("floating" if index % 5 == 0 else "utc" if index % 2 else "berlin")

    def value(moment: datetime) -> str:
        if zone == "berlin":
            return f";TZID=Europe/Berlin:{_local(moment)}"
        return f":{_local(moment)}" if zone == "floating" else f":{_stamp(moment)}"

    workdays = index % 3 != 0
    lines += [f"DTSTART{value(first)}", f"DTEND{value(first + length)}",
              "RRULE:FREQ=DAILY" + (";BYDAY=MO,TU,WE,TH,FR" if workdays else "")]
    if index % 4 == 1:
        days = sorted({rng.randrange(0, 900) for _ in range(rng.randrange(5, 40))})
        dates = [first + timedelta(days=d) for d in days
                 if not workdays or (first + timedelta(days=d)).weekday() < 5]
        if dates:
            lines.append("EXDATE" + value(dates[0]).split(":")[0] + ":"
                         + ",".join(value(d).split(":", 1)[1] for d in dates))
    extra: list[str] = []
    if index % 6 == 3:
        month = datetime(*query_month(base)[0].timetuple()[:3])
        when = first + timedelta(days=((month - first).days // 7) * 7 + 7)  # a Monday in it
        extra = _override(uid, created, summary, value(when),
                          [f"DTSTART{value(when + timedelta(days=1, hours=2))}",
                           f"DTEND{value(when + timedelta(days=1, hours=2) + length)}"])
    return (BERLIN if zone == "berlin" else ""), extra


def _birthday(lines: list[str], index: int, rng: random.Random) -> None:
    """A yearly all-day birthday without end (every eighth on February 29th)."""
    year = rng.randrange(1950, 2015)
    born = date(1988 + 4 * (index % 7), 2, 29) if index % 8 == 0 else \
        date(year, 1, 1) + timedelta(days=rng.randrange(365))
    person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    lines[5] = f"SUMMARY:Birthday of {person}"
    lines += [f"DTSTART;VALUE=DATE:{born:%Y%m%d}",
              f"DTEND;VALUE=DATE:{born + timedelta(days=1):%Y%m%d}",
              "RRULE:FREQ=YEARLY", "TRANSP:TRANSPARENT", "CATEGORIES:Birthday"]
    lines += _alarm(24 * 60) if index % 2 else []


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
