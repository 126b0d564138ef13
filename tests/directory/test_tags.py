"""A user's base config tags (DESIGN.md §6)."""

from __future__ import annotations

import pytest

from oxdav.directory.tags import permission_tag, user_base_tags
from tests.directory.memory_directory import Context, User


def make_user(context_id: int = 42, permissions: frozenset[str] = frozenset()) -> User:
    return User(context_id, 7, "u", "u@example.com", "", permissions=permissions)


def test_tags_hold_context_name_id_and_taxonomy_types() -> None:
    context = Context(42, "acme", ("acme.test",), taxonomy_types=("premium", "eu"))
    assert user_base_tags(context, make_user()) == {"acme", "42", "premium", "eu"}


@pytest.mark.parametrize(
    ("permission", "tag"),
    [
        ("calendar", "ucCalendar"),
        ("contacts", "ucContacts"),
        ("tasks", "ucTasks"),
        ("infostore", "ucInfostore"),
        ("editPassword", "ucEditPassword"),
    ],
)
def test_module_permission_becomes_uc_tag(permission: str, tag: str) -> None:
    assert permission_tag(permission) == tag


def test_tags_hold_one_uc_tag_per_permission() -> None:
    context = Context(42, "acme", ("acme.test",))
    user = make_user(permissions=frozenset({"calendar", "infostore", ""}))
    assert user_base_tags(context, user) == {"acme", "42", "ucCalendar", "ucInfostore"}


def test_user_of_another_context_is_rejected() -> None:
    with pytest.raises(ValueError):
        user_base_tags(Context(1, "other", ()), make_user(context_id=42))
