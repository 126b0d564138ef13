"""calendar-query decided from the index (issue 7): exact_spans and CalendarFilter.index_match.

Whatever ``index_match`` decides must be what the exact §9.9 test on the parsed
object says; these tests compare the two at the interval boundaries.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from oxdav.caldav.filters import CalendarFilter
from oxdav.caldav.ical import ParsedCalendarObject
from oxdav.store.models import Candidate
from tests.caldav.ics import calendar_bytes, epoch, event, parse, todo
from tests.caldav.test_filters import flt

BERLIN_TZ = "\n".join([
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
])  # fmt: skip

#: Objects whose span is exact: name -> VCALENDAR content.
EXACT = {
    "utc": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z")],
    "zoned": [BERLIN_TZ, event("DTSTART;TZID=Europe/Berlin:20240110T100000",
                               "DTEND;TZID=Europe/Berlin:20240110T110000")],
    "duration": [event("DTSTART:20240110T100000Z", "DURATION:PT90M")],
    "moment": [event("DTSTART:20240110T100000Z")],
    "zero-duration": [event("DTSTART:20240110T100000Z", "DURATION:PT0S")],
    "dtend-equals-dtstart": [event("DTSTART:20240110T100000Z", "DTEND:20240110T100000Z")],
    "dst-day": [BERLIN_TZ, event("DTSTART;TZID=Europe/Berlin:20240331T013000",
                                 "DTEND;TZID=Europe/Berlin:20240331T033000")],
    "with-alarm": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                         "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x",
                         "TRIGGER:-PT15M", "END:VALARM")],
    "recurring": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                        "RRULE:FREQ=DAILY;COUNT=3")],
    # The instance's end is read in the zone of its start: the instant is fixed.
    "floating-end": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000")],
    "rdate": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                    "RDATE:20240112T100000Z")],
    "stray-exdate": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                           "EXDATE:20240110T100000Z")],
    "override-only": [event("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240110T120000Z",
                            "DTEND:20240110T130000Z")],
    "weekly-over-dst-with-exdate": [
        BERLIN_TZ,
        event("DTSTART;TZID=Europe/Berlin:20240317T013000",
              "DTEND;TZID=Europe/Berlin:20240317T033000",
              "RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20240324T013000")],
    "daily-with-moved-instance": [
        event("DTSTART:20240108T100000Z", "DTEND:20240108T110000Z", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240110T200000Z",
              "DTEND:20240110T210000Z")],
    "daily-moments": [event("DTSTART:20240108T100000Z", "RRULE:FREQ=DAILY;COUNT=5")],
    "all-day": [event("DTSTART;VALUE=DATE:20240110", "DTEND;VALUE=DATE:20240111")],
    "all-day-no-end": [event("DTSTART;VALUE=DATE:20240110")],
    "all-day-three-days": [event("DTSTART;VALUE=DATE:20240109", "DURATION:P3D")],
    "all-day-on-dst-day": [event("DTSTART;VALUE=DATE:20240331", "DTEND;VALUE=DATE:20240401")],
    "all-day-weekly": [event("DTSTART;VALUE=DATE:20240103", "DTEND;VALUE=DATE:20240104",
                             "RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;VALUE=DATE:20240117")],
}

#: Objects that keep the exact path.
NOT_EXACT = {
    "floating": [event("DTSTART:20240110T100000", "DTEND:20240110T110000")],
    "infinite": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                       "RRULE:FREQ=DAILY")],
    "long-series": [event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z",
                          "RRULE:FREQ=DAILY;COUNT=400")],
    "floating-override": [
        event("DTSTART:20240108T100000Z", "DTEND:20240108T110000Z", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240110T200000",
              "DTEND:20240110T210000")],
    "all-day-with-timed-override": [
        event("DTSTART;VALUE=DATE:20240108", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID;VALUE=DATE:20240110", "DTSTART:20240110T200000Z",
              "DTEND:20240110T210000Z")],
    "all-day-end-before-start": [event("DTSTART;VALUE=DATE:20240110",
                                       "DTEND;VALUE=DATE:20240110")],
    "todo": [todo("DTSTART:20240110T100000Z", "DUE:20240110T110000Z")],
}

ZONES = [UTC, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago"),
         ZoneInfo("Europe/Berlin"), ZoneInfo("America/Santiago")]

#: Ranges around 2024-01-10 10:00–11:00 UTC, boundaries included.
RANGES = [
    ("20240110T110000Z", "20240110T120000Z"),  # starts exactly at the event's end
    ("20240110T090000Z", "20240110T100000Z"),  # ends exactly at the event's start
    ("20240110T100000Z", "20240110T100001Z"),  # the first second
    ("20240110T105959Z", "20240110T110000Z"),  # the last second
    ("20240110T093000Z", "20240110T103000Z"),
    ("20240110T000000Z", "20240111T000000Z"),
    ("20240109T000000Z", "20240110T000000Z"),
    ("20240111T000000Z", "20240112T000000Z"),
    ("20240331T000000Z", "20240331T003000Z"),  # 01:30 CET = 00:30 UTC: the dst-day start
    ("20240331T003000Z", "20240331T010000Z"),  # 03:30 CEST = 01:30 UTC: its end
    ("20240331T012959Z", "20240331T013000Z"),
    ("20240331T013000Z", "20240331T020000Z"),
    (None, "20240110T100000Z"),
    (None, "20240110T100001Z"),
    ("20240110T110000Z", None),
    ("20240110T105959Z", None),
    ("20240110T200000Z", "20240110T200001Z"),  # the moved instance
    ("20240110T105959Z", "20240110T200000Z"),  # between the two on the moved day
    ("20240111T100000Z", "20240111T100001Z"),
    ("20240112T095959Z", "20240112T100000Z"),
    ("20240312T000000Z", "20240317T003000Z"),  # weekly: up to the first start (CET)
    ("20240324T000000Z", "20240325T000000Z"),  # the excluded week
    ("20240331T013000Z", "20240331T013001Z"),
    ("20240407T000000Z", "20240407T003000Z"),  # the fourth: 01:30 CEST = 23:30Z before
    ("20240406T232959Z", "20240406T233000Z"),
    ("20240110T095959Z", "20240110T100000Z"),  # Kiritimati's midnight of the 11th
    ("20240111T105959Z", "20240111T110000Z"),  # Pago Pago's midnight of the 11th
    ("20240111T110000Z", "20240111T110001Z"),
    ("20240109T230000Z", "20240109T230001Z"),  # Berlin's midnight of the 10th
    ("20240330T230000Z", "20240330T230001Z"),  # and of the 31st of March (CET)
    ("20240331T215959Z", "20240331T220000Z"),  # its end: 1 April 00:00 CEST
    ("20240331T220000Z", "20240331T220001Z"),
    ("20240124T000000Z", "20240125T000000Z"),
    ("20240116T120000Z", "20240118T000000Z"),
]


def meta_of(name: str, parsed: ParsedCalendarObject) -> Candidate:
    return Candidate(name, parsed.component_type, parsed.exact_spans, parsed.all_day_spans)


def time_range_filter(component: str, start: str | None, end: str | None) -> CalendarFilter:
    attributes = "".join(f' {k}="{v}"' for k, v in (("start", start), ("end", end)) if v)
    return flt(f'<C:comp-filter name="{component}"><C:time-range{attributes}/></C:comp-filter>')


@pytest.mark.parametrize("name", sorted(EXACT))
def test_zoned_events_and_bounded_series_are_indexed_exactly(name: str) -> None:
    assert parse(calendar_bytes(*EXACT[name])).exact_spans


@pytest.mark.parametrize("name", sorted(NOT_EXACT))
def test_floating_mixed_unbounded_long_and_todo_are_not_exact(name: str) -> None:
    assert parse(calendar_bytes(*NOT_EXACT[name])).exact_spans is None


def test_exact_span_is_the_event_interval() -> None:
    parsed = parse(calendar_bytes(*EXACT["zoned"]))
    assert parsed.exact_spans == ((epoch("20240110T090000Z"), epoch("20240110T100000Z")),)


def test_series_spans_leave_out_exdates_and_follow_overrides() -> None:
    weekly = parse(calendar_bytes(*EXACT["weekly-over-dst-with-exdate"])).exact_spans
    assert weekly == ((epoch("20240317T003000Z"), epoch("20240317T023000Z")),
                      (epoch("20240331T003000Z"), epoch("20240331T013000Z")),
                      (epoch("20240406T233000Z"), epoch("20240407T013000Z")))
    daily = parse(calendar_bytes(*EXACT["daily-with-moved-instance"])).exact_spans
    assert daily is not None and len(daily) == 5
    assert (epoch("20240110T200000Z"), epoch("20240110T210000Z")) in daily
    assert (epoch("20240110T100000Z"), epoch("20240110T110000Z")) not in daily


@pytest.mark.parametrize(("start", "end"), RANGES)
@pytest.mark.parametrize("name", sorted(EXACT) + sorted(NOT_EXACT))
def test_index_decision_agrees_with_the_exact_test(name: str, start: str | None,
                                                   end: str | None) -> None:
    objects = {**EXACT, **NOT_EXACT}
    parsed = parse(calendar_bytes(*objects[name]))
    f = time_range_filter(parsed.component_type, start, end)
    meta = meta_of(name, parsed)
    for zone in ZONES:
        decision = f.index_match(meta, zone)
        assert decision is (None if parsed.exact_spans is None else f.matches(parsed, zone))


def test_event_ending_at_range_start_does_not_match() -> None:
    meta = meta_of("e", parse(calendar_bytes(*EXACT["utc"])))
    assert time_range_filter("VEVENT", "20240110T110000Z", "20240110T120000Z"
                             ).index_match(meta) is False


def test_event_starting_at_range_end_does_not_match() -> None:
    meta = meta_of("e", parse(calendar_bytes(*EXACT["utc"])))
    assert time_range_filter("VEVENT", "20240110T090000Z", "20240110T100000Z"
                             ).index_match(meta) is False


def test_zero_duration_event_at_range_start_matches() -> None:
    parsed = parse(calendar_bytes(*EXACT["moment"]))
    assert parsed.first_start == parsed.last_end
    meta = meta_of("e", parsed)
    assert time_range_filter("VEVENT", "20240110T100000Z", "20240110T110000Z"
                             ).index_match(meta) is True


def test_zero_duration_event_at_range_end_does_not_match() -> None:
    meta = meta_of("e", parse(calendar_bytes(*EXACT["zero-duration"])))
    assert time_range_filter("VEVENT", "20240110T090000Z", "20240110T100000Z"
                             ).index_match(meta) is False


def test_all_day_event_is_read_in_the_query_zone() -> None:
    meta = meta_of("e", parse(calendar_bytes(*EXACT["all-day"])))
    assert meta.floating_spans
    berlin_midnight = time_range_filter("VEVENT", "20240110T230000Z", "20240110T230001Z")
    assert berlin_midnight.index_match(meta, UTC) is True
    assert berlin_midnight.index_match(meta, ZoneInfo("Europe/Berlin")) is False


def test_floating_time_keeps_the_exact_test() -> None:
    meta = meta_of("e", parse(calendar_bytes(*NOT_EXACT["floating"])))
    assert time_range_filter("VEVENT", "20240110T000000Z", "20240111T000000Z"
                             ).index_match(meta) is None


def test_component_only_filter_matches_without_data() -> None:
    meta = meta_of("e", parse(calendar_bytes(*NOT_EXACT["infinite"])))
    assert flt('<C:comp-filter name="VEVENT"/>').index_match(meta) is True
    assert flt("").index_match(meta) is True


@pytest.mark.parametrize("inner", [
    '<C:comp-filter name="VEVENT"><C:time-range start="20240110T000000Z"/>'
    '<C:prop-filter name="SUMMARY"><C:is-not-defined/></C:prop-filter></C:comp-filter>',
    '<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"/></C:comp-filter>',
    '<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>',
    '<C:comp-filter name="VTIMEZONE"/>',
    '<C:comp-filter name="VEVENT"/><C:comp-filter name="VTIMEZONE"/>',
    '<C:prop-filter name="PRODID"><C:is-not-defined/></C:prop-filter>',
])  # fmt: skip
def test_other_filters_keep_the_exact_test(inner: str) -> None:
    meta = meta_of("e", parse(calendar_bytes(*EXACT["utc"])))
    assert flt(inner).index_match(meta) is None
