"""Implicit scheduling between colleagues (RFC 6638 §3) through the TLS listener: invite,
answer, reschedule, cancel, Schedule-Tag, SCHEDULE-AGENT, and everyone outside the
context (another context included) handed to the external delivery."""

from __future__ import annotations

import caldav
import pytest_twisted
from icalendar import Calendar
from twisted.internet.threads import deferToThread

from oxdav.scheduling import itip
from tests.integration.harness import start_server
from tests.integration.scheduling_support import (
    answered,
    meeting,
    methods,
    partstat,
    prepare,
    status,
)


@pytest_twisted.async_yield_fixture
async def office(tmp_path):
    server = await start_server(tmp_path)
    server.cert = str(server.config / "data" / "tls" / "fullchain.pem")
    yield await prepare(server)
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_invitation_reaches_colleagues_calendars_and_inboxes(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    response, _ = await office.put(anna, "m1.ics", meeting("m1", anna, [bob, carol]))
    assert response.code == 201
    # The stored bytes carry SCHEDULE-STATUS: no ETag (RFC 4791 §5.3.4), a Schedule-Tag.
    assert not response.headers.hasHeader("ETag")
    tag = response.headers.getRawHeaders("Schedule-Tag")[0]
    for who in (bob, carol):
        copy = await office.copy_of(who, "m1")
        assert copy is not None and partstat(copy, who) == "NEEDS-ACTION"
        assert methods(await office.inbox(who)) == ["REQUEST"]
    stored = Calendar.from_ical((await office.get(anna, "m1.ics"))[1])
    assert status(stored, bob) == "1.2" and status(stored, carol) == "1.2"
    response, _ = await office.get(anna, "m1.ics")
    assert response.headers.getRawHeaders("Schedule-Tag") == [tag]
    assert office.external.queued == []


@pytest_twisted.ensureDeferred
async def test_an_alias_is_the_same_colleague_case_insensitively(office) -> None:
    anna, carol = office.anna, office.carol
    await office.put(anna, "m2.ics", meeting("m2", anna, ["MAILTO:C.C@Example.COM"]))
    assert await office.copy_of(carol, "m2") is not None
    assert office.external.queued == []


@pytest_twisted.ensureDeferred
async def test_a_user_of_another_context_is_external_never_a_colleague(office) -> None:
    anna, eve = office.anna, office.eve
    await office.put(anna, "m3.ics", meeting("m3", anna, [eve, "mailto:guest@outside.test"]))
    assert await office.copy_of(eve, "m3") is None
    assert await office.inbox(eve) == []
    assert sorted((q.recipient, q.method) for q in office.external.queued) == [
        ("eve@elsewhere.test", "REQUEST"), ("guest@outside.test", "REQUEST")]
    assert all(q.context_id == anna.context_id and q.sender == anna.user_id
               for q in office.external.queued)
    stored = Calendar.from_ical((await office.get(anna, "m3.ics"))[1])
    assert status(stored, eve) == "1.0"


@pytest_twisted.ensureDeferred
async def test_an_accept_updates_only_the_organizers_copy(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "m4.ics", meeting("m4", anna, [bob, carol]))
    await office.clear_inboxes()
    copy = await office.copy_of(bob, "m4")
    response, _ = await office.put(bob, itip_name(copy), answered(copy, bob, "ACCEPTED"))
    assert response.code == 204
    organizers = await office.copy_of(anna, "m4")
    assert partstat(organizers, bob) == "ACCEPTED"
    assert methods(await office.inbox(anna)) == ["REPLY"]
    assert await office.inbox(carol) == []  # nobody re-invited
    assert partstat(await office.copy_of(carol, "m4"), bob) == "NEEDS-ACTION"


def itip_name(calendar: Calendar) -> str:
    from oxdav.scheduling.delivery import copy_name
    return copy_name(str(itip.scheduled(calendar)[0]["UID"]))


@pytest_twisted.ensureDeferred
async def test_the_schedule_tag_moves_only_with_organizer_changes(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m5.ics", meeting("m5", anna, [bob]))
    tag = (await office.get(anna, "m5.ics"))[0].headers.getRawHeaders("Schedule-Tag")[0]
    copy = await office.copy_of(bob, "m5")
    bobs_tag = (await office.get(bob, itip_name(copy)))[0].headers.getRawHeaders(
        "Schedule-Tag")[0]
    # bob accepts: neither tag changes (RFC 6638 §3.2.10).
    response, _ = await office.put(bob, itip_name(copy), answered(copy, bob, "ACCEPTED"),
                                   headers={"If-Schedule-Tag-Match": bobs_tag})
    assert response.code == 204
    assert (await office.get(anna, "m5.ics"))[0].headers.getRawHeaders("Schedule-Tag") == [tag]
    assert (await office.get(bob, itip_name(copy)))[0].headers.getRawHeaders(
        "Schedule-Tag") == [bobs_tag]
    # anna moves the meeting: both tags change, a stale If-Schedule-Tag-Match is 412.
    moved = meeting("m5", anna, [bob], start="20270105T120000Z", end="20270105T130000Z")
    response, _ = await office.put(anna, "m5.ics", moved,
                                   headers={"If-Schedule-Tag-Match": tag})
    assert response.code == 204
    new_tag = response.headers.getRawHeaders("Schedule-Tag")[0]
    assert new_tag != tag
    response, _ = await office.put(anna, "m5.ics", moved,
                                   headers={"If-Schedule-Tag-Match": tag})
    assert response.code == 412
    assert (await office.get(bob, itip_name(copy)))[0].headers.getRawHeaders(
        "Schedule-Tag") != [bobs_tag]


@pytest_twisted.ensureDeferred
async def test_an_object_that_is_no_meeting_any_more_has_no_schedule_tag(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m5b.ics", meeting("m5b", anna, [bob]))
    name = itip_name(await office.copy_of(bob, "m5b"))
    response, body = await office.get(bob, name)
    assert response.headers.getRawHeaders("Schedule-Tag")
    # bob leaves himself out of his copy: it names him nowhere, it is no meeting of his.
    alone = b"".join(line + b"\r\n" for line in body.replace(b"\r\n ", b"").split(b"\r\n")
                     if line and (not line.startswith(b"ATTENDEE") or b"anna@" in line))
    response, _ = await office.put(bob, name, alone)
    assert response.code == 204
    assert (await office.get(bob, name))[0].headers.getRawHeaders("Schedule-Tag") is None


@pytest_twisted.ensureDeferred
async def test_a_stale_organizer_client_does_not_undo_an_answer(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m6.ics", meeting("m6", anna, [bob]))
    copy = await office.copy_of(bob, "m6")
    await office.put(bob, itip_name(copy), answered(copy, bob, "ACCEPTED"))
    await office.clear_inboxes()
    # anna's client still holds NEEDS-ACTION for bob and renames the meeting.
    await office.put(anna, "m6.ics", meeting("m6", anna, [bob], summary="Renamed"))
    assert partstat(await office.copy_of(anna, "m6"), bob) == "ACCEPTED"
    bobs = await office.copy_of(bob, "m6")
    assert str(itip.scheduled(bobs)[0]["SUMMARY"]) == "Renamed"
    assert partstat(bobs, bob) == "ACCEPTED"
    assert methods(await office.inbox(bob)) == ["REQUEST"]


@pytest_twisted.ensureDeferred
async def test_changes_that_matter_to_nobody_send_nothing(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m7.ics", meeting("m7", anna, [bob]))
    await office.clear_inboxes()
    alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT5M\r\nEND:VALARM"
    await office.put(anna, "m7.ics", meeting("m7", anna, [bob], extra=alarm, sequence=1))
    assert await office.inbox(bob) == []
    assert "VALARM" not in (await office.copy_of(bob, "m7")).to_ical().decode()


@pytest_twisted.ensureDeferred
async def test_schedule_force_send_resends(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m8.ics", meeting("m8", anna, [bob]))
    await office.clear_inboxes()
    body = meeting("m8", anna, [bob]).replace(
        b"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob",
        b"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob")
    await office.put(anna, "m8.ics", body)
    assert methods(await office.inbox(bob)) == ["REQUEST"]
    assert b"SCHEDULE-FORCE-SEND" not in (await office.get(anna, "m8.ics"))[1]


@pytest_twisted.ensureDeferred
async def test_schedule_agent_client_and_none_are_left_to_the_client(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    body = meeting("m9", anna, [bob, carol]).replace(
        b"RSVP=TRUE:mailto:bob", b"RSVP=TRUE;SCHEDULE-AGENT=CLIENT:mailto:bob").replace(
        b"RSVP=TRUE:mailto:carol", b"RSVP=TRUE;SCHEDULE-AGENT=NONE:mailto:carol")
    await office.put(anna, "m9.ics", body)
    assert await office.copy_of(bob, "m9") is None
    assert await office.copy_of(carol, "m9") is None
    assert await office.inbox(bob) == [] and await office.inbox(carol) == []


@pytest_twisted.ensureDeferred
async def test_removing_an_attendee_cancels_for_them_only(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "m10.ics", meeting("m10", anna, [bob, carol]))
    await office.clear_inboxes()
    await office.put(anna, "m10.ics", meeting("m10", anna, [bob]))
    assert await office.copy_of(carol, "m10") is None
    assert methods(await office.inbox(carol)) == ["CANCEL"]
    # bob's copy follows the attendee list (RFC 5546 §2.1.5: an update to the others).
    assert itip.attendee(itip.scheduled(await office.copy_of(bob, "m10"))[0],
                         carol.email) is None


@pytest_twisted.ensureDeferred
async def test_deleting_the_meeting_cancels_and_an_attendee_delete_declines(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "m11.ics", meeting("m11", anna, [bob, carol]))
    await office.clear_inboxes()
    copy = await office.copy_of(carol, "m11")
    response, _ = await office.server.request(
        "DELETE", f"/dav/caldav/{carol.calendar}/{itip_name(copy)}", auth=carol.auth)
    assert response.code == 204
    assert partstat(await office.copy_of(anna, "m11"), carol) == "DECLINED"
    assert methods(await office.inbox(anna)) == ["REPLY"]
    response, _ = await office.server.request("DELETE", f"/dav/caldav/{anna.calendar}/m11.ics",
                                              auth=anna.auth)
    assert response.code == 204
    assert await office.copy_of(bob, "m11") is None
    assert methods(await office.inbox(bob)) == ["CANCEL"]


@pytest_twisted.ensureDeferred
async def test_schedule_reply_f_deletes_without_a_reply(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m12.ics", meeting("m12", anna, [bob]))
    await office.clear_inboxes()
    copy = await office.copy_of(bob, "m12")
    response, _ = await office.server.request(
        "DELETE", f"/dav/caldav/{bob.calendar}/{itip_name(copy)}", auth=bob.auth,
        headers={"Schedule-Reply": "F"})
    assert response.code == 204
    assert await office.inbox(anna) == []
    assert partstat(await office.copy_of(anna, "m12"), bob) == "NEEDS-ACTION"


@pytest_twisted.ensureDeferred
async def test_too_many_attendees_are_refused_with_the_precondition(office) -> None:
    anna = office.anna
    many = [f"mailto:guest{i}@outside.test" for i in range(101)]
    response, body = await office.put(anna, "big.ics", meeting("big", anna, many))
    assert response.code == 403
    assert b"max-attendees-per-instance" in body
    assert office.external.queued == []


@pytest_twisted.ensureDeferred
async def test_the_organizer_cannot_be_changed(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "m13.ics", meeting("m13", anna, [bob]))
    response, body = await office.put(anna, "m13.ics", meeting("m13", bob, [anna]))
    assert response.code == 403
    assert b"allowed-organizer-scheduling-object-change" in body


@pytest_twisted.ensureDeferred
async def test_the_caldav_library_sees_the_invitation_and_the_server_schedules(office) -> None:
    anna, bob = office.anna, office.bob

    def as_client() -> tuple[list[str], str]:
        with caldav.DAVClient(url=office.server.https + "/dav/", username=bob.auth[0],
                              password=bob.auth[1],
                              ssl_verify_cert=office.server.cert) as client:
            principal = client.principal()
            with caldav.DAVClient(url=office.server.https + "/dav/", username=anna.auth[0],
                                  password=anna.auth[1],
                                  ssl_verify_cert=office.server.cert) as organizer:
                calendar = organizer.principal().calendars()[0]
                calendar.save_event(meeting("lib1", anna, [bob]).decode())
            inbox = principal.schedule_inbox()
            items = [str(i.data) for i in inbox.get_items()]
            events = principal.calendars()[0].events()
            return items, "".join(str(e.data) for e in events)

    items, events = await deferToThread(as_client)
    assert len(items) == 1 and "METHOD:REQUEST" in items[0]
    assert "UID:lib1" in events


# -- tenant walls: nobody schedules into a calendar they have no part in ---------------


@pytest_twisted.ensureDeferred
async def test_claiming_to_be_the_organizer_delivers_nothing(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    response, _ = await office.put(carol, "fake.ics", meeting("fake", anna, [bob]))
    assert response.code == 201
    assert await office.copy_of(bob, "fake") is None
    assert await office.inbox(bob) == [] and await office.inbox(anna) == []


@pytest_twisted.ensureDeferred
async def test_a_uid_of_someone_elses_meeting_cannot_be_taken_over(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "w1.ics", meeting("w1", anna, [bob], summary="Anna's"))
    await office.clear_inboxes()
    response, _ = await office.put(carol, "w1.ics", meeting("w1", carol, [bob],
                                                            summary="Carol's"))
    assert response.code == 201
    bobs = await office.copy_of(bob, "w1")
    assert str(itip.scheduled(bobs)[0]["SUMMARY"]) == "Anna's"
    assert await office.inbox(bob) == []
    carols = Calendar.from_ical((await office.get(carol, "w1.ics"))[1])
    assert status(carols, bob) == "3.8"


@pytest_twisted.ensureDeferred
async def test_a_reply_from_someone_not_invited_changes_nothing(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "w2.ics", meeting("w2", anna, [bob]))
    await office.clear_inboxes()
    # carol writes herself in as an attendee who accepted, into her own calendar.
    response, _ = await office.put(carol, "w2.ics", meeting(
        "w2", anna, [bob, carol], partstats={carol.mailto: "ACCEPTED"}))
    assert response.code == 201
    annas = await office.copy_of(anna, "w2")
    assert itip.attendee(itip.scheduled(annas)[0], carol.email) is None
    assert await office.inbox(anna) == []


@pytest_twisted.ensureDeferred
async def test_an_invitation_from_another_context_goes_out_not_in(office) -> None:
    bob, eve = office.bob, office.eve
    response, _ = await office.put(eve, "e1.ics", meeting("e1", eve, [bob]))
    assert response.code == 201
    assert await office.copy_of(bob, "e1") is None
    assert await office.inbox(bob) == []
    assert [(q.context_id, q.recipient, q.method) for q in office.external.queued] == [
        (eve.context_id, bob.email, "REQUEST")]


@pytest_twisted.ensureDeferred
async def test_a_colleague_without_rights_cannot_write_into_anothers_calendar(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "w3.ics", meeting("w3", anna, [bob]))
    copy = await office.copy_of(bob, "w3")
    response, _ = await office.put(carol, itip_name(copy), answered(copy, bob, "DECLINED"),
                                   folder=bob.calendar)
    assert response.code in (403, 404, 409)  # his calendar is not even there for her
    assert partstat(await office.copy_of(anna, "w3"), bob) == "NEEDS-ACTION"


@pytest_twisted.ensureDeferred
async def test_if_schedule_tag_match_guards_delete_too(office) -> None:
    anna, bob = office.anna, office.bob
    response, _ = await office.put(anna, "t1.ics", meeting("t1", anna, [bob]))
    tag = response.headers.getRawHeaders("Schedule-Tag")[0]
    path = f"/dav/caldav/{anna.calendar}/t1.ics"
    response, _ = await office.server.request("DELETE", path, auth=anna.auth,
                                              headers={"If-Schedule-Tag-Match": '"stale"'})
    assert response.code == 412
    assert await office.copy_of(bob, "t1") is not None
    response, _ = await office.server.request("DELETE", path, auth=anna.auth,
                                              headers={"If-Schedule-Tag-Match": tag})
    assert response.code == 204
    assert await office.copy_of(bob, "t1") is None


@pytest_twisted.ensureDeferred
async def test_a_put_the_store_refuses_delivers_nothing(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "r1.ics", meeting("r1", anna, [bob]))
    await office.clear_inboxes()
    # carol added, but the condition fails: neither the object nor any delivery stays.
    response, _ = await office.put(anna, "r1.ics", meeting("r1", anna, [bob, carol]),
                                   headers={"If-Match": '"not-the-etag"'})
    assert response.code == 412
    response, _ = await office.put(anna, "r1.ics", meeting("r1", anna, [bob, carol]),
                                   headers={"If-None-Match": "*"})
    assert response.code == 412
    assert await office.copy_of(carol, "r1") is None
    assert await office.inbox(carol) == [] and await office.inbox(bob) == []
    # The same UID under a second name is refused (no-uid-conflict), nothing delivered.
    response, _ = await office.put(anna, "r1-again.ics", meeting("r1", anna, [bob, carol]))
    assert response.code == 403
    assert await office.copy_of(carol, "r1") is None
