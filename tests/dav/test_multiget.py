"""The href list of a multiget: bounded, mapped to member names, read off the reactor
when long."""

from __future__ import annotations

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.limits import RequestLimits
from oxdav.dav.multiget import INLINE_HREFS, read_multiget
from oxdav.dav.paths import PathMapper
from tests.work import RecordingWork

PATHS = PathMapper("/dav", "/")


def body(*hrefs: str) -> etree._Element:
    root = etree.Element("{urn:ietf:params:xml:ns:caldav}calendar-multiget")
    etree.SubElement(root, "{DAV:}prop")
    for href in hrefs:
        etree.SubElement(root, "{DAV:}href").text = href
    return root


@pytest_twisted.ensureDeferred
async def test_members_of_the_collection_are_named_and_others_are_not() -> None:
    found = await read_multiget(RecordingWork(), RequestLimits(), PATHS, "/caldav/7", body(
        "/dav/caldav/7/a.ics", " /dav/caldav/7/b%20c.ics ", "/dav/caldav/8/a.ics",
        "/elsewhere/a.ics", "/dav/caldav/7/"))
    assert found.hrefs[1] == "/dav/caldav/7/b%20c.ics"
    assert found.names == {"/dav/caldav/7/a.ics": "a.ics",
                           "/dav/caldav/7/b%20c.ics": "b c.ics"}


@pytest_twisted.ensureDeferred
async def test_more_hrefs_than_allowed_are_403_and_none_are_400() -> None:
    with pytest.raises(DAVError) as caught:
        await read_multiget(RecordingWork(), RequestLimits(max_hrefs=2), PATHS, "/caldav/7",
                            body("/a", "/b", "/c"))
    assert caught.value.status == 403
    with pytest.raises(DAVError) as caught:
        await read_multiget(RecordingWork(), RequestLimits(), PATHS, "/caldav/7", body())
    assert caught.value.status == 400


@pytest_twisted.ensureDeferred
async def test_a_long_href_list_is_read_on_the_work_pool() -> None:
    work = RecordingWork()
    await read_multiget(work, RequestLimits(), PATHS, "/caldav/7", body("/dav/caldav/7/a"))
    assert work.sent == []
    many = [f"/dav/caldav/7/{i}.ics" for i in range(INLINE_HREFS + 1)]
    found = await read_multiget(work, RequestLimits(), PATHS, "/caldav/7", body(*many))
    assert work.sent == ["_read"]
    assert len(found.names) == len(many)
