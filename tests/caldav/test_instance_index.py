"""The instance index (oxdav.caldav.instance_index) answers as the parsing path does.

Every series here is indexed as a PUT indexes it (``index_for_put`` over a fixed
window), and for ranges inside the window, around DST changes, Feb 29, moved and
excluded instances, and every query zone:

- the calendar-query answer from the index (the spans the store finds near the range,
  tested by ``CalendarFilter.index_match``) is the exact §9.9 test on the parsed object;
- CALDAV:expand from the prepared bytes is byte for byte the parsing path's.

The objects that must be indexed and prepared are listed, so neither comparison can
pass by declining everything.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, date

import pytest

from bench.data import event as bench_event
from oxdav.caldav.calendardata import CalendarDataRequest, apply_calendar_data
from oxdav.caldav.expand_prepared import _load, expand_prepared, indexed_busy
from oxdav.caldav.freebusy import busy_periods
from oxdav.caldav.ical import load_calendar
from oxdav.caldav.instance_index import Window
from oxdav.caldav.tasks import index_for_put
from oxdav.caldav.timerange import TimeRange
from oxdav.store.core.objects import near_spans
from oxdav.store.models import Candidate, ObjectIndex
from tests.caldav.ics import calendar_bytes, epoch, event, utc
from tests.caldav.test_index_match import BERLIN_TZ, ZONES, time_range_filter

#: The window every object here is indexed over: 1 Dec 2023 .. 1 Feb 2025.
WINDOW = Window(epoch("20231201T000000Z"), epoch("20250201T000000Z"))

SERIES = {
    # Started years before the window, no end, across both 2024 DST changes.
    "weekly-open-ended-berlin": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20190107T093000", "DTEND;TZID=Europe/Berlin:20190107T103000",
        "RRULE:FREQ=WEEKLY", "SUMMARY:Standing meeting",
        "EXDATE;TZID=Europe/Berlin:20240325T093000,20240401T093000")],
    "weekly-moved-in-and-out": [BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20200302T140000", "DTEND;TZID=Europe/Berlin:20200302T150000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:Weekly"), event(
        "RECURRENCE-ID;TZID=Europe/Berlin:20240318T140000", "SUMMARY:Moved out",
        "DTSTART;TZID=Europe/Berlin:20240502T160000", "DTEND;TZID=Europe/Berlin:20240502T170000"),
        event("RECURRENCE-ID;TZID=Europe/Berlin:20240506T140000", "SUMMARY:Moved in",
              "DTSTART;TZID=Europe/Berlin:20240329T080000",
              "DTEND;TZID=Europe/Berlin:20240329T090000")],
    "daily-utc-workdays": [event(
        "DTSTART:20210104T083000Z", "DTEND:20210104T084500Z",
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "EXDATE:20240311T083000Z,20240312T083000Z")],
    "daily-floating": [event("DTSTART:20220103T090000", "DTEND:20220103T093000",
                             "RRULE:FREQ=DAILY"), event(
        "RECURRENCE-ID:20240311T090000", "DTSTART:20240312T230000", "DTEND:20240313T003000")],
    "birthday-feb-29": [event("DTSTART;VALUE=DATE:19960229", "DTEND;VALUE=DATE:19960301",
                              "RRULE:FREQ=YEARLY", "SUMMARY:Leap birthday")],
    "birthday-on-dst-day": [event("DTSTART;VALUE=DATE:19800331", "DTEND;VALUE=DATE:19800401",
                                  "RRULE:FREQ=YEARLY")],
    "long-bounded-with-rdates": [event(
        "DTSTART:20240102T120000Z", "DURATION:PT2H", "RRULE:FREQ=DAILY;COUNT=400",
        "RDATE:20240310T200000Z,20240331T010000Z", "EXDATE:20240103T120000Z")],
    "monthly-long-instances": [event(
        "DTSTART;VALUE=DATE:20230101", "DTEND;VALUE=DATE:20230111", "RRULE:FREQ=MONTHLY")],
}

BENCH_BASE = date(2024, 3, 1)
#: The generator's open-ended weekly, daily (Berlin, UTC, floating) series and birthdays;
#: 4794 and 5574 override instances their EXDATEs remove.
BENCH = [14, 15, 16, 34, 35, 36, 55, 95, 175, 135, 114, 4794, 5574]


def body(name: str) -> bytes:
    if name.startswith("bench-"):
        return bench_event(int(name.removeprefix("bench-")), BENCH_BASE).body
    return calendar_bytes(*SERIES[name])


ALL = sorted(SERIES) + [f"bench-{n}" for n in BENCH]


def indexed(name: str) -> ObjectIndex:
    return index_for_put(body(name), frozenset({"VEVENT"}), 1_000_000, None, 100_000, None,
                         WINDOW)


#: Ranges inside the window: DST days, Feb 29, moved slots, boundaries, whole months.
RANGES = [
    ("20240101T000000Z", "20240201T000000Z"), ("20240301T000000Z", "20240401T000000Z"),
    ("20240401T000000Z", "20240501T000000Z"), ("20240501T000000Z", "20240601T000000Z"),
    ("20240331T000000Z", "20240401T000000Z"), ("20240331T003000Z", "20240331T013000Z"),
    ("20241027T000000Z", "20241028T000000Z"), ("20240228T120000Z", "20240301T000000Z"),
    ("20240229T000000Z", "20240229T000001Z"), ("20240228T230000Z", "20240229T010000Z"),
    ("20240318T130000Z", "20240318T140000Z"), ("20240329T070000Z", "20240329T070001Z"),
    ("20240502T140000Z", "20240502T150000Z"), ("20240506T120000Z", "20240506T130000Z"),
    ("20240311T083000Z", "20240311T084500Z"), ("20240311T084500Z", "20240311T090000Z"),
    ("20240311T082959Z", "20240311T083000Z"), ("20240312T220000Z", "20240313T020000Z"),
    ("20240311T090000Z", "20240311T093000Z"), ("20240610T000000Z", "20240617T000000Z"),
    ("20240103T120000Z", "20240103T140000Z"), ("20240310T200000Z", "20240310T200001Z"),
    ("20240105T000000Z", "20240106T000000Z"), ("20241101T000000Z", "20241201T000000Z"),
]


def near(index: ObjectIndex, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The spans the store hands out for a range (``core.objects.list_objects``)."""
    assert index.instances is not None
    return near_spans(index.instances.spans, start, end)


