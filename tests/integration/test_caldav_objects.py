"""CalDAV objects over TLS: PUT/GET/DELETE and every PUT precondition (RFC 4791 §5.3.2)."""

from __future__ import annotations

import pytest_twisted

from tests.integration.caldav_requests import (
    NS,
    folders,
    ics,
    put,
    start_with_caldav,
    vevent,
    vtodo,
    xml_request,
)
from tests.integration.harness import start_server

C = "{urn:ietf:params:xml:ns:caldav}"


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


def condition(doc) -> str:
    return doc[0].tag


@pytest_twisted.ensureDeferred
async def test_put_then_get_returns_the_body_byte_for_byte_with_the_same_etag(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("same-bytes", "SUMMARY:Lunch"))
    response, _ = await put(server, calendar + "lunch.ics", body)
    assert response.code == 201
    etag = response.headers.getRawHeaders("etag")[0]
    got, data = await server.request("GET", calendar + "lunch.ics", auth=server.demo)
    assert got.code == 200 and data == body
    assert got.headers.getRawHeaders("etag")[0] == etag
    assert got.headers.getRawHeaders("content-type")[0].startswith("text/calendar")


@pytest_twisted.ensureDeferred
async def test_put_over_an_existing_object_is_204(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "a.ics", ics(vevent("u-a", "SUMMARY:one")))
    response, _ = await put(server, calendar + "a.ics", ics(vevent("u-a", "SUMMARY:two")))
    assert response.code == 204


@pytest_twisted.ensureDeferred
async def test_delete_removes_the_object(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "gone.ics", ics(vevent("u-gone")))
    response, _ = await server.request("DELETE", calendar + "gone.ics", auth=server.demo)
    assert response.code == 204
    response, _ = await server.request("GET", calendar + "gone.ics", auth=server.demo)
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_if_none_match_star_on_an_existing_object_is_412(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "b.ics", ics(vevent("u-b")))
    response, _ = await put(server, calendar + "b.ics", ics(vevent("u-b")),
                            **{"If-None-Match": "*"})
    assert response.code == 412


@pytest_twisted.ensureDeferred
async def test_todo_in_a_task_folder_is_stored(server) -> None:
    tasks = (await folders(server))["VTODO"]
    response, _ = await put(server, tasks + "t.ics", ics(vtodo("u-t", "SUMMARY:do")))
    assert response.code == 201


