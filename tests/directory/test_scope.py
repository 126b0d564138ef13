"""A user's cascade scope (directory.scope): made once per pair of records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from oxdav.directory.scope import scope_for
from oxdav.store.models import Context, User

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
CONTEXT = Context(1, "acme", ("acme.example",), ("gold",), {"a.b": "1"})
USER = User(1, 3, "ann", "Ann", None, None, "ann@acme.example", (), None,
            frozenset({"calendar"}), {}, True, WHEN, WHEN)


def test_the_same_records_give_the_same_scope_and_new_records_a_new_one() -> None:
    first = scope_for(CONTEXT, USER)
    assert scope_for(CONTEXT, USER) is first
    assert {"acme", "1", "gold", "uccalendar"} <= {t.lower() for t in first.tags}
    # A context or user read again after a change is a new record: its scope says so.
    changed = scope_for(replace(CONTEXT, config={"a.b": "2"}), USER)
    assert changed != first and ("a.b", "2") in changed.context_config
    more = scope_for(CONTEXT, replace(USER, permissions=frozenset({"calendar", "contacts"})))
    assert "uccontacts" in {t.lower() for t in more.tags}
    # Equal records that are other objects give an equal scope.
    assert scope_for(replace(CONTEXT), replace(USER)) == first
