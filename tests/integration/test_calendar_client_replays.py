"""Whole calendar sync sessions of real clients (``tests/data/clients/*.yaml``) replayed
in order over TLS with the clients' User-Agents, headers and bodies: discovery, ctag and
sync-token checks, sync-collection, multiget, conditional PUT/DELETE, calendar-query.

Each step is checked against what RFC 4791 / RFC 6578 / RFC 7232 require, and every
session ends by checking that the calendar holds what the client believes: GET returns
the last body it PUT, deleted objects are 404, and a sync-collection from the token the
client held before its changes reports exactly those changes (RFC 6578 §3.5).

The recordings carry no iCalendar bodies (``<VCALENDAR text>``); the objects are made
here, one per ``{uid}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_twisted

from tests.integration.caldav_requests import folders, ics, vevent, vtodo
from tests.integration.calendar_session import (
    VALID_SYNC_TOKEN,
    Session,
    etag_of,
    event,
    members,
)
from tests.integration.harness import start_server
from tests.integration.replay import NS


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


@pytest_twisted.async_yield_fixture
async def unwindowed(tmp_path):
    # The recorded query ranges lie in the past; the default OX window
    # (interval.start=one_month) would hide events there from queries, so it is opened.
    server = await start_server(tmp_path, shipped={
        "caldav.properties": {"com.openexchange.caldav.interval.start": "0"}})
    yield server
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_macos_calendar_poll_and_sync_session(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    s = Session(server, "macos-calendar-sync", calendar)
    # The home sync is only sent when the home's supported-report-set lists
    # sync-collection; otherwise CalendarAgent falls back to a Depth:1 PROPFIND. The home
    # does not list it, so the report sent anyway is refused with the RFC 3253 §3.6
    # precondition DAV:supported-report, consistently with what was advertised.
    home = await s.run("calendar-ctag", 207, path="/dav/caldav/",
                       body='<A:propfind xmlns:A="DAV:"><A:prop><A:supported-report-set/>'
                            "</A:prop></A:propfind>")
    if home.xpath("//D:supported-report/D:report/D:sync-collection", namespaces=NS):
        await s.sync("home-sync", "", path="/dav/caldav/")
    else:
        home_sync = s.steps["home-sync"]["body"].replace("%(sync-token)s", "")
        error = await s.run("home-sync", 403, body=home_sync)
        assert error.find("{DAV:}supported-report") is not None

    ctag = (await s.run("calendar-ctag", 207)).findtext(".//CS:getctag", namespaces=NS)
    # macOS 10.14 sends a bare UUID it was never given: 403 DAV:valid-sync-token
    # (RFC 6578 §3.2), then the client resyncs with an empty token (ical.py L1175-1185).
    error = await s.run("mojave-sync", 403)
    assert error.tag == "{DAV:}error" and error.find(VALID_SYNC_TOKEN) is not None
    # No <sync-level> and Depth: 1 (the pre-RFC draft form). RFC 6578 §3.3 defines only
    # Depth: 0 and a mandatory sync-level; this server accepts the draft form as level 1
    # (an interoperability choice: CalendarAgent and Thunderbird send it).
    token, found = await s.sync("calendar-sync", "")
    assert found == {}

    a = await s.put("put-update", "mac-a", event("mac-a", "A"), 201, condition={})
    b = await s.put("put-update", "mac-b", event("mac-b", "B"), 201, condition={})
    assert (await s.run("calendar-ctag", 207)).findtext(".//CS:getctag", namespaces=NS) != ctag
    token, found = await s.sync("calendar-sync", token)
    for member in found.values():
        assert member.findtext("D:getcontenttype", namespaces=NS).startswith("text/calendar")
    # Multiget without a Depth header (RFC 4791 §7.9 says Depth is ignored for it).
    got = await s.multiget("calendar-multiget", [a, b])
    for href in (a, b):
        assert etag_of(got[href]) == s.etags[href]
        assert got[href].findtext("C:calendar-data", namespaces=NS).encode() == s.bodies[href]
    # schedule-tag is unknown here (no RFC 6638 scheduling): a 404 propstat, not a failure.
    assert got[a].find("C:schedule-tag", NS) is None

    before = token
    old = s.etags[a]
    await s.put("put-update", "mac-a", event("mac-a", "A changed"), 204,
                condition={"If-Match": old})
    await s.put("put-update", "mac-a", event("mac-a", "lost update"), 412,
                condition={"If-Match": old})  # RFC 7232 §3.1
    # If-Schedule-Tag-Match (RFC 6638 §8.3): with scheduling advertised a tag that does
    # not match is a 412; without it the header is unknown and ignored (RFC 7231 §5).
    options, _ = await server.request("OPTIONS", calendar, auth=server.demo)
    scheduling = "calendar-auto-schedule" in options.headers.getRawHeaders("dav", [""])[0]
    await s.put("put-attendee-change", "mac-b", event("mac-b", "B attendee"),
                412 if scheduling else 204, condition={"If-Schedule-Tag-Match": '"nope"'})
    token, found = await s.sync("calendar-sync", before)
    await s.check_calendar([])


@pytest_twisted.ensureDeferred
async def test_davx5_detection_refresh_and_sync_session(server) -> None:
    found_folders = await folders(server)
    calendar, tasks = found_folders["VEVENT"], found_folders["VTODO"]
    s = Session(server, "davx5-caldav-sync", calendar)
    s.learn(await s.run("base-propfind", 207))
    assert s.values["{principal}"].startswith("/dav/principals/users/")
    await s.run("options-principal", 200)
    assert "calendar-access" in s.dav_header  # else "doesn't provide CalDAV service"
    email = await s.run("principal-email", 207)
    assert any(h.startswith("mailto:") for h in email.xpath(
        "//C:calendar-user-address-set/D:href/text()", namespaces=NS))
    homes = await s.run("principal-homesets", 207)
    assert homes.findtext(".//C:calendar-home-set/D:href", namespaces=NS) == "/dav/caldav/"
    listing = await s.run("home-depth1", 207)
    offered = listing.xpath("//D:response[.//C:calendar]/D:href/text()", namespaces=NS)
    assert {calendar, tasks} <= set(offered)
    for collection in (calendar, tasks):
        caps = await s.run("capabilities", 207, path=collection)
        assert caps.xpath("//D:supported-report/D:report/D:sync-collection", namespaces=NS)
        assert caps.findtext(".//D:sync-token", namespaces=NS)
    token, found = await s.sync("sync-collection", "")
    assert found == {}
    task_token, _ = await s.sync("sync-collection", "", path=tasks)

    a = await s.put("put-new", "dx-a", event("dx-a", "A"), 201)
    b = await s.put("put-new", "dx-b", event("dx-b", "B"), 201)
    # A second "new" upload to a taken name is a conflict (RFC 7232 §3.2); the same UID
    # under another name is refused with CALDAV:no-uid-conflict (RFC 4791 §5.3.2.1).
    await s.put("put-new", "dx-a", event("dx-a", "again"), 412)
    conflict = await s.run("put-new", 403, path=calendar + "dx-a-copy.ics",
                           body=event("dx-a", "copy"))
    assert conflict.findtext("C:no-uid-conflict/D:href", namespaces=NS) == a
    todo = await s.put("put-new", "dx-t", ics(vtodo("dx-t", "SUMMARY:Task")), 201,
                       calendar=tasks)
    token, found = await s.sync("sync-collection", token)
    assert set(found) == {a, b}
    got = await s.multiget("multiget", [a, b])
    for href in (a, b):
        assert etag_of(got[href]) == s.etags[href]
        assert got[href].findtext("C:calendar-data", namespaces=NS).encode() == s.bodies[href]
        assert got[href].findtext("D:getcontenttype", namespaces=NS).startswith(
            "text/calendar")
    # The 'past days' variant: an open-ended range (start only, RFC 4791 §9.9).
    query = await s.run("calendar-query", 207)
    assert set(query.xpath("//D:href/text()", namespaces=NS)) == {a, b}
    # Task lists are queried with an empty VTODO comp-filter.
    todo_query = s.steps["calendar-query"]["body"].replace(
        '<CAL:comp-filter name="VEVENT"><CAL:time-range start="20260101T000000Z" />'
        "</CAL:comp-filter>", '<CAL:comp-filter name="VTODO" />')
    found_todos = await s.run("calendar-query", 207, path=tasks, body=todo_query)
    assert found_todos.xpath("//D:href/text()", namespaces=NS) == [todo]

    old = s.etags[a]
    await s.put("put-update", "dx-a", event("dx-a", "A changed"), 204,
                condition={"If-Match": old})
    await s.put("put-update", "dx-a", event("dx-a", "stale"), 412, condition={"If-Match": old})
    await s.delete("delete", b)
    await s.run("delete", 404, path=b)  # already gone
    c = await s.put("put-new", "dx-c", event("dx-c", "C"), 201)
    await s.put("put-update", "dx-t", ics(vtodo("dx-t", "STATUS:COMPLETED")), 204,
                condition={"If-Match": s.etags[todo]}, calendar=tasks)

    _, found = await s.sync("sync-collection", token)
    assert found[b] == 404 and c in found
    _, found = await s.sync("sync-collection", task_token, path=tasks)
    assert set(found) == {todo}
    await s.check_calendar([b])


@pytest_twisted.ensureDeferred
async def test_thunderbird_start_checks_and_webdav_sync_session(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    s = Session(server, "thunderbird-caldav", calendar)
    s.learn(await s.run("detect-collection", 207))  # after the well-known redirect
    homes = await s.run("detect-principal", 207)
    assert homes.findtext(".//C:calendar-home-set/D:href", namespaces=NS) == "/dav/caldav/"
    listing = await s.run("detect-home", 207)
    assert calendar in listing.xpath("//D:response[.//C:calendar]/D:href/text()",
                                     namespaces=NS)
    check = await s.run("resource-type-check", 207)
    assert check.find(".//D:resourcetype/C:calendar", NS) is not None
    assert check.xpath("//D:supported-report/D:report/D:sync-collection", namespaces=NS)
    await s.run("server-caps", 200)  # OPTIONS on the parent of the calendar URL
    assert "calendar-access" in s.dav_header
    # Without calendar-auto-schedule / calendar-schedule in DAV, Thunderbird stops its
    # scheduling discovery here and principal-scheduling is not sent.
    if "calendar-auto-schedule" in s.dav_header or "calendar-schedule" in s.dav_header:
        scheduling = await s.run("principal-scheduling", 207)
        assert scheduling.findtext(".//C:calendar-user-address-set/D:href", namespaces=NS)

    # webdav-sync with Depth: 1 beside sync-level (sent on purpose for old servers).
    token, found = await s.sync("webdav-sync", "")
    assert found == {}
    a = await s.put("put-new", "tb-a", event("tb-a", "A"), 201)
    b = await s.put("put-new", "tb-b", event("tb-b", "B"), 201)
    # Thunderbird percent-encodes hrefs; an '@' in the name is common (UID-derived).
    d = await s.put("put-new", "tb-d%40example.com", event("tb-d@example.com", "D"), 201)
    token, found = await s.sync("webdav-sync", token)
    for member in found.values():  # else Thunderbird skips the member
        assert member.findtext("D:getcontenttype", namespaces=NS).startswith("text/calendar")
    got = await s.multiget("multiget", [a, b, d])  # Depth: 1 as Thunderbird sends it
    assert {h: m.findtext("C:calendar-data", namespaces=NS).encode()
            for h, m in got.items()} == s.bodies

    before = token
    ctag = (await s.run("ctag-poll", 207)).findtext(".//CS:getctag", namespaces=NS)
    await s.put("put-modify", "tb-a", event("tb-a", "A moved"), 204,
                condition={"If-Match": s.etags[a]})
    await s.delete("delete", b)
    await s.run("delete", 404, path=b)  # Thunderbird takes the 404 as success
    await s.put("put-new", "tb-b", event("tb-b", "B again"), 201)  # re-created name
    c = await s.put("put-new", "tb-c", event("tb-c", "C"), 201)
    await s.put("put-modify", "tb-c", event("tb-c", "C conflict"), 412,
                condition={"If-Match": '"not-the-etag"'})
    assert (await s.run("ctag-poll", 207)).findtext(".//CS:getctag", namespaces=NS) != ctag

    # The ctag/etag fallback sees the same members as the sync report.
    listing = members(await s.run("etag-list", 207))
    listing.pop(calendar)
    assert {h: etag_of(m) for h, m in listing.items()} == s.etags
    _, found = await s.sync("webdav-sync", before)
    assert c in found
    await s.check_calendar([])


@pytest_twisted.ensureDeferred
async def test_evolution_refresh_and_sync_session(unwindowed) -> None:
    server = unwindowed
    calendar = (await folders(server))["VEVENT"]
    s = Session(server, "evolution-caldav", calendar)
    await s.run("options", 200)
    assert "calendar-access" in s.dav_header
    props = await s.run("collection-props", 207)
    ctag = props.findtext(".//CS:getctag", namespaces=NS)
    assert ctag
    assert props.xpath("//D:supported-report/D:report/D:sync-collection", namespaces=NS)
    token, found = await s.sync("sync-collection", "")
    assert found == {}

    # Dated inside the recorded first-pass range 2026-01-01..2026-04-15 (in the past,
    # hence the opened window), and one outside it.
    new = {"If-None-Match": "*"}
    a = await s.put("put", "evo-a", event("evo-a", "A", "20260310T100000Z"), 201,
                    condition=new)
    b = await s.put("put", "evo-b", event("evo-b", "B", "20260320T100000Z"), 201,
                    condition=new)
    late = await s.put("put", "evo-late", event("evo-late", "Late", "20260601T100000Z"),
                       201, condition=new)
    await s.put("put", "evo-a", event("evo-a", "dup"), 412, condition=new)
    token, found = await s.sync("sync-collection", token)
    query = await s.run("calendar-query", 207)
    assert sorted(query.xpath("//D:href/text()", namespaces=NS)) == sorted([a, b])
    got = await s.multiget("multiget", [a, b, late])
    assert {h: etag_of(m) for h, m in got.items()} == s.etags

    before = token
    await s.put("put", "evo-a", event("evo-a", "A edited", "20260310T100000Z"), 204,
                condition={"If-Match": s.etags[a]})
    await s.delete("delete", b)
    stale = {"If-Match": '"0-stale"'}
    await s.run("delete", 412, path=late, headers=stale)  # RFC 7232 §3.1
    props = await s.run("collection-props", 207)
    assert props.findtext(".//CS:getctag", namespaces=NS) != ctag
    _, found = await s.sync("sync-collection", before)
    assert set(found) == {a, b}
    assert found[b] == 404 and etag_of(found[a]) == s.etags[a]
    await s.check_calendar([b])


@pytest_twisted.ensureDeferred
async def test_ios_setup_and_first_sync_session(server) -> None:
    found_folders = await folders(server)
    calendar, tasks = found_folders["VEVENT"], found_folders["VTODO"]
    # What another device put there before the iPhone is set up.
    seeded = {calendar + "ios-ev.ics": event("ios-ev", "Seeded"),
              # A weekly series begun years ago still overlaps the sync window.
              calendar + "ios-weekly.ics": ics(vevent("ios-weekly", "RRULE:FREQ=WEEKLY",
                                                      start="20200106T090000Z")),
              tasks + "ios-td.ics": ics(vtodo("ios-td", "SUMMARY:Seeded task"))}
    for href, body in seeded.items():
        response, _ = await server.request("PUT", href, auth=server.demo, body=body, headers={
            "Content-Type": "text/calendar", "If-None-Match": "*"})
        assert response.code == 201
    s = Session(server, "ios-calendar-setup", calendar)

    async def pair(step_id: str, expect: int, **overrides: Any) -> Any:
        """iOS_5/Profile: every call first without credentials (401 + a Basic
        challenge, RFC 7235 §3.1), then again authenticated."""
        await s.run(step_id, 401, authenticated=False, **overrides)
        challenge = s.response.headers.getRawHeaders("www-authenticate", [""])[0]
        assert challenge.lower().startswith("basic"), challenge
        return await s.run(step_id, expect, **overrides)

    s.learn(await pair("well-known", 207))  # 301 to /dav/ is followed, then 401 / 207
    s.learn(await pair("principal-initial", 207))
    await pair("options-principal", 200)
    assert "calendar-access" in s.dav_header
    principal = await pair("principal", 207)
    assert principal.findtext(".//C:calendar-home-set/D:href", namespaces=NS) == "/dav/caldav/"
    await pair("principal-search-property-set", 200)
    listing = await pair("home-depth1", 207)
    components = {r.findtext("D:href", namespaces=NS): r.xpath(
        ".//C:supported-calendar-component-set/C:comp/@name", namespaces=NS)
        for r in listing.xpath("D:response[.//D:resourcetype/C:calendar]", namespaces=NS)}
    assert "VEVENT" in components[calendar] and components[tasks] == ["VTODO"]

    for step_id in ("calendar-color", "calendar-order"):  # first sync only
        done = await pair(step_id, 207)
        assert [st.text for st in done.iter("{DAV:}status")] == ["HTTP/1.1 200 OK"]
    assert (await pair("calendar-ctag", 207)).findtext(".//CS:getctag", namespaces=NS)
    month_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y%m%d")
    window = s.steps["vevent-window"]["body"].replace("%(start-date)s", month_ago)
    found = members(await pair("vevent-window", 207, body=window))  # open-ended range
    assert set(found) == {calendar + "ios-ev.ics", calendar + "ios-weekly.ics"}
    found_todos = members(await pair("vtodo-all", 207, path=tasks))
    assert list(found_todos) == [tasks + "ios-td.ics"]
    if principal.findtext(".//C:schedule-inbox-URL/D:href", namespaces=NS):
        s.values["{inbox}"] = principal.findtext(".//C:schedule-inbox-URL/D:href",
                                                 namespaces=NS)
        await pair("inbox-depth1", 207)

    for href in seeded:  # multiget without Depth, per collection
        got = await s.multiget("multiget", [href], path=href.rsplit("/", 1)[0] + "/")
        assert got[href].findtext("C:calendar-data", namespaces=NS).encode() == seeded[href]
        assert etag_of(got[href]) == etag_of(found.get(href, found_todos.get(href)))

    # The calendar keeps what the client set.
    props = await s.run("calendar-ctag", 207, body=(
        '<A:propfind xmlns:A="DAV:"><A:prop><H:calendar-color xmlns:H="http://apple.com/ns/'
        'ical/"/><H:calendar-order xmlns:H="http://apple.com/ns/ical/"/></A:prop>'
        "</A:propfind>"))
    assert props.findtext(".//A:calendar-color", namespaces=NS) == "#711A76"
    assert props.findtext(".//A:calendar-order", namespaces=NS) == "0"


@pytest_twisted.ensureDeferred
async def test_vdirsyncer_discover_and_sync_session(unwindowed) -> None:
    server = unwindowed
    calendar = (await folders(server))["VEVENT"]
    s = Session(server, "vdirsyncer", calendar)
    s.values["{collection}"] = calendar
    s.learn(await s.run("principal-at-base", 207))
    s.values["{home}"] = (await s.run("home-set", 207)).findtext(
        ".//C:calendar-home-set/D:href", namespaces=NS)
    assert s.values["{home}"] == "/dav/caldav/"
    collections = await s.run("collections", 207)
    assert calendar in collections.xpath("//D:response[.//C:calendar]/D:href/text()",
                                         namespaces=NS)
    listing = s.steps["list"]["body_exact"]

    async def listed() -> dict[str, str]:
        found = members(await s.run("list", 207, body=listing))
        found.pop(calendar)  # the collection itself (a collection: skipped by vdirsyncer)
        for member in found.values():  # else vdirsyncer skips the item
            assert member.findtext("D:getcontenttype", namespaces=NS).startswith(
                "text/calendar")
        return {href: etag_of(member) for href, member in found.items()}

    assert await listed() == {}
    ical = {"Content-Type": "text/calendar"}  # the recording names both MIME types
    # June 2026 lies in the recorded range and in the past (hence the opened window);
    # the second event lies after the range.
    a = await s.put("upload", "vds-a", event("vds-a", "A", "20260601T100000Z"), 201,
                    condition={"If-None-Match": "*", **ical})
    b = await s.put("upload", "vds-b", event("vds-b", "B"), 201,
                    condition={"If-None-Match": "*", **ical})
    assert await listed() == s.etags
    filtered = await s.run("list-filtered", 207)
    assert filtered.xpath("//D:href/text()", namespaces=NS) == [a]
    got = await s.multiget("get-multi", [a, b])  # every href must come back
    assert {h: m.findtext("C:calendar-data", namespaces=NS).encode()
            for h, m in got.items()} == s.bodies

    # If-Match carries the ETag exactly as received, quotes included.
    await s.put("update", "vds-a", event("vds-a", "A2", "20260601T100000Z"), 204,
                condition={"If-Match": s.etags[a], **ical})
    await s.delete("delete", b)  # with the Content-Type vdirsyncer always sends
    assert await listed() == s.etags
    got = await s.multiget("get-multi", [a, b])  # a gone href: its own 404 response
    assert got[b] == 404 and etag_of(got[a]) == s.etags[a]

    await s.run("get-meta", 207)
    meta = await s.run("set-meta", 207)
    assert [st.text for st in meta.iter("{DAV:}status")] == ["HTTP/1.1 200 OK"]
    named = await s.run("get-meta", 207, body=s.steps["get-meta"]["body"].replace(
        '<ns0:calendar-color xmlns:ns0="http://apple.com/ns/ical/"/>',
        '<displayname xmlns="DAV:"/>'))
    assert named.findtext(".//D:displayname", namespaces=NS) == "Work"
    await s.check_calendar([b])
