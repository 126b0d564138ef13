"""The Java properties syntax, case by case (java.util.Properties.load)."""

import pytest

from oxdav.config.properties import PropertiesSyntaxError, parse_properties


def pairs(text: str) -> list[tuple[str, str]]:
    return [(e.key, e.value) for e in parse_properties(text)]


@pytest.mark.parametrize("line", ["a=b", "a:b", "a b", "a = b", "a\t:\tb", "  a=b", "a\f=b"])
def test_every_separator_form_gives_the_same_pair(line: str) -> None:
    assert pairs(line) == [("a", "b")]


def test_only_the_first_separator_is_consumed() -> None:
    assert pairs("a==b") == [("a", "=b")]
    assert pairs("a = :b") == [("a", ":b")]
    assert pairs("url=https://x/y?z=1") == [("url", "https://x/y?z=1")]


def test_key_without_value_has_empty_value() -> None:
    assert pairs("lonely") == [("lonely", "")]
    assert pairs("lonely=") == [("lonely", "")]


def test_hash_and_bang_start_comments_blank_lines_are_skipped() -> None:
    assert pairs("# c\n! c\n\n   \n  # indented\nk=v") == [("k", "v")]


def test_hash_inside_a_value_is_not_a_comment() -> None:
    assert pairs("k=v # not a comment") == [("k", "v # not a comment")]


def test_backslash_continues_the_line_and_drops_leading_whitespace() -> None:
    text = "fruits=apple, \\\n        banana, \\\n        pear\nnext=1"
    assert pairs(text) == [("fruits", "apple, banana, pear"), ("next", "1")]


def test_even_number_of_backslashes_does_not_continue() -> None:
    assert pairs("a=b\\\\\nc=d") == [("a", "b\\"), ("c", "d")]


def test_comment_line_ending_in_backslash_does_not_continue() -> None:
    assert pairs("# comment \\\nk=v") == [("k", "v")]


def test_continuation_at_end_of_file() -> None:
    assert pairs("k=v\\") == [("k", "v")]


def test_escapes_in_keys_and_values() -> None:
    assert pairs(r"a\ key\:x\=y=tab\there\nnl") == [("a key:x=y", "tab\there\nnl")]
    assert pairs(r"k=\q\\") == [("k", "q\\")]


def test_unicode_escapes_including_surrogate_pairs() -> None:
    assert pairs(r"k=caf\u00e9 \uD83D\uDE00") == [("k", "café 😀")]


def test_malformed_unicode_escape_names_the_line() -> None:
    with pytest.raises(PropertiesSyntaxError) as caught:
        parse_properties("ok=1\nbad=\\u12G4")
    assert caught.value.line == 2


def test_all_line_terminators() -> None:
    assert pairs("a=1\rb=2\r\nc=3\n") == [("a", "1"), ("b", "2"), ("c", "3")]


def test_line_numbers_point_at_the_start_of_a_logical_line() -> None:
    entries = parse_properties("# c\n\na=1 \\\n  2\nb=3")
    assert [(e.key, e.line) for e in entries] == [("a", 3), ("b", 5)]


def test_trailing_whitespace_of_values_is_kept_as_java_does() -> None:
    assert pairs("k=v  ") == [("k", "v  ")]
