"""The withTags grammar: & | ! ( ), precedence, case-insensitivity, errors."""

import pytest

from oxdav.config.tagexpr import TagExpressionError, normalise_tags, parse_tag_expression


def matches(expression: str, *tags: str) -> bool:
    return parse_tag_expression(expression).matches(normalise_tags(tags))


def test_single_tag() -> None:
    assert matches("ucInfostore", "ucInfostore")
    assert not matches("ucInfostore", "ucCalendar")


def test_tags_compare_case_insensitively() -> None:
    assert matches("UCINFOSTORE", "ucInfostore")


def test_and_or_not() -> None:
    assert matches("a & b", "a", "b")
    assert not matches("a & b", "a")
    assert matches("a | b", "b")
    assert matches("!a", "b")
    assert not matches("!a", "a")


def test_and_binds_tighter_than_or() -> None:
    # a | (b & c)
    assert matches("a | b & c", "a")
    assert not matches("a | b & c", "b")
    assert matches("a | b & c", "b", "c")


def test_not_binds_tightest() -> None:
    # (!a) & b
    assert matches("!a & b", "b")
    assert not matches("!a & b", "a", "b")


def test_parentheses_override_precedence() -> None:
    assert not matches("(a | b) & c", "a")
    assert matches("(a | b) & c", "a", "c")
    assert matches("!(a & b)", "a")
    assert not matches("!(a & b)", "a", "b")


def test_no_spaces_needed() -> None:
    assert matches("premium&!trial", "premium")


@pytest.mark.parametrize("bad", ["", "   ", "a &", "& a", "(a", "a)", "a b", "!", "a | | b", "()"])
def test_malformed_expressions_are_rejected(bad: str) -> None:
    with pytest.raises(TagExpressionError):
        parse_tag_expression(bad)


def test_tags_used_are_reported() -> None:
    assert parse_tag_expression("A & (b | !c)").tags == {"a", "b", "c"}
