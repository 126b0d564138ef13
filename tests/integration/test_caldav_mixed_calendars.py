"""Calendars hold what the client asked for (RFC 4791 §5.2.3, §5.3.1): a calendar made
without a component set takes events, tasks and journals together, driven by the python
``caldav`` library over TLS; one made for some types refuses the others."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import caldav
import pytest_twisted
from twisted.internet.threads import deferToThread

from tests.integration.caldav_requests import (
    NEXT_YEAR,
    NS,
    folders,
    ics,
    put,
    vevent,
    vtodo,
    xml_request,
)
from tests.integration.harness import start_server

C = "{urn:ietf:params:xml:ns:caldav}"

MKCALENDAR = """<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>"""


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


def client(server) -> caldav.DAVClient:
    cert = str(server.config / "data" / "tls" / "fullchain.pem")
    login, password = server.demo
    return caldav.DAVClient(url=server.https + "/dav/", username=login, password=password,
                            ssl_verify_cert=cert)


def uids(found) -> list[str]:
    return sorted(str(o.icalendar_component["uid"]) for o in found)


def mixed_calendar(server) -> dict[str, object]:
    """Blocking: what a python-caldav user does with one calendar for everything."""
    start = datetime(NEXT_YEAR, 3, 10, 10, tzinfo=UTC)
    day = date(NEXT_YEAR, 3, 12)
    with client(server) as dav:
        calendar = dav.principal().make_calendar(name="Everything")
        calendar.save_event(dtstart=start, dtend=start + timedelta(hours=1),
                            summary="Meeting", uid="mix-event")
        calendar.save_todo(summary="Buy milk", uid="mix-todo",
                           due=start + timedelta(days=1))
        calendar.save_journal(summary="Notes", dtstart=day, uid="mix-journal")
        synced = calendar.objects_by_sync_token(load_objects=True)
        first_sync = uids(synced)
        calendar.save_journal(summary="More notes", dtstart=day + timedelta(days=1),
                              uid="mix-journal-2")
        updated, deleted = synced.sync()
        return {
            "events": uids(calendar.search(event=True)),
            "todos": uids(calendar.search(todo=True)),
            "journals": uids(calendar.search(journal=True)),
            "events in range": uids(calendar.search(
                event=True, start=start - timedelta(hours=1), end=start + timedelta(hours=2))),
            "journals on the day": uids(calendar.search(
                journal=True, start=datetime(NEXT_YEAR, 3, 12, 15, tzinfo=UTC),
                end=datetime(NEXT_YEAR, 3, 12, 16, tzinfo=UTC))),
            "journals the day before": uids(calendar.search(
                journal=True, start=datetime(NEXT_YEAR, 3, 11, tzinfo=UTC),
                end=datetime(NEXT_YEAR, 3, 12, tzinfo=UTC))),
            "components": sorted(calendar.get_supported_components()),
            "first sync": first_sync,
            "sync after": uids(updated),
            "deleted": list(deleted),
            "url": str(calendar.url),
        }


@pytest_twisted.ensureDeferred
async def test_a_client_calendar_holds_events_tasks_and_journals(server) -> None:
    result = await deferToThread(mixed_calendar, server)
    assert result["components"] == ["VEVENT", "VJOURNAL", "VTODO"]
    # A search for one type never returns another (RFC 4791 §9.7.1).
    assert result["events"] == ["mix-event"]
    assert result["todos"] == ["mix-todo"]
    assert result["journals"] == ["mix-journal", "mix-journal-2"]
    assert result["events in range"] == ["mix-event"]
    # A journal with a DATE DTSTART is in every range meeting its day (§9.9).
    assert result["journals on the day"] == ["mix-journal"]
    assert result["journals the day before"] == []
    assert result["first sync"] == ["mix-event", "mix-journal", "mix-todo"]
    assert result["sync after"] == ["mix-journal-2"]
    assert result["deleted"] == []


@pytest_twisted.ensureDeferred
async def test_a_mixed_calendar_lists_and_serves_every_type(server) -> None:
    """PROPFIND Depth 1 and multiget see every type; GET returns each as stored."""
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/mixed/", b"")
    assert response.code == 201
    bodies = {
        "e.ics": ics(vevent("raw-event")),
        "t.ics": ics(vtodo("raw-todo", f"DUE:{NEXT_YEAR}0311T100000Z")),
        "j.ics": ics("\n".join(["BEGIN:VJOURNAL", "UID:raw-journal",
                                "DTSTAMP:20260101T000000Z",
                                f"DTSTART:{NEXT_YEAR}0312T080000Z", "SUMMARY:Log",
                                "END:VJOURNAL"])),
        "undated.ics": ics("\n".join(["BEGIN:VJOURNAL", "UID:raw-undated",
                                      "DTSTAMP:20260101T000000Z", "SUMMARY:Idea",
                                      "END:VJOURNAL"])),
    }
    for name, body in bodies.items():
        assert (await put(server, "/dav/caldav/mixed/" + name, body))[0].code == 201
    _, doc = await xml_request(server, "PROPFIND", "/dav/caldav/mixed/", depth="1")
    listed = {h.rsplit("/", 1)[1] for h in doc.xpath("//D:href/text()", namespaces=NS)}
    assert set(bodies) <= listed
    hrefs = "".join(f"<D:href>/dav/caldav/mixed/{name}</D:href>" for name in bodies)
    _, doc = await xml_request(server, "REPORT", "/dav/caldav/mixed/", f"""
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>""", depth="1")
    data = {r.findtext("D:href", namespaces=NS).rsplit("/", 1)[1]:
            r.findtext(".//C:calendar-data", namespaces=NS)
            for r in doc.xpath("//D:response", namespaces=NS)}
    assert {name: text.encode() for name, text in data.items()} == bodies
    for name, body in bodies.items():
        assert (await server.request("GET", "/dav/caldav/mixed/" + name,
                                     auth=server.demo))[1] == body


async def comps_of(server, path: str) -> list[str]:
    _, doc = await xml_request(server, "PROPFIND", path, """<D:propfind xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:supported-calendar-component-set/>
