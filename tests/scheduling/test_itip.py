"""iTIP over iCalendar objects (oxdav.scheduling.itip): views, significance, messages."""

from __future__ import annotations

from icalendar import Calendar

from oxdav.scheduling import itip

SERIES = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//t//EN\r
BEGIN:VEVENT\r
UID:s\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270105T100000Z\r
DTEND:20270105T110000Z\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:Weekly\r
ORGANIZER:mailto:anna@x.test\r
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@x.test\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
DESCRIPTION:x\r
TRIGGER:-PT5M\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:s\r
DTSTAMP:20270101T000000Z\r
RECURRENCE-ID:20270112T100000Z\r
DTSTART:20270112T100000Z\r
DTEND:20270112T110000Z\r
SUMMARY:Weekly\r
ORGANIZER:mailto:anna@x.test\r
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@x.test\r
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@x.test\r
END:VEVENT\r
END:VCALENDAR\r
"""
SECOND = "20270112T100000Z"


def series() -> Calendar:
    return Calendar.from_ical(SERIES)


def test_addresses_compare_without_scheme_and_case() -> None:
    assert itip.address("MAILTO:Bob@X.Test ") == "bob@x.test"
    assert itip.is_mailto("mailto:a@b") and not itip.is_mailto("urn:uuid:1")


def test_an_attendee_of_one_instance_sees_only_that_instance() -> None:
    view = itip.attendee_view(series(), "carol@x.test")
    assert [itip.rid(c) for c in itip.scheduled(view)] == [SECOND]
    assert itip.attendee_view(series(), "nobody@x.test") is None


def test_a_view_has_no_alarms_and_excludes_instances_without_the_attendee() -> None:
    calendar = series()
    itip.by_rid(calendar)[SECOND].pop("ATTENDEE")
    itip.by_rid(calendar)[SECOND].add("ATTENDEE", "mailto:carol@x.test")
    view = itip.attendee_view(calendar, "bob@x.test")
    assert "VALARM" not in view.to_ical().decode()
    assert [itip.rid(c) for c in itip.scheduled(view)] == [""]
    assert f"EXDATE:{SECOND}" in view.to_ical().decode()


def test_significance_ignores_what_users_change_for_themselves() -> None:
    before, after = series(), series()
    master = itip.by_rid(after)[""]
    master.subcomponents = []
    itip.attendee(master, "bob@x.test").params["PARTSTAT"] = "ACCEPTED"
    master.pop("DTSTAMP")
    master.add("SEQUENCE", 4)
    assert itip.significant(before) == itip.significant(after)
    assert itip.schedule_tag(before) == itip.schedule_tag(after)
    master.pop("SUMMARY")
    master.add("SUMMARY", "Other")
    assert itip.schedule_tag(before) != itip.schedule_tag(after)


def test_cancelled_instances_by_exdate_and_status() -> None:
    before, after = series(), series()
    master = itip.by_rid(after)[""]
    master.add("EXDATE", itip._parse_instant("20270119T100000Z", master["DTSTART"].dt))
    itip.by_rid(after)[SECOND].add("STATUS", "CANCELLED")
    assert itip.cancelled(before, after) == [SECOND, "20270119T100000Z"]
    message = Calendar.from_ical(itip.cancel(itip.attendee_view(after, "bob@x.test"),
                                             [SECOND]))
    assert str(message["METHOD"]) == "CANCEL"
    assert [itip.rid(c) for c in itip.scheduled(message)] == [SECOND]


def test_a_reply_for_an_unoverridden_instance_makes_its_override() -> None:
    organizer = series()
    answer = itip.copy(organizer)
    third = itip._instance_of(itip.by_rid(answer)[""], "20270119T100000Z")
    itip.attendee(third, "bob@x.test").params["PARTSTAT"] = "DECLINED"
    reply = Calendar.from_ical(itip.reply(_with(answer, third), "bob@x.test",
                                          ["20270119T100000Z"]))
    assert str(reply["METHOD"]) == "REPLY"
    assert itip.apply_reply(organizer, reply, "bob@x.test") == ["20270119T100000Z"]
    assert itip.partstats(organizer, "bob@x.test") == {
        "": "NEEDS-ACTION", SECOND: "NEEDS-ACTION", "20270119T100000Z": "DECLINED"}
    # Someone not attending changes nothing.
    assert itip.apply_reply(organizer, reply, "mallory@x.test") == []


def _with(calendar: Calendar, component) -> Calendar:
    calendar.add_component(component)
    return calendar


def test_answers_survive_a_stale_organizer_write_but_not_a_reschedule() -> None:
    answered, stale = series(), series()
    itip.attendee(itip.by_rid(answered)[""], "bob@x.test").params["PARTSTAT"] = "ACCEPTED"
    itip.keep_answers(stale, answered, frozenset({"anna@x.test"}))
    assert itip.partstats(stale, "bob@x.test")[""] == "ACCEPTED"
    moved = series()
    master = itip.by_rid(moved)[""]
    master.pop("DTSTART")
    master.add("DTSTART", itip._parse_instant("20270105T120000Z", None))
    itip.keep_answers(moved, answered, frozenset({"anna@x.test"}))
    assert itip.partstats(moved, "bob@x.test")[""] == "NEEDS-ACTION"
