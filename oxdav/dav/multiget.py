"""The href list of a multiget REPORT (RFC 4791 §7.9, RFC 6352 §8.7), bounded and
mapped to the member names of the collection it is sent to.

A multiget may name up to :attr:`~oxdav.dav.limits.RequestLimits.max_hrefs` resources;
reading and mapping tens of thousands of hrefs takes a noticeable fraction of a second,
so :func:`read_multiget` runs on the work pool for large bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS, RequestLimits
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.paths import PathError, PathMapper, basename, parent_path, same_path
from oxdav.dav.xml import element_text
from oxdav.work import Work

_HREF: Final = clark(DAV_NS, "href")
#: Hrefs read inline; more are read on the work pool.
INLINE_HREFS: Final = 500


@dataclass(frozen=True)
class Multiget:
    """The hrefs of a multiget, in the order given, and the member name of each href
    that names a member of the collection (the others are answered 404)."""

    hrefs: list[str]
    names: dict[str, str]


def multiget_hrefs(limits: RequestLimits, body: etree._Element) -> list[str]:
    """The DAV:href texts of a multiget body.

    Raises:
        DAVError: 400 without any; 403 ``number-of-matches-within-limits`` for more
            than ``limits.max_hrefs``.
    """
    hrefs = [element_text(e).strip() for e in body.iterchildren(_HREF)]
    if not hrefs:
        raise DAVError(400, None, "a multiget needs at least one DAV:href")
    if len(hrefs) > limits.max_hrefs:
        raise DAVError(403, NUMBER_OF_MATCHES_WITHIN_LIMITS,
                       f"{len(hrefs)} hrefs; at most {limits.max_hrefs} per multiget")
    return hrefs


def member_names(paths: PathMapper, collection: str, hrefs: list[str]) -> dict[str, str]:
    """The member name of each href that names a member of ``collection`` (a DAV path)."""
    names: dict[str, str] = {}
    for href in hrefs:
        try:
            path = paths.dav_path_of_href(href)
        except PathError:
            continue
        if path is not None and same_path(parent_path(path), collection):
            names[href] = basename(path)
    return names


def _read(limits: RequestLimits, paths: PathMapper, collection: str,
          body: etree._Element) -> Multiget:
    hrefs = multiget_hrefs(limits, body)
    return Multiget(hrefs, member_names(paths, collection, hrefs))


async def read_multiget(work: Work, limits: RequestLimits, paths: PathMapper,
                        collection: str, body: etree._Element) -> Multiget:
    """The hrefs of a multiget ``body`` sent to ``collection`` (on ``work`` when many).

    Raises:
        DAVError: see :func:`multiget_hrefs`.
    """
    if len(body) <= INLINE_HREFS:
        return _read(limits, paths, collection, body)
    return await work.run(_read, limits, paths, collection, body)
