"""Conditional requests: entity tags, If-Match / If-None-Match / If-(Un)Modified-Since.

RFC 9110 §13 (formerly RFC 7232) defines the headers and the order they are evaluated
in (§13.2.2); :func:`evaluate_preconditions` implements that order. The WebDAV ``If``
header (RFC 4918 §10.4) has a real parser, :func:`parse_if_header`, and an evaluator,
:func:`evaluate_if_header`, that asks a caller-supplied function for the entity tag
and lock tokens of each resource the header names.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from oxdav.dav.errors import DAVError


@dataclass(frozen=True)
class EntityTag:
    """An entity tag (RFC 9110 §8.8.3).

    Attributes:
        opaque: the tag without quotes or ``W/``.
        weak: whether it is a weak validator.
    """

    opaque: str
    weak: bool = False

    @classmethod
    def parse(cls, text: str) -> EntityTag:
        """Parse ``"x"`` or ``W/"x"``; a bare token (sent by sloppy clients) is strong.

        Raises:
            ValueError: empty or unterminated.
        """
        text = text.strip()
        weak = text[:2] in ("W/", "w/")
        if weak:
            text = text[2:]
        if text.startswith('"'):
            if len(text) < 2 or not text.endswith('"') or '"' in text[1:-1]:
                raise ValueError(f"malformed entity tag {text!r}")
            return cls(text[1:-1], weak)
        if not text or any(c in text for c in '", '):
            raise ValueError(f"malformed entity tag {text!r}")
        return cls(text, weak)

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


def _as_tag(value: str | EntityTag) -> EntityTag:
    return value if isinstance(value, EntityTag) else EntityTag.parse(value)


def strong_match(a: str | EntityTag, b: str | EntityTag) -> bool:
    """Strong comparison (RFC 9110 §8.8.3.2): both strong and identical."""
    first, second = _as_tag(a), _as_tag(b)
    return not first.weak and not second.weak and first.opaque == second.opaque


def weak_match(a: str | EntityTag, b: str | EntityTag) -> bool:
    """Weak comparison (RFC 9110 §8.8.3.2): identical opaque parts."""
    return _as_tag(a).opaque == _as_tag(b).opaque


def split_etag_list(value: str) -> list[str]:
    """Split a comma-separated list of entity tags, respecting quotes."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def parse_etag_list(value: str) -> list[EntityTag] | Literal["*"]:
    """Parse an If-Match / If-None-Match value: ``*`` or a list of entity tags.

    Raises:
        DAVError: 400 for a malformed list.
    """
    if value.strip() == "*":
        return "*"
    try:
        tags = [EntityTag.parse(item) for item in split_etag_list(value)]
    except ValueError as exc:
        raise DAVError(400, None, str(exc)) from None
    if not tags:
        raise DAVError(400, None, "empty entity-tag list")
    return tags


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date; ``None`` when absent or invalid (such headers are ignored)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class ResourceState:
    """What the conditions are evaluated against.

    Attributes:
        exists: whether the target resource currently exists.
        etag: its current strong entity tag (quoted), if any.
        last_modified: its modification time (aware), if known.
    """

    exists: bool
    etag: str | None = None
    last_modified: datetime | None = None


class ConditionResult(enum.Enum):
    """Outcome of :func:`evaluate_preconditions` when the request may not simply fail."""

    PROCEED = "proceed"
    NOT_MODIFIED = "not-modified"  # answer 304 (GET/HEAD only)


def _if_match(value: str, state: ResourceState) -> bool:
    tags = parse_etag_list(value)
    if tags == "*":
        return state.exists
    if not state.exists or state.etag is None:
        return False
    return any(strong_match(tag, state.etag) for tag in tags)


def _if_none_match(value: str, state: ResourceState) -> bool:
    tags = parse_etag_list(value)
    if tags == "*":
        return not state.exists
    if not state.exists or state.etag is None:
        return True
    return not any(weak_match(tag, state.etag) for tag in tags)


def _not_after(moment: datetime, limit: datetime) -> bool:
    """``moment <= limit`` at the one-second resolution of HTTP dates."""
    return moment.replace(microsecond=0) <= limit


def evaluate_preconditions(
    method: str, headers: Mapping[str, str], state: ResourceState
) -> ConditionResult:
    """Evaluate the HTTP preconditions in RFC 9110 §13.2.2 order.

    Args:
        method: the request method.
        headers: request headers with lower-case names.
        state: the target resource's current state.

    Returns:
        ``PROCEED``, or ``NOT_MODIFIED`` when a GET/HEAD should get 304.

    Raises:
        DAVError: 412 when a precondition fails (e.g. ``If-None-Match: *`` on PUT of an
            existing resource, or ``If-Match`` with a stale ETag); 400 for malformed
            entity-tag lists.
    """
    safe = method.upper() in ("GET", "HEAD")
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _if_match(if_match, state):
            raise DAVError(412, None, "If-Match precondition failed")
    else:
        since = parse_http_date(headers.get("if-unmodified-since"))
        if since is not None and state.last_modified is not None:
            if not _not_after(state.last_modified, since):
                raise DAVError(412, None, "If-Unmodified-Since precondition failed")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if not _if_none_match(if_none_match, state):
            if safe:
                return ConditionResult.NOT_MODIFIED
            raise DAVError(412, None, "If-None-Match precondition failed")
    elif safe and state.exists:
        since = parse_http_date(headers.get("if-modified-since"))
        if since is not None and state.last_modified is not None:
            if _not_after(state.last_modified, since):
                return ConditionResult.NOT_MODIFIED
    return ConditionResult.PROCEED


