"""CALDAV:expand over TLS (RFC 4791 §9.6.5): a weekly series with an EXDATE and moved
instances, answered from the expansion prepared on PUT, and the same object stored
without one (as written before it existed), answered by parsing: the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_twisted
from icalendar import Calendar

from oxdav.caldav.ical import parse_calendar_object
from oxdav.caldav.tasks import object_index
from tests.integration.caldav_requests import (
    NEXT_YEAR,
    NS,
    folders,
    ics,
    put,
    start_with_caldav,
    xml_request,
)

BERLIN = ZoneInfo("Europe/Berlin")
#: Weekly from 10 March 10:00 Berlin time, six weeks, across the change to summer time.
FIRST = datetime(NEXT_YEAR, 3, 10, 10, tzinfo=BERLIN)


def week(n: int) -> datetime:
    return FIRST + timedelta(weeks=n)


def local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


MOVED_IN = (week(2) + timedelta(days=1)).replace(hour=15)  # a day later, in March
MOVED_OUT = datetime(NEXT_YEAR, 5, 5, 9, tzinfo=BERLIN)    # from week 4 into May

SERIES = ics(
    "BEGIN:VEVENT", "UID:expand-weekly", "DTSTAMP:20260101T000000Z", "SUMMARY:Weekly",
    f"DTSTART;TZID=Europe/Berlin:{local(week(0))}", f"DTEND;TZID=Europe/Berlin:"
    f"{local(week(0) + timedelta(hours=1))}", "RRULE:FREQ=WEEKLY;COUNT=6",
    f"EXDATE;TZID=Europe/Berlin:{local(week(1))}", "END:VEVENT",
    "BEGIN:VEVENT", "UID:expand-weekly", "DTSTAMP:20260101T000000Z", "SUMMARY:Moved in",
    f"RECURRENCE-ID;TZID=Europe/Berlin:{local(week(2))}",
    f"DTSTART;TZID=Europe/Berlin:{local(MOVED_IN)}",
    f"DTEND;TZID=Europe/Berlin:{local(MOVED_IN + timedelta(hours=1))}", "END:VEVENT",
    "BEGIN:VEVENT", "UID:expand-weekly", "DTSTAMP:20260101T000000Z", "SUMMARY:Moved out",
    f"RECURRENCE-ID;TZID=Europe/Berlin:{local(week(4))}",
    f"DTSTART;TZID=Europe/Berlin:{local(MOVED_OUT)}",
    f"DTEND;TZID=Europe/Berlin:{local(MOVED_OUT + timedelta(hours=1))}", "END:VEVENT",
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE")

MARCH = (f"{NEXT_YEAR}0301T000000Z", f"{NEXT_YEAR}0401T000000Z")

QUERY = f"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data><C:expand start="{MARCH[0]}" end="{MARCH[1]}"/>
</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"><C:time-range start="{MARCH[0]}" end="{MARCH[1]}"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""


async def expanded(server, calendar: str) -> str:
    response, doc = await xml_request(server, "REPORT", calendar, QUERY, depth="1")
    assert response.code == 207
    [data] = doc.xpath("//D:response[contains(D:href, 'weekly.ics')]//C:calendar-data/text()",
                       namespaces=NS)
    return str(data)


@pytest_twisted.ensureDeferred
async def test_expand_of_a_weekly_series_with_exdate_and_moved_instances(tmp_path) -> None:
    server = await start_with_caldav(tmp_path, interval_start="0")
    try:
        calendar = (await folders(server))["VEVENT"]
        assert (await put(server, calendar + "weekly.ics", SERIES))[0].code == 201
        text = await expanded(server, calendar)
        events = Calendar.from_ical(text).walk("VEVENT")
        served = [(e.decoded("DTSTART"), e.decoded("RECURRENCE-ID"), str(e["SUMMARY"]))
                  for e in events]
        assert served == [  # week 1 excluded, week 2 moved a day on, week 4 moved to May
            (week(0).astimezone(UTC), week(0).astimezone(UTC), "Weekly"),
            (MOVED_IN.astimezone(UTC), week(2).astimezone(UTC), "Moved in"),
            (week(3).astimezone(UTC), week(3).astimezone(UTC), "Weekly")]
        assert "RRULE" not in text and "EXDATE" not in text and "VTIMEZONE" not in text
        assert f"DTSTART:{utc_text(week(3))}\r\n" in text  # summer time: 08:00Z
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_object_stored_without_a_prepared_expansion_expands_alike(tmp_path) -> None:
    server = await start_with_caldav(tmp_path, interval_start="0")
    try:
        calendar = (await folders(server))["VEVENT"]
        assert (await put(server, calendar + "weekly.ics", SERIES))[0].code == 201
        prepared = await expanded(server, calendar)
        parsed = parse_calendar_object(SERIES, allowed_components=frozenset({"VEVENT"}),
                                       max_size=10**6)
        async with server.service.store.transaction("legacy", write=True) as txn:
            user = await txn.user_by_email("demo@example.com")
            home = await txn.home(user.context_id, user.id)
            folder_id = int(calendar.rstrip("/").rsplit("/", 1)[1])
            collection = await home.collection(folder_id)
            [written] = await collection.get_many(["weekly.ics"], derived=True)
            await collection.put("weekly.ics", SERIES, object_index(parsed, None))
            [stored] = await collection.get_many(["weekly.ics"], derived=True)
        assert written.derived is not None and stored.derived is None
        assert await expanded(server, calendar) == prepared
    finally:
        await server.stop()
