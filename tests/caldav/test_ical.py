"""parse_calendar_object: preconditions of RFC 4791 §5.3.2.1 and the parsed result."""

from __future__ import annotations

import pytest

from oxdav.caldav.errors import CALDAV_NS, CalendarDataError
from oxdav.caldav.ical import load_calendar, parse_calendar_object
from tests.caldav.ics import calendar_bytes, event, fixture_bytes, parse

EVENTS = frozenset({"VEVENT"})
TASKS = frozenset({"VTODO"})

SIMPLE = calendar_bytes(event("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"))


def rejection(data: bytes, allowed: frozenset[str] = EVENTS, **kwargs: object) -> CalendarDataError:
    options: dict[str, object] = {"allowed_components": allowed, "max_size": 100_000}
    options.update(kwargs)
    with pytest.raises(CalendarDataError) as caught:
        parse_calendar_object(data, **options)  # type: ignore[arg-type]
    return caught.value


def test_result_keeps_uid_type_calendar_and_original_bytes() -> None:
    data = fixture_bytes("rfc4791/abcd3.ics")
    parsed = parse(data)
    assert parsed.uid == "DC6C50A017428C5216A2F1CD@example.com"
    assert parsed.component_type == "VEVENT"
    assert parsed.data is data
    assert parsed.calendar.name == "VCALENDAR"


@pytest.mark.parametrize("n", range(1, 9))
def test_appendix_b_objects_are_accepted(n: int) -> None:
    parse(fixture_bytes(f"rfc4791/abcd{n}.ics"))


def test_error_names_the_precondition_in_the_caldav_namespace() -> None:
    error = rejection(SIMPLE, content_type="text/plain")
    assert error.precondition == "supported-calendar-data"
    assert error.element == f"{{{CALDAV_NS}}}supported-calendar-data"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/octet-stream", "text/calendar; charset=iso-8859-1"],
)
def test_wrong_content_type_is_unsupported_calendar_data(content_type: str) -> None:
    assert rejection(SIMPLE, content_type=content_type).precondition == "supported-calendar-data"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/calendar", "text/calendar; charset=utf-8", 'TEXT/Calendar; charset="UTF-8"'],
)
def test_text_calendar_in_utf8_or_without_charset_is_accepted(content_type: str | None) -> None:
    parse_calendar_object(
        SIMPLE, allowed_components=EVENTS, max_size=100_000, content_type=content_type
    )


def test_body_over_the_limit_is_max_resource_size() -> None:
    assert rejection(SIMPLE, max_size=len(SIMPLE) - 1).precondition == "max-resource-size"


def test_body_at_the_limit_is_accepted() -> None:
    parse_calendar_object(SIMPLE, allowed_components=EVENTS, max_size=len(SIMPLE))


def test_task_in_a_calendar_folder_is_unsupported_component() -> None:
    error = rejection(fixture_bytes("bad/todo.ics"), EVENTS)
    assert error.precondition == "supported-calendar-component"
    assert "VTODO" in error.message


def test_event_in_a_task_folder_is_unsupported_component() -> None:
    assert rejection(SIMPLE, TASKS).precondition == "supported-calendar-component"


@pytest.mark.parametrize(
    ("fixture", "hint"),
    [
        ("not-icalendar.ics", "VCALENDAR"),
        ("truncated.ics", "never ended"),
        ("crossed-end.ics", "does not close"),
        ("vcard.ics", "VCALENDAR"),
        ("two-calendars.ics", "more than one VCALENDAR"),
        ("version-1.ics", "version"),
        ("unknown-tzid.ics", "Atlantis/Capital"),
        ("broken-dtstart.ics", "DTSTART"),
        ("broken-rrule.ics", "RRULE"),
        ("vevent-without-dtstart.ics", "DTSTART"),
        ("dtend-and-duration.ics", "DURATION"),
        ("latin-1.ics", "UTF-8"),
        ("secondly-forever.ics", "SECONDLY"),
    ],
)
def test_invalid_data_is_valid_calendar_data(fixture: str, hint: str) -> None:
    error = rejection(fixture_bytes(f"bad/{fixture}"))
    assert error.precondition == "valid-calendar-data"
    assert hint in error.message