def meta(index: ObjectIndex, spans: tuple[tuple[int, int], ...]) -> Candidate:
    assert index.instances is not None
    return Candidate("x.ics", "VEVENT", spans, index.instances.floating)


def test_every_series_here_is_indexed_and_prepared() -> None:
    for name in ALL:
        index = indexed(name)
        assert index.instances is not None and index.instances.spans, name
        assert index.exact_spans is None, name
        assert index.derived is not None, name


def test_the_window_holds_the_instances_of_years_old_series() -> None:
    spans = indexed("weekly-open-ended-berlin").instances
    assert spans is not None
    # The Mondays from December 2023 to January 2025 less the two EXDATEs.
    assert 55 <= len(spans.spans) <= 61
    assert (epoch("20240108T083000Z"), epoch("20240108T093000Z")) in spans.spans
    assert (epoch("20240408T073000Z"), epoch("20240408T083000Z")) in spans.spans  # CEST


def test_feb_29_birthdays_are_indexed_in_leap_years_only() -> None:
    spans = indexed("birthday-feb-29").instances
    assert spans is not None and spans.floating
    assert spans.spans == ((epoch("20240229T000000Z"), epoch("20240301T000000Z")),)
    assert indexed("birthday-feb-29").first_start is not None


@pytest.mark.parametrize("name", ALL)
def test_index_answer_is_the_parsing_answer(name: str) -> None:
    index = indexed(name)
    calendar = load_calendar(body(name))
    for start, end in RANGES:
        query = time_range_filter("VEVENT", start, end)
        spans = near(index, epoch(start), epoch(end))
        for zone in ZONES:
            expected = query.matches(calendar, zone)
            answer = query.index_match(meta(index, spans), zone) if spans else False
            assert answer == expected, (start, end, zone)


@pytest.mark.parametrize("name", ALL)
def test_expand_from_the_index_is_the_parsed_expansion_byte_for_byte(name: str) -> None:
    index = indexed(name)
    calendar = load_calendar(body(name))
    for start, end in RANGES:
        rng = TimeRange(utc(start), utc(end))
        request = CalendarDataRequest(expand=rng)
        for zone in ZONES:
            prepared = expand_prepared(index.derived, rng, zone)
            parsed = apply_calendar_data(calendar, request, zone).to_ical(sorted=False)
            assert prepared is not None
            assert prepared == parsed, (start, end, zone)


def test_a_range_outside_the_window_goes_to_the_parsing_path() -> None:
    index = indexed("weekly-open-ended-berlin")
    for start, end in (("20231101T000000Z", "20231201T000000Z"),
                       ("20250115T000000Z", "20250215T000000Z")):
        assert expand_prepared(index.derived, TimeRange(utc(start), utc(end))) is None


def test_unusual_series_are_left_to_the_parsing_path() -> None:
    for lines in (["RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY"],
                  ["RRULE:FREQ=HOURLY"],
                  ["RRULE:FREQ=DAILY", "RDATE;VALUE=PERIOD:20240301T100000Z/PT1H"]):
        data = calendar_bytes(event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                                    *lines))
        index = index_for_put(data, frozenset({"VEVENT"}), 1_000_000, None, 10_000_000, None,
                              WINDOW)
        assert index.instances is None, lines