# --- The WebDAV If header (RFC 4918 §10.4) -------------------------------------------


@dataclass(frozen=True)
class IfCondition:
    """One Condition: ``["Not"] (State-token | "[" entity-tag "]")``.

    Exactly one of ``state_token`` (the URI inside ``<…>``) and ``etag`` is set.
    """

    negated: bool
    state_token: str | None = None
    etag: EntityTag | None = None


@dataclass(frozen=True)
class IfList:
    """One List: conditions that must all hold, for ``resource`` (``None``: the
    request URI, i.e. a No-tag-list)."""

    resource: str | None
    conditions: tuple[IfCondition, ...]


@dataclass(frozen=True)
class IfHeader:
    """A parsed If header: true when at least one list holds (RFC 4918 §10.4.3)."""

    lists: tuple[IfList, ...]

    @property
    def tagged(self) -> bool:
        """Whether the header uses Tagged-lists."""
        return self.lists[0].resource is not None

    def state_tokens(self) -> set[str]:
        """Every state token mentioned (lock tokens submitted, RFC 4918 §10.4.1)."""
        return {c.state_token for lst in self.lists for c in lst.conditions if c.state_token}


class _IfScanner:
    """Hand-written scanner for the RFC 4918 §10.4.2 grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> DAVError:
        return DAVError(400, None, f"malformed If header at {self.pos}: {what}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def until(self, char: str) -> str:
        end = self.text.find(char, self.pos)
        if end < 0:
            raise self.error(f"missing {char!r}")
        value, self.pos = self.text[self.pos : end], end + 1
        return value

    def coded_url(self) -> str:
        self.expect("<")
        value = self.until(">").strip()
        if not value:
            raise self.error("empty <>")
        return value

    def entity_tag(self) -> EntityTag:
        self.expect("[")
        start = self.pos
        self.skip_space()
        if self.text.startswith(("W/", "w/"), self.pos):
            self.pos += 2
        if self.pos < len(self.text) and self.text[self.pos] == '"':
            self.pos += 1
            self.until('"')
            raw = self.text[start : self.pos]
            self.expect("]")
        else:
            self.pos = start
            raw = self.until("]")
        try:
            return EntityTag.parse(raw)
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def condition(self) -> IfCondition:
        negated = False
        if self.text[self.pos : self.pos + 3].lower() == "not":
            negated, self.pos = True, self.pos + 3
        char = self.peek()
        if char == "<":
            return IfCondition(negated, state_token=self.coded_url())
        if char == "[":
            return IfCondition(negated, etag=self.entity_tag())
        raise self.error("expected a state token or [entity-tag]")

    def if_list(self, resource: str | None) -> IfList:
        self.expect("(")
        conditions = []
        while self.peek() != ")":
            if not self.peek():
                raise self.error("unterminated list")
            conditions.append(self.condition())
        self.pos += 1
        if not conditions:
            raise self.error("empty list")
        return IfList(resource, tuple(conditions))


def parse_if_header(value: str) -> IfHeader:
    """Parse an RFC 4918 §10.4.2 If header (tagged or untagged lists).

    Raises:
        DAVError: 400 when the value does not follow the grammar.
    """
    scanner = _IfScanner(value)
    lists: list[IfList] = []
    tagged = scanner.peek() == "<"
    resource: str | None = None
    while scanner.peek():
        if scanner.peek() == "<":
            if not tagged:
                raise scanner.error("resource tag after untagged lists")
            resource = scanner.coded_url()
            lists.append(scanner.if_list(resource))
        else:
            lists.append(scanner.if_list(resource))
    if not lists:
        raise scanner.error("no lists")
    return IfHeader(tuple(lists))


#: ``(etag, lock tokens)`` of a resource, or ``None`` when no resource is mapped there.
IfState = tuple[str | None, Collection[str]] | None
#: ``lookup(url)`` → :data:`IfState`; may be a coroutine function.
IfStateLookup = Callable[[str], IfState | Awaitable[IfState]]


def _condition_holds(condition: IfCondition, state: IfState) -> bool:
    """RFC 4918 §10.4.4: unmapped resources match neither tags nor tokens."""
    matched = False
    if state is not None:
        etag, tokens = state
        if condition.state_token is not None:
            matched = condition.state_token in tokens
        elif condition.etag is not None and etag is not None:
            matched = strong_match(condition.etag, etag)
    return matched != condition.negated


async def evaluate_if_header(header: IfHeader, request_url: str, lookup: IfStateLookup) -> bool:
    """Evaluate ``header``: true iff at least one list has all conditions true.

    Args:
        header: the parsed header.
        request_url: the request URI (for untagged lists), as the lookup expects it.
        lookup: gives ``(etag, lock tokens)`` per resource URL (tags are passed as
            written in the header: absolute URL or path).
    """
    cache: dict[str, IfState] = {}
    for if_list in header.lists:
        url = if_list.resource if if_list.resource is not None else request_url
        if url not in cache:
            found = lookup(url)
            cache[url] = await found if inspect.isawaitable(found) else found
        if all(_condition_holds(c, cache[url]) for c in if_list.conditions):
            return True
    return False


async def check_if_header(value: str | None, request_url: str, lookup: IfStateLookup) -> None:
    """Parse and evaluate an If header; nothing to do when it is absent.

    Raises:
        DAVError: 400 when malformed, 412 when it evaluates to false (RFC 4918 §10.4.1).
    """
    if value is None or not value.strip():
        return
    if not await evaluate_if_header(parse_if_header(value), request_url, lookup):
        raise DAVError(412, None, "If header evaluated to false")
