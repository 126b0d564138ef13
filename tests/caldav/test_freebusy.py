"""free-busy-query answers (RFC 4791 §7.10)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component
from lxml import etree

from oxdav.caldav.errors import CalDAVError
from oxdav.caldav.freebusy import busy_periods, parse_free_busy_query, render_free_busy
from oxdav.caldav.ical import ParsedCalendarObject, load_calendar
from oxdav.caldav.timerange import TimeRange
from tests.caldav.ics import calendar_bytes, event, utc

NS = 'xmlns:C="urn:ietf:params:xml:ns:caldav"'


def span(start: str, end: str) -> tuple[datetime, datetime]:
    return utc(start), utc(end)


def rng(start: str, end: str) -> TimeRange:
    return TimeRange(utc(start), utc(end))


def one(*components: str) -> list[Component]:
    return [load_calendar(calendar_bytes(*components))]


def test_7_10_1_free_busy_of_the_appendix_b_collection(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    calendars = [obj.calendar for obj in appendix_b.values()]
    busy = busy_periods(calendars, rng("20060104T140000Z", "20060105T220000Z"))
    assert busy == {
        "BUSY": [
            span("20060104T190000Z", "20060104T200000Z"),
            span("20060105T170000Z", "20060105T180000Z"),
        ],
        "BUSY-TENTATIVE": [span("20060104T150000Z", "20060104T160000Z")],
        "BUSY-UNAVAILABLE": [span("20060105T100000Z", "20060105T120000Z")],
    }


def test_rendered_answer_is_one_vfreebusy_in_utc(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    calendars = [obj.calendar for obj in appendix_b.values()]
    now = datetime(2006, 1, 1, 12, tzinfo=UTC)
    data = render_free_busy(calendars, rng("20060104T140000Z", "20060105T220000Z"), now=now)
    (freebusy,) = Calendar.from_ical(data).subcomponents
    text = data.decode()
    assert freebusy.name == "VFREEBUSY"
    assert "DTSTART:20060104T140000Z" in text and "DTEND:20060105T220000Z" in text
    assert "DTSTAMP:20060101T120000Z" in text
    assert "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20060104T150000Z/20060104T160000Z" in text
    assert "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20060105T100000Z/20060105T120000Z" in text
    assert "FREEBUSY:20060104T190000Z/20060104T200000Z" in text


def test_overlapping_and_adjacent_periods_merge() -> None:
    calendars = one(
        event("DTSTART:20240110T090000Z", "DTEND:20240110T100000Z", uid="a"),
        event("DTSTART:20240110T093000Z", "DTEND:20240110T103000Z", uid="b"),
        event("DTSTART:20240110T103000Z", "DTEND:20240110T110000Z", uid="c"),
    )
    assert busy_periods(calendars, rng("20240110T000000Z", "20240111T000000Z")) == {
        "BUSY": [span("20240110T090000Z", "20240110T110000Z")]
    }


def test_periods_of_different_types_do_not_merge() -> None:
    calendars = one(
        event("DTSTART:20240110T090000Z", "DTEND:20240110T100000Z", uid="a"),
        event("DTSTART:20240110T093000Z", "DTEND:20240110T103000Z", "STATUS:TENTATIVE", uid="b"),
    )
    busy = busy_periods(calendars, rng("20240110T000000Z", "20240111T000000Z"))
    assert busy["BUSY"] == [span("20240110T090000Z", "20240110T100000Z")]
    assert busy["BUSY-TENTATIVE"] == [span("20240110T093000Z", "20240110T103000Z")]


def test_periods_are_clipped_to_the_range() -> None:
    calendars = one(event("DTSTART:20240110T090000Z", "DTEND:20240110T180000Z"))
    busy = busy_periods(calendars, rng("20240110T120000Z", "20240110T130000Z"))
    assert busy == {"BUSY": [span("20240110T120000Z", "20240110T130000Z")]}


@pytest.mark.parametrize("line", ["TRANSP:TRANSPARENT", "STATUS:CANCELLED"])
def test_transparent_and_cancelled_events_are_free(line: str) -> None:
    calendars = one(event("DTSTART:20240110T090000Z", "DTEND:20240110T100000Z", line))
    assert busy_periods(calendars, rng("20240110T000000Z", "20240111T000000Z")) == {}


def test_events_without_length_take_no_time() -> None:
    calendars = one(event("DTSTART:20240110T090000Z"))
    assert busy_periods(calendars, rng("20240110T000000Z", "20240111T000000Z")) == {}


def test_recurring_event_is_busy_at_each_instance_except_exdates() -> None:
    calendars = one(
        event(
            "DTSTART:20240101T090000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY",
            "EXDATE:20240103T090000Z",
        )
    )  # fmt: skip
    busy = busy_periods(calendars, rng("20240102T000000Z", "20240105T000000Z"))
    assert busy["BUSY"] == [
        span("20240102T090000Z", "20240102T100000Z"),
        span("20240104T090000Z", "20240104T100000Z"),
    ]


def test_all_day_event_is_busy_for_the_day_in_the_query_time_zone() -> None:
    calendars = one(event("DTSTART;VALUE=DATE:20240110"))
    busy = busy_periods(
        calendars, rng("20240101T000000Z", "20240201T000000Z"), ZoneInfo("Europe/Berlin")
    )
    assert busy == {"BUSY": [span("20240109T230000Z", "20240110T230000Z")]}


def test_stored_freebusy_keeps_its_types_and_drops_free() -> None:
    calendars = one(
        "\n".join([
            "BEGIN:VFREEBUSY", "UID:fb", "DTSTAMP:20240101T000000Z",
            "FREEBUSY;FBTYPE=FREE:20240110T080000Z/PT1H",
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240110T090000Z/PT1H",
            "FREEBUSY:20240110T100000Z/PT1H",
            "END:VFREEBUSY",
        ])
    )  # fmt: skip
    assert busy_periods(calendars, rng("20240110T000000Z", "20240111T000000Z")) == {
        "BUSY": [span("20240110T100000Z", "20240110T110000Z")],
        "BUSY-TENTATIVE": [span("20240110T090000Z", "20240110T100000Z")],
    }


def test_availability_marks_time_outside_available_slots() -> None:
    calendars = one(
        "\n".join([
            "BEGIN:VAVAILABILITY", "UID:av", "DTSTAMP:20240101T000000Z",
            "DTSTART:20240108T000000Z", "DTEND:20240113T000000Z",
            "BEGIN:AVAILABLE", "UID:av-1", "DTSTAMP:20240101T000000Z",
            "DTSTART:20240108T090000Z", "DTEND:20240108T170000Z", "RRULE:FREQ=DAILY;COUNT=5",
            "END:AVAILABLE",
            "END:VAVAILABILITY",
        ])
    )  # fmt: skip
    busy = busy_periods(calendars, rng("20240109T000000Z", "20240110T000000Z"))
    assert busy == {
        "BUSY-UNAVAILABLE": [
            span("20240109T000000Z", "20240109T090000Z"),
            span("20240109T170000Z", "20240110T000000Z"),
        ]
    }


def test_free_busy_query_time_range_is_parsed() -> None:
    element = etree.fromstring(
        f'<C:free-busy-query {NS}><C:time-range start="20060104T140000Z"'
        ' end="20060105T220000Z"/></C:free-busy-query>'
    )
    assert parse_free_busy_query(element) == rng("20060104T140000Z", "20060105T220000Z")


@pytest.mark.parametrize(
    "inner", ["", '<C:time-range start="20060104T140000Z"/>', '<C:time-range start="x" end="y"/>']
)
def test_free_busy_query_needs_a_utc_start_and_end(inner: str) -> None:
    element = etree.fromstring(f"<C:free-busy-query {NS}>{inner}</C:free-busy-query>")
    with pytest.raises(CalDAVError) as caught:
        parse_free_busy_query(element)
    assert caught.value.precondition is None