</D:prop></D:propfind>""", depth="0")
    return doc.xpath("//C:supported-calendar-component-set/C:comp/@name", namespaces=NS)


def tasks_only(server) -> str:
    """Blocking: python-caldav makes a calendar for tasks only."""
    with client(server) as dav:
        tasks = dav.principal().make_calendar(name="Only tasks",
                                              supported_calendar_component_set=["VTODO"])
        return str(tasks.url)


@pytest_twisted.ensureDeferred
async def test_a_calendar_made_for_tasks_refuses_an_event(server) -> None:
    url = await deferToThread(tasks_only, server)
    path = "/" + url.split("/", 3)[3]
    assert await comps_of(server, path) == ["VTODO"]
    response, doc = await put(server, path + "e.ics", ics(vevent("not-a-task")))
    assert response.code == 403
    assert doc.find(f"{C}supported-calendar-component") is not None


@pytest_twisted.ensureDeferred
async def test_a_calendar_takes_exactly_the_types_of_its_set(server) -> None:
    """RFC 4791 §5.3.1: with a supported-calendar-component-set, exactly those types."""
    body = MKCALENDAR.format(comps='<C:comp name="VJOURNAL"/><C:comp name="VTODO"/>')
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/notes/", body)
    assert response.code == 201
    assert await comps_of(server, "/dav/caldav/notes/") == ["VJOURNAL", "VTODO"]
    journal = ics("\n".join(["BEGIN:VJOURNAL", "UID:j", "DTSTAMP:20260101T000000Z",
                             "END:VJOURNAL"]))
    assert (await put(server, "/dav/caldav/notes/j.ics", journal))[0].code == 201
    assert (await put(server, "/dav/caldav/notes/t.ics", ics(vtodo("t"))))[0].code == 201
    response, doc = await put(server, "/dav/caldav/notes/e.ics", ics(vevent("e")))
    assert response.code == 403
    assert doc.find(f"{C}supported-calendar-component") is not None


@pytest_twisted.ensureDeferred
async def test_a_set_with_a_type_not_served_is_refused(server) -> None:
    body = MKCALENDAR.format(comps='<C:comp name="VEVENT"/><C:comp name="VFREEBUSY"/>')
    response, doc = await xml_request(server, "MKCALENDAR", "/dav/caldav/fb/", body)
    assert response.code == 403
    assert doc.find(f"{C}supported-calendar-component") is not None
    assert (await server.request("PROPFIND", "/dav/caldav/fb/", auth=server.demo,
                                 headers={"Depth": "0"}))[0].code == 404


@pytest_twisted.ensureDeferred
async def test_the_ox_folders_keep_their_type(server) -> None:
    found = await folders(server)
    assert await comps_of(server, found["VEVENT"]) == ["VEVENT"]
    assert await comps_of(server, found["VTODO"]) == ["VTODO"]
    response, doc = await put(server, found["VEVENT"] + "t.ics", ics(vtodo("in-events")))
    assert response.code == 403
    assert doc.find(f"{C}supported-calendar-component") is not None


@pytest_twisted.ensureDeferred
async def test_in_a_mixed_calendar_only_events_are_busy_and_journals_expand(server) -> None:
    """RFC 4791 §7.10: free-busy counts events, never tasks or journals; §9.6.5: a
    recurring journal expands into its instances like an event."""
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/all/", b"")
    assert response.code == 201
    day = f"{NEXT_YEAR}0310"
    for name, body in {
        "e.ics": ics(vevent("busy-event", start=f"{day}T100000Z")),
        "t.ics": ics(vtodo("busy-todo", f"DTSTART:{day}T120000Z", f"DUE:{day}T130000Z")),
        "j.ics": ics("\n".join(["BEGIN:VJOURNAL", "UID:busy-journal",
                                "DTSTAMP:20260101T000000Z", f"DTSTART:{day}T140000Z",
                                "RRULE:FREQ=DAILY;COUNT=3", "SUMMARY:Stand-up notes",
                                "END:VJOURNAL"])),
    }.items():
        assert (await put(server, "/dav/caldav/all/" + name, body))[0].code == 201
    response, data = await server.request(
        "REPORT", "/dav/caldav/all/", auth=server.demo, headers={"Depth": "1"},
        body=f"""<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="{day}T000000Z" end="{day}T235959Z"/></C:free-busy-query>""")
    assert response.code == 200
    busy = [line for line in data.decode().splitlines() if line.startswith("FREEBUSY")]
    assert busy == [f"FREEBUSY:{day}T100000Z/{day}T110000Z"]
    _, doc = await xml_request(server, "REPORT", "/dav/caldav/all/", f"""
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
<C:calendar-data><C:expand start="{day}T000000Z" end="{NEXT_YEAR}0312T000000Z"/>
</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VJOURNAL"/></C:comp-filter></C:filter></C:calendar-query>""",
                               depth="1")
    [data] = doc.xpath("//C:calendar-data/text()", namespaces=NS)
    starts = [line for line in data.splitlines() if line.startswith("DTSTART")]
    assert starts == [f"DTSTART:{day}T140000Z", f"DTSTART:{NEXT_YEAR}0311T140000Z"]
    assert "RRULE" not in data
