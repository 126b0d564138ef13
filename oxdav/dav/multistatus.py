"""``207 Multi-Status`` bodies (RFC 4918 §13, §14.16, §14.24; RFC 6578 §6.4), streamed.

A multistatus holds one ``response`` per resource, either with ``propstat`` groups (one
per status) or with a plain ``status``. A listing's members nearly all look alike — each
requested property text, empty or missing — and come as :class:`TextResponse`, written
from a template made once per shape. :class:`MultistatusWriter` serialises the
document in pieces — the opening tag, one piece per response, the closing part — so a
PROPFIND over thousands of members or a large sync-collection never has to exist whole
in memory: each response element is built, serialised and dropped.

Every chunk is serialised beneath the same root element, so the namespace prefixes
declared once on ``<D:multistatus>`` are reused and not repeated per response.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from oxdav.dav.errors import reason_phrase
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.namespaces import DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.resource import RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xmlchars import XMLText, non_xml_character

_MULTISTATUS = clark(DAV_NS, "multistatus")
_RESPONSE = clark(DAV_NS, "response")
_HREF = clark(DAV_NS, "href")
_PROPSTAT = clark(DAV_NS, "propstat")
_PROP = clark(DAV_NS, "prop")
_STATUS = clark(DAV_NS, "status")
_ERROR = clark(DAV_NS, "error")
_RESPONSEDESCRIPTION = clark(DAV_NS, "responsedescription")
_LOCATION = clark(DAV_NS, "location")
_SYNC_TOKEN = clark(DAV_NS, "sync-token")

_DECLARATION: Final = b'<?xml version="1.0" encoding="utf-8"?>\n'

#: Bytes of serialised responses gathered before a streamed chunk is handed on.
STREAM_CHUNK_SIZE: Final = 64 * 1024


def status_line(status: int) -> str:
    """Return the ``DAV:status`` text for ``status``: ``HTTP/1.1 404 Not Found``."""
    return f"HTTP/1.1 {status} {reason_phrase(status)}".rstrip()


class NotXMLText(ValueError):
    """Text holds a character XML 1.0 cannot carry (§2.2), so it cannot be written.

    Attributes:
        where: which character and where (:func:`~oxdav.dav.xmlchars.non_xml_character`).
    """

    def __init__(self, where: str) -> None:
        super().__init__(f"All strings must be XML compatible: {where}")
        self.where = where


def refused_text(error: ValueError) -> str | None:
    """What was wrong when ``error`` is lxml's (or :func:`check_text`'s) refusal of text
    XML cannot carry; ``None`` for any other ``ValueError``."""
    if isinstance(error, NotXMLText):
        return error.where
    message = str(error)
    return message if message.startswith("All strings must be XML compatible") else None


def check_text(text: str) -> None:
    """Refuse text XML cannot hold, as lxml does (:class:`NotXMLText`)."""
    where = non_xml_character(text)
    if where is not None:
        raise NotXMLText(where)


@dataclass(frozen=True, slots=True)
class TextProperty:
    """A property whose value is text (or nothing), kept as strings.

    Most PROPFIND values are like this (getetag, getcontenttype, displayname…); the
    writer serialises them without building an lxml element, byte for byte as lxml
    would (see :meth:`MultistatusWriter.response`).

    It reads like a childless lxml element: ``tag``, ``text``, ``len() == 0``.

    Attributes:
        tag: the Clark name.
        text: the text, or ``None`` for an empty element.
    """

    tag: str
    text: str | None = None

    def __len__(self) -> int:
        return 0

    def __post_init__(self) -> None:
        if self.text is not None and not isinstance(self.text, XMLText):
            check_text(self.text)

    def element(self) -> etree._Element:
        """The property as an lxml element (lxml checks the name and the text)."""
        element = etree.Element(self.tag)
        if self.text is not None:
            element.text = self.text
        return element


#: A property in a ``propstat``: an lxml element, or text kept as strings.
PropertyItem = etree._Element | TextProperty


@dataclass
class PropStat:
    """One ``propstat``: properties sharing a status (RFC 4918 §14.22).

    Attributes:
        status: the HTTP status of every property in the group.
        properties: the properties (with values for 200, empty otherwise).
        error: an optional ``DAV:error`` condition (Clark name or element).
        description: optional ``responsedescription`` text.
    """

    status: int
    properties: list[PropertyItem] = field(default_factory=list)
    error: str | etree._Element | None = None
    description: str | None = None


@dataclass
class ResponseEntry:
    """One ``response`` element (RFC 4918 §14.24).

    Either ``propstats`` (the PROPFIND/REPORT form) or ``status`` (the plain form, e.g.
    a 404 member in sync-collection, or a failed member of a DELETE) is used.

    Attributes:
        href: the percent-encoded external href (see :meth:`PathMapper.href`).
        propstats: property groups by status.
        status: a plain status for the whole resource.
        extra_hrefs: further hrefs sharing a plain ``status``.
        error: an optional ``DAV:error`` condition (Clark name or element).
        description: optional ``responsedescription`` text.
        location: optional ``DAV:location`` href (for 3xx statuses).
    """

    href: str
    propstats: list[PropStat] = field(default_factory=list)
    status: int | None = None
    extra_hrefs: list[str] = field(default_factory=list)
    error: str | etree._Element | None = None
    description: str | None = None
    location: str | None = None


#: :attr:`TextResponse.kinds` letters: a property with text (200), present and empty
#: (200, ``<D:x/>``), or not there (404).
TEXT: Final = "t"
EMPTY: Final = "e"
MISSING: Final = "m"


@dataclass(frozen=True, slots=True)
class TextResponse:
    """A ``response`` whose requested properties are each text, empty or missing.

    The shape of nearly every member of a listing (getetag, getcontenttype, an empty
    resourcetype…). :class:`MultistatusWriter` writes it from a template made once per
    (names, kinds), byte for byte as the :class:`ResponseEntry` of :meth:`to_entry`.

    Attributes:
        href: the percent-encoded external href.
        names: the requested Clark names, in request order.
        kinds: one letter per name: :data:`TEXT`, :data:`EMPTY` or :data:`MISSING`.
        texts: the texts of the :data:`TEXT` names, in order (checked as lxml would).
    """

    href: str
    names: tuple[str, ...]
    kinds: str
    texts: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.kinds) != len(self.names) or len(self.texts) != self.kinds.count(TEXT):
            raise ValueError("a TextResponse needs one kind per name and one text per TEXT")
        for text in self.texts:
            if not isinstance(text, XMLText):
                check_text(text)

    def to_entry(self) -> ResponseEntry:
        """The same response as a :class:`ResponseEntry`: found (200) first, then 404,
        each in request order, as :class:`~oxdav.dav.property_results.PropFindResult` groups."""
        texts = iter(self.texts)
        found: list[PropertyItem] = []
        missing: list[PropertyItem] = []
        for name, kind in zip(self.names, self.kinds, strict=True):
            if kind == MISSING:
                missing.append(TextProperty(name))
            else:
                found.append(TextProperty(name, next(texts) if kind == TEXT else None))
        propstats = [PropStat(status, items) for status, items in ((200, found), (404, missing))
                     if items]
        return ResponseEntry(self.href, propstats)


#: What a multistatus is made of.
ResponseItem = ResponseEntry | TextResponse

#: Stands for the href and the texts while a :class:`TextResponse` template is made.
_MARK: Final = "\ue000"


def _append_error(parent: etree._Element, error: str | etree._Element | None) -> None:
    if error is None:
        return
    element = etree.SubElement(parent, _ERROR)
    if isinstance(error, str):
        etree.SubElement(element, error)
    else:
        element.append(error)


class MultistatusWriter:
    """Serialise a multistatus incrementally: ``begin()``, ``response()``…, ``end()``.

    Args:
        minimal: drop 404 ``propstat`` groups, as asked by ``Brief: t`` or
            ``Prefer: return=minimal`` (RFC 7240 §4.2, draft-murchison-webdav-prefer).
    """

    def __init__(self, *, minimal: bool = False) -> None:
        self.minimal = minimal
        self._root_end = f"</{_prefixed(_MULTISTATUS)}>".encode()
        self._templates: dict[tuple[tuple[str, ...], str], list[str]] = {}

    def begin(self) -> bytes:
        """Return the XML declaration and the ``<D:multistatus …>`` start tag."""
        document = etree.tostring(etree.Element(_MULTISTATUS, nsmap=RESPONSE_NSMAP))
        return _DECLARATION + document[: -len(b"/>")] + b">"

    def response(self, entry: ResponseItem) -> bytes:
        """Return the serialised ``<D:response>`` for ``entry``.

        A :class:`TextResponse` fills the template of its shape. The common shape — an
        href and ``propstat`` groups without errors or descriptions — is written from
        pre-serialised tags, with lxml serialising only the property elements that are
        not plain text in a root namespace; the bytes are the same as lxml's for the
        whole response.
        """
        if isinstance(entry, TextResponse):
            return self._text_response(entry)
        if entry.status is not None or entry.error is not None or (
            entry.description is not None or entry.location is not None
        ):
            return self._response_tree(entry)
        parts = [_RESPONSE_OPEN, _escape(entry.href), _HREF_CLOSE]
        for propstat in self._visible(entry.propstats):
            if propstat.error is not None or propstat.description is not None:
                return self._response_tree(entry)
            if not propstat.properties:  # lxml writes an empty element self-closed
                parts.append(_EMPTY_PROPSTAT_OPEN)
                parts.append(_status_close(propstat.status)[len(_PROP_CLOSE):])
                continue
            parts.append(_PROPSTAT_OPEN)
            for value in propstat.properties:
                plain = _plain_property(value)
                parts.append(plain if plain is not None else self._serialise_property(
                    value.element() if isinstance(value, TextProperty) else value))
            parts.append(_status_close(propstat.status))
        parts.append(_RESPONSE_CLOSE)
        return "".join(parts).encode("utf-8")

    def _text_response(self, entry: TextResponse) -> bytes:
        key = (entry.names, entry.kinds)
        pieces = self._templates.get(key)
        if pieces is None:
            pieces = self._templates[key] = self._template(entry)
        parts = [pieces[0], _escape(entry.href)]
        for piece, text in zip(pieces[1:-1], entry.texts, strict=True):
            parts.append(piece)
            parts.append(_escape(text))
        parts.append(pieces[-1])
        return "".join(parts).encode("utf-8")

    def _template(self, entry: TextResponse) -> list[str]:
        """The fixed pieces around the href and the texts of ``entry``'s shape, cut from
        the response written the general way with marks in their places."""
        marked = TextResponse(_MARK, entry.names, entry.kinds,
                              (_MARK,) * entry.kinds.count(TEXT))
        pieces = self.response(marked.to_entry()).decode("utf-8").split(_MARK)
        if len(pieces) != len(marked.texts) + 2:  # a mark would have been escaped or lost
            raise AssertionError(f"no template for {entry.names}")
        return pieces

    def _response_tree(self, entry: ResponseEntry) -> bytes:
        root = etree.Element(_MULTISTATUS, nsmap=RESPONSE_NSMAP)
        self._build_response(root, entry)
        return self._inner(root)

    def _serialise_property(self, value: etree._Element) -> str:
        root = etree.Element(_MULTISTATUS, nsmap=RESPONSE_NSMAP)
        root.append(value)
        return self._inner(root).decode("utf-8")

    def _visible(self, propstats: list[PropStat]) -> list[PropStat]:
        """The groups to write: without 404s under ``minimal``, never none at all."""
        if self.minimal:
            propstats = [ps for ps in propstats if ps.status != 404]
        return propstats or [PropStat(200)]

    def end(self, *, sync_token: str | None = None, description: str | None = None) -> bytes:
        """Return the closing part: optional description and sync token, then the end tag."""
        root = etree.Element(_MULTISTATUS, nsmap=RESPONSE_NSMAP)
        if description is not None:
            etree.SubElement(root, _RESPONSEDESCRIPTION).text = description
        if sync_token is not None:
            etree.SubElement(root, _SYNC_TOKEN).text = sync_token
        if len(root) == 0:
            return self._root_end
        return self._inner(root) + self._root_end

    def _inner(self, root: etree._Element) -> bytes:
        document = etree.tostring(root, encoding="utf-8")
        start = document.index(b">") + 1
        return document[start : -len(self._root_end)]

    def _build_response(self, root: etree._Element, entry: ResponseEntry) -> None:
        response = etree.SubElement(root, _RESPONSE)
        etree.SubElement(response, _HREF).text = entry.href
        if entry.status is not None:
            for href in entry.extra_hrefs:
                etree.SubElement(response, _HREF).text = href
            etree.SubElement(response, _STATUS).text = status_line(entry.status)
        else:
            for propstat in self._visible(entry.propstats):
                self._build_propstat(response, propstat)
        _append_error(response, entry.error)
        if entry.description is not None:
            etree.SubElement(response, _RESPONSEDESCRIPTION).text = entry.description
        if entry.location is not None:
            etree.SubElement(etree.SubElement(response, _LOCATION), _HREF).text = entry.location

    @staticmethod
    def _build_propstat(response: etree._Element, propstat: PropStat) -> None:
        element = etree.SubElement(response, _PROPSTAT)
        prop = etree.SubElement(element, _PROP)
        for value in propstat.properties:
            prop.append(value.element() if isinstance(value, TextProperty) else value)
        etree.SubElement(element, _STATUS).text = status_line(propstat.status)
        _append_error(element, propstat.error)
        if propstat.description is not None:
            etree.SubElement(element, _RESPONSEDESCRIPTION).text = propstat.description


def _escape(text: str) -> str:
    """Escape character data as lxml does (``&``, ``<``, ``>``, carriage return)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _plain_property(element: PropertyItem) -> str | None:
    """Serialise a text-only property in a root namespace, else ``None``.

    The output is what lxml writes for the element beneath ``<D:multistatus>``:
    ``<P:local>text</P:local>``, or ``<P:local/>`` when it has no text.
    """
    if isinstance(element, TextProperty):
        name = _PREFIXED[element.tag]
        if name is None:
            return None  # lxml declares the namespace where it is used
        text = element.text
        return f"<{name}/>" if text is None else f"<{name}>{_escape(text)}</{name}>"
    if len(element) or element.attrib or element.tail is not None:
        return None
    # lxml keeps an element's other namespace declarations when it is moved beneath
    # the root (and moving one out of a tree depends on that tree): leave those to it.
    if element.getparent() is not None or len(element.nsmap) > 1:
        return None
    name = _PREFIXED[element.tag]
    if name is None:
        return None
    text = element.text
    if text is None:
        return f"<{name}/>"
    return f"<{name}>{_escape(text)}</{name}>"


