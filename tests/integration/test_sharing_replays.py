"""Client sessions around a shared calendar (``tests/data/clients/*.yaml``) replayed over
TLS with the clients' own headers and bodies: macOS Calendar sharing a calendar and the
sharee accepting it from a notification, then DAVx5 and Thunderbird discovering the
shared calendar in the sharee's home."""

from __future__ import annotations

from typing import Any

import pytest_twisted
from lxml import etree

from tests.integration.calendar_session import Session
from tests.integration.test_sharing import ANNA, BOB, NS, cs_share, post
from tests.integration.test_sharing import server as server  # noqa: F401 (fixture)


class As:
    """The server as one user sees it: the replay signs in as ``demo``."""

    def __init__(self, server: Any, auth: tuple[str, str]) -> None:
        self._server = server
        self.demo = auth

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        return await self._server.request(*args, **kwargs)


def calendars(doc: etree._Element) -> dict[str, etree._Element]:
    """href → prop of each calendar in a multistatus."""
    return {r.findtext("D:href", namespaces=NS): r.find("D:propstat/D:prop", NS)
            for r in doc.findall("D:response", NS)
            if r.find("D:propstat/D:prop/D:resourcetype/C:calendar", NS) is not None}


@pytest_twisted.ensureDeferred
async def test_macos_calendar_shares_and_the_sharee_accepts_from_a_notification(
        server) -> None:  # noqa: F811
    s = Session(As(server, ANNA), "macos-calendar-sharing", server.calendar)
    s.values["{sharee}"] = "mailto:bob@example.com"
    owner, sharee = As(server, ANNA), As(server, BOB)

    async def run(step_id: str, expect: int) -> Any:
        s.server = owner if s.steps[step_id]["who"] == "owner" else sharee
        return await s.run(step_id, expect)

    await run("owner-options", 200)
    assert "calendarserver-sharing" in s.dav_header
    assert "POST" in s.response.headers.getRawHeaders("allow")[0]
    await run("owner-share", 200)
    found = await run("owner-invite", 207)
    (user,) = found.iterfind(".//CS:invite/CS:user", NS)
    assert user.findtext("D:href", namespaces=NS) == "mailto:bob@example.com"
    assert user.find("CS:access/CS:read-write", NS) is not None
    assert user.find("CS:invite-noresponse", NS) is not None
    assert found.find(".//D:resourcetype/CS:shared-owner", NS) is not None

    s.values["{principal}"] = f"/dav/principals/users/{server.ids['bob']}/"
    found = await run("sharee-principal", 207)
    s.values["{notification_home}"] = found.findtext(".//CS:notification-URL/D:href",
                                                     namespaces=NS)
    found = await run("sharee-notifications", 207)
    items = [r for r in found.findall("D:response", NS)
             if r.find(".//CS:notificationtype/CS:invite-notification", NS) is not None]
    assert len(items) == 1 and items[0].findtext(".//D:getetag", namespaces=NS)
    s.values["{notification}"] = items[0].findtext("D:href", namespaces=NS)
    note = await run("sharee-notification-get", 200)
    assert s.response.headers.getRawHeaders("content-type")[0].startswith("application/xml")
    s.values["{uid}"] = note.findtext(".//CS:uid", namespaces=NS)
    assert note.findtext(".//CS:hosturl/D:href", namespaces=NS) == server.calendar

    shared_as = await run("sharee-accept", 200)
    assert shared_as.tag == "{http://calendarserver.org/ns/}shared-as"
    href = shared_as.findtext("D:href", namespaces=NS)
    listed = calendars(await run("sharee-home-depth1", 207))
    prop = listed[href]
    assert prop.find("D:resourcetype/CS:shared", NS) is not None
    assert prop.findtext("D:owner/D:href", namespaces=NS).endswith(
        f"/principals/users/{server.ids['anna']}/")
    assert prop.findtext("D:displayname", namespaces=NS) == "Calendar (Anna Smith)"
    assert prop.find("D:current-user-privilege-set/D:privilege/D:write-content", NS) \
        is not None
    assert prop.findtext("CS:invite/CS:organizer/CS:common-name", namespaces=NS) == \
        "Anna Smith"
    # The invitation is answered: the notification is gone.
    found = await run("sharee-notifications", 207)
    assert found.find(".//CS:notificationtype/CS:invite-notification", NS) is None


async def share_read_only(server: Any) -> None:
    code, data = await post(server, server.calendar, cs_share(("mailto:bob@example.com",
                                                               "read")), ANNA)
    assert code == 200, data


@pytest_twisted.ensureDeferred
async def test_davx5_discovers_a_calendar_shared_read_only(server) -> None:  # noqa: F811
    await share_read_only(server)
    s = Session(As(server, BOB), "davx5-caldav-sync", server.calendar)
    s.learn(await s.run("base-propfind", 207))
    assert s.values["{principal}"].endswith(f"/principals/users/{server.ids['bob']}/")
    await s.run("options-principal", 200)
    assert "calendar-access" in s.dav_header
    await s.run("principal-homesets", 207)
    prop = calendars(await s.run("home-depth1", 207))[server.calendar]
    # DAVx5 derives read-only from current-user-privilege-set.
    privileges = {etree.QName(p[0]).localname for p in prop.iterfind(
        "D:current-user-privilege-set/D:privilege", NS)}
    assert "read" in privileges and not privileges & {"write", "write-content", "bind",
                                                      "all"}
    assert prop.findtext("D:owner/D:href", namespaces=NS).endswith(
        f"/principals/users/{server.ids['anna']}/")
    assert prop.findtext("D:displayname", namespaces=NS) == "Calendar (Anna Smith)"
    caps = await s.run("capabilities", 207)
    assert caps.find(".//D:supported-report/D:report/D:sync-collection", NS) is not None
    token, found = await s.sync("sync-collection", "")
    assert token and found == {}


@pytest_twisted.ensureDeferred
async def test_thunderbird_discovers_a_calendar_shared_read_only(server) -> None:  # noqa: F811
    await share_read_only(server)
    s = Session(As(server, BOB), "thunderbird-caldav", server.calendar)
    s.learn(await s.run("detect-collection", 207))
    await s.run("detect-principal", 207)
    prop = calendars(await s.run("detect-home", 207))[server.calendar]
    privileges = {etree.QName(p[0]).localname for p in prop.iterfind(
        "D:current-user-privilege-set/D:privilege", NS)}
    # Thunderbird offers it read-only: none of write, write-content, write-properties, all.
    assert not privileges & {"write", "write-content", "write-properties", "all"}
    assert prop.findtext("D:displayname", namespaces=NS) == "Calendar (Anna Smith)"
    found = await s.run("resource-type-check", 207)
    assert found.find(".//D:resourcetype/C:calendar", NS) is not None
    assert found.findtext(".//D:owner/D:href", namespaces=NS).endswith(
        f"/principals/users/{server.ids['anna']}/")
    await s.run("server-caps", 200)
