"""RFC 4791 §9.9 time-range matching, with recurrence."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest
from icalendar import Component

from oxdav.caldav.alarms import alarm_overlaps
from oxdav.caldav.errors import FilterError
from oxdav.caldav.ical import load_calendar
from oxdav.caldav.timerange import (
    TimeRange,
    component_overlaps,
    index_may_overlap,
    instances_overlapping,
    parse_utc,
    property_in_range,
)
from tests.caldav.ics import calendar_bytes, event, todo, utc

BERLIN = ZoneInfo("Europe/Berlin")


def calendar(*components: str) -> Component:
    return load_calendar(calendar_bytes(*components))


def rng(start: str | None, end: str | None) -> TimeRange:
    return TimeRange(utc(start) if start else None, utc(end) if end else None)


def matches(body: str, start: str | None, end: str | None, tz: tzinfo = UTC) -> bool:
    cal = calendar(body)
    components = [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    return any(
        component_overlaps(c, rng(start, end), tz, series=components) for c in components
    )


def starts(cal: Component, start: str, end: str, tz: tzinfo = UTC) -> list[datetime]:
    return sorted(
        i.start.astimezone(UTC) if isinstance(i.start, datetime) and i.start.tzinfo else i.start
        for i in instances_overlapping(cal, utc(start), utc(end), tz=tz)
    )  # type: ignore[type-var]


# -- parsing the attributes ---------------------------------------------------


def test_utc_basic_form_is_parsed() -> None:
    assert parse_utc("20060104T000000Z") == datetime(2006, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize("value", ["20060104T000000", "20060104", "2006-01-04T00:00:00Z", "x"])
def test_non_utc_values_are_invalid_filters(value: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_utc(value)
    assert caught.value.precondition == "valid-filter"


def test_range_needs_a_start_or_an_end() -> None:
    with pytest.raises(FilterError):
        TimeRange.from_attributes(None, None)


def test_range_end_must_follow_its_start() -> None:
    with pytest.raises(FilterError):
        TimeRange.from_attributes("20060105T000000Z", "20060104T000000Z")


def test_start_only_range_is_open_ended() -> None:
    assert TimeRange.from_attributes("20060104T000000Z", None).end is None


# -- VEVENT table -------------------------------------------------------------

HOUR = event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("20240110T110000Z", "20240110T120000Z", False),  # starts at DTEND
        ("20240110T105900Z", "20240110T120000Z", True),
        ("20240110T090000Z", "20240110T100000Z", False),  # ends at DTSTART
        ("20240110T090000Z", "20240110T100100Z", True),
        ("20240110T103000Z", None, True),
        (None, "20240110T100000Z", False),
    ],
)
def test_event_with_dtend_overlaps_half_open(start: str, end: str, expected: bool) -> None:
    assert matches(HOUR, start, end) is expected


def test_event_with_duration_lasts_that_long() -> None:
    body = event("DTSTART:20240110T100000Z", "DURATION:PT2H")
    assert matches(body, "20240110T115900Z", "20240110T130000Z")
    assert not matches(body, "20240110T120000Z", "20240110T130000Z")


@pytest.mark.parametrize(
    "lines",
    [
        ("DTSTART:20240110T100000Z", "DURATION:PT0S"),
        ("DTSTART:20240110T100000Z",),
        ("DTSTART:20240110T100000Z", "DTEND:20240110T100000Z"),
    ],
)
def test_event_without_length_is_a_moment(lines: tuple[str, ...]) -> None:
    body = event(*lines)
    assert matches(body, "20240110T100000Z", "20240110T110000Z")  # start <= DTSTART
    assert not matches(body, "20240110T090000Z", "20240110T100000Z")  # end > DTSTART fails


def test_all_day_event_without_end_lasts_the_day() -> None:
    body = event("DTSTART;VALUE=DATE:20240110")
    assert matches(body, "20240110T235900Z", "20240111T120000Z")
    assert not matches(body, "20240111T000000Z", "20240111T120000Z")
    assert not matches(body, "20240109T000000Z", "20240110T000000Z")


def test_all_day_event_follows_the_query_time_zone() -> None:
    body = event("DTSTART;VALUE=DATE:20240110", "DTEND;VALUE=DATE:20240111")
    # In Berlin the day is 2024-01-09T23:00Z .. 2024-01-10T23:00Z.
    assert matches(body, "20240109T230000Z", "20240109T233000Z", BERLIN)
    assert not matches(body, "20240109T230000Z", "20240109T233000Z")
    assert not matches(body, "20240110T230000Z", "20240111T000000Z", BERLIN)


def test_floating_time_is_read_in_the_query_time_zone() -> None:
    body = event("DTSTART:20240110T100000", "DTEND:20240110T110000")
    assert matches(body, "20240110T090000Z", "20240110T093000Z", BERLIN)
    assert not matches(body, "20240110T090000Z", "20240110T093000Z")
    assert matches(body, "20240110T100000Z", "20240110T103000Z")


# -- VTODO table ----------------------------------------------------------------


START = "DTSTART:20240110T100000Z"
DUE = "DUE:20240110T110000Z"
HOUR_LONG = "DURATION:PT1H"
CREATED = "CREATED:20240101T000000Z"
COMPLETED = "COMPLETED:20240110T000000Z"


@pytest.mark.parametrize(
    ("lines", "start", "end", "expected"),
    [
        # DTSTART+DURATION: start <= DTSTART+DURATION and
        # (end > DTSTART or end >= DTSTART+DURATION)
        ((START, HOUR_LONG), "20240110T110000Z", "20240110T120000Z", True),
        ((START, HOUR_LONG), "20240110T110001Z", "20240110T120000Z", False),
        ((START, HOUR_LONG), "20240110T090000Z", "20240110T100000Z", False),
        # DTSTART+DUE: (start < DUE or start <= DTSTART) and (end > DTSTART or end >= DUE)
        ((START, DUE), "20240110T105959Z", None, True),
        ((START, DUE), "20240110T110000Z", None, False),
        ((START, DUE), None, "20240110T100000Z", False),
        # DTSTART only: start <= DTSTART and end > DTSTART
        ((START,), "20240110T100000Z", "20240110T100001Z", True),
        ((START,), None, "20240110T100000Z", False),
        # DUE only: start < DUE and end >= DUE
        (("DUE:20240110T100000Z",), "20240110T090000Z", "20240110T100000Z", True),
        (("DUE:20240110T100000Z",), "20240110T100000Z", "20240110T110000Z", False),
        # COMPLETED and CREATED
        ((CREATED, COMPLETED), "20240110T000000Z", None, True),
        ((CREATED, COMPLETED), None, "20240101T000000Z", True),
        ((CREATED, COMPLETED), "20240110T000001Z", None, False),
        # COMPLETED only: start <= COMPLETED and end >= COMPLETED
        ((COMPLETED,), "20240109T000000Z", "20240110T000000Z", True),
        ((COMPLETED,), "20240110T000001Z", None, False),
        # CREATED only: end > CREATED
        (("CREATED:20240110T000000Z",), "20990101T000000Z", None, True),
        (("CREATED:20240110T000000Z",), None, "20240110T000000Z", False),
        # nothing: always
        ((), "19000101T000000Z", "19000102T000000Z", True),
    ],
)
def test_todo_table(lines: tuple[str, ...], start: str, end: str, expected: bool) -> None:
    assert matches(todo(*lines), start, end) is expected


# -- VJOURNAL, VFREEBUSY -----------------------------------------------------------


def journal(*lines: str) -> str:
    stamp = "DTSTAMP:20240101T000000Z"
    return "\n".join(["BEGIN:VJOURNAL", "UID:j", stamp, *lines, "END:VJOURNAL"])


def test_journal_with_date_time_is_a_moment() -> None:
    assert matches(journal("DTSTART:20240110T100000Z"), "20240110T100000Z", "20240110T100001Z")
    assert not matches(journal("DTSTART:20240110T100000Z"), None, "20240110T100000Z")


def test_journal_with_date_lasts_the_day() -> None:
    assert matches(journal("DTSTART;VALUE=DATE:20240110"), "20240110T220000Z", None)


def test_journal_without_dtstart_never_matches() -> None:
    assert not matches(journal("SUMMARY:undated"), "19000101T000000Z", "29000101T000000Z")


def freebusy(*lines: str) -> str:
    stamp = "DTSTAMP:20240101T000000Z"
    return "\n".join(["BEGIN:VFREEBUSY", "UID:f", stamp, *lines, "END:VFREEBUSY"])


def test_freebusy_with_dtstart_dtend_includes_its_end() -> None:
    body = freebusy("DTSTART:20240110T000000Z", "DTEND:20240111T000000Z")
    assert matches(body, "20240111T000000Z", "20240112T000000Z")  # start <= DTEND
    assert not matches(body, "20240109T000000Z", "20240110T000000Z")


def test_freebusy_without_bounds_uses_its_periods() -> None:
    body = freebusy("FREEBUSY:20240110T100000Z/PT1H,20240112T100000Z/20240112T110000Z")
    assert matches(body, "20240112T103000Z", "20240112T104000Z")
    assert not matches(body, "20240111T000000Z", "20240112T000000Z")


def test_time_range_on_a_timezone_component_is_unsupported() -> None:
    cal = calendar(
        "BEGIN:VTIMEZONE", "TZID:UTC", "BEGIN:STANDARD", "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0000", "TZOFFSETTO:+0000", "END:STANDARD", "END:VTIMEZONE",
    )  # fmt: skip
    with pytest.raises(FilterError) as caught:
        component_overlaps(cal.subcomponents[0], rng("20240101T000000Z", None))
    assert caught.value.precondition == "supported-filter"


# -- recurrence ------------------------------------------------------------------

WEEKLY_BERLIN = event(
    "DTSTART;TZID=Europe/Berlin:20240301T090000",
    "DTEND;TZID=Europe/Berlin:20240301T100000",
    "RRULE:FREQ=WEEKLY;UNTIL=20241115T080000Z",
)


def test_weekly_event_stays_at_nine_local_across_both_dst_changes() -> None:
    found = starts(calendar(WEEKLY_BERLIN), "20240320T000000Z", "20241110T000000Z")
    local = {s.astimezone(BERLIN).hour for s in found}
    assert local == {9}
    assert datetime(2024, 3, 29, 8, tzinfo=UTC) in found  # CET
    assert datetime(2024, 4, 5, 7, tzinfo=UTC) in found  # CEST
    assert datetime(2024, 10, 25, 7, tzinfo=UTC) in found  # last Friday of CEST
    assert datetime(2024, 11, 1, 8, tzinfo=UTC) in found  # CET again


def test_time_range_matching_agrees_with_the_dst_shift() -> None:
    assert matches(WEEKLY_BERLIN, "20240405T070000Z", "20240405T073000Z")
    assert not matches(WEEKLY_BERLIN, "20240405T080000Z", "20240405T083000Z")
    assert matches(WEEKLY_BERLIN, "20241101T080000Z", "20241101T083000Z")
    assert not matches(WEEKLY_BERLIN, "20241101T070000Z", "20241101T075900Z")


def test_exdate_removes_an_instance() -> None:
    body = event(
        "DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=5",
        "EXDATE:20240103T100000Z",
    )  # fmt: skip
    assert not matches(body, "20240103T000000Z", "20240104T000000Z")
    assert matches(body, "20240104T000000Z", "20240105T000000Z")


def test_rdate_adds_an_instance() -> None:
    body = event("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=2", "RDATE:20240301T100000Z")
    assert matches(body, "20240301T000000Z", "20240302T000000Z")


def overridden(new_start: str) -> str:
    master = event("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=5")
    moved = event("RECURRENCE-ID:20240103T100000Z", f"DTSTART:{new_start}", "DURATION:PT1H")
    return master + "\n" + moved


def test_overridden_instance_moved_out_of_the_range_no_longer_matches() -> None:
    assert not matches(overridden("20240110T100000Z"), "20240103T000000Z", "20240104T000000Z")


def test_overridden_instance_moved_into_the_range_matches() -> None:
    assert matches(overridden("20240110T100000Z"), "20240110T000000Z", "20240111T000000Z")


def test_master_does_not_answer_for_an_overridden_instance() -> None:
    cal = calendar(overridden("20240110T100000Z"))
    master = cal.subcomponents[0]
    in_slot = rng("20240103T000000Z", "20240104T000000Z")
    assert not component_overlaps(master, in_slot, series=cal.subcomponents)


def test_recurring_all_day_event_covers_whole_days() -> None:
    body = event("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=YEARLY")
    assert matches(body, "20300101T235900Z", "20300102T000000Z")
    assert not matches(body, "20300102T000000Z", "20300103T000000Z")


def test_recurring_floating_event_uses_the_query_time_zone() -> None:
    body = event("DTSTART:20240101T100000", "DURATION:PT1H", "RRULE:FREQ=DAILY")
    assert matches(body, "20240601T080000Z", "20240601T083000Z", BERLIN)  # CEST
    assert not matches(body, "20240601T080000Z", "20240601T083000Z")


def test_infinite_series_matches_in_the_far_future() -> None:
    body = event("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY")
    assert matches(body, "22000101T000000Z", "22000108T000000Z")
    assert matches(body, "22000101T000000Z", None)


def test_ended_series_does_not_match_an_open_range_after_it() -> None:
    body = event("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3")
    assert not matches(body, "20240104T000000Z", None)
    assert matches(body, None, "20240101T100001Z")


def test_instances_overlapping_lists_rfc_abcd2_instances() -> None:
    from tests.caldav.ics import fixture_bytes

    cal = load_calendar(fixture_bytes("rfc4791/abcd2.ics"))
    found = list(instances_overlapping(cal, utc("20060103T000000Z"), utc("20060105T000000Z")))
    assert [str(i.component["SUMMARY"]) for i in found] == ["Event #2", "Event #2 bis"]
    assert found[1].recurrence_id == datetime(2006, 1, 4, 12, tzinfo=ZoneInfo("US/Eastern"))


# -- VALARM ------------------------------------------------------------------------


def alarm_matches(body: str, start: str | None, end: str | None) -> bool:
    cal = calendar(body)
    parents = [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    return any(
        alarm_overlaps(a, p, rng(start, end), series=parents)
        for p in parents
        for a in p.subcomponents
        if a.name == "VALARM"
    )


def valarm(*lines: str) -> str:
    return "\n".join(["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", *lines, "END:VALARM"])


def with_alarm(*trigger: str, lines: tuple[str, ...] = (START, HOUR_LONG)) -> str:
    return event(*lines, valarm(*trigger))


def test_alarm_relative_to_start() -> None:
    body = with_alarm("TRIGGER:-PT15M")
    assert alarm_matches(body, "20240110T094500Z", "20240110T094501Z")
    assert not alarm_matches(body, "20240110T095000Z", "20240110T100000Z")


def test_alarm_relative_to_end() -> None:
    body = with_alarm("TRIGGER;RELATED=END:PT5M")
    assert alarm_matches(body, "20240110T110500Z", "20240110T110501Z")
    assert not alarm_matches(body, "20240110T094500Z", "20240110T100000Z")


def test_repeating_alarm_triggers_again() -> None:
    body = with_alarm("TRIGGER:-PT30M", "REPEAT:2", "DURATION:PT10M")
    assert alarm_matches(body, "20240110T095000Z", "20240110T095001Z")  # third trigger
    assert not alarm_matches(body, "20240110T095001Z", "20240110T100000Z")


def test_absolute_alarm() -> None:
    body = with_alarm("TRIGGER;VALUE=DATE-TIME:20240109T120000Z")
    assert alarm_matches(body, "20240109T120000Z", "20240109T120001Z")


def test_alarm_of_a_later_instance_of_a_recurring_event() -> None:
    body = with_alarm(
        "TRIGGER:-PT15M",
        lines=("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY"),
    )
    assert alarm_matches(body, "20300107T094500Z", "20300107T094501Z")  # a Monday
    assert not alarm_matches(body, "20300108T094500Z", "20300108T094501Z")


def test_alarm_of_todo_without_dtstart_counts_from_due() -> None:
    body = todo("DUE:20240110T100000Z", valarm("TRIGGER;RELATED=START:-PT10M"))
    assert alarm_matches(body, "20240110T095000Z", "20240110T095001Z")


# -- properties and the index test ----------------------------------------------------


def test_property_time_range_is_start_inclusive_end_exclusive() -> None:
    stamp = calendar(event("DTSTART:20240110T100000Z")).subcomponents[0]["DTSTAMP"]
    assert property_in_range(stamp, rng("20240101T000000Z", "20240101T000001Z"))
    assert not property_in_range(stamp, rng("20231231T000000Z", "20240101T000000Z"))


def test_index_pre_filter_is_inclusive() -> None:
    moment = int(utc("20240110T100000Z").timestamp())
    assert index_may_overlap(moment, moment, rng("20240110T100000Z", "20240110T110000Z"))
    assert index_may_overlap(moment, moment, rng("20240110T090000Z", "20240110T100000Z"))
    assert not index_may_overlap(moment, moment, rng("20240110T100001Z", None))
    assert index_may_overlap(None, None, rng("20240110T100001Z", None))
