"""Bounds on recurrence work: CALDAV:max-instances on PUT and the per-request budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oxdav.caldav.budget import InstanceBudget, TooManyInstances, estimated_instances
from oxdav.caldav.errors import CalendarDataError
from oxdav.caldav.ical import parse_calendar_object
from oxdav.caldav.instances import SKIP_COST, iter_instances, top_level
from tests.caldav.ics import calendar_bytes, event

EVENTS = frozenset({"VEVENT"})
HORIZON = datetime(2028, 1, 1, tzinfo=UTC)


def put(*lines: str, max_instances: int = 1000, horizon: datetime | None = HORIZON) -> object:
    return parse_calendar_object(calendar_bytes(event(*lines)), allowed_components=EVENTS,
                                 max_size=10_000_000, max_instances=max_instances,
                                 horizon=horizon)


def refused(*lines: str, **kwargs: object) -> CalendarDataError:
    with pytest.raises(CalendarDataError) as caught:
        put(*lines, **kwargs)  # type: ignore[arg-type]
    assert caught.value.precondition == "max-instances"
    return caught.value


def rdates(count: int) -> str:
    start = datetime(2025, 1, 1, 10, tzinfo=UTC)
    days = (start + timedelta(days=i) for i in range(count))
    return "RDATE:" + ",".join(d.strftime("%Y%m%dT%H%M%SZ") for d in days)


def test_a_bounded_series_over_max_instances_is_refused() -> None:
    refused("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY;COUNT=1001")
    put("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY;COUNT=1000")


def test_a_bounded_series_counts_whole_even_beyond_the_horizon() -> None:
    refused("DTSTART:20250101T100000Z", "RRULE:FREQ=WEEKLY;COUNT=1001")
    refused("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20300101T000000Z")
    put("DTSTART:20250101T100000Z", "RRULE:FREQ=WEEKLY;UNTIL=20400101T000000Z")


def test_rdate_and_exdate_values_count_each() -> None:
    refused("DTSTART:20250101T100000Z", rdates(1001))
    refused("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY;COUNT=10",
            rdates(600).replace("RDATE", "EXDATE"), rdates(600))
    put("DTSTART:20250101T100000Z", rdates(999))


def test_a_series_without_end_counts_up_to_the_horizon() -> None:
    # Daily from 2025 to 2028: about 1,100 instances.
    refused("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY")
    put("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY", max_instances=1200)
    put("DTSTART:20250101T100000Z", "RRULE:FREQ=WEEKLY")


def test_without_a_horizon_a_series_without_end_is_not_counted() -> None:
    put("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY", horizon=None)


def test_a_generous_estimate_is_checked_by_counting() -> None:
    # The estimate counts five weekdays a month (BYSETPOS is ignored): about 900 by
    # 2028, well over 500, while the real set has one instance a month.
    rule = "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    calendar_start = "DTSTART:20150101T100000Z"
    put(calendar_start, rule, max_instances=500)


def test_too_many_overrides_are_refused() -> None:
    overrides = [event(f"RECURRENCE-ID:202501{d:02d}T100000Z", f"DTSTART:202501{d:02d}T120000Z")
                 for d in range(1, 12)]
    data = calendar_bytes(event("DTSTART:20250101T100000Z", "RRULE:FREQ=DAILY;COUNT=30"),
                          *overrides)
    with pytest.raises(CalendarDataError) as caught:
        parse_calendar_object(data, allowed_components=EVENTS, max_size=10_000_000,
                              max_instances=10, horizon=HORIZON)
    assert caught.value.precondition == "max-instances"


def test_estimate_of_a_series_without_end_grows_with_its_age() -> None:
    parsed = put("DTSTART:20000101T100000Z", "RRULE:FREQ=DAILY", horizon=None)
    master = top_level(parsed.calendar, "VEVENT")[0]  # type: ignore[attr-defined]
    early = estimated_instances(master, datetime(2001, 1, 1, tzinfo=UTC))
    late = estimated_instances(master, datetime(2026, 1, 1, tzinfo=UTC))
    assert 360 < early < 370
    assert late > 9000
    assert estimated_instances(master) == float("inf")


def test_expansion_is_charged_to_the_active_budget() -> None:
    parsed = put("DTSTART:20000101T100000Z", "RRULE:FREQ=DAILY", horizon=None)
    events = top_level(parsed.calendar, "VEVENT")  # type: ignore[attr-defined]
    month = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert len(list(iter_instances(events, *month))) > 30  # no budget: not bounded
    with InstanceBudget(20_000).active() as budget:
        list(iter_instances(events, *month))
    # The ~35 instances made (the range widened by the padding), and the ~9,500 steps
    # walked since 2000 at SKIP_COST each.
    skipped = 9500 * SKIP_COST
    assert 30 + 0.9 * skipped < budget.used < 40 + 1.1 * skipped
    with pytest.raises(TooManyInstances), InstanceBudget(400).active():
        list(iter_instances(events, *month))


def test_an_open_ended_expansion_is_charged_as_it_is_consumed() -> None:
    parsed = put("DTSTART:20000101T100000Z", "RRULE:FREQ=DAILY", horizon=None)
    events = top_level(parsed.calendar, "VEVENT")  # type: ignore[attr-defined]
    with InstanceBudget(100).active() as budget:
        instances = iter_instances(events)
        for _ in range(50):
            next(instances)
        assert budget.used == 50
        with pytest.raises(TooManyInstances):
            for _ in range(60):
                next(instances)
