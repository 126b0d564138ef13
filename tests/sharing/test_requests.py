"""Sharing request bodies read into plain values (``oxdav.sharing.requests``), with
their bounds and the 400s of malformed ones."""

from __future__ import annotations

import pytest
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.sharing.requests import (
    MAX_SHAREES_PER_REQUEST,
    InviteReply,
    ShareChange,
    parse_invite_reply,
    parse_share,
    parse_share_resource,
)

CS = 'xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"'


def xml(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def test_cs_share_sets_read_write_read_and_removes() -> None:
    root = xml(f"<CS:share {CS}><CS:set><D:href> mailto:a@x.test </D:href>"
               "<CS:summary>s</CS:summary><CS:read-write/></CS:set>"
               "<CS:set><D:href>/dav/principals/groups/3/</D:href><CS:read/></CS:set>"
               "<CS:remove><D:href>mailto:b@x.test</D:href></CS:remove></CS:share>")
    assert parse_share(root) == [ShareChange("mailto:a@x.test", "read-write"),
                                 ShareChange("/dav/principals/groups/3/", "read"),
                                 ShareChange("mailto:b@x.test", None)]


def test_share_resource_maps_share_access() -> None:
    root = xml('<D:share-resource xmlns:D="DAV:">'
               "<D:sharee><D:href>mailto:a@x.test</D:href><D:share-access><D:read/>"
               "</D:share-access></D:sharee>"
               "<D:sharee><D:href>mailto:b@x.test</D:href><D:share-access><D:no-access/>"
               "</D:share-access></D:sharee></D:share-resource>")
    assert parse_share_resource(root) == [ShareChange("mailto:a@x.test", "read"),
                                          ShareChange("mailto:b@x.test", None)]


@pytest.mark.parametrize("body", [
    f"<CS:share {CS}/>",
    f"<CS:share {CS}><CS:set><CS:read/></CS:set></CS:share>",
    '<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>mailto:a@x.test</D:href>'
    "</D:sharee></D:share-resource>",
    '<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>mailto:a@x.test</D:href>'
    "<D:share-access><D:read/><D:read-write/></D:share-access></D:sharee>"
    "</D:share-resource>",
])
def test_a_malformed_share_is_400(body: str) -> None:
    parse = parse_share if "CS:share" in body else parse_share_resource
    with pytest.raises(DAVError) as raised:
        parse(xml(body))
    assert raised.value.status == 400


def test_too_many_sharees_in_one_request_are_refused() -> None:
    sets = "".join(f"<CS:set><D:href>mailto:u{n}@x.test</D:href><CS:read/></CS:set>"
                   for n in range(MAX_SHAREES_PER_REQUEST + 1))
    with pytest.raises(DAVError) as raised:
        parse_share(xml(f"<CS:share {CS}>{sets}</CS:share>"))
    assert raised.value.status == 403
    assert raised.value.precondition == "{http://calendarserver.org/ns/}max-sharees"


def test_an_invite_reply_names_its_invitation() -> None:
    root = xml("<invite-reply xmlns='http://calendarserver.org/ns/'><href xmlns='DAV:'>"
               "mailto:b@x.test</href><invite-declined/><hosturl><href xmlns='DAV:'>"
               "/dav/caldav/21/</href></hosturl><in-reply-to>u</in-reply-to></invite-reply>")
    assert parse_invite_reply(root) == InviteReply(False, "/dav/caldav/21/", "u")
    for body in (f"<CS:invite-reply {CS}><CS:hosturl><D:href>/x/</D:href></CS:hosturl>"
                 "</CS:invite-reply>",
                 f"<CS:invite-reply {CS}><CS:invite-accepted/></CS:invite-reply>"):
        with pytest.raises(DAVError) as raised:
            parse_invite_reply(xml(body))
        assert raised.value.status == 400
