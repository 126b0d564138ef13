"""The REPORT registry: one class per report (RFC 3253 §3.6).

Each report is a :class:`Report` subclass with the Clark ``name`` of its body's root
element, the resource types that support it, and an async ``run``. The composition
root registers the generic and CalDAV/CardDAV reports in one visible list; the
``DAV:supported-report-set`` property is derived from the same registry, so what is
advertised and what is served cannot drift.

A REPORT whose name is unknown, or not supported on the target resource, is refused
with 403 ``DAV:supported-report`` (RFC 3253 §3.6).
"""

from __future__ import annotations

from typing import ClassVar

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.registry import NamedRegistry
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse

SUPPORTED_REPORT = clark(DAV_NS, "supported-report")


class Report:
    """Base class of one REPORT.

    Class attributes:
        name: Clark name of the report's root element.
        resource_types: supported on resources having any of these types; ``None``
            means every resource.
        default_depth: the Depth assumed when the header is absent.
    """

    name: ClassVar[str]
    resource_types: ClassVar[frozenset[str] | None] = None
    default_depth: ClassVar[Depth] = Depth.ZERO

    def supported_by(self, resource: DAVResource) -> bool:
        """Whether ``resource`` supports this report (by default: by resource type)."""
        return self.resource_types is None or bool(self.resource_types & resource.resource_types)

    async def run(
        self, ctx: RequestContext, resource: DAVResource, body: etree._Element, depth: Depth
    ) -> DAVResponse:
        """Answer the report (usually a multistatus)."""
        raise NotImplementedError


class ReportRegistry(NamedRegistry[Report]):
    """All reports, by name."""

    kind = "report"

    def supported_for(self, resource: DAVResource) -> list[str]:
        """Clark names of the reports ``resource`` supports (for supported-report-set)."""
        return [r.name for r in self._entries.values() if r.supported_by(resource)]

    def select(self, name: str, resource: DAVResource) -> Report:
        """The report ``name`` for ``resource``.

        Raises:
            DAVError: 403 ``DAV:supported-report`` when unknown or not supported here.
        """
        report = self._entries.get(name)
        if report is None or not report.supported_by(resource):
            raise DAVError(403, SUPPORTED_REPORT, f"report {name} is not supported here")
        return report

    async def run(
        self, ctx: RequestContext, resource: DAVResource, body: etree._Element | None
    ) -> DAVResponse:
        """Dispatch a parsed REPORT body to its report.

        Raises:
            DAVError: 400 for an empty body, 403 ``supported-report`` for an unknown one.
        """
        if body is None:
            raise DAVError(400, None, "REPORT needs a body")
        report = self.select(str(body.tag), resource)
        return await report.run(ctx, resource, body, ctx.depth(report.default_depth))
