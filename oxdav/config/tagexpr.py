"""The ``withTags`` expressions of context sets.

Grammar (precedence from loosest to tightest, as in OX and in C)::

    expression := term ( "|" term )*
    term       := factor ( "&" factor )*
    factor     := "!" factor | "(" expression ")" | TAG
    TAG        := one or more characters other than whitespace and & | ! ( )

A tag matches when the user's tag set contains it; tags are compared
case-insensitively (``ucInfostore`` = ``ucinfostore``), so a capitalisation slip in a
YAML file does not silently disable a set. Examples: ``ucInfostore``,
``ucCalendar & !trial``, ``(premium | gold) & ucContacts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:([&|!()])|([^\s&|!()]+))")

Matcher = Callable[[frozenset[str]], bool]


class TagExpressionError(ValueError):
    """A ``withTags`` value that does not follow the grammar."""


@dataclass(frozen=True)
class TagExpression:
    """A parsed ``withTags`` expression; call ``matches(tags)`` with lower-cased tags."""

    text: str
    matches: Matcher
    tags: frozenset[str]


def normalise_tags(tags: Iterable[str]) -> frozenset[str]:
    """Lower-case a collection of tags for matching."""
    return frozenset(tag.lower() for tag in tags)


def parse_tag_expression(text: str) -> TagExpression:
    """Parse ``text``; raise :class:`TagExpressionError` with the position on error."""
    tokens = _tokenise(text)
    parser = _Parser(text, tokens)
    matcher = parser.expression()
    if parser.position < len(tokens):
        raise TagExpressionError(f"unexpected {tokens[parser.position]!r} in {text!r}")
    return TagExpression(text, matcher, frozenset(parser.seen))


def _tokenise(text: str) -> list[str]:
    tokens = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the pattern accepts every character
            raise TagExpressionError(f"cannot read {text[position:]!r}")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    if not tokens:
        raise TagExpressionError("empty expression")
    return tokens


class _Parser:
    def __init__(self, text: str, tokens: list[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.position = 0
        self.seen: set[str] = set()

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise TagExpressionError(f"{self.text!r} ends too early")
        self.position += 1
        return token

    def expression(self) -> Matcher:
        parts = [self.term()]
        while self._peek() == "|":
            self._take()
            parts.append(self.term())
        if len(parts) == 1:
            return parts[0]
        return lambda tags: any(part(tags) for part in parts)

    def term(self) -> Matcher:
        parts = [self.factor()]
        while self._peek() == "&":
            self._take()
            parts.append(self.factor())
        if len(parts) == 1:
            return parts[0]
        return lambda tags: all(part(tags) for part in parts)

    def factor(self) -> Matcher:
        token = self._take()
        if token == "!":
            inner = self.factor()
            return lambda tags: not inner(tags)
        if token == "(":
            inner = self.expression()
            if self._take() != ")":
                raise TagExpressionError(f"missing ')' in {self.text!r}")
            return inner
        if token in "&|)":
            raise TagExpressionError(f"unexpected {token!r} in {self.text!r}")
        tag = token.lower()
        self.seen.add(tag)
        return lambda tags: tag in tags
