"""The time-range index (first_start/last_end/recurring) against exact §9.9 matching."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from icalendar import Component

from oxdav.caldav.ical import ParsedCalendarObject
from oxdav.caldav.index import compute_index
from oxdav.caldav.timerange import (
    TimeRange,
    component_overlaps,
    event_bounds,
    index_may_overlap,
    instances_overlapping,
)
from tests.caldav.ics import calendar_bytes, epoch, event, parse, todo

HOURS_14 = 14 * 3600


def index_of(*components: str) -> tuple[int | None, int | None, bool]:
    parsed = parse(calendar_bytes(*components))
    return parsed.first_start, parsed.last_end, parsed.recurring


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("abcd1.ics", "20060102T150000Z", "20060102T160000Z"),
        ("abcd2.ics", "20060102T170000Z", "20060106T200000Z"),  # last: "bis bis" override
        ("abcd3.ics", "20060104T150000Z", "20060104T160000Z"),
        ("abcd5.ics", "20060106T170000Z", "20060106T170000Z"),  # DUE only
        ("abcd8.ics", "20060101T000000Z", "20060108T000000Z"),
    ],
)
def test_appendix_b_index(
    appendix_b: dict[str, ParsedCalendarObject], name: str, first: str, last: str
) -> None:
    assert (appendix_b[name].first_start, appendix_b[name].last_end) == (epoch(first), epoch(last))


def test_all_day_due_is_widened_for_every_time_zone(
    appendix_b: dict[str, ParsedCalendarObject],
) -> None:
    midnight = epoch("20060104T000000Z")
    abcd4 = appendix_b["abcd4.ics"]
    assert (abcd4.first_start, abcd4.last_end) == (midnight - HOURS_14, midnight + HOURS_14)


def test_single_event_is_not_recurring() -> None:
    assert index_of(event("DTSTART:20240110T100000Z", "DURATION:PT1H")) == (
        epoch("20240110T100000Z"),
        epoch("20240110T110000Z"),
        False,
    )


def test_infinite_rrule_has_no_last_end() -> None:
    first, last, recurring = index_of(event("DTSTART:20240110T100000Z", "RRULE:FREQ=WEEKLY"))
    assert (first, last, recurring) == (epoch("20240110T100000Z"), None, True)


def test_count_gives_the_real_last_instance_end() -> None:
    lines = ("DTSTART:20240110T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3")
    assert index_of(event(*lines))[1] == epoch("20240112T110000Z")


def test_until_gives_the_real_last_instance_end_not_until() -> None:
    lines = (
        "DTSTART:20240101T100000Z",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;UNTIL=20240125T000000Z",
    )
    assert index_of(event(*lines))[1] == epoch("20240122T110000Z")


def test_exdate_of_the_last_instance_moves_last_end() -> None:
    lines = (
        "DTSTART:20240110T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3",
        "EXDATE:20240112T100000Z",
    )  # fmt: skip
    assert index_of(event(*lines))[1] == epoch("20240111T110000Z")


def test_exdate_of_the_first_instance_moves_first_start() -> None:
    lines = ("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY", "EXDATE:20240110T100000Z")
    assert index_of(event(*lines))[0] == epoch("20240111T100000Z")


def test_overrides_and_rdates_extend_the_series() -> None:
    master = event(
        "DTSTART:20240110T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3",
        "RDATE:20240201T100000Z",
    )  # fmt: skip
    earlier = event("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240105T100000Z", "DURATION:PT1H")
    later = event("RECURRENCE-ID:20240201T100000Z", "DTSTART:20240301T100000Z", "DURATION:PT2H")
    assert index_of(master, earlier, later) == (
        epoch("20240105T100000Z"),
        epoch("20240301T120000Z"),
        True,
    )


def test_override_alone_is_recurring() -> None:
    lines = ("RECURRENCE-ID:20240110T100000Z", "DTSTART:20240110T120000Z")
    assert index_of(event(*lines))[2] is True


def test_floating_event_is_widened_by_fourteen_hours() -> None:
    first, last, _ = index_of(event("DTSTART:20240110T100000", "DURATION:PT1H"))
    assert (first, last) == (
        epoch("20240110T100000Z") - HOURS_14,
        epoch("20240110T110000Z") + HOURS_14,
    )


def test_all_day_event_is_widened_by_fourteen_hours() -> None:
    first, last, _ = index_of(event("DTSTART;VALUE=DATE:20240110"))
    assert (first, last) == (
        epoch("20240110T000000Z") - HOURS_14,
        epoch("20240111T000000Z") + HOURS_14,
    )


@pytest.mark.parametrize(
    ("lines", "first", "last"),
    [
        ((), None, None),
        (("CREATED:20240101T000000Z",), "20240101T000000Z", None),
        (("DUE:20240110T100000Z",), "20240110T100000Z", "20240110T100000Z"),
        (
            ("DTSTART:20240110T100000Z", "DUE:20240111T100000Z"),
            "20240110T100000Z",
            "20240111T100000Z",
        ),
        (
            ("COMPLETED:20240105T000000Z", "CREATED:20240101T000000Z"),
            "20240101T000000Z",
            "20240105T000000Z",
        ),
    ],
)
def test_todo_index(lines: tuple[str, ...], first: str | None, last: str | None) -> None:
    found = index_of(todo(*lines))
    assert found[:2] == (epoch(first) if first else None, epoch(last) if last else None)


def journal(*lines: str) -> str:
    return "\n".join(["BEGIN:VJOURNAL", "UID:journal-1", "DTSTAMP:20240101T000000Z", *lines,
                      "END:VJOURNAL"])


@pytest.mark.parametrize(
    ("lines", "first", "last"),
    [
        (("DTSTART:20240110T100000Z",), "20240110T100000Z", "20240110T100000Z"),  # a moment
        (("DTSTART;TZID=Europe/Berlin:20240110T100000",), "20240110T090000Z",
         "20240110T090000Z"),
        ((), None, None),  # never matches a range, but always listed
    ],
)
def test_journal_index(lines: tuple[str, ...], first: str | None, last: str | None) -> None:
    """RFC 4791 §9.9, VJOURNAL: a DATE-TIME DTSTART is an instant."""
    found = index_of(journal(*lines))
    assert found[:2] == (epoch(first) if first else None, epoch(last) if last else None)


def test_journal_on_a_date_covers_its_day_in_every_zone() -> None:
    """RFC 4791 §9.9, VJOURNAL: a DATE DTSTART is the whole (floating) day."""
    assert index_of(journal("DTSTART;VALUE=DATE:20240110")) == (
        epoch("20240110T000000Z") - HOURS_14, epoch("20240111T000000Z") + HOURS_14, False)
    series = index_of(journal("DTSTART;VALUE=DATE:20240110", "RRULE:FREQ=WEEKLY;COUNT=3"))
    assert series == (epoch("20240110T000000Z") - HOURS_14,
                      epoch("20240125T000000Z") + HOURS_14, True)


@pytest.mark.parametrize("lines", [
    ("DTSTART:20240110T100000Z",), ("DTSTART;VALUE=DATE:20240110",),
    ("DTSTART:20240110T100000",), ("DTSTART;VALUE=DATE:20240110", "RRULE:FREQ=DAILY;COUNT=4"),
    ("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY"),
])
def test_journal_index_never_hides_a_match(lines: tuple[str, ...]) -> None:
    """Every range a journal matches (§9.9) passes the index pre-filter."""
    parsed = parse(calendar_bytes(journal(*lines)))
    [component] = parsed.calendar.walk("VJOURNAL")
    start = datetime(2024, 1, 9, tzinfo=UTC)
    for hours in range(0, 24 * 6, 2):
        for length in (timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)):
            rng = TimeRange(start + timedelta(hours=hours), start + timedelta(hours=hours) + length)
            for zone in (UTC, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")):
                if component_overlaps(component, rng, zone):
                    assert index_may_overlap(parsed.first_start, parsed.last_end, rng)


def test_series_too_large_to_enumerate_is_unbounded() -> None:
    parsed = parse(calendar_bytes(event("DTSTART:20240101T100000Z",
                                        "RRULE:FREQ=DAILY;COUNT=5000")))
    index = compute_index(parsed.calendar, "VEVENT", max_instances=1000)
    assert (index.first_start, index.last_end) == (epoch("20240101T100000Z"), None)


# -- the index never hides a match: a property check over generated events -----------

ZONES: list[tzinfo | None] = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), None]
QUERY_ZONES = [
    UTC,
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("Pacific/Pago_Pago"),
    ZoneInfo("Asia/Tokyo"),
]


def _stamp(value: datetime | date, zone: tzinfo | None) -> str:
    if not isinstance(value, datetime):
        return f";VALUE=DATE:{value:%Y%m%d}"
    if zone is None:
        return f":{value:%Y%m%dT%H%M%S}"
    if zone is UTC:
        return f":{value:%Y%m%dT%H%M%S}Z"
    return f";TZID={zone}:{value:%Y%m%dT%H%M%S}"


BOUNDED_RULES = [None, "FREQ=DAILY;COUNT=4", "FREQ=WEEKLY;INTERVAL=2;COUNT=6"]


def generated_event(
    rnd: random.Random,
    zones: list[tzinfo | None] = ZONES,
    all_day_share: float = 0.2,
    rules: list[str | None] = [*BOUNDED_RULES, "FREQ=MONTHLY"],  # noqa: B006
) -> str:
    zone = rnd.choice(zones)
    all_day = rnd.random() < all_day_share
    begin = datetime(2024, 1, 1) + timedelta(
        days=rnd.randrange(300), minutes=15 * rnd.randrange(96)
    )
    start: datetime | date = begin.date() if all_day else begin
    lines = [f"DTSTART{_stamp(start, zone)}"]
    length = rnd.choice(
        [None, timedelta(0), timedelta(minutes=30), timedelta(hours=2), timedelta(days=1)]
    )
    if all_day and length is not None:
        length = timedelta(days=1)
    if length is not None:
        lines.append(
            f"DURATION:P{length.days}D" if all_day else f"DURATION:PT{int(length.total_seconds())}S"
        )
    rule = rnd.choice(rules)
    if rule:
        lines.append(f"RRULE:{rule}")
        if rnd.random() < 0.5:
            lines.append(
                f"EXDATE{_stamp(start + timedelta(days=7 if 'WEEK' in rule else 1), zone)}"
            )
    components = [event(*lines, uid="generated")]
    if rule and rnd.random() < 0.5:
        original = start + timedelta(days=14 if "WEEK" in rule else 2)
        moved = original + rnd.choice([timedelta(days=-40), timedelta(hours=5), timedelta(days=60)])
        components.append(
            event(
                f"RECURRENCE-ID{_stamp(original, zone)}",
                f"DTSTART{_stamp(moved, zone)}",
                uid="generated",
            )
        )
    return "\n".join(components)


def generated_range(rnd: random.Random, obj: ParsedCalendarObject) -> TimeRange:
    anchors = [v for v in (obj.first_start, obj.last_end) if v is not None]
    base = (
        datetime.fromtimestamp(rnd.choice(anchors), UTC)
        if anchors and rnd.random() < 0.6
        else (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rnd.randrange(24 * 400)))
    )
    start = base + timedelta(seconds=rnd.choice([-86400, -3600, -1, 0, 1, 3600]))
    end = start + timedelta(seconds=rnd.choice([1, 1800, 3600 * 5, 86400 * 3]))
    shape = rnd.random()
    if shape < 0.15:
        return TimeRange(start, None)
    if shape < 0.3:
        return TimeRange(None, end)
    return TimeRange(start, end)


def exact_match(calendar: Component, rng: TimeRange, tz: tzinfo) -> bool:
    parts = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    return any(component_overlaps(c, rng, tz, series=parts) for c in parts)


def test_index_is_a_superset_of_exact_matching_for_generated_events() -> None:
    rnd = random.Random(4791)
    checked = matched = 0
    for _ in range(120):
        obj = parse(calendar_bytes(generated_event(rnd)))
        for _ in range(12):
            rng = generated_range(rnd, obj)
            tz = rnd.choice(QUERY_ZONES)
            if exact_match(obj.calendar, rng, tz):
                matched += 1
                assert index_may_overlap(obj.first_start, obj.last_end, rng), (obj.data, rng, tz)
            checked += 1
    assert matched > checked // 10  # the generator hits often enough to mean something


def test_index_is_exact_for_bounded_zoned_series() -> None:
    rnd = random.Random(5545)
    for _ in range(60):
        body = generated_event(rnd, zones=ZONES[:3], all_day_share=0, rules=BOUNDED_RULES)
        obj = parse(calendar_bytes(body))
        bounds = [event_bounds(i) for i in instances_overlapping(obj.calendar, None, None)]
        starts = [int(b[0].timestamp()) for b in bounds if b]
        ends = [int(b[1].timestamp()) for b in bounds if b]
        assert (obj.first_start, obj.last_end) == (min(starts), max(ends)), body
