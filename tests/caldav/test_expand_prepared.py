"""expand_prepared: CALDAV:expand from the rendering prepared on write is the parsing path's.

Every object here is parsed as a PUT parses it, its expansion prepared as a PUT
prepares it, and for every range and query zone the calendar-data served
(:func:`oxdav.caldav.tasks.calendar_data`) must be byte for byte what the parsing
path (:func:`oxdav.caldav.calendardata.render_calendar_data`) gives. The objects that
must be prepared are listed, so the comparison cannot pass by declining everything.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

import pytest

from bench.data import event as bench_event
from oxdav.caldav.calendardata import (
    CalendarDataRequest,
    CompSelection,
    apply_calendar_data,
    render_calendar_data,
)
from oxdav.caldav.expand_prepared import _value, expand_prepared, prepare_expansion
from oxdav.caldav.ical import load_calendar
from oxdav.caldav.tasks import calendar_data
from oxdav.caldav.timerange import TimeRange
from oxdav.store.models import StoredObject
from tests.caldav.ics import calendar_bytes, event, parse, utc
from tests.caldav.test_index_match import BERLIN_TZ, EXACT, NOT_EXACT, RANGES, ZONES, meta_of

#: One-instance objects whose stored text is unusual (folding, quoting, LF line ends).
MORE = {
    "zoned-with-alarm-and-attendee": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20240110T100000", "DTEND;TZID=Europe/Berlin:20240110T110000",
        "SUMMARY:A very long summary that is folded over more than one physical line of",
        "  the stored text",
        "ATTENDEE;CN=Someone;PARTSTAT=NEEDS-ACTION:mailto:someone@example.org",
        "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", "TRIGGER:-PT15M", "END:VALARM")],
    "zoned-with-quoted-tzid": [BERLIN_TZ.replace("TZID:Europe/Berlin", "TZID:My Zone"), event(
        'DTSTART;TZID="My Zone":20240110T100000', 'DTEND;TZID="My Zone":20240110T110000')],
    "zoned-with-folded-dtstart": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Ber", " lin:20240110T100000",
        "DTEND;TZID=Europe/Berlin:20240110T110000")],
    "zoned-with-lf-only": [BERLIN_TZ, event("DTSTART;TZID=Europe/Berlin:20240110T100000",
                                            "DURATION:PT1H")],
}

#: Series with overridden instances moved into and out of the ranges below, across the
#: 2024 DST changes (Europe/Berlin 31 March, America/New_York 10 March).
SERIES = {
    # 14 Mar 08:30Z, 21 Mar excluded, 28 Mar moved out to 2 May 12:00Z, 4 Apr moved in to
    # 29 Mar 15:00Z, 11 Apr excluded, 18 Apr 07:30Z (CEST).
    "weekly-moved-in-and-out": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20240314T093000", "DTEND;TZID=Europe/Berlin:20240314T103000",
        "RRULE:FREQ=WEEKLY;COUNT=6", "SUMMARY:Weekly",
        "EXDATE;TZID=Europe/Berlin:20240321T093000,20240411T093000"), event(
        "RECURRENCE-ID;TZID=Europe/Berlin:20240328T093000", "SUMMARY:Moved out",
        "DTSTART;TZID=Europe/Berlin:20240502T140000", "DTEND;TZID=Europe/Berlin:20240502T150000"),
        event("RECURRENCE-ID;TZID=Europe/Berlin:20240404T093000", "SUMMARY:Moved in",
              "DTSTART;TZID=Europe/Berlin:20240329T160000",
              "DTEND;TZID=Europe/Berlin:20240329T170000")],
    "daily-over-us-dst-without-vtimezone": [event(
        "DTSTART;TZID=America/New_York:20240307T120000",
        "DTEND;TZID=America/New_York:20240307T130000", "RRULE:FREQ=DAILY;COUNT=6")],
    "daily-until-across-midnight": [event(
        "DTSTART:20240108T230000Z", "DURATION:PT2H", "RRULE:FREQ=DAILY;UNTIL=20240112T230000Z")],
    "monthly-second-tuesday-with-alarm": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20240109T170000", "DTEND;TZID=Europe/Berlin:20240109T180000",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=4", "ATTENDEE;CN=A;PARTSTAT=ACCEPTED:mailto:a@x.org",
        "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", "TRIGGER:-PT15M", "END:VALARM")],
    "all-day-weekly-moved": [
        event("DTSTART;VALUE=DATE:20240105", "DTEND;VALUE=DATE:20240106",
              "RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;VALUE=DATE:20240112"),
        event("RECURRENCE-ID;VALUE=DATE:20240119", "DTSTART;VALUE=DATE:20240122",
              "DTEND;VALUE=DATE:20240124", "SUMMARY:moved")],
    "override-changing-only-the-summary": [
        event("DTSTART:20240108T100000Z", "DTEND:20240108T110000Z", "RRULE:FREQ=DAILY;COUNT=4"),
        event("RECURRENCE-ID:20240109T100000Z", "DTSTART:20240109T100000Z",
              "DTEND:20240109T110000Z", "SUMMARY:changed")],
}

#: Objects the parsing path keeps: what the index cannot enumerate, and what this
#: module declines.
DECLINED = {
    "rdate-period": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                           "RDATE;VALUE=PERIOD:20240112T100000Z/PT3H")],
    "this-and-future": [
        event("DTSTART:20240108T100000Z", "DTEND:20240108T110000Z", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID;RANGE=THISANDFUTURE:20240110T100000Z",
              "DTSTART:20240110T120000Z", "DTEND:20240110T130000Z")],
    "two-instances-at-one-start": [
        event("DTSTART:20240108T100000Z", "DTEND:20240108T110000Z", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240111T100000Z",
              "DTEND:20240111T120000Z")],
}

BENCH_BASE = date(2024, 1, 1)


def body(name: str) -> bytes:
    if name.startswith("bench-"):
        return bench_event(int(name.removeprefix("bench-")), BENCH_BASE).body
    if name in SERIES:
        return calendar_bytes(*SERIES[name])
    if name in DECLINED:
        return calendar_bytes(*DECLINED[name])
    data = calendar_bytes(*{**EXACT, **NOT_EXACT, **MORE}[name])
    return data.replace(b"\r\n", b"\n") if name == "zoned-with-lf-only" else data


ALL = sorted({*EXACT, *NOT_EXACT, *MORE, *SERIES, *DECLINED} | {f"bench-{n}" for n in range(10)})
#: Every object whose instances the index knows exactly, except the declined ones.
PREPARED = sorted({*EXACT, *MORE, *SERIES} | {f"bench-{n}" for n in range(10)})

#: Expand ranges: the range boundaries of the index tests, whole months, the moved
#: instances' old and new slots, DST days, and a range without any instance.
EXPAND = sorted({*((s, e) for s, e in RANGES if s and e),
                 ("20240301T000000Z", "20240401T000000Z"), ("20240401T000000Z", "20240501T000000Z"),
                 ("20240501T000000Z", "20240601T000000Z"), ("20240329T150000Z", "20240329T150001Z"),
                 ("20240329T145959Z", "20240329T150000Z"), ("20240328T083000Z", "20240328T093000Z"),
                 ("20240404T073000Z", "20240404T083000Z"), ("20240502T120000Z", "20240502T120001Z"),
                 ("20240418T073000Z", "20240418T073001Z"), ("20240310T000000Z", "20240311T000000Z"),
                 ("20240311T155959Z", "20240311T160000Z"), ("20240311T160000Z", "20240311T160001Z"),
                 ("20240109T000000Z", "20240110T000000Z"), ("20240110T000000Z", "20240110T010000Z"),
                 ("20240119T000000Z", "20240120T000000Z"), ("20240122T000000Z", "20240125T000000Z"),
                 ("20240101T000000Z", "20240201T000000Z"), ("20240110T110000Z", "20240110T120000Z"),
                 ("20240110T090000Z", "20240110T100000Z"), ("20240301T000000Z", "20240501T000000Z"),
                 ("20240201T000000Z", "20240301T000000Z"), ("20240101T000000Z", "20250101T000000Z"),
                 ("20300101T000000Z", "20300102T000000Z")})


def stored_of(name: str) -> StoredObject:
    data = body(name)
    parsed = parse(data)
    return StoredObject(meta_of(name, parsed), data, prepare_expansion(parsed))


def test_the_expected_objects_are_prepared() -> None:
    assert sorted(n for n in ALL if stored_of(n).derived is not None) == PREPARED


@pytest.mark.parametrize("name", PREPARED)
def test_prepared_expansion_is_the_parsed_expansion_byte_for_byte(name: str) -> None:
    stored = stored_of(name)
    calendar = load_calendar(stored.data)  # render_calendar_data, parsing once for speed
    for start, end in EXPAND:
        request = CalendarDataRequest(expand=TimeRange(utc(start), utc(end)))
        for zone in ZONES:
            prepared = expand_prepared(stored.derived, TimeRange(utc(start), utc(end)), zone)
            parsed = apply_calendar_data(calendar, request, zone).to_ical(sorted=False)
            assert prepared is not None
            assert prepared == parsed, (start, end, zone)


def test_reports_serve_the_prepared_expansion() -> None:
    stored = stored_of("weekly-moved-in-and-out")
    rng = TimeRange(utc("20240301T000000Z"), utc("20240501T000000Z"))
    broken = StoredObject(stored.meta, b"not iCalendar", stored.derived)  # never parsed
    assert calendar_data(broken, CalendarDataRequest(expand=rng), ZONES[0]) == \
        expand_prepared(stored.derived, rng)


def test_moved_instances_follow_their_new_times() -> None:
    stored = stored_of("weekly-moved-in-and-out")
    march = expand_prepared(stored.derived, TimeRange(utc("20240301T000000Z"),
                                                      utc("20240401T000000Z")))
    assert march is not None
    assert march.count(b"BEGIN:VEVENT") == 2 and b"SUMMARY:Moved in" in march
    assert b"DTSTART:20240329T150000Z" in march and b"Moved out" not in march
    assert b"VTIMEZONE" not in march and b"TZID" not in march
    may = expand_prepared(stored.derived, TimeRange(utc("20240501T000000Z"),
                                                    utc("20240601T000000Z")))
    assert may is not None and may.count(b"BEGIN:VEVENT") == 1 and b"Moved out" in may


@pytest.mark.parametrize("name", sorted(set(ALL) - set(PREPARED)))
def test_unusual_objects_are_not_prepared(name: str) -> None:
    assert stored_of(name).derived is None


def test_object_stored_without_a_prepared_expansion_takes_the_parsing_path() -> None:
    stored = stored_of("weekly-moved-in-and-out")
    legacy = StoredObject(stored.meta, stored.data)
    request = CalendarDataRequest(expand=TimeRange(utc("20240301T000000Z"),
                                                   utc("20240501T000000Z")))
    assert expand_prepared(legacy.derived, request.expand or TimeRange()) is None
    assert calendar_data(legacy, request, ZONES[0]) == calendar_data(stored, request, ZONES[0])


def test_partial_retrieval_with_expand_takes_the_parsing_path() -> None:
    stored = stored_of("weekly-moved-in-and-out")
    request = CalendarDataRequest(
        comp=CompSelection("VCALENDAR", comps=(CompSelection("VEVENT"),), all_comps=False),
        expand=TimeRange(utc("20240301T000000Z"), utc("20240501T000000Z")))
    assert request.expand_only is None
    assert calendar_data(stored, request, ZONES[0]) == render_calendar_data(stored.data,
                                                                            request)


def test_unknown_format_is_ignored() -> None:
    other = zlib.compress(b'{"format": 99, "head": "", "all_day": false, "instances": []}')
    rng = TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z"))
    assert expand_prepared(other, rng) is None
    assert expand_prepared(b"not zlib", rng) is None


def test_series_values_are_written_as_strftime_writes_them() -> None:
    """The cached day and clock texts of a series' DTSTART/DTEND/RECURRENCE-ID values
    are what strftime writes, before 1970, on leap days and past 2100 too."""
    formats = {"zoned": "%Y%m%dT%H%M%SZ", "floating": "%Y%m%dT%H%M%S", "all-day": "%Y%m%d"}
    epochs = [*range(-2_208_988_800, 4_200_000_000, 7_777_777), -1, 0, 59, 86_399,
              951_782_400, 951_868_799, 4_107_542_400 + 86_399]
    for epoch in epochs:
        for kind, pattern in formats.items():
            assert _value(epoch, kind) == datetime.fromtimestamp(epoch, UTC).strftime(pattern)
