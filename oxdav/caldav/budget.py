"""How many recurrence instances a series costs, and a bound on them per request.

Expanding a series costs a step per instance from its first one on, whatever range is
asked for, so the cost of a query grows with the size and the age of the series it
meets. :func:`estimated_instances` is the (generous) cost model; an
:class:`InstanceBudget`, made active on the thread doing the work, is charged by every
expansion (:mod:`oxdav.caldav.instances`) and raises :class:`TooManyInstances` once a
request has used its share, so that no request can take the server for itself.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from icalendar import Component

_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}


def _utc(value: date) -> datetime:
    """A DATE or DATE-TIME as a UTC moment; floating ones read as UTC (an estimate)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _moment(component: Component, name: str) -> date | None:
    value = getattr(component.get(name), "dt", None)
    return value if isinstance(value, date) else None


def _rules(component: Component) -> list[dict[str, list[object]]]:
    rules = component.get("RRULE", [])
    return rules if isinstance(rules, list) else [rules]


def _values(component: Component, name: str) -> int:
    """How many values the (possibly repeated) date-list property ``name`` holds."""
    found = component.get(name, [])
    return sum(len(item.dts) for item in (found if isinstance(found, list) else [found]))


def recurrence_dates(component: Component) -> int:
    """RDATE and EXDATE values of a component: each is work for every expansion."""
    return _values(component, "RDATE") + _values(component, "EXDATE")


def estimated_instances(master: Component, until: date | None = None) -> float:
    """A generous estimate of the instances ``master`` generates, up to ``until``.

    Bounded rules (COUNT, UNTIL) are counted to their end or to ``until``, whichever
    comes first; rules without an end up to ``until``, and as infinite without one.
    Every RDATE counts one.
    """
    total = 0.0
    start = _moment(master, "DTSTART") or _moment(master, "DUE")
    for rule in _rules(master):
        count = float(str(rule["COUNT"][0])) if "COUNT" in rule else math.inf
        ends = [_utc(v) for v in (rule.get("UNTIL", [None])[0], until)
                if isinstance(v, date)]
        if start is None or not ends:
            total += count
            continue
        freq = str(rule.get("FREQ", ["DAILY"])[0]).upper()
        interval = int(str(rule.get("INTERVAL", [1])[0])) or 1
        span = (min(ends) - _utc(start)).total_seconds()
        factor = 1
        for part, values in rule.items():
            if part.startswith("BY") and part != "BYSETPOS":
                factor *= len(values)
        if "BYDAY" in rule and freq in ("MONTHLY", "YEARLY"):
            factor *= 5 if freq == "MONTHLY" else 53
        steps = (max(span, 0) / (_FREQ_SECONDS.get(freq, 1) * interval) + 1) * factor
        total += min(count, steps)
    return total + _values(master, "RDATE")


class TooManyInstances(Exception):
    """A request needed more recurrence instances than its budget allows.

    Attributes:
        limit: the budget.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} recurrence instances")
        self.limit = limit

    def __reduce__(self) -> tuple[type[TooManyInstances], tuple[int]]:
        return type(self), (self.limit,)


class InstanceBudget:
    """The recurrence instances one request may still compute.

    Args:
        limit: instances in all, across every object the request looks at.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0.0

    def charge(self, instances: float) -> None:
        """Count ``instances``. Raises: TooManyInstances, once over the limit."""
        self.used += instances
        if self.used > self.limit:
            raise TooManyInstances(self.limit)

    @contextmanager
    def active(self) -> Iterator[InstanceBudget]:
        """Charge the expansions this thread runs inside the block to this budget."""
        previous = getattr(_active, "budget", None)
        _active.budget = self
        try:
            yield self
        finally:
            _active.budget = previous


_active = threading.local()


def charge(instances: float) -> None:
    """Charge the budget active on this thread, if any (see :meth:`InstanceBudget.active`).

    Raises: TooManyInstances.
    """
    budget: InstanceBudget | None = getattr(_active, "budget", None)
    if budget is not None:
        budget.charge(instances)