class _PrefixedNames(dict[str, "str | None"]):
    """Clark name → ``prefix:local`` for the root's namespaces (``None`` otherwise)."""

    def __missing__(self, tag: object) -> str | None:
        if not isinstance(tag, str) or not tag.startswith("{"):
            return None
        namespace, _, local = tag[1:].partition("}")
        prefix = next((p for p, ns in RESPONSE_NSMAP.items() if ns == namespace), None)
        name = None if prefix is None else f"{prefix}:{local}"
        if len(self) < 4096:
            self[tag] = name
        return name


_PREFIXED = _PrefixedNames()
_STATUS_CLOSE: dict[int, str] = {}
_RESPONSE_OPEN: Final = f"<{_PREFIXED[_RESPONSE]}><{_PREFIXED[_HREF]}>"
_HREF_CLOSE: Final = f"</{_PREFIXED[_HREF]}>"
_PROPSTAT_OPEN: Final = f"<{_PREFIXED[_PROPSTAT]}><{_PREFIXED[_PROP]}>"
_PROP_CLOSE: Final = f"</{_PREFIXED[_PROP]}>"
_EMPTY_PROPSTAT_OPEN: Final = f"<{_PREFIXED[_PROPSTAT]}><{_PREFIXED[_PROP]}/>"
_RESPONSE_CLOSE: Final = f"</{_PREFIXED[_RESPONSE]}>"


