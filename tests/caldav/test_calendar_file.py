"""A whole calendar as one iCalendar file and a file as calendar objects (issue 21)."""

from __future__ import annotations

import pytest

from oxdav.caldav.calendar_file import (
    CALENDAR_END,
    CalendarFileError,
    calendar_chunk,
    calendar_header,
    calendar_objects,
    frame,
)

TZ = ("BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
      "TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"


def tz(tzid: str, offset: str = "+0100") -> str:
    return TZ.format(tzid=tzid, offset=offset)


def vevent(uid: str, *lines: str) -> str:
    return ("BEGIN:VEVENT\r\n" f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n")


def test_each_timezone_once_before_the_first_component_that_brings_it() -> None:
    one = (HEAD + tz("A") + vevent("1", "DTSTART;TZID=A:20270101T100000")
           + "END:VCALENDAR\r\n").encode()
    two = (HEAD + tz("A", "+0500") + tz("B") + vevent("2", "DTSTART;TZID=B:20270101T100000")
           + "END:VCALENDAR\r\n").encode()
    chunk, added, broken = calendar_chunk([one, two], frozenset())
    assert added == ["A", "B"] and broken == []
    assert chunk == (tz("A") + vevent("1", "DTSTART;TZID=A:20270101T100000") + tz("B")
                     + vevent("2", "DTSTART;TZID=B:20270101T100000")).encode()
    # a later chunk leaves out what an earlier one carried
    again, added, _ = calendar_chunk([two], frozenset({"A", "B"}))
    assert added == [] and b"VTIMEZONE" not in again


def test_an_object_that_does_not_frame_is_named_not_served() -> None:
    chunk, _, broken = calendar_chunk([b"not iCalendar", (HEAD + vevent("x")
                                                          + "END:VCALENDAR\r\n").encode()],
                                      frozenset())
    assert broken == [0] and b"UID:x" in chunk


def test_the_header_escapes_the_calendar_name() -> None:
    header = calendar_header("Team, Plans; 2027\nnew")
    assert header.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert b"X-WR-CALNAME:Team\\, Plans\\; 2027\\nnew\r\n" in header
    assert not header.endswith(CALENDAR_END)


def test_a_file_splits_by_uid_with_overrides_and_the_timezones_they_name() -> None:
    text = (HEAD + "METHOD:PUBLISH\r\nX-WR-CALNAME:Mine\r\n" + tz("A") + tz("B") + tz("C")
            + vevent("s", "DTSTART;TZID=B:20270101T100000", "RRULE:FREQ=DAILY;COUNT=3")
            + vevent("o", "DTSTART:20270101T100000Z")
            + vevent("s", "RECURRENCE-ID;TZID=B:20270102T100000",
                     "DTSTART;TZID=A:20270102T110000")
            + "END:VCALENDAR\r\n")
    series, other = calendar_objects(text.encode())
    assert series.uid == "s" and other.uid == "o"
    # Timezones in the order the object names them; METHOD and X-WR-* stay behind.
    assert series.data == (HEAD + tz("B") + tz("A")
                           + vevent("s", "DTSTART;TZID=B:20270101T100000",
                                    "RRULE:FREQ=DAILY;COUNT=3")
                           + vevent("s", "RECURRENCE-ID;TZID=B:20270102T100000",
                                    "DTSTART;TZID=A:20270102T110000")
                           + "END:VCALENDAR\r\n").encode()
    assert other.data == (HEAD + vevent("o", "DTSTART:20270101T100000Z")
                          + "END:VCALENDAR\r\n").encode()


def test_folded_lines_and_nested_components_are_kept_as_they_are() -> None:
    event = vevent("f", "SUMMARY:a long\r\n  folded line", "DTSTART;TZID=\"A\":20270101T1000",
                   "BEGIN:VALARM", "TRIGGER:-PT5M", "ACTION:DISPLAY",
                   "DESCRIPTION:x", "END:VALARM")
    [found] = calendar_objects((HEAD + tz("A") + event + "END:VCALENDAR\r\n").encode())
    assert found.data == (HEAD + tz("A") + event + "END:VCALENDAR\r\n").encode()


def test_a_component_without_uid_is_an_object_of_its_own() -> None:
    text = HEAD + "BEGIN:VEVENT\r\nSUMMARY:a\r\nEND:VEVENT\r\n" * 2 + "END:VCALENDAR\r\n"
    assert [o.uid for o in calendar_objects(text.encode())] == [None, None]


def test_several_calendars_in_one_stream_are_read_together() -> None:
    text = (HEAD + vevent("1") + "END:VCALENDAR\r\n" + HEAD.replace("-//t//t//EN", "other")
            + vevent("2") + "END:VCALENDAR\r\n")
    assert [o.uid for o in calendar_objects(text.encode())] == ["1", "2"]


@pytest.mark.parametrize("text", [
    "BEGIN:VCARD\r\nEND:VCARD\r\n", "hello\r\n", HEAD + vevent("1"),
    "END:VCALENDAR\r\n", "", HEAD + "BEGIN:VEVENT\r\nEND:VCALENDAR\r\n"])
def test_text_that_is_no_icalendar_is_refused(text: str) -> None:
    with pytest.raises(CalendarFileError):
        frame(text.encode())
