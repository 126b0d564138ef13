"""PROPFIND request bodies and the result object that does the 200/404 bookkeeping.

RFC 4918 §9.1 / §14.20: a PROPFIND body is ``propname``, ``allprop`` (optionally with
``include``) or ``prop``; an empty body means ``allprop``.

:class:`PropFindResult` follows sabre/dav's ``PropFind``: it knows which properties were
asked for, starts each requested one at 404, and lets producers :meth:`handle` a
property — the getter runs only if the property was requested and is still pending.
The same class serves REPORT responses that carry properties (multiget, query,
sync-collection).

A value that cannot be written into XML (text stored before such text was refused,
e.g. a calendar object holding a NUL) becomes that property's 500 with a
``responsedescription``, never a response cut off halfway: the other properties and
members are served, the member's ``getetag`` included, so a client keeps what it has.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Final

from lxml import etree
from twisted.logger import Logger

from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import (
    NotXMLText,
    PropertyItem,
    PropStat,
    ResponseEntry,
    TextProperty,
    refused_text,
)
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.xml import child_elements

_PROPFIND = clark(DAV_NS, "propfind")
_PROP = clark(DAV_NS, "prop")
_ALLPROP = clark(DAV_NS, "allprop")
_PROPNAME = clark(DAV_NS, "propname")
_INCLUDE = clark(DAV_NS, "include")

#: The ``responsedescription`` of a property whose value XML cannot carry.
NOT_WRITABLE: Final = "the stored value holds a character XML cannot carry"
#: The ``responsedescription`` of a property whose stored object cannot be read.
NOT_READABLE: Final = "the stored object cannot be read"

log = Logger()

#: What a property getter may return: text, the property element itself, an element
#: (or elements) to put inside the property element, or ``None`` for "not there" (404).
PropertyValue = str | etree._Element | Sequence[etree._Element] | None


class PropFindType(enum.Enum):
    """The three forms of a PROPFIND (RFC 4918 §9.1)."""

    PROP = "prop"
    ALLPROP = "allprop"
    PROPNAME = "propname"


@dataclass(frozen=True)
class PropFindRequest:
    """A parsed PROPFIND (or the property part of a REPORT).

    Attributes:
        type: prop, allprop or propname.
        names: for ``PROP`` the requested properties; for ``ALLPROP`` the ``include``
            ones; empty for ``PROPNAME``. Clark names, in request order, no duplicates.
    """

    type: PropFindType
    names: tuple[str, ...] = ()

    @classmethod
    def allprop(cls, include: Sequence[str] = ()) -> PropFindRequest:
        """An ``allprop`` request, with optional ``include`` names."""
        return cls(PropFindType.ALLPROP, tuple(dict.fromkeys(include)))

    @classmethod
    def propname(cls) -> PropFindRequest:
        """A ``propname`` request."""
        return cls(PropFindType.PROPNAME)

    @classmethod
    def prop(cls, names: Sequence[str]) -> PropFindRequest:
        """A ``prop`` request for ``names``."""
        return cls(PropFindType.PROP, tuple(dict.fromkeys(names)))


def prop_names(prop: etree._Element) -> tuple[str, ...]:
    """Return the Clark names of the children of a ``DAV:prop`` (or ``include``)."""
    return tuple(dict.fromkeys(str(child.tag) for child in child_elements(prop)))


def parse_propfind(root: etree._Element | None) -> PropFindRequest:
    """Parse a PROPFIND body (already parsed by :func:`oxdav.dav.xml.parse_body`).

    ``None`` (empty body) is ``allprop`` (RFC 4918 §9.1); so, leniently, is a
    ``propfind`` element naming no form. Unknown children are ignored (RFC 4918 §17).

    Raises:
        DAVError: 400 when the root is not ``DAV:propfind`` or forms are mixed.
    """
    if root is None:
        return PropFindRequest.allprop()
    if root.tag != _PROPFIND:
        raise DAVError(400, None, f"expected DAV:propfind, got {root.tag}")
    return parse_property_selection(root) or PropFindRequest.allprop()


def parse_property_selection(
    parent: etree._Element, *, required: bool = False
) -> PropFindRequest | None:
    """Find ``prop`` / ``allprop`` (+``include``) / ``propname`` among the children.

    REPORT bodies (calendar-query, multiget, sync-collection) use the same elements.

    Raises:
        DAVError: 400 when ``required`` and none is present, or when forms are mixed.
    """
    forms = [c for c in child_elements(parent) if c.tag in (_PROP, _ALLPROP, _PROPNAME)]
    if len({c.tag for c in forms}) > 1:
        raise DAVError(400, None, "prop, allprop and propname are mutually exclusive")
    if not forms:
        if required:
            raise DAVError(400, None, f"{parent.tag} names no properties")
        return None
    form = forms[0]
    if form.tag == _PROPNAME:
        return PropFindRequest.propname()
    if form.tag == _ALLPROP:
        include = next((c for c in child_elements(parent) if c.tag == _INCLUDE), None)
        return PropFindRequest.allprop(prop_names(include) if include is not None else ())
    return PropFindRequest.prop([name for f in forms for name in prop_names(f)])


def property_element(name: str, value: PropertyValue) -> etree._Element:
    """Build the property element ``name`` holding ``value`` (``None`` → empty)."""
    if isinstance(value, etree._Element) and value.tag == name:
        return deepcopy(value) if value.getparent() is not None else value
    element = etree.Element(name)
    if value is None:
        return element
    if isinstance(value, str):
        element.text = value
    elif isinstance(value, etree._Element):
        element.append(deepcopy(value) if value.getparent() is not None else value)
    else:
        for child in value:
            element.append(deepcopy(child) if child.getparent() is not None else child)
    return element


@dataclass
class _Outcome:
    status: int
    element: PropertyItem
    error: str | None = None
    description: str | None = None


class PropFindResult:
    """The properties of one resource for one request, with their statuses.

    A requested property starts as pending (an outcome of ``None``, reported as 404
    if nothing is recorded); its empty element is only built when the response is.

    Args:
        request: what was asked for.
        href: the resource's external, percent-encoded href.
    """

    def __init__(self, request: PropFindRequest, href: str) -> None:
        self.request = request
        self.href = href
        self._allprop = request.type is PropFindType.ALLPROP
        self._propname = request.type is PropFindType.PROPNAME
        self._outcomes: dict[str, _Outcome | None] = (
            {} if self._propname else dict.fromkeys(request.names)
        )

    @property
    def is_propname(self) -> bool:
        """Whether only names are wanted (no value is ever computed)."""
        return self._propname

    def wants(self, name: str, *, in_allprop: bool = True) -> bool:
        """Whether the value of ``name`` should be computed now.

        True for a requested, still pending property; under ``allprop`` also for any
        property that belongs in allprop and has no outcome yet.
        """
        outcomes = self._outcomes
        if name in outcomes:
            return outcomes[name] is None
        return self._allprop and in_allprop

    def pending(self) -> tuple[str, ...]:
        """Requested names that have no value yet, in request order."""
        return tuple(n for n, outcome in self._outcomes.items() if outcome is None)

    def set(self, name: str, value: PropertyValue, status: int = 200) -> None:
        """Record ``value`` for ``name``.

        ``None`` means the resource lacks the property: a requested one stays 404, one
        only reached through ``allprop`` is left out of the response.
        """
        if value is None and status == 200:
            if name in self._outcomes:
                self.set_status(name, 404)
            return
        if not isinstance(value, str):
            self._outcomes[name] = _Outcome(status, property_element(name, value))
            return
        try:
            self._outcomes[name] = _Outcome(status, TextProperty(name, value))
        except NotXMLText as error:
            self.set_unwritable(name, error.where)

    def set_unwritable(self, name: str, where: str) -> None:
        """Record that the value of ``name`` cannot be written into XML (``where``: the
        character and its place), see :meth:`set_failed`."""
        self.set_failed(name, f"its value holds {where}", NOT_WRITABLE)

    def set_failed(self, name: str, why: str, description: str) -> None:
        """Record that the stored value of ``name`` cannot be served: 500 with
        ``description`` (RFC 4918 §14.22), the rest of the response unharmed; ``why``
        goes to the log only."""
        log.warn("{href}: {name} not served, {why}", href=self.href, name=name, why=why)
        self._outcomes[name] = _Outcome(500, TextProperty(name), description=description)

    def set_status(self, name: str, status: int, error: str | None = None) -> None:
        """Record a value-less outcome, e.g. 403 with ``{DAV:}need-privileges``."""
        self._outcomes[name] = _Outcome(status, TextProperty(name), error)

    def add_name(self, name: str) -> None:
        """Under ``propname``: list ``name`` as present (empty element, 200)."""
        if name not in self._outcomes:
            self._outcomes[name] = _Outcome(200, TextProperty(name))

    async def handle(
        self,
        name: str,
        getter: Callable[[], Awaitable[PropertyValue]],
        *,
        in_allprop: bool = True,
    ) -> None:
        """Compute ``name`` with ``getter`` only if :meth:`wants` it.

        Under ``propname`` the name is listed without calling the getter. A
        :class:`DAVError` from the getter becomes that property's status (e.g. 403).
        """
        if self._propname:
            self.add_name(name)
            return
        if not self.wants(name, in_allprop=in_allprop):
            return
        try:
            value = await getter()
        except DAVError as err:
            self.set_status(name, err.status, err.precondition_name)
            return
        except ValueError as err:  # lxml refused stored text while the value was built
            where = refused_text(err)
            if where is None:
                raise
            self.set_unwritable(name, where)
            return
        self.set(name, value)

    def status_of(self, name: str) -> int | None:
        """The status recorded for ``name``, or ``None`` if it is not in the result."""
        if name not in self._outcomes:
            return None
        outcome = self._outcomes[name]
        return 404 if outcome is None else outcome.status

    def value_of(self, name: str) -> etree._Element | None:
        """The property element recorded with status 200 for ``name``, if any."""
        outcome = self._outcomes.get(name)
        if not outcome or outcome.status != 200:
            return None
        element = outcome.element
        return element.element() if isinstance(element, TextProperty) else element

    def propstats(self) -> list[PropStat]:
        """Group the outcomes by (status, error, description): 200 first, then ascending status."""
        groups: dict[tuple[int, str | None, str | None], PropStat] = {}
        for name, outcome in self._outcomes.items():
            if outcome is None:
                key: tuple[int, str | None, str | None] = (404, None, None)
                element: PropertyItem = TextProperty(name)
            else:
                key = (outcome.status, outcome.error, outcome.description)
                element = outcome.element
            group = groups.get(key)
            if group is None:
                group = groups[key] = PropStat(key[0], error=key[1], description=key[2])
            group.properties.append(element)
        if len(groups) == 1:
            return list(groups.values())
        return [groups[k] for k in sorted(
            groups, key=lambda k: (k[0] != 200, k[0], k[1] or "", k[2] or ""))]

    def to_entry(self) -> ResponseEntry:
        """The multistatus ``response`` for this resource."""
        return ResponseEntry(self.href, self.propstats())
