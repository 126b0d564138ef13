"""calendar-data request options (RFC 4791 §9.6) on the Appendix B data (§7.8.1–§7.8.4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar, Component
from icalendar.parser import Contentlines
from lxml import etree

from oxdav.caldav.calendardata import (
    CalendarDataRequest,
    CompSelection,
    PropSelection,
    parse_calendar_data_request,
    render_calendar_data,
)
from oxdav.caldav.errors import CalendarDataRequestError
from tests.caldav.ics import calendar_bytes, event, fixture_bytes

NS = 'xmlns:C="urn:ietf:params:xml:ns:caldav"'


def request(inner: str = "", attrs: str = "") -> CalendarDataRequest:
    return parse_calendar_data_request(
        etree.fromstring(f"<C:calendar-data {NS} {attrs}>{inner}</C:calendar-data>")
    )


def rendered(name: str, req: CalendarDataRequest) -> Calendar:
    out = render_calendar_data(fixture_bytes(f"rfc4791/{name}"), req)
    return Calendar.from_ical(out)


def lines(component: Component) -> list[str]:
    """The content lines of ``component`` itself (no subcomponents)."""
    alone = component.copy()  # a copy has no subcomponents
    unfolded = Contentlines.from_ical(alone.to_ical(sorted=False).decode())
    return [str(line) for line in unfolded[1:] if line and not line.startswith("END:")]


def events(calendar: Component) -> list[Component]:
    return [c for c in calendar.subcomponents if c.name == "VEVENT"]


def test_bare_element_returns_stored_bytes_unchanged() -> None:
    data = fixture_bytes("rfc4791/abcd2.ics")
    assert render_calendar_data(data, request()) is data
    assert render_calendar_data(data, None) is data


PARTIAL = (
    '<C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT">'
    + "".join(
        f'<C:prop name="{p}"/>'
        for p in (
            "SUMMARY", "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXRULE",
            "EXDATE", "RECURRENCE-ID",
        )
    )  # fmt: skip
    + '</C:comp><C:comp name="VTIMEZONE"/></C:comp>'
)


def test_7_8_1_partial_retrieval_keeps_only_requested_properties() -> None:
    cal = rendered("abcd2.ics", request(PARTIAL))
    assert [k for k in cal.keys()] == ["VERSION"]  # no PRODID
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE", "VEVENT", "VEVENT", "VEVENT"]
    master = events(cal)[0]
    assert set(master.keys()) == {"DTSTART", "DURATION", "RRULE", "SUMMARY", "UID"}
    assert "DTSTAMP" not in events(cal)[1]
    timezone = cal.subcomponents[0]
    assert [c.name for c in timezone.subcomponents] == ["DAYLIGHT", "STANDARD"]


def test_7_8_1_partial_retrieval_of_a_single_event() -> None:
    cal = rendered("abcd3.ics", request(PARTIAL))
    (only,) = events(cal)
    assert set(only.keys()) == {"DTSTART", "DURATION", "SUMMARY", "UID"}


def test_7_8_2_limit_recurrence_set_keeps_master_and_overrides_in_range() -> None:
    req = request('<C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/>')
    cal = rendered("abcd2.ics", req)
    assert [str(e["SUMMARY"]) for e in events(cal)] == ["Event #2", "Event #2 bis"]
    assert events(cal)[0]["RRULE"].to_ical() == b"FREQ=DAILY;COUNT=5"
    assert any(c.name == "VTIMEZONE" for c in cal.subcomponents)


def test_7_8_2_limit_recurrence_set_leaves_a_single_event_alone() -> None:
    req = request('<C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/>')
    assert len(events(rendered("abcd3.ics", req))) == 1


def test_limit_recurrence_set_keeps_an_override_moved_out_of_the_range() -> None:
    data = calendar_bytes(
        event("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=5"),
        event("RECURRENCE-ID:20240103T100000Z", "DTSTART:20240301T100000Z", "DURATION:PT1H"),
        event("RECURRENCE-ID:20240105T100000Z", "DTSTART:20240105T120000Z", "DURATION:PT1H"),
    )
    req = request('<C:limit-recurrence-set start="20240103T000000Z" end="20240104T000000Z"/>')
    cal = Calendar.from_ical(render_calendar_data(data, req))
    rids = [e.get("RECURRENCE-ID") for e in events(cal)]
    assert rids[0] is None
    assert [r.dt for r in rids[1:]] == [datetime(2024, 1, 3, 10, tzinfo=UTC)]


def test_7_8_3_expand_gives_utc_instances_with_recurrence_ids() -> None:
    req = request('<C:expand start="20060103T000000Z" end="20060105T000000Z"/>')
    cal = rendered("abcd2.ics", req)
    assert not any(c.name == "VTIMEZONE" for c in cal.subcomponents)
    first, second = events(cal)
    assert lines(first) == [
        "DTSTAMP:20060206T001121Z",
        "DTSTART:20060103T170000Z",
        "DURATION:PT1H",
        "SUMMARY:Event #2",
        "UID:00959BC664CA650E933C892C@example.com",
        "RECURRENCE-ID:20060103T170000Z",
    ]
    assert "DTSTART:20060104T190000Z" in lines(second)
    assert "RECURRENCE-ID:20060104T170000Z" in lines(second)
    assert "SUMMARY:Event #2 bis" in lines(second)
    assert not any(k in first for k in ("RRULE", "RDATE", "EXDATE"))


def test_7_8_3_expand_converts_a_single_event_to_utc() -> None:
    req = request('<C:expand start="20060103T000000Z" end="20060105T000000Z"/>')
    (only,) = events(rendered("abcd3.ics", req))
    assert "DTSTART:20060104T150000Z" in lines(only)
    assert "RECURRENCE-ID" not in only


def test_expand_drops_events_outside_the_range() -> None:
    req = request('<C:expand start="20060110T000000Z" end="20060111T000000Z"/>')
    assert events(rendered("abcd1.ics", req)) == []


def test_expand_keeps_all_day_instances_as_dates() -> None:
    data = calendar_bytes(event("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=YEARLY"))
    req = request('<C:expand start="20300101T000000Z" end="20300102T000000Z"/>')
    (only,) = events(Calendar.from_ical(render_calendar_data(data, req)))
    assert "DTSTART;VALUE=DATE:20300101" in only.to_ical().decode()
    assert "RECURRENCE-ID;VALUE=DATE:20300101" in only.to_ical().decode()


def test_expand_skips_exdates_and_keeps_dst_local_time_in_utc() -> None:
    data = calendar_bytes(
        event(
            "DTSTART;TZID=Europe/Berlin:20240322T090000",
            "DTEND;TZID=Europe/Berlin:20240322T100000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/Berlin:20240405T090000",
        )
    )
    req = request('<C:expand start="20240301T000000Z" end="20240501T000000Z"/>')
    cal = Calendar.from_ical(render_calendar_data(data, req))
    assert [e["DTSTART"].to_ical() for e in events(cal)] == [
        b"20240322T080000Z",
        b"20240329T080000Z",
        b"20240412T070000Z",
    ]
    assert [e["DTEND"].to_ical() for e in events(cal)][2] == b"20240412T080000Z"


def test_expand_with_rdate_period_keeps_its_length() -> None:
    data = calendar_bytes(
        event(
            "DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=1",
            "RDATE;VALUE=PERIOD:20240110T100000Z/PT3H",
        )
    )  # fmt: skip
    req = request('<C:expand start="20240110T000000Z" end="20240111T000000Z"/>')
    (only,) = events(Calendar.from_ical(render_calendar_data(data, req)))
    assert only["DURATION"].dt.total_seconds() == 3 * 3600


def test_7_8_4_limit_freebusy_set_keeps_overlapping_periods() -> None:
    req = request('<C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/>')
    (freebusy,) = rendered("abcd8.ics", req).subcomponents
    assert "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20060102T100000Z/20060102T120000Z" in lines(freebusy)
    assert len([line for line in lines(freebusy) if line.startswith("FREEBUSY")]) == 1
    assert "DTSTART:20060101T000000Z" in lines(freebusy)


def test_empty_comp_selects_everything_inside() -> None:
    req = request('<C:comp name="VCALENDAR"><C:comp name="VEVENT"/></C:comp>')
    cal = rendered("abcd1.ics", req)
    assert list(cal.keys()) == []
    (only,) = cal.subcomponents
    assert str(only["DESCRIPTION"]) == "Go Steelers!"


def test_allprop_and_allcomp() -> None:
    req = request('<C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>')
    cal = rendered("abcd4.ics", req)
    assert "PRODID" in cal
    assert cal.subcomponents[0].subcomponents[0].name == "VALARM"


def test_prop_without_value() -> None:
    req = request(
        '<C:comp name="VCALENDAR"><C:comp name="VEVENT">'
        '<C:prop name="ATTENDEE" novalue="yes"/></C:comp></C:comp>'
    )
    out = render_calendar_data(fixture_bytes("rfc4791/abcd3.ics"), req).decode()
    assert "ATTENDEE;PARTSTAT=NEEDS-ACTION:\r\n" in out
    assert "lisa@example.com" not in out


def test_parsed_comp_selection_structure() -> None:
    req = request('<C:comp name="vcalendar"><C:prop name="version"/><C:allcomp/></C:comp>')
    assert req.comp == CompSelection(
        "VCALENDAR", all_props=False, props=(PropSelection("VERSION"),), all_comps=True
    )


@pytest.mark.parametrize(
    ("inner", "attrs"),
    [
        ('<C:expand start="20060103T000000Z"/>', ""),
        ('<C:expand start="20060103T000000" end="20060105T000000Z"/>', ""),
        (
            '<C:expand start="20060103T000000Z" end="20060105T000000Z"/>'
            '<C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/>',
            "",
        ),
        ('<C:comp name="VEVENT"/>', ""),
        ('<C:comp name="VCALENDAR"><C:allprop/><C:prop name="X"/></C:comp>', ""),
        ('<C:comp name="VCALENDAR"><C:prop name="X" novalue="maybe"/></C:comp>', ""),
        ("<C:comp/>", ""),
        ("<C:bogus/>", ""),
    ],
)
def test_malformed_request_is_a_plain_bad_request(inner: str, attrs: str) -> None:
    with pytest.raises(CalendarDataRequestError) as caught:
        request(inner, attrs)
    assert caught.value.precondition is None


@pytest.mark.parametrize(
    "attrs",
    ['content-type="application/calendar+json"', 'content-type="text/calendar" version="1.0"'],
)
def test_other_media_types_are_unsupported_calendar_data(attrs: str) -> None:
    with pytest.raises(CalendarDataRequestError) as caught:
        request("", attrs)
    assert caught.value.precondition == "supported-calendar-data"
