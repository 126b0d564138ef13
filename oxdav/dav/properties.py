"""The live-property registry: one small class per property, evaluated through it.

A live property (RFC 4918 §4.3) is a :class:`LiveProperty` subclass with a Clark
``name``, the resource types it applies to, whether it belongs in ``allprop``, whether
it is protected, an async ``get`` and, for writable ones, an async ``set``. The
composition root builds one :class:`PropertyRegistry` from a visible list (see
:func:`oxdav.dav.webdav_properties.generic_properties` plus the CalDAV/CardDAV lists);
PROPFIND, the REPORTs and OPTIONS all read that one registry.

Dead properties come from the resource (:meth:`DAVResource.dead_properties`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, cast

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import (
    EMPTY,
    MISSING,
    TEXT,
    NotXMLText,
    ResponseItem,
    TextResponse,
    refused_text,
)
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.property_results import PropertyValue, PropFindRequest, PropFindResult, PropFindType
from oxdav.dav.registry import NamedRegistry
from oxdav.dav.resource import DAVResource, RequestContext

CANNOT_MODIFY_PROTECTED = clark(DAV_NS, "cannot-modify-protected-property")


class LiveProperty:
    """Base class of one live property.

    Class attributes:
        name: Clark name.
        resource_types: the property applies to resources having any of these types;
            ``None`` means every resource.
        in_allprop: returned by ``allprop`` (RFC 4918 §9.1: only RFC 4918's own).
        protected: not settable by PROPPATCH.
    """

    name: ClassVar[str]
    resource_types: ClassVar[frozenset[str] | None] = None
    in_allprop: ClassVar[bool] = False
    protected: ClassVar[bool] = True

    def applies_to(self, resource: DAVResource) -> bool:
        """Whether ``resource`` has this property (by default: by resource type)."""
        return self.resource_types is None or bool(self.resource_types & resource.resource_types)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        """Return the value (``None`` → 404). Raise :class:`DAVError` for e.g. 403."""
        raise NotImplementedError

    async def set(
        self, ctx: RequestContext, resource: DAVResource, value: etree._Element | None
    ) -> None:
        """Set (``value``) or remove (``None``) the property (PROPPATCH, RFC 4918 §9.2).

        Raises:
            DAVError: 403 ``cannot-modify-protected-property`` unless overridden.
        """
        raise DAVError(403, CANNOT_MODIFY_PROTECTED, f"{self.name} is protected")


class PropertyRegistry(NamedRegistry[LiveProperty]):
    """All live properties, by name; evaluates PROPFIND requests against resources."""

    kind = "live property"

    def supported_for(self, resource: DAVResource) -> list[LiveProperty]:
        """The live properties ``resource`` has, in registration order."""
        return [p for p in self._entries.values() if p.applies_to(resource)]

    async def evaluate(
        self,
        ctx: RequestContext,
        resource: DAVResource,
        request: PropFindRequest,
        href: str | None = None,
        known: Mapping[str, PropertyValue] | None = None,
    ) -> PropFindResult:
        """Evaluate ``request`` against ``resource``: each value computed only if wanted.

        Args:
            ctx: the request context, handed to the getters.
            resource: the resource whose properties are read.
            request: which properties are wanted.
            href: the href to report; by default ``ctx.href(resource.path)``.
            known: values the caller already has (a report's calendar-data), taken for
                those names of a ``prop`` request instead of asking their getters.
        """
        values = (await self._named_values(ctx, resource, request.names, known)
                  if request.type is PropFindType.PROP else None)
        return await self._result(ctx, resource, request, href, values)

    async def respond(
        self,
        ctx: RequestContext,
        resource: DAVResource,
        request: PropFindRequest,
        href: str | None = None,
        known: Mapping[str, PropertyValue] | None = None,
    ) -> ResponseItem:
        """The ``response`` for ``resource``: what ``evaluate(…).to_entry()`` gives.

        A member of a listing asked for live properties whose values are all text,
        empty or missing comes back as a :class:`TextResponse`, with no result object
        built and written from a template. Anything else (a collection, a dead
        property, an element value, an error) is recorded the general way, from the
        same values. ``known`` as for :meth:`evaluate`.
        """
        if request.type is not PropFindType.PROP or resource.is_collection:
            return (await self.evaluate(ctx, resource, request, href, known)).to_entry()
        values = await self._named_values(ctx, resource, request.names, known)
        shape = _text_shape(values)
        if shape is not None:
            try:
                return TextResponse(ctx.href(resource.path) if href is None else href,
                                    request.names, *shape)
            except NotXMLText:  # a text XML cannot carry: recorded the general way
                pass
        return (await self._result(ctx, resource, request, href, values)).to_entry()

    async def _named_values(self, ctx: RequestContext, resource: DAVResource,
                            names: tuple[str, ...],
                            known: Mapping[str, PropertyValue] | None = None) -> list[object]:
        """Per requested name (a ``prop`` request): its ``known`` value, what its getter
        returned, the :class:`DAVError` it raised, :data:`_NOT_HERE` for a live property
        the resource lacks, or :data:`_DEAD` for a name that is no live property."""
        registered = self._entries
        values: list[object] = []
        for name in names:
            if known is not None and name in known:
                values.append(known[name])
                continue
            prop = registered.get(name)
            if prop is None:
                values.append(_DEAD)
            elif not prop.applies_to(resource):
                values.append(_NOT_HERE)
            else:
                try:
                    values.append(await prop.get(ctx, resource))
                except DAVError as err:
                    values.append(err)
                except ValueError as err:  # lxml refused stored text in an element
                    where = refused_text(err)
                    if where is None:
                        raise
                    values.append(_Unwritable(where))
        return values

    async def _result(self, ctx: RequestContext, resource: DAVResource,
                      request: PropFindRequest, href: str | None,
                      values: list[object] | None) -> PropFindResult:
        """The result of ``request``: from ``values`` of :meth:`_named_values` for a
        ``prop`` request, else computed here (allprop, propname); then dead storage."""
        if href is None:
            href = ctx.href(resource.path, collection=resource.is_collection)
        result = PropFindResult(request, href)
        if values is not None:
            dead_wanted = False
            for name, value in zip(request.names, values, strict=True):
                if value is _DEAD:
                    dead_wanted = True
                elif isinstance(value, DAVError):
                    result.set_status(name, value.status, value.precondition_name)
                elif isinstance(value, _Unwritable):
                    result.set_unwritable(name, value.where)
                elif value is not _NOT_HERE:  # that one stays 404
                    result.set(name, cast(PropertyValue, value))
            # A registered live name is never read from dead storage, even where the
            # live property does not apply; so a listing asking only for live
            # properties never touches dead storage at all.
            if not dead_wanted:
                return result
        else:
            for prop in self.supported_for(resource):
                await result.handle(
                    prop.name, partial(prop.get, ctx, resource), in_allprop=prop.in_allprop
                )
        for name, element in (await resource.dead_properties()).items():
            if name in self._entries:
                continue
            if result.is_propname:
                result.add_name(name)
            elif result.wants(name):
                result.set(name, element)
        return result


#: In :meth:`PropertyRegistry._named_values`: a name that is no registered live
#: property (read from dead storage), and a live property the resource does not have.
_DEAD = object()
_NOT_HERE = object()


@dataclass(frozen=True, slots=True)
class _Unwritable:
    """In :meth:`PropertyRegistry._named_values`: a getter met text XML cannot carry."""

    where: str


def _text_shape(values: list[object]) -> tuple[str, tuple[str, ...]] | None:
    """The :class:`TextResponse` kinds and texts of ``values``, or ``None`` when one is
    more than text, empty or missing (an element, an error, a dead property)."""
    kinds: list[str] = []
    texts: list[str] = []
    for value in values:
        if value is None or value is _NOT_HERE:
            kinds.append(MISSING)
        elif isinstance(value, str):
            kinds.append(TEXT)
            texts.append(value)
        elif isinstance(value, list) and not value:
            kinds.append(EMPTY)
        else:
            return None
    return "".join(kinds), tuple(texts)