def _status_close(status: int) -> str:
    """``</D:prop><D:status>…</D:status></D:propstat>`` for ``status`` (memoised)."""
    text = _STATUS_CLOSE.get(status)
    if text is None:
        status_tag = _PREFIXED[_STATUS]
        text = (f"{_PROP_CLOSE}<{status_tag}>{_escape(status_line(status))}"
                f"</{status_tag}></{_PREFIXED[_PROPSTAT]}>")
        _STATUS_CLOSE[status] = text
    return text


def _prefixed(name: str) -> str:
    namespace = name[1:].partition("}")[0]
    local = name.partition("}")[2]
    prefix = next(p for p, ns in RESPONSE_NSMAP.items() if ns == namespace)
    return f"{prefix}:{local}"


def iter_multistatus(
    entries: Iterable[ResponseItem],
    *,
    minimal: bool = False,
    sync_token: str | None = None,
    description: str | None = None,
) -> Iterator[bytes]:
    """Yield a complete multistatus document chunk by chunk (one chunk per response)."""
    writer = MultistatusWriter(minimal=minimal)
    yield writer.begin()
    for entry in entries:
        yield writer.response(entry)
    yield writer.end(sync_token=sync_token, description=description)


async def aiter_multistatus(
    entries: AsyncIterable[ResponseItem],
    *,
    minimal: bool = False,
    sync_token: str | None = None,
    description: str | None = None,
    chunk_size: int = STREAM_CHUNK_SIZE,
    max_bytes: int | None = None,
    truncated_href: str = "",
) -> AsyncIterator[bytes]:
    """Like :func:`iter_multistatus`, for entries produced asynchronously.

    Responses are gathered into chunks of about ``chunk_size`` bytes, so the web layer
    writes (and frames, when chunked) a few dozen pieces rather than one per resource;
    the first response goes out on its own so the status line leaves early. Once the
    responses exceed ``max_bytes``, the rest is left out and a 507 response for
    ``truncated_href`` says so (:mod:`oxdav.dav.limits`).
    """
    writer = MultistatusWriter(minimal=minimal)
    pending = [writer.begin()]
    size = total = 0
    first = True
    async for entry in entries:
        response = writer.response(entry)
        total += len(response)
        if max_bytes is not None and total > max_bytes:
            await _close(entries)
            pending.append(writer.response(ResponseEntry(
                truncated_href, status=507, error=NUMBER_OF_MATCHES_WITHIN_LIMITS,
                description=f"the answer is longer than {max_bytes} bytes")))
            break
        pending.append(response)
        size += len(response)
        if first or size >= chunk_size:
            yield b"".join(pending)
            pending = []
            size = 0
            first = False
    pending.append(writer.end(sync_token=sync_token, description=description))
    yield b"".join(pending)


