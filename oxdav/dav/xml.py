"""Hardened XML parsing of request bodies, namespace constants and Clark-notation helpers.

Every WebDAV request body (PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR, ACL…) goes
through :func:`parse_body`. It refuses, before libxml2 ever sees a declaration:

* any ``<!DOCTYPE`` or ``<!ENTITY`` (billion laughs, XXE, external DTDs — WebDAV bodies
  never need a DTD; RFC 4918 §20.6 lets a server refuse them);
* bodies above a size bound, documents nested deeper than a bound and documents with
  more elements than a bound (checked while parsing, so a hostile body stops early).

The parser is an :class:`lxml.etree.XMLPullParser` (a subclass of ``XMLParser``) with
entity resolution, DTD loading and network access off, and comments removed.

Clients write namespaces in every way XML allows: Thunderbird uses single-quoted
``xmlns:D='DAV:'``, DAVx5 invents ``n0:``/``n1:`` prefixes, some put ``DAV:`` in the
default namespace. All code therefore compares Clark names (``{DAV:}prop``), never
prefixes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import (
    APPLE_ICAL_NS,
    CALDAV_NS,
    CALENDARSERVER_NS,
    CARDDAV_NS,
    DAV_NS,
    RESPONSE_NSMAP,
    clark,
    dav_name,
    split_clark,
)

__all__ = [
    "APPLE_ICAL_NS",
    "CALDAV_NS",
    "CALENDARSERVER_NS",
    "CARDDAV_NS",
    "DAV_NS",
    "RESPONSE_NSMAP",
    "DEFAULT_LIMITS",
    "XMLLimits",
    "child_elements",
    "clark",
    "dav_name",
    "element_text",
    "find_child",
    "make_parser",
    "new_element",
    "parse_body",
    "parse_body_expecting",
    "serialize",
    "split_clark",
]

#: Default limits; the composition root may pass others from configuration.
DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 64
DEFAULT_MAX_ELEMENTS: Final = 200_000

_FEED_CHUNK = 64 * 1024
_FORBIDDEN_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True)
class XMLLimits:
    """Bounds applied to every parsed request body."""

    max_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_elements: int = DEFAULT_MAX_ELEMENTS


DEFAULT_LIMITS: Final = XMLLimits()


def make_parser() -> etree.XMLPullParser:
    """Return a fresh hardened incremental parser (never share one between requests)."""
    return etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_body(body: bytes, limits: XMLLimits = DEFAULT_LIMITS) -> etree._Element | None:
    """Parse a request body into its root element, refusing anything hostile.

    Args:
        body: the raw request body.
        limits: size, depth and element-count bounds.

    Returns:
        The root element, or ``None`` for an empty (or whitespace-only) body, which
        several methods give a meaning (PROPFIND: allprop, RFC 4918 §9.1).

    Raises:
        DAVError: 400 for oversized, malformed or DTD-carrying bodies, or bodies over
            the depth or element-count bounds.
    """
    if len(body) > limits.max_bytes:
        raise DAVError(400, None, f"XML body larger than {limits.max_bytes} bytes")
    if not body.strip():
        return None
    _refuse_declarations(body)
    parser = make_parser()
    depth = count = 0
    try:
        for offset in range(0, len(body), _FEED_CHUNK):
            parser.feed(body[offset : offset + _FEED_CHUNK])
            for event, _element in parser.read_events():
                if event == "start":
                    depth += 1
                    count += 1
                    if depth > limits.max_depth:
                        raise DAVError(400, None, f"XML nested deeper than {limits.max_depth}")
                    if count > limits.max_elements:
                        raise DAVError(
                            400, None, f"XML has more than {limits.max_elements} elements"
                        )
                else:
                    depth -= 1
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise DAVError(400, None, f"malformed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:  # belt and braces
        raise DAVError(400, None, "XML document type declarations are not accepted")
    return root


def parse_body_expecting(
    body: bytes, root_name: str, limits: XMLLimits = DEFAULT_LIMITS
) -> etree._Element:
    """Parse a body that must be present and have the root element ``root_name``.

    Raises:
        DAVError: 400 when the body is empty, hostile, malformed or has another root.
    """
    root = parse_body(body, limits)
    if root is None:
        raise DAVError(400, None, f"request body with {root_name} expected")
    if root.tag != root_name:
        raise DAVError(400, None, f"expected {root_name} as root element, got {root.tag}")
    return root


def _refuse_declarations(body: bytes) -> None:
    """Refuse DOCTYPE/ENTITY declarations before libxml2 can act on them."""
    text = _decode_for_scan(body)
    if _FORBIDDEN_DECLARATION.search(text):
        raise DAVError(400, None, "XML document type and entity declarations are not accepted")


def _decode_for_scan(body: bytes) -> str:
    """Decode ``body`` the way an XML processor would, for the declaration scan."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return _decode(body, encoding)
    if body[:4] in (b"<\0?\0", b"\0<\0?"):  # UTF-16 without a byte order mark
        return _decode(body, "utf-16-le" if body[0] == ord("<") else "utf-16-be")
    declared = _XML_DECL_ENCODING.match(body)
    return _decode(body, declared.group(1).decode("ascii") if declared else "utf-8")


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except LookupError:
        raise DAVError(400, None, f"unsupported XML encoding {encoding!r}") from None
    except UnicodeDecodeError:
        raise DAVError(400, None, f"XML body is not valid {encoding}") from None


def child_elements(element: etree._Element) -> Iterator[etree._Element]:
    """Yield the element children of ``element`` (skipping text, PIs and entities)."""
    for child in element:
        if isinstance(child.tag, str):
            yield child


def find_child(element: etree._Element, name: str) -> etree._Element | None:
    """Return the first child element named ``name`` (Clark notation), if any."""
    for child in child_elements(element):
        if child.tag == name:
            return child
    return None


def element_text(element: etree._Element | None) -> str:
    """Return all text inside ``element`` (stripped); ``""`` for ``None``."""
    if element is None:
        return ""
    return "".join(str(text) for text in element.itertext()).strip()


def new_element(name: str, text: str | None = None) -> etree._Element:
    """Create a detached element ``name`` (Clark notation) with optional text."""
    element = etree.Element(name)
    if text is not None:
        element.text = text
    return element


def serialize(element: etree._Element, *, declaration: bool = True) -> bytes:
    """Serialise ``element`` to UTF-8 bytes (optionally with an XML declaration)."""
    return etree.tostring(element, encoding="utf-8", xml_declaration=declaration)
