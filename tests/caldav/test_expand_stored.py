"""expand_stored: the §9.6.5 expansion from the stored text agrees with the parsing path."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from oxdav.caldav.expand import expand
from oxdav.caldav.expand_stored import expand_stored
from oxdav.caldav.ical import load_calendar
from oxdav.caldav.timerange import TimeRange
from oxdav.store.models import StoredObject
from tests.caldav.ics import calendar_bytes, event, parse, utc
from tests.caldav.test_index_match import BERLIN_TZ, EXACT, NOT_EXACT, ZONES, meta_of

EXPAND_RANGES = [
    ("20240101T000000Z", "20240201T000000Z"),
    ("20240110T110000Z", "20240110T120000Z"),
    ("20240110T090000Z", "20240110T100000Z"),
    ("20240301T000000Z", "20240501T000000Z"),
]

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


def stored_of(name: str, data: bytes) -> StoredObject:
    return StoredObject(meta_of(name, parse(data)), data)


def canonical(data: bytes) -> bytes:
    calendar = Calendar.from_ical(data.decode("utf-8"))
    return calendar.to_ical(sorted=False)


def body_of(name: str) -> bytes:
    objects = {**EXACT, **NOT_EXACT, **MORE}
    data = calendar_bytes(*objects[name])
    if name == "zoned-with-lf-only":
        data = data.replace(b"\r\n", b"\n")
    return data


@pytest.mark.parametrize(("start", "end"), EXPAND_RANGES)
@pytest.mark.parametrize("name", sorted({**EXACT, **NOT_EXACT, **MORE}))
def test_expansion_from_the_text_equals_the_parsed_expansion(name: str, start: str,
                                                             end: str) -> None:
    data = body_of(name)
    rng = TimeRange(utc(start), utc(end))
    for zone in ZONES:
        fast = expand_stored(stored_of(name, data), rng, zone)
        if fast is not None:
            slow = expand(load_calendar(data), rng, zone).to_ical(sorted=False)
            assert canonical(fast) == canonical(slow)


def test_single_zoned_event_is_expanded_from_the_text() -> None:
    data = body_of("zoned-with-alarm-and-attendee")
    fast = expand_stored(stored_of("e", data),
                         TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z")))
    assert fast is not None
    assert b"VTIMEZONE" not in fast and b"TZID" not in fast
    assert b"DTSTART:20240110T090000Z\r\n" in fast and b"DTEND:20240110T100000Z\r\n" in fast
    assert b"BEGIN:VALARM" in fast


@pytest.mark.parametrize("name", ["recurring", "daily-with-moved-instance", "stray-exdate",
                                  "floating", "infinite"])
def test_series_and_floating_times_take_the_parsing_path(name: str) -> None:
    data = body_of(name)
    rng = TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z"))
    assert expand_stored(stored_of(name, data), rng) is None


def test_event_outside_the_expand_range_takes_the_parsing_path() -> None:
    data = body_of("utc")
    rng = TimeRange(utc("20240110T110000Z"), utc("20240110T120000Z"))
    assert expand_stored(stored_of("e", data), rng) is None


def test_all_day_event_is_returned_as_stored_without_its_timezones() -> None:
    data = calendar_bytes(BERLIN_TZ, event("DTSTART;VALUE=DATE:20240110"))
    rng = TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z"))
    fast = expand_stored(stored_of("e", data), rng, ZoneInfo("Europe/Berlin"))
    assert fast == calendar_bytes(event("DTSTART;VALUE=DATE:20240110"))


def test_folded_zoned_start_is_rewritten() -> None:
    data = body_of("zoned-with-folded-dtstart")
    rng = TimeRange(utc("20240101T000000Z"), utc("20240201T000000Z"))
    fast = expand_stored(stored_of("e", data), rng)
    assert fast is not None and b"DTSTART:20240110T090000Z\r\n" in fast
    assert b"lin:" not in fast
