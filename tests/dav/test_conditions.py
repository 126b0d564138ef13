"""Entity tags and If-Match / If-None-Match / If-(Un)Modified-Since (oxdav.dav.conditions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oxdav.dav.conditions import (
    ConditionResult,
    EntityTag,
    ResourceState,
    evaluate_preconditions,
    parse_etag_list,
    strong_match,
    weak_match,
)
from oxdav.dav.errors import DAVError

MODIFIED = datetime(2024, 3, 1, 12, 30, 5, 700_000, tzinfo=UTC)
EXISTING = ResourceState(True, '"abc"', MODIFIED)
MISSING = ResourceState(False)
PROCEED = ConditionResult.PROCEED
NOT_MODIFIED = ConditionResult.NOT_MODIFIED


def test_entity_tag_parses_strong_and_weak() -> None:
    assert EntityTag.parse('"abc"') == EntityTag("abc")
    assert EntityTag.parse('W/"abc"') == EntityTag("abc", weak=True)
    assert str(EntityTag("abc", weak=True)) == 'W/"abc"'


@pytest.mark.parametrize("bad", ['"abc', '"a"b"', "", "a b"])
def test_malformed_entity_tags_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        EntityTag.parse(bad)


def test_strong_comparison_rejects_weak_tags() -> None:
    assert strong_match('"a"', '"a"')
    assert not strong_match('W/"a"', '"a"')
    assert not strong_match('"a"', '"b"')


def test_weak_comparison_ignores_weakness() -> None:
    assert weak_match('W/"a"', '"a"')


def test_etag_list_parses_star_and_lists_with_commas_in_quotes() -> None:
    assert parse_etag_list(" * ") == "*"
    assert parse_etag_list('"a", W/"b,c" ,"d"') == [
        EntityTag("a"),
        EntityTag("b,c", weak=True),
        EntityTag("d"),
    ]


def test_malformed_etag_list_is_400() -> None:
    with pytest.raises(DAVError) as info:
        parse_etag_list('"unterminated')
    assert info.value.status == 400


def _outcome(method: str, headers: dict[str, str], state: ResourceState) -> object:
    try:
        return evaluate_preconditions(method, headers, state)
    except DAVError as err:
        return err.status


# (method, headers, state, expected): the If-Match / If-None-Match matrix.
MATRIX = [
    ("PUT", {}, EXISTING, PROCEED),
    ("PUT", {"if-match": '"abc"'}, EXISTING, PROCEED),
    ("PUT", {"if-match": '"old"'}, EXISTING, 412),
    ("PUT", {"if-match": '"old", "abc"'}, EXISTING, PROCEED),
    ("PUT", {"if-match": 'W/"abc"'}, EXISTING, 412),
    ("PUT", {"if-match": "*"}, EXISTING, PROCEED),
    ("PUT", {"if-match": "*"}, MISSING, 412),
    ("PUT", {"if-match": '"abc"'}, MISSING, 412),
    ("PUT", {"if-none-match": "*"}, MISSING, PROCEED),
    ("PUT", {"if-none-match": "*"}, EXISTING, 412),
    ("PUT", {"if-none-match": '"abc"'}, EXISTING, 412),
    ("PUT", {"if-none-match": '"old"'}, EXISTING, PROCEED),
    ("DELETE", {"if-match": '"old"'}, EXISTING, 412),
    ("GET", {"if-none-match": '"abc"'}, EXISTING, NOT_MODIFIED),
    ("GET", {"if-none-match": 'W/"abc"'}, EXISTING, NOT_MODIFIED),
    ("HEAD", {"if-none-match": "*"}, EXISTING, NOT_MODIFIED),
    ("GET", {"if-none-match": '"old"'}, EXISTING, PROCEED),
    ("GET", {"if-match": '"old"'}, EXISTING, 412),
    ("GET", {"if-match": '"abc"', "if-none-match": '"abc"'}, EXISTING, NOT_MODIFIED),
    ("PUT", {"if-match": '"abc"', "if-none-match": "*"}, EXISTING, 412),
]


@pytest.mark.parametrize(("method", "headers", "state", "expected"), MATRIX)
def test_if_match_if_none_match_matrix(
    method: str, headers: dict[str, str], state: ResourceState, expected: object
) -> None:
    assert _outcome(method, headers, state) == expected


def test_if_unmodified_since_in_the_past_is_412() -> None:
    headers = {"if-unmodified-since": "Fri, 01 Mar 2024 12:00:00 GMT"}
    assert _outcome("PUT", headers, EXISTING) == 412


def test_if_unmodified_since_same_second_proceeds() -> None:
    headers = {"if-unmodified-since": "Fri, 01 Mar 2024 12:30:05 GMT"}
    assert _outcome("PUT", headers, EXISTING) is PROCEED


def test_if_unmodified_since_is_ignored_when_if_match_present() -> None:
    headers = {"if-match": '"abc"', "if-unmodified-since": "Fri, 01 Mar 2024 12:00:00 GMT"}
    assert _outcome("PUT", headers, EXISTING) is PROCEED


def test_if_modified_since_unchanged_gives_304_on_get() -> None:
    headers = {"if-modified-since": "Fri, 01 Mar 2024 12:30:05 GMT"}
    assert _outcome("GET", headers, EXISTING) is NOT_MODIFIED


def test_if_modified_since_changed_proceeds() -> None:
    headers = {"if-modified-since": "Fri, 01 Mar 2024 12:00:00 GMT"}
    assert _outcome("GET", headers, EXISTING) is PROCEED


def test_if_modified_since_is_ignored_on_put() -> None:
    headers = {"if-modified-since": "Fri, 01 Mar 2024 12:30:05 GMT"}
    assert _outcome("PUT", headers, EXISTING) is PROCEED


def test_if_modified_since_is_ignored_with_if_none_match() -> None:
    headers = {"if-none-match": '"old"', "if-modified-since": "Fri, 01 Mar 2024 12:30:05 GMT"}
    assert _outcome("GET", headers, EXISTING) is PROCEED


def test_invalid_dates_are_ignored() -> None:
    assert _outcome("PUT", {"if-unmodified-since": "yesterday"}, EXISTING) is PROCEED