async def _close(entries: AsyncIterable[ResponseItem]) -> None:
    """End an entry generator left early (its ``finally`` blocks run now)."""
    close = getattr(entries, "aclose", None)
    if close is not None:
        await close()


def multistatus_answer(ctx: RequestContext, entries: AsyncIterable[ResponseItem], *,
                       sync_token: str | None = None, bounded: bool = True) -> DAVResponse:
    """The 207 answer streaming ``entries``, as minimal as the client asked and bounded by
    the request's ``max_answer_bytes`` (``bounded``; a 507 for the request URI then ends
    a longer one)."""
    limit = ctx.limits.max_answer_bytes if bounded else None
    body = aiter_multistatus(entries, minimal=ctx.minimal, sync_token=sync_token,
                             max_bytes=limit,
                             truncated_href=ctx.href(ctx.path, collection=ctx.trailing_slash))
    return DAVResponse.multistatus(body, minimal_applied=ctx.prefer_minimal)


def render_multistatus(
    entries: Iterable[ResponseItem],
    *,
    minimal: bool = False,
    sync_token: str | None = None,
    description: str | None = None,
) -> bytes:
    """Return a whole multistatus document (for small bodies and tests)."""
    return b"".join(
        iter_multistatus(entries, minimal=minimal, sync_token=sync_token, description=description)
    )
