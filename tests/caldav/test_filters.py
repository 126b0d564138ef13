"""calendar-query filters (RFC 4791 §9.7): parsing, the §7.8 examples, collations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from oxdav.caldav.collation import SUPPORTED_COLLATIONS, TextMatch
from oxdav.caldav.errors import FilterError
from oxdav.caldav.filters import CalendarFilter, CompFilter, Narrowing, parse_filter
from oxdav.caldav.ical import ParsedCalendarObject
from tests.caldav.ics import calendar_bytes, epoch, event, parse

NS = 'xmlns:C="urn:ietf:params:xml:ns:caldav"'


def flt(inner: str) -> CalendarFilter:
    """A filter whose VCALENDAR comp-filter holds ``inner``."""
    xml = f'<C:filter {NS}><C:comp-filter name="VCALENDAR">{inner}</C:comp-filter></C:filter>'
    return parse_filter(etree.fromstring(xml))


def matching(f: CalendarFilter, objects: dict[str, ParsedCalendarObject]) -> list[str]:
    return sorted(name for name, obj in objects.items() if f.matches(obj))


def error_of(xml: str) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse_filter(etree.fromstring(xml))
    return caught.value


# -- RFC 4791 §7.8 examples over Appendix B ----------------------------------------


def test_7_8_1_events_by_time_range(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT">'
        '<C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>'
    )
    assert matching(f, appendix_b) == ["abcd2.ics", "abcd3.ics"]


def test_7_8_2_recurring_events_by_time_range(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT">'
        '<C:time-range start="20060103T000000Z" end="20060105T000000Z"/></C:comp-filter>'
    )
    assert matching(f, appendix_b) == ["abcd2.ics", "abcd3.ics"]


def test_7_8_4_stored_free_busy(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VFREEBUSY">'
        '<C:time-range start="20060102T000000Z" end="20060103T000000Z"/></C:comp-filter>'
    )
    assert matching(f, appendix_b) == ["abcd8.ics"]


def test_7_8_5_todos_by_alarm_time_range(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VTODO"><C:comp-filter name="VALARM">'
        '<C:time-range start="20060106T100000Z" end="20060107T100000Z"/>'
        "</C:comp-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd5.ics"]


def test_7_8_6_event_by_uid(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="UID">'
        '<C:text-match collation="i;octet">DC6C50A017428C5216A2F1CD@example.com</C:text-match>'
        "</C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd3.ics"]


def test_7_8_7_events_by_partstat(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE">'
        '<C:text-match collation="i;ascii-casemap">mailto:lisa@example.com</C:text-match>'
        '<C:param-filter name="PARTSTAT">'
        '<C:text-match collation="i;ascii-casemap">NEEDS-ACTION</C:text-match>'
        "</C:param-filter></C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd3.ics"]


def test_7_8_8_events_only(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt('<C:comp-filter name="VEVENT"/>')
    assert matching(f, appendix_b) == ["abcd1.ics", "abcd2.ics", "abcd3.ics"]


def test_7_8_9_pending_todos(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VTODO">'
        '<C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter>'
        '<C:prop-filter name="STATUS"><C:text-match negate-condition="yes">CANCELLED'
        "</C:text-match></C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd4.ics", "abcd5.ics"]


def test_bare_vcalendar_filter_matches_everything(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    assert len(matching(flt(""), appendix_b)) == 8


# -- semantics ---------------------------------------------------------------------------


def test_param_filter_must_hold_for_the_same_property(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE">'
        "<C:text-match>mailto:cyrus@example.com</C:text-match>"
        '<C:param-filter name="PARTSTAT"><C:text-match>NEEDS-ACTION</C:text-match>'
        "</C:param-filter></C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == []


def test_param_filter_is_not_defined(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE">'
        '<C:param-filter name="ROLE"><C:is-not-defined/></C:param-filter>'
        "</C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd3.ics"]  # lisa has no ROLE


def test_comp_filter_is_not_defined(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt('<C:comp-filter name="VTIMEZONE"><C:is-not-defined/></C:comp-filter>')
    assert matching(f, appendix_b) == [f"abcd{n}.ics" for n in range(4, 9)]


def test_time_range_and_property_test_must_hold_for_the_same_component(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    # "Event #2 bis bis" (Jan 6) is an override; on Jan 3 only the master answers.
    summary = '<C:prop-filter name="SUMMARY"><C:text-match>bis bis</C:text-match></C:prop-filter>'

    def on(day: str) -> CalendarFilter:
        return flt(
            f'<C:comp-filter name="VEVENT"><C:time-range start="{day}T000000Z"'
            f' end="{day}T235959Z"/>{summary}</C:comp-filter>'
        )

    assert matching(on("20060106"), appendix_b) == ["abcd2.ics"]
    assert matching(on("20060103"), appendix_b) == []


def test_property_time_range(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VTODO"><C:prop-filter name="DTSTAMP">'
        '<C:time-range start="20060205T235330Z" end="20060205T235500Z"/>'
        "</C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd4.ics", "abcd6.ics"]


def test_floating_event_is_matched_in_the_given_time_zone() -> None:
    obj = parse(calendar_bytes(event("DTSTART:20240110T100000", "DURATION:PT1H")))
    f = flt(
        '<C:comp-filter name="VEVENT">'
        '<C:time-range start="20240110T090000Z" end="20240110T093000Z"/></C:comp-filter>'
    )
    assert f.matches(obj, ZoneInfo("Europe/Berlin"))
    assert not f.matches(obj)


def test_start_only_time_range_matches_an_infinite_series() -> None:
    obj = parse(calendar_bytes(event("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY")))
    f = flt('<C:comp-filter name="VEVENT"><C:time-range start="20340101T000000Z"/></C:comp-filter>')
    assert f.matches(obj)


# -- collations and negation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("collation", "needle", "haystack", "expected"),
    [
        ("i;ascii-casemap", "steelers", "Go Steelers!", True),
        ("i;ascii-casemap", "ÜBER", "über", False),  # only ASCII letters fold
        ("i;octet", "steelers", "Go Steelers!", False),
        ("i;octet", "Steelers", "Go Steelers!", True),
        ("i;unicode-casemap", "ÜBER", "über alles", True),
        ("i;unicode-casemap", "Cafe\u0301", "CAFÉ", True),  # NFKD
        ("i;unicode-casemap", "ﬁ", "FIT", True),  # compatibility ligature
    ],
)
def test_collations(collation: str, needle: str, haystack: str, expected: bool) -> None:
    assert TextMatch(needle, collation).matches(haystack) is expected


def test_negate_condition_inverts_the_match() -> None:
    assert TextMatch("x", negate=True).matches("abc")
    assert not TextMatch("B", negate=True).matches("abc")


def test_negated_text_match_still_needs_the_property(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="STATUS">'
        '<C:text-match negate-condition="yes">CONFIRMED</C:text-match>'
        "</C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd3.ics"]  # abcd1/2 have no STATUS


def test_text_match_reads_unescaped_text(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    f = flt(
        '<C:comp-filter name="VEVENT"><C:prop-filter name="DESCRIPTION">'
        "<C:text-match>go steelers!</C:text-match></C:prop-filter></C:comp-filter>"
    )
    assert matching(f, appendix_b) == ["abcd1.ics"]


def test_supported_collations_are_advertised() -> None:
    assert set(SUPPORTED_COLLATIONS) == {"i;ascii-casemap", "i;octet", "i;unicode-casemap"}


def test_unknown_collation_is_unsupported_collation() -> None:
    xml = (
        f'<C:filter {NS}><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:prop-filter name="SUMMARY"><C:text-match collation="i;basic">x</C:text-match>'
        "</C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"
    )
    assert error_of(xml).precondition == "supported-collation"


# -- malformed filters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "inner",
    [
        '<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000"/></C:comp-filter>',
        '<C:comp-filter name="VEVENT"><C:time-range start="2006-01-04T00:00:00Z"/></C:comp-filter>',
        '<C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter>',
        '<C:comp-filter name="VEVENT"><C:is-not-defined/><C:prop-filter name="UID"/>'
        "</C:comp-filter>",
        "<C:comp-filter/>",
        '<C:comp-filter name="VEVENT"><C:prop-filter/></C:comp-filter>',
        '<C:comp-filter name="VEVENT"><C:prop-filter name="X"><C:text-match '
        'negate-condition="maybe">x</C:text-match></C:prop-filter></C:comp-filter>',
        '<C:comp-filter name="VTIMEZONE"><C:time-range start="20060104T000000Z"/>'
        "</C:comp-filter>",
        '<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z"/>'
        '<C:time-range start="20060105T000000Z"/></C:comp-filter>',
        '<C:comp-filter name="VEVENT"><C:bogus/></C:comp-filter>',
    ],
)
def test_malformed_filter_is_valid_filter(inner: str) -> None:
    xml = f'<C:filter {NS}><C:comp-filter name="VCALENDAR">{inner}</C:comp-filter></C:filter>'
    assert error_of(xml).precondition == "valid-filter"


@pytest.mark.parametrize(
    "xml",
    [
        f'<C:filter {NS}><C:comp-filter name="VEVENT"/></C:filter>',
        f"<C:filter {NS}/>",
        f'<C:filter {NS}><C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/>'
        "</C:filter>",
        f'<C:prop {NS}><C:comp-filter name="VCALENDAR"/></C:prop>',
    ],
)
def test_root_must_be_one_vcalendar_comp_filter(xml: str) -> None:
    assert error_of(xml).precondition == "valid-filter"


def test_foreign_elements_and_comments_are_ignored() -> None:
    xml = (
        f'<C:filter {NS} xmlns:X="urn:x"><!-- note --><C:comp-filter name="VCALENDAR">'
        '<X:hint/><C:comp-filter name="vevent"/></C:comp-filter></C:filter>'
    )
    parsed = parse_filter(etree.fromstring(xml))
    assert parsed.root.comp_filters == (CompFilter("VEVENT"),)


# -- narrowing -----------------------------------------------------------------------------


def test_narrowing_by_component_and_time_range() -> None:
    f = flt(
        '<C:comp-filter name="VEVENT">'
        '<C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>'
    )
    start, end = epoch("20060104T000000Z"), epoch("20060105T000000Z")
    assert f.narrowing() == Narrowing("VEVENT", start, end)


def test_narrowing_with_open_end() -> None:
    f = flt('<C:comp-filter name="VTODO"><C:time-range start="20060104T000000Z"/></C:comp-filter>')
    assert f.narrowing() == Narrowing("VTODO", epoch("20060104T000000Z"), None)


def test_alarm_time_range_narrows_by_component_only() -> None:
    f = flt(
        '<C:comp-filter name="VTODO"><C:comp-filter name="VALARM">'
        '<C:time-range start="20060106T100000Z" end="20060107T100000Z"/>'
        "</C:comp-filter></C:comp-filter>"
    )
    assert f.narrowing() == Narrowing("VTODO")


def test_is_not_defined_does_not_narrow() -> None:
    assert flt('<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>').narrowing() == (
        Narrowing()
    )


def test_narrowing_never_drops_a_match(appendix_b: dict[str, ParsedCalendarObject]) -> None:
    ranges = [("20060101T000000Z", "20060103T000000Z"), ("20060104T000000Z", None)]
    ranges += [(None, "20060102T000000Z"), ("20060106T000000Z", "20060107T000000Z")]
    for comp in ("VEVENT", "VTODO", "VFREEBUSY"):
        for start, end in ranges:
            attrs = (f' start="{start}"' if start else "") + (f' end="{end}"' if end else "")
            f = flt(f'<C:comp-filter name="{comp}"><C:time-range{attrs}/></C:comp-filter>')
            n = f.narrowing()
            for obj in appendix_b.values():
                if f.matches(obj):
                    assert obj.component_type == n.component
                    assert n.end is None or obj.first_start is None or obj.first_start <= n.end
                    assert n.start is None or obj.last_end is None or obj.last_end >= n.start
