"""PROPPATCH (RFC 4918 §9.2): all-or-nothing over live and dead properties.

Every instruction is checked first; if any fails, the failing ones get their status
(403 ``cannot-modify-protected-property``, 409…) and all others 424 Failed Dependency,
and nothing is changed. Otherwise live writes (e.g. ``displayname`` → folder name) and
dead writes are applied and every property gets 200.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import DeadPropertyStore, LivePropertyWriter
from oxdav.dav.methods.lock import check_write_locks
from oxdav.dav.multistatus import PropStat, ResponseEntry, render_multistatus
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import WRITE_PROPERTIES
from oxdav.dav.properties import CANNOT_MODIFY_PROTECTED
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements

_PROPERTYUPDATE = clark(DAV_NS, "propertyupdate")
_SET = clark(DAV_NS, "set")
_REMOVE = clark(DAV_NS, "remove")
_PROP = clark(DAV_NS, "prop")


def parse_propertyupdate(root: etree._Element | None) -> list[tuple[str, etree._Element | None]]:
    """``[(name, element or None for remove)]`` in document order (RFC 4918 §14.19).

    Raises:
        DAVError: 400 for a missing or malformed body.
    """
    if root is None or root.tag != _PROPERTYUPDATE:
        raise DAVError(400, None, "expected DAV:propertyupdate")
    instructions: list[tuple[str, etree._Element | None]] = []
    for action in child_elements(root):
        if action.tag not in (_SET, _REMOVE):
            continue
        for prop in child_elements(action):
            if prop.tag != _PROP:
                continue
            for element in child_elements(prop):
                instructions.append(
                    (str(element.tag), element if action.tag == _SET else None))
    return instructions


def _propstats(statuses: dict[str, int], error: str | None) -> Iterator[PropStat]:
    by_status: dict[int, list[str]] = {}
    for name, status in statuses.items():
        by_status.setdefault(status, []).append(name)
    for status, names in by_status.items():
        yield PropStat(status, [etree.Element(n) for n in names],
                       error=error if status == 403 else None)


class ProppatchMethod(MethodHandler):
    """Set/remove properties on any resource."""

    name = "PROPPATCH"
    access = StoreAccess.WRITE

    async def handle(self, request: DAVRequest) -> DAVResponse:
        target = request.target
        assert target is not None
        await check_write_locks(request, privilege=WRITE_PROPERTIES)
        instructions = parse_propertyupdate(await request.xml_body())
        statuses, live, dead_set, dead_remove = self._plan(request, target, instructions)
        failed = any(status != 200 for status in statuses.values())
        if failed:
            statuses = {n: (s if s != 200 else 424) for n, s in statuses.items()}
        else:
            if live:
                assert isinstance(target, LivePropertyWriter)
                await target.patch_live_properties(live)
            if dead_set or dead_remove:
                assert isinstance(target, DeadPropertyStore)
                await target.patch_dead_properties(dead_set, dead_remove)
        href = request.ctx.href(target.path, collection=target.is_collection)
        entry = ResponseEntry(href, propstats=list(
            _propstats(statuses, CANNOT_MODIFY_PROTECTED)))
        return DAVResponse.multistatus(render_multistatus([entry]))

    @staticmethod
    def _plan(request: DAVRequest, target: DAVResource,
              instructions: list[tuple[str, etree._Element | None]]) -> tuple[
            dict[str, int], dict[str, etree._Element | None], dict[str, etree._Element],
            list[str]]:
        statuses: dict[str, int] = {}
        live: dict[str, etree._Element | None] = {}
        dead_set: dict[str, etree._Element] = {}
        dead_remove: list[str] = []
        writable = (target.writable_live_properties()
                    if isinstance(target, LivePropertyWriter) else frozenset())
        registry = request.env.properties
        for name, element in instructions:
            if name in writable:
                live[name] = element
                statuses[name] = 200
            elif registry.get(name) is not None:
                statuses[name] = 403
            elif not isinstance(target, DeadPropertyStore):
                statuses[name] = 403
            else:
                statuses[name] = 200
                if element is None:
                    dead_set.pop(name, None)
                    dead_remove.append(name)
                else:
                    dead_set[name] = element
                    if name in dead_remove:
                        dead_remove.remove(name)
        return statuses, live, dead_set, dead_remove