@pytest_twisted.ensureDeferred
async def test_todo_in_a_calendar_folder_is_403_supported_calendar_component(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, doc = await put(server, calendar + "t.ics", ics(vtodo("u-t2")))
    assert response.code == 403
    assert condition(doc) == C + "supported-calendar-component"


@pytest_twisted.ensureDeferred
async def test_event_in_a_task_folder_is_403_supported_calendar_component(server) -> None:
    tasks = (await folders(server))["VTODO"]
    response, doc = await put(server, tasks + "e.ics", ics(vevent("u-e")))
    assert response.code == 403
    assert condition(doc) == C + "supported-calendar-component"


@pytest_twisted.ensureDeferred
async def test_garbage_is_403_valid_calendar_data(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, doc = await put(server, calendar + "x.ics", b"BEGIN:VCALENDAR\r\nthis is not\r\n")
    assert response.code == 403
    assert condition(doc) == C + "valid-calendar-data"


@pytest_twisted.ensureDeferred
async def test_two_uids_are_403_valid_calendar_object_resource(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, doc = await put(server, calendar + "two.ics",
                              ics(vevent("u-1"), vevent("u-2")))
    assert response.code == 403
    assert condition(doc) == C + "valid-calendar-object-resource"


@pytest_twisted.ensureDeferred
async def test_unknown_tzid_without_vtimezone_is_403_valid_calendar_data(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("u-tz", "DTSTART;TZID=Nowhere/Land:20260310T100000", "DURATION:PT1H"))
    response, doc = await put(server, calendar + "tz.ics", body)
    assert response.code == 403
    assert condition(doc) == C + "valid-calendar-data"


@pytest_twisted.ensureDeferred
async def test_wrong_media_type_is_415_supported_calendar_data(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, doc = await put(server, calendar + "m.ics", ics(vevent("u-m")),
                              **{"Content-Type": "text/vcard"})
    assert response.code == 415
    assert condition(doc) == C + "supported-calendar-data"


@pytest_twisted.ensureDeferred
async def test_body_over_max_resource_size_is_403_max_resource_size(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    _, doc = await xml_request(server, "PROPFIND", calendar, """<D:propfind xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-resource-size/></D:prop></D:propfind>""",
                               depth="0")
    limit = int(doc.findtext(".//C:max-resource-size", namespaces=NS))
    padding = "DESCRIPTION:" + "x" * (limit + 1)
    response, doc = await put(server, calendar + "big.ics", ics(vevent("u-big", padding)))
    assert response.code == 403
    assert condition(doc) == C + "max-resource-size"


@pytest_twisted.ensureDeferred
async def test_max_resource_size_follows_the_configured_limit(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.caldav.maxResourceSize = 2k\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        _, doc = await xml_request(server, "PROPFIND", calendar, """<D:propfind xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-resource-size/></D:prop></D:propfind>""",
                                   depth="0")
        assert doc.findtext(".//C:max-resource-size", namespaces=NS) == "2048"
        response, doc = await put(server, calendar + "big.ics",
                                  ics(vevent("u-2k", "DESCRIPTION:" + "x" * 2048)))
        assert response.code == 403 and condition(doc) == C + "max-resource-size"
        response, _ = await put(server, calendar + "ok.ics", ics(vevent("u-ok")))
        assert response.code == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_existing_uid_under_a_new_name_is_403_no_uid_conflict_with_its_href(server) -> None:
    """macOS re-PUTs an event it already sent under a new name; the answer names the
    resource holding the UID, which the client then uses (deliberate, §5.3.2.1)."""
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "first.ics", ics(vevent("shared-uid")))
    response, doc = await put(server, calendar + "second.ics", ics(vevent("shared-uid")))
    assert response.code == 403
    assert condition(doc) == C + "no-uid-conflict"
    assert doc.findtext(".//D:href", namespaces=NS) == calendar + "first.ics"
    missing, _ = await server.request("GET", calendar + "second.ics", auth=server.demo)
    assert missing.code == 404


@pytest_twisted.ensureDeferred
async def test_replacing_an_event_with_another_uid_is_403_no_uid_conflict(server) -> None:
    """RFC 4791 §5.3.2.1: a PUT must not overwrite a resource with a different UID."""
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("uid-one"))
    await put(server, calendar + "one.ics", body)
    response, doc = await put(server, calendar + "one.ics", ics(vevent("uid-two")))
    assert response.code == 403
    assert condition(doc) == C + "no-uid-conflict"
    assert doc.findtext(".//D:href", namespaces=NS) == calendar + "one.ics"
    kept, data = await server.request("GET", calendar + "one.ics", auth=server.demo)
    assert kept.code == 200 and data == body


@pytest_twisted.ensureDeferred
async def test_strict_window_refuses_an_event_before_it_with_min_date_time(tmp_path) -> None:
    server = await start_with_caldav(tmp_path, interval_strict="true")
    try:
        calendar = (await folders(server))["VEVENT"]
        response, doc = await put(server, calendar + "old.ics",
                                  ics(vevent("u-old", start="19990101T100000Z")))
        assert response.code == 403
        assert condition(doc) == C + "min-date-time"
        response, doc = await put(server, calendar + "late.ics",
                                  ics(vevent("u-late", start="21000101T100000Z")))
        assert response.code == 403
        assert condition(doc) == C + "max-date-time"
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_without_strict_an_event_outside_the_window_is_stored(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, _ = await put(server, calendar + "old.ics",
                            ics(vevent("u-old", start="19990101T100000Z")))
    assert response.code == 201


@pytest_twisted.ensureDeferred
async def test_move_renames_inside_one_calendar_without_a_uid_conflict(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("u-rename", "SUMMARY:renamed"))
    await put(server, calendar + "old.ics", body)
    response, _ = await server.request(
        "MOVE", calendar + "old.ics", auth=server.demo,
        headers={"Destination": f"https://localhost{calendar}new.ics"})
    assert response.code == 201
    got, data = await server.request("GET", calendar + "new.ics", auth=server.demo)
    assert got.code == 200 and data == body
    gone, _ = await server.request("GET", calendar + "old.ics", auth=server.demo)
    assert gone.code == 404


@pytest_twisted.ensureDeferred
async def test_refused_move_inside_one_calendar_keeps_the_source(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("u-keep", "SUMMARY:kept"))
    await put(server, calendar + "keep.ics", body)
    await put(server, calendar + "other.ics", ics(vevent("u-other")))
    response, _ = await server.request(
        "MOVE", calendar + "keep.ics", auth=server.demo,
        headers={"Destination": f"https://localhost{calendar}other.ics", "Overwrite": "F"})
    assert response.code == 412
    got, data = await server.request("GET", calendar + "keep.ics", auth=server.demo)
    assert got.code == 200 and data == body
