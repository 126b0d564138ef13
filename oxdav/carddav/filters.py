"""The addressbook-query filter: typed model, parsing and evaluation (RFC 6352 §10.5).

:func:`parse_filter` turns a ``CARDDAV:filter`` lxml element into a :class:`Filter`
tree, refusing what the server cannot evaluate with a :class:`FilterError`; the tree
then evaluates against parsed cards of either vCard version. Property and parameter
names compare case-insensitively; a prop-filter name without a group matches the
property in any group, one with a group only in that group (§10.5.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Final, Literal

from lxml import etree

from oxdav.carddav.card import (
    Card,
    CardProperty,
    CardSyntaxError,
    read_card,
    split_structured,
    split_text_list,
)
from oxdav.carddav.collation import (
    MATCH_TYPES,
    UNICODE_CASEMAP,
    MatchType,
    resolve_collation,
    text_matches,
)
from oxdav.carddav.convert_values import tel_uri_to_text
from oxdav.carddav.errors import CARDDAV_NS, FilterError

Test = Literal["anyof", "allof"]

SUPPORTED_COLLATION: Final = "supported-collation"
SUPPORTED_FILTER: Final = "supported-filter"
VALID_FILTER: Final = "valid-filter"

_FILTER = f"{{{CARDDAV_NS}}}filter"
_PROP_FILTER = f"{{{CARDDAV_NS}}}prop-filter"
_PARAM_FILTER = f"{{{CARDDAV_NS}}}param-filter"
_IS_NOT_DEFINED = f"{{{CARDDAV_NS}}}is-not-defined"
_TEXT_MATCH = f"{{{CARDDAV_NS}}}text-match"

# RFC 6350 §3.3: group "." name, both 1*(ALPHA / DIGIT / "-").
_PROPERTY_NAME = re.compile(r"^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)$")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_NOT_PROPERTIES: Final = frozenset({"BEGIN", "END"})
_LISTS: Final = frozenset({"NICKNAME", "CATEGORIES"})
_STRUCTURED: Final = frozenset({"N", "ADR", "ORG", "GENDER"})


@dataclass(frozen=True)
class TextMatch:
    """CARDDAV:text-match (§10.5.4)."""

    text: str
    collation: str = UNICODE_CASEMAP
    match_type: MatchType = "contains"
    negate: bool = False

    def matches(self, values: list[str]) -> bool:
        """Whether any of ``values`` matches, inverted by negate-condition."""
        found = any(text_matches(self.collation, self.match_type, self.text, v) for v in values)
        return found != self.negate


@dataclass(frozen=True)
class ParamFilter:
    """CARDDAV:param-filter (§10.5.2): test one parameter of a property."""

    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None

    def matches(self, prop: CardProperty) -> bool:
        """Whether ``prop`` passes; a multi-valued parameter passes if any value does."""
        values = prop.param(self.name)
        defined = self.name.upper() in prop.params
        if self.is_not_defined:
            return not defined
        if self.text_match is None:
            return defined
        return defined and self.text_match.matches(values)


@dataclass(frozen=True)
class PropFilter:
    """CARDDAV:prop-filter (§10.5.1): test the properties of one name.

    The card matches when one property of that name passes the text-match and
    param-filter tests, combined by ``test``; or, with ``is_not_defined``, when the
    card has no property of that name.
    """

    name: str
    group: str | None = None
    test: Test = "anyof"
    is_not_defined: bool = False
    text_matches: tuple[TextMatch, ...] = ()
    param_filters: tuple[ParamFilter, ...] = ()

    def _properties(self, card: Card) -> list[CardProperty]:
        if self.name == "VERSION":
            return [CardProperty("VERSION", card.version)] if card.version else []
        group = self.group.lower() if self.group is not None else None
        return [
            p
            for p in card.properties
            if p.name == self.name and (group is None or (p.group or "").lower() == group)
        ]

    def _property_matches(self, prop: CardProperty) -> bool:
        values = match_values(prop)
        results = (tm.matches(values) for tm in self.text_matches)
        param_results = (pf.matches(prop) for pf in self.param_filters)
        tests = [*results, *param_results]
        return any(tests) if self.test == "anyof" else all(tests)

    def matches(self, card: Card) -> bool:
        """Whether ``card`` passes this prop-filter."""
        props = self._properties(card)
        if self.is_not_defined:
            return not props
        if not self.text_matches and not self.param_filters:
            return bool(props)
        return any(self._property_matches(p) for p in props)


@dataclass(frozen=True)
class Filter:
    """CARDDAV:filter (§10.5): prop-filters combined by ``test``.

    A filter without prop-filters matches every card.
    """

    test: Test = "anyof"
    prop_filters: tuple[PropFilter, ...] = ()

    def matches(self, card: Card) -> bool:
        """Whether ``card`` matches the filter."""
        if not self.prop_filters:
            return True
        results = (pf.matches(card) for pf in self.prop_filters)
        return any(results) if self.test == "anyof" else all(results)

    def matches_data(self, data: bytes) -> bool:
        """Whether stored card bytes match; data that cannot be read matches nothing."""
        if not self.prop_filters:
            return True
        try:
            card = read_card(data)
        except CardSyntaxError:
            return False
        return self.matches(card)


def match_values(prop: CardProperty) -> list[str]:
    """The texts a text-match is tried against for ``prop``.

    The whole unescaped value, plus each item of a list (NICKNAME, CATEGORIES) and each
    component of a structured value (N, ADR, ORG, GENDER), and the number of a ``tel:``
    URI, so that e.g. ``equals "Daboo"`` finds ``N:Daboo;Cyrus``.
    """
    values = [prop.text]
    if prop.name in _LISTS:
        values.extend(split_text_list(prop.value))
    elif prop.name in _STRUCTURED:
        values.extend(v for component in split_structured(prop.value) for v in component)
    elif prop.name == "TEL" and (number := tel_uri_to_text(prop.value)) is not None:
        values.append(number)
    return values


# --- parsing ----------------------------------------------------------------------


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    """Child elements; comments and processing instructions are skipped."""
    return (child for child in parent if isinstance(child.tag, str))


def _carddav_children(parent: etree._Element) -> Iterator[etree._Element]:
    # RFC 6352 §2: extension elements of other namespaces may appear and are ignored.
    for child in _elements(parent):
        if etree.QName(child).namespace == CARDDAV_NS:
            yield child


def _test(element: etree._Element) -> Test:
    value = element.get("test", "anyof")
    if value not in ("anyof", "allof"):
        raise FilterError(VALID_FILTER, f"test={value!r} is neither anyof nor allof")
    return "anyof" if value == "anyof" else "allof"


def _unexpected(child: etree._Element, parent: str) -> FilterError:
    return FilterError(VALID_FILTER, f"unexpected {etree.QName(child).localname} in {parent}")


def parse_text_match(element: etree._Element) -> TextMatch:
    """Parse CARDDAV:text-match (§10.5.4).

    Raises:
        FilterError: ``supported-collation`` for an unknown collation (§8.3),
            ``valid-filter`` for a bad match-type or negate-condition.
    """
    collation = resolve_collation(element.get("collation"))
    if collation is None:
        raise FilterError(
            SUPPORTED_COLLATION, f"collation {element.get('collation')!r} is not supported"
        )
    match_type = element.get("match-type", "contains")
    if match_type not in MATCH_TYPES:
        raise FilterError(VALID_FILTER, f"match-type={match_type!r} is not supported")
    negate = element.get("negate-condition", "no")
    if negate not in ("yes", "no"):
        raise FilterError(VALID_FILTER, f"negate-condition={negate!r} is neither yes nor no")
    if next(_elements(element), None) is not None:
        raise FilterError(VALID_FILTER, "text-match must contain text only")
    return TextMatch(
        text=element.text or "",
        collation=collation,
        match_type=next(t for t in MATCH_TYPES if t == match_type),
        negate=negate == "yes",
    )


def parse_param_filter(element: etree._Element) -> ParamFilter:
    """Parse CARDDAV:param-filter (§10.5.2).

    Raises:
        FilterError: ``supported-filter`` (carrying the element) for a name that is not
            a parameter name; ``valid-filter`` for bad content.
    """
    name = element.get("name")
    if name is None:
        raise FilterError(VALID_FILTER, "param-filter without a name")
    if not _PARAM_NAME.match(name):
        raise FilterError(
            SUPPORTED_FILTER, f"{name!r} is not a vCard parameter name", deepcopy(element)
        )
    children = list(_carddav_children(element))
    if len(children) > 1:
        raise FilterError(VALID_FILTER, "param-filter takes one is-not-defined or text-match")
    if not children:
        return ParamFilter(name.upper())
    if children[0].tag == _IS_NOT_DEFINED:
        return ParamFilter(name.upper(), is_not_defined=True)
    if children[0].tag == _TEXT_MATCH:
        return ParamFilter(name.upper(), text_match=parse_text_match(children[0]))
    raise _unexpected(children[0], "param-filter")


def parse_prop_filter(element: etree._Element) -> PropFilter:
    """Parse CARDDAV:prop-filter (§10.5.1).

    Raises:
        FilterError: ``supported-filter`` (carrying the offending prop-filter or
            param-filter) for a name that is not a vCard property or parameter name;
            ``supported-collation``; ``valid-filter`` for bad structure.
    """
    name = element.get("name")
    if name is None:
        raise FilterError(VALID_FILTER, "prop-filter without a name")
    parsed = _PROPERTY_NAME.match(name)
    if parsed is None or parsed[2].upper() in _NOT_PROPERTIES:
        raise FilterError(
            SUPPORTED_FILTER, f"{name!r} is not a vCard property name", deepcopy(element)
        )
    test = _test(element)
    text_matches: list[TextMatch] = []
    param_filters: list[ParamFilter] = []
    is_not_defined = False
    for child in _carddav_children(element):
        if child.tag == _IS_NOT_DEFINED:
            is_not_defined = True
        elif child.tag == _TEXT_MATCH:
            text_matches.append(parse_text_match(child))
        elif child.tag == _PARAM_FILTER:
            param_filters.append(parse_param_filter(child))
        else:
            raise _unexpected(child, "prop-filter")
    if is_not_defined and (text_matches or param_filters):
        raise FilterError(VALID_FILTER, "is-not-defined cannot be combined with other tests")
    return PropFilter(
        name=parsed[2].upper(),
        group=parsed[1],
        test=test,
        is_not_defined=is_not_defined,
        text_matches=tuple(text_matches),
        param_filters=tuple(param_filters),
    )


def parse_filter(element: etree._Element) -> Filter:
    """Parse a CARDDAV:filter element (RFC 6352 §10.5) into a :class:`Filter`.

    Args:
        element: the ``{urn:ietf:params:xml:ns:carddav}filter`` element.

    Raises:
        FilterError: ``supported-collation``, ``supported-filter`` or ``valid-filter``.
    """
    if element.tag != _FILTER:
        raise FilterError(VALID_FILTER, f"expected CARDDAV:filter, got {element.tag}")
    prop_filters = []
    for child in _carddav_children(element):
        if child.tag != _PROP_FILTER:
            raise _unexpected(child, "filter")
        prop_filters.append(parse_prop_filter(child))
    return Filter(test=_test(element), prop_filters=tuple(prop_filters))