def test_an_override_of_an_excluded_instance_is_found_as_the_filter_finds_it() -> None:
    # The 2024-03-18 instance is excluded and also overridden, moved to the 25th: the
    # expansion drops the override, the filter tests it as a component of its own
    # (§9.9) and finds it; the index answers as the filter does, and the prepared
    # expansion stays the parsed one.
    data = calendar_bytes(BERLIN_TZ, event(
        "DTSTART;TZID=Europe/Berlin:20200302T140000", "DTEND;TZID=Europe/Berlin:20200302T150000",
        "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20240318T140000"), event(
        "RECURRENCE-ID;TZID=Europe/Berlin:20240318T140000", "SUMMARY:Moved",
        "DTSTART;TZID=Europe/Berlin:20240325T180000",
        "DTEND;TZID=Europe/Berlin:20240325T190000"))
    index = index_for_put(data, frozenset({"VEVENT"}), 1_000_000, None, 100_000, None, WINDOW)
    assert index.instances is not None and index.derived is not None
    calendar = load_calendar(data)
    for start, end in [("20240325T170000Z", "20240325T173000Z"),
                       ("20240318T120000Z", "20240318T140000Z"), *RANGES]:
        query = time_range_filter("VEVENT", start, end)
        spans = near(index, epoch(start), epoch(end))
        for zone in ZONES:
            expected = query.matches(calendar, zone)
            assert (query.index_match(meta(index, spans), zone) if spans else False) == expected
        rng = TimeRange(utc(start), utc(end))
        assert expand_prepared(index.derived, rng) == apply_calendar_data(
            calendar, CalendarDataRequest(expand=rng), UTC).to_ical(sorted=False)
    assert query_finds(data, "20240325T170000Z", "20240325T173000Z")


def query_finds(data: bytes, start: str, end: str) -> bool:
    index = index_for_put(data, frozenset({"VEVENT"}), 1_000_000, None, 100_000, None, WINDOW)
    spans = near(index, epoch(start), epoch(end))
    return bool(spans) and time_range_filter("VEVENT", start, end).index_match(
        meta(index, spans), UTC)


SHADES = {
    "transparent": "TRANSP:TRANSPARENT", "tentative": "STATUS:TENTATIVE",
    "cancelled": "STATUS:CANCELLED"}


@pytest.mark.parametrize("name", ALL + sorted(SHADES))
def test_free_busy_from_the_index_is_the_parsed_free_busy(name: str) -> None:
    data = body(name) if name in ALL else calendar_bytes(*SERIES["weekly-moved-in-and-out"]
                                                         ).replace(b"SUMMARY:Moved in",
                                                                   SHADES[name].encode())
    index = index_for_put(data, frozenset({"VEVENT"}), 1_000_000, None, 100_000, None, WINDOW)
    calendar = load_calendar(data)
    for start, end in RANGES:
        rng = TimeRange(utc(start), utc(end))
        for zone in ZONES:
            known = indexed_busy(index.derived, rng, zone)
            assert known is not None
            assert busy_periods([], rng, zone, known) == busy_periods([calendar], rng, zone), (
                start, end, zone)


def series_format_2(prepared: bytes) -> bytes:
    """The same series prepared as before format 3: one zlib JSON document holding its
    generated spans as a flat list."""
    document = _load(prepared)
    assert document is not None and document["format"] == 3
    base, starts, lengths = document.pop("base"), document.pop("starts"), document.pop("lengths")
    del document["type"]
    document["format"] = 2
    document["generated"] = [value for start, length in zip(starts, lengths, strict=True)
                             for value in (base + start, base + start + length)]
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"))


@pytest.mark.parametrize("name", ALL)
def test_series_prepared_in_format_2_answer_as_format_3(name: str) -> None:
    """Series prepared before format 3 (stored until their next write or reindex) give
    the same expansions and busy periods."""
    index = indexed(name)
    assert index.derived is not None
    old = series_format_2(index.derived)
    assert len(index.derived) < len(old) * 3
    for start, end in RANGES:
        rng = TimeRange(utc(start), utc(end))
        for zone in ZONES:
            assert expand_prepared(old, rng, zone) == expand_prepared(index.derived, rng, zone)
            assert indexed_busy(old, rng, zone) == indexed_busy(index.derived, rng, zone)


def test_cut_or_padded_series_bytes_go_to_the_parsing_path() -> None:
    prepared = indexed("daily-utc-workdays").derived
    assert prepared is not None
    rng = TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z"))
    assert expand_prepared(prepared, rng) is not None
    for broken in (prepared[:-1], prepared + b"\0", prepared[:12]):
        assert expand_prepared(broken, rng) is None
        assert indexed_busy(broken, rng) is None
