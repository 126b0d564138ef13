"""The sync window limits bulk listing, not explicit questions (DESIGN.md §4): an iOS user
scrolling back a year, or any client searching for last year's meeting, finds it with a
calendar-query for that time, while Depth 1, sync-collection and queries without a
time-range stay inside ``com.openexchange.caldav.interval.*``. Driven by the python
``caldav`` library over TLS where it has a call for the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import caldav
import pytest_twisted
from icalendar import Calendar
from twisted.internet.threads import deferToThread

from tests.integration.caldav_requests import NS, SOON, folders, ics, put, vevent, xml_request
from tests.integration.harness import start_server


def _months_back(months: int) -> datetime:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


#: The month a year ago, long before the default window (from the previous month's 1st).
MONTH_START, MONTH_END = _months_back(12), _months_back(11)
OLD = MONTH_START + timedelta(days=14, hours=10)


def basic(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def seeded(server) -> str:
    """The demo calendar with an event a year back, a weekly series that ended before
    the window with an instance in that month, and an event inside the window."""
    calendar = (await folders(server))["VEVENT"]
    series_start = OLD - timedelta(weeks=20) + timedelta(days=2)
    for name, body in {
        "old.ics": ics(vevent("old", "SUMMARY:Last year's meeting", start=basic(OLD))),
        "series.ics": ics(vevent("series", f"DTSTART:{basic(series_start)}",
                                 "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=22")),
        "new.ics": ics(vevent("new", start=SOON)),
    }.items():
        assert (await put(server, calendar + name, body))[0].code == 201
    return calendar


def client_view(server, path: str) -> dict[str, object]:
    """Blocking: what the python caldav library gets for the old month and in bulk."""
    cert = str(server.config / "data" / "tls" / "fullchain.pem")
    login, password = server.demo
    with caldav.DAVClient(url=server.https + "/dav/", username=login, password=password,
                          ssl_verify_cert=cert) as dav:
        calendar = dav.calendar(url=server.https + path)

        def uids(found) -> list[str]:
            return sorted(str(o.icalendar_component["uid"]) for o in found)

        busy = calendar.freebusy_request(MONTH_START, MONTH_END)
        return {
            "that month": uids(calendar.search(event=True, start=MONTH_START,
                                               end=MONTH_END)),
            "that day": uids(calendar.search(event=True, start=OLD - timedelta(hours=1),
                                             end=OLD + timedelta(hours=2))),
            "without a range": uids(calendar.search(event=True)),
            "synced": uids(calendar.objects_by_sync_token(load_objects=True)),
            "multiget": uids(calendar.multiget([calendar.url.join("old.ics")])),
            "busy": busy.data,
        }


@pytest_twisted.ensureDeferred
async def test_a_query_a_year_back_finds_what_the_window_leaves_out(server) -> None:
    calendar = await seeded(server)
    seen = await deferToThread(client_view, server, calendar)
    # The explicit question is answered, a series whole when an instance is inside.
    assert seen["that month"] == ["old", "series"]
    assert seen["that day"] == ["old"]
    # Bulk listing stays inside the window (as OX): query without range, sync.
    assert seen["without a range"] == ["new"]
    assert seen["synced"] == ["new"]
    assert seen["multiget"] == ["old"]
    freebusy = Calendar.from_ical(seen["busy"]).walk("VFREEBUSY")[0]
    periods = [line for line in freebusy.to_ical().decode().splitlines()
               if line.startswith("FREEBUSY")]
    assert f"FREEBUSY:{basic(OLD)}/{basic(OLD + timedelta(hours=1))}" in periods
    _, doc = await xml_request(server, "PROPFIND", calendar, depth="1")
    listed = sorted(h.rsplit("/", 1)[1] for h in doc.xpath("//D:href/text()", namespaces=NS)
                    if h.endswith(".ics"))
    assert listed == ["new.ics"]


@pytest_twisted.ensureDeferred
async def test_a_journal_a_year_back_is_found_by_its_day(server) -> None:
    """A VJOURNAL on a DATE is in every range meeting its day (RFC 4791 §9.9), also
    before the window."""
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/diary/", b"")
    assert response.code == 201
    day = OLD.strftime("%Y%m%d")
    journal = ics("\n".join(["BEGIN:VJOURNAL", "UID:old-note", "DTSTAMP:20260101T000000Z",
                             f"DTSTART;VALUE=DATE:{day}", "SUMMARY:Diary", "END:VJOURNAL"]))
    assert (await put(server, "/dav/caldav/diary/note.ics", journal))[0].code == 201
    query = f"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VJOURNAL"><C:time-range start="{day}T200000Z" end="{day}T210000Z"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""
    _, doc = await xml_request(server, "REPORT", "/dav/caldav/diary/", query, depth="1")
    assert doc.xpath("//D:href/text()", namespaces=NS) == ["/dav/caldav/diary/note.ics"]
    _, doc = await xml_request(server, "PROPFIND", "/dav/caldav/diary/", depth="1")
    assert not [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".ics")]