@pytest.mark.parametrize(
    ("fixture", "hint"),
    [
        ("method.ics", "METHOD"),
        ("mixed-components.ics", "more than one component type"),
        ("two-uids.ics", "one UID"),
        ("no-uid.ics", "no UID"),
        ("two-masters.ics", "RECURRENCE-ID"),
        ("duplicate-recurrence-id.ics", "twice"),
        ("only-timezone.ics", "no calendar component"),
    ],
)
def test_bad_object_structure_is_valid_calendar_object_resource(fixture: str, hint: str) -> None:
    error = rejection(fixture_bytes(f"bad/{fixture}"))
    assert error.precondition == "valid-calendar-object-resource"
    assert hint in error.message


def test_unknown_tzid_message_says_what_is_missing() -> None:
    error = rejection(fixture_bytes("bad/unknown-tzid.ics"))
    assert "no VTIMEZONE" in error.message


def test_missing_version_and_prodid_are_tolerated() -> None:
    data = calendar_bytes(event("DTSTART:20240101T100000Z"), version=False)
    assert parse(data).uid == "event-1"


def test_broken_dtstamp_is_tolerated() -> None:
    data = calendar_bytes(event("DTSTART:20240101T100000Z", "LAST-MODIFIED:yesterday"))
    assert parse(data).uid == "event-1"


def test_byte_order_mark_is_tolerated() -> None:
    assert parse(b"\xef\xbb\xbf" + SIMPLE).uid == "event-1"


def test_tzid_known_to_the_tz_database_needs_no_vtimezone() -> None:
    data = calendar_bytes(event("DTSTART;TZID=Europe/Berlin:20240101T100000"))
    parsed = parse(data)
    assert parsed.first_start == 1704099600  # 09:00 UTC


def test_windows_tzid_is_resolved() -> None:
    data = calendar_bytes(event("DTSTART;TZID=W. Europe Standard Time:20240101T100000"))
    assert parse(data).first_start == 1704099600


def test_custom_tzid_with_its_vtimezone_is_used() -> None:
    data = calendar_bytes(
        "BEGIN:VTIMEZONE",
        "TZID:Oxdav Test/Plus Three",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0300",
        "TZOFFSETTO:+0300",
        "END:STANDARD",
        "END:VTIMEZONE",
        event("DTSTART;TZID=Oxdav Test/Plus Three:20240101T100000"),
    )
    assert parse(data).first_start == 1704092400  # 07:00 UTC


def custom_zone_calendar(offset: str) -> bytes:
    return calendar_bytes(
        "BEGIN:VTIMEZONE",
        "TZID:Oxdav Test/Shared Name",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
        event(
            "DTSTART;TZID=Oxdav Test/Shared Name:20240101T100000",
            "RRULE:FREQ=DAILY;COUNT=2",
            "EXDATE;TZID=Oxdav Test/Shared Name:20240102T100000",
        ),
    )


def test_each_object_reads_a_custom_tzid_with_its_own_vtimezone() -> None:
    first = parse(custom_zone_calendar("+0300"))
    second = parse(custom_zone_calendar("+0500"))  # same TZID, other rules
    assert first.first_start == 1704092400  # 07:00 UTC
    assert second.first_start == 1704085200  # 05:00 UTC
    assert second.last_end == second.first_start  # the EXDATE is read in +05:00 too
    stored = load_calendar(custom_zone_calendar("+0500"))
    assert str(stored.subcomponents[1]["DTSTART"].dt.utcoffset()) == "5:00:00"


def test_overrides_with_recurrence_id_share_the_master_uid() -> None:
    parsed = parse(fixture_bytes("rfc4791/abcd2.ics"))
    assert parsed.recurring


def test_bounded_sub_hourly_series_is_accepted() -> None:
    data = calendar_bytes(event("DTSTART:20240101T100000Z", "RRULE:FREQ=MINUTELY;COUNT=30"))
    assert parse(data).last_end == 1704103200 + 29 * 60


def test_load_calendar_reads_stored_data_without_checks() -> None:
    calendar = load_calendar(fixture_bytes("rfc4791/abcd1.ics"))
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE", "VEVENT"]
