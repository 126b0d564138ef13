"""The HTTP site: request hygiene around any resource tree.

:class:`OxdavSite` adds what ``twisted.web.server.Site`` lacks (STYLE.md, Twisted
row "leave behind"):

- a request body limit: ``413`` before the body is read when ``Content-Length`` is
  too large (no ``100 Continue`` is sent), and the connection is cut when a chunked
  body passes the limit;
- deadlines for receiving a request's headers and its body (slow clients get
  ``408`` and are disconnected), besides Twisted's idle-connection timeout;
- ``431`` for a header line, a header section or a header count over Twisted's
  limits and ``414`` for a request line over the line limit, on every listener
  (Twisted itself only cuts the connection, and behind TLS not even that);
- ``Server: oxdav`` without a version;
- an access log in combined format through twisted.logger (namespace
  ``oxdav.access``), with the user name only once authentication accepted it
  (``request.authenticated_user``), never what the Authorization header claims;
- ``405``/``501`` with an ``Allow`` header and a plain-text body for methods a
  resource does not implement, instead of Twisted's HTML "Huh?" page: any resource
  that raises ``twisted.web.error.UnsupportedMethod`` (as ``Resource.render`` does
  when no ``render_<METHOD>`` exists) gets it;
- hooks for request metrics (:class:`RequestMetrics`) and, on a listener behind a
  reverse proxy, for forwarded headers (:mod:`oxdav.web.forwarded`);
- ALPN ``http/1.1`` only unless ``http2`` is enabled (OPS.md B4).

Limits and timeouts are plain attributes, so a reload may change them in place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http, server
from twisted.web.error import UnsupportedMethod
from twisted.web.resource import IResource

__all__ = [
    "KNOWN_METHODS",
    "OxdavChannel",
    "OxdavRequest",
    "OxdavSite",
    "RequestMetrics",
    "access_log_line",
    "method_not_allowed",
]

#: Methods oxdav recognises in general (RFC 9110, 5789, 4918, 3253, 3744, 4791,
#: 5842, 5323). Unknown to a resource → 405; unknown altogether → 501.
KNOWN_METHODS = frozenset(
    m.encode("ascii")
    for m in (
        "GET HEAD POST PUT DELETE OPTIONS TRACE CONNECT PATCH "
        "PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK REPORT MKCALENDAR ACL SEARCH "
        "VERSION-CONTROL CHECKOUT CHECKIN UNCHECKOUT MKWORKSPACE MKACTIVITY MERGE "
        "UPDATE LABEL BASELINE-CONTROL ORDERPATCH BIND UNBIND REBIND"
    ).split()
)


# Module-level: a Logger class attribute would take the class's namespace.
_access_log = Logger(namespace="oxdav.access")

#: RFC 6585 §5 (twisted.web.http has no constant for it).
REQUEST_HEADER_FIELDS_TOO_LARGE = 431

#: Reason phrases for the responses the channel itself sends (RFC 9110 §15).
_REFUSAL_PHRASES = {
    http.REQUEST_TIMEOUT: b"Request Timeout",
    http.REQUEST_ENTITY_TOO_LARGE: b"Content Too Large",
    http.REQUEST_URI_TOO_LONG: b"URI Too Long",
    REQUEST_HEADER_FIELDS_TOO_LARGE: b"Request Header Fields Too Large",
}


class RequestMetrics(Protocol):
    """What the site reports about requests (implemented in oxdav.web.metrics)."""

    def request_started(self) -> None:
        """A request was fully received and is being processed."""

    def request_finished(self, method: bytes, status: int, seconds: float) -> None:
        """The response was sent; ``seconds`` since the request was received."""

    def request_aborted(self, method: bytes, seconds: float) -> None:
        """The connection was lost before the response was finished."""

    def request_refused(self, method: bytes, status: int) -> None:
        """The request was answered by the connection itself (408, 413, 414, 431) unprocessed."""


def method_not_allowed(request: server.Request, allowed: Sequence[bytes]) -> bytes:
    """Answer a method the resource does not implement.

    RFC 9110 §15.5.6: 405 MUST carry ``Allow``; for a method the server does not
    recognise at all, §15.6.2's 501 is sent, with ``Allow`` too. ``HEAD`` is listed
    whenever ``GET`` is, since Twisted answers HEAD from render_GET.

    Returns:
        The plain-text body, for a render method to return.
    """
    methods = set(allowed)
    if b"GET" in methods:
        methods.add(b"HEAD")
    methods = sorted(methods)
    known = request.method in KNOWN_METHODS
    request.setResponseCode(http.NOT_ALLOWED if known else http.NOT_IMPLEMENTED)
    request.setHeader(b"Allow", b", ".join(methods))
    request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
    reason = "Method not allowed" if known else "Method not implemented"
    return f"{reason}; allowed: {', '.join(m.decode('ascii') for m in methods)}\n".encode()


class _MethodErrors:
    """Renders a resource, turning UnsupportedMethod into :func:`method_not_allowed`.

    HEAD on a resource with GET is left to Twisted, which renders GET without body.
    """

    def __init__(self, resource: IResource) -> None:
        self._resource = resource

    def render(self, request: server.Request) -> Any:
        try:
            return self._resource.render(request)
        except UnsupportedMethod as e:
            if request.method == b"HEAD" and b"GET" in e.allowedMethods:
                raise
            return method_not_allowed(request, e.allowedMethods)

    def __repr__(self) -> str:
        return repr(self._resource)


def _quoted(value: bytes | str | None) -> str:
    """Escape for a double-quoted access-log field (quotes, backslashes, controls)."""
    if value is None:
        return "-"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    return json.dumps(value)[1:-1]


def access_log_line(timestamp: str, request: server.Request) -> str:
    """One combined-log-format line; an ``IAccessLogFormatter``.

    The user is the login authentication accepted (``authenticated_user``), else
    ``-``: never ``getUser()``, which Twisted parses from whatever Authorization header
    came, so a request refused or never authenticated would log a name as typed
    (people type passwords there).
    """
    client = request.getClientAddress()
    ip = getattr(client, "host", "-")
    user = getattr(request, "authenticated_user", None) or "-"
    length = request.sentLength or "-"
    return (
        f'{ip} - {_quoted(user)} {timestamp} "{_quoted(request.method)} '
        f'{_quoted(request.uri)} {_quoted(request.clientproto)}" {request.code} {length} '
        f'"{_quoted(request.getHeader(b"referer"))}" '
        f'"{_quoted(request.getHeader(b"user-agent"))}"'
    )


class OxdavChannel(http.HTTPChannel):
    """HTTP/1.1 channel with a body limit, header limits and receive deadlines.

    The deadline starts with the first byte of a request, is renewed for the body
    when the headers are complete, and ends when the body is complete. Twisted's own
    idle timeout (``Site.timeout``) covers the time between requests.

    The header limits are Twisted's: ``MAX_LENGTH`` bytes per line,
    ``totalHeadersSize`` bytes for the request line and all header lines, and
    ``maxHeaders`` header fields.
    """

    _log = Logger()
    site: OxdavSite
    _deadline: IDelayedCall | None = None
    _abort_call: IDelayedCall | None = None
    _refused = False

    def dataReceived(self, data: bytes) -> None:
        if self._refused:
            return
        if self._deadline is None and not self._handlingRequest:
            self._start_deadline(self.site.header_timeout)
        super().dataReceived(data)

    def rawDataReceived(self, data: bytes) -> None:
        if not self._refused:
            super().rawDataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            self._refuse_oversized_head("request header section too large")
            return
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        # LineReceiver's default closes the transport under the channel's feet, which
        # a TLS transport postpones for as long as the channel is its producer.
        self._refuse_oversized_head("request line too long" if self._in_request_line()
                                    else "request header line too long")

    def headerReceived(self, line: bytes) -> bool:
        if self._receivedHeaderCount >= self.maxHeaders:
            self.refuse(REQUEST_HEADER_FIELDS_TOO_LARGE, "too many request header fields")
            return False
        return bool(super().headerReceived(line))

    def _in_request_line(self) -> bool:
        # HTTPChannel sets _command once the request line is parsed and deletes it
        # when the request is complete.
        return not hasattr(self, "_command")

    def _refuse_oversized_head(self, reason: str) -> None:
        # RFC 9110 §15.5.15: 414 for a request target longer than the server will
        # interpret; RFC 6585 §5: 431 for header fields over the server's limits.
        status = (http.REQUEST_URI_TOO_LONG if self._in_request_line()
                  else REQUEST_HEADER_FIELDS_TOO_LARGE)
        self.refuse(status, reason)

    def allHeadersReceived(self) -> None:
        limit = self.site.max_body_bytes
        if limit is not None and self.length is not None and self.length > limit:
            self.refuse(http.REQUEST_ENTITY_TOO_LARGE, "request body too large")
            return
        super().allHeadersReceived()
        if self.length != 0:
            self._start_deadline(self.site.body_timeout)

    def allContentReceived(self) -> None:
        self._cancel_deadline()
        if self._refused:
            return  # the decoder reached the end of a body we already refused
        super().allContentReceived()

    def connectionLost(self, reason: Failure) -> None:
        self._cancel_deadline()
        if self._abort_call is not None and self._abort_call.active():
            self._abort_call.cancel()
        self._abort_call = None
        super().connectionLost(reason)

    def refuse(self, status: int, reason: str) -> None:
        """Answer the request being received with ``status``, then disconnect.

        Used before the request reaches any resource: the rest of its body is
        discarded unread, and the connection is aborted if the client does not let
        it close within ``abortTimeout``.
        """
        if self._refused:
            return
        self._refused = True
        self._cancel_deadline()
        method = getattr(self, "_command", b"-")
        phrase = _REFUSAL_PHRASES.get(status) or http.RESPONSES.get(status, b"Error")
        body = f"{phrase.decode('ascii')}: {reason}\n".encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nServer: %s\r\nConnection: close\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s"
            % (status, phrase, self.site.server_header, len(body), body)
        )
        self._log.info(
            "Refused {method} from {peer}: {status} {reason}",
            method=method.decode("latin-1"),
            peer=str(self.transport.getPeer()),
            status=status,
            reason=reason,
        )
        if self.site.metrics is not None:
            self.site.metrics.request_refused(method, status)
        if self.abortTimeout is not None:
            self._abort_call = self.callLater(self.abortTimeout, self.transport.abortConnection)
        self.loseConnection()

    def _start_deadline(self, seconds: float | None) -> None:
        self._cancel_deadline()
        if seconds is not None:
            self._deadline = self.callLater(seconds, self._deadline_passed)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        self.refuse(http.REQUEST_TIMEOUT, "request not received in time")


def _build_channel(factory: OxdavSite) -> http._GenericHTTPChannelProtocol:
    # The generic wrapper switches to HTTP/2 when ALPN picks h2; it is what
    # twisted.web.http.HTTPFactory.protocol builds around a plain HTTPChannel.
    return http._GenericHTTPChannelProtocol(OxdavChannel())


class OxdavRequest(server.Request):
    """A request that enforces the site's body limit, reports metrics, hides versions."""

    site: OxdavSite
    #: The login authentication accepted (``oxdav.web.auth.record_user``), or None.
    authenticated_user: str | None = None
    _received_at: float | None = None
    _body_bytes = 0

    def handleContentChunk(self, data: bytes) -> None:
        # Covers chunked bodies, whose size is unknown when the headers arrive.
        self._body_bytes += len(data)
        limit = self.channel.site.max_body_bytes
        if limit is not None and self._body_bytes > limit:
            refuse = getattr(self.channel, "refuse", None)
            if refuse is not None:
                refuse(http.REQUEST_ENTITY_TOO_LARGE, "request body too large")
            else:
                self.channel.loseConnection()
            return
        super().handleContentChunk(data)

    def process(self) -> None:
        site = self.channel.site
        if site.forwarded is not None:
            site.forwarded.apply(self)
        self._received_at = site.reactor.seconds()
        if site.metrics is not None:
            site.metrics.request_started()
            self.notifyFinish().addBoth(self._report, site.metrics, site.reactor)
        super().process()

    def _report(self, result: object, metrics: RequestMetrics, clock: IReactorTime) -> None:
        seconds = clock.seconds() - (self._received_at or clock.seconds())
        if isinstance(result, Failure):
            metrics.request_aborted(self.method, seconds)
        else:
            metrics.request_finished(self.method, self.code, seconds)

    def render(self, resrc: IResource) -> None:
        super().render(_MethodErrors(resrc))

    def write(self, data: bytes) -> None:
        if not self.startedWriting:
            name = getattr(self.site, "server_header", b"oxdav")
            self.responseHeaders.setRawHeaders(b"Server", [name])
        super().write(data)

    def processingFailed(self, reason: Failure) -> None:
        """A resource raised: log it and answer a plain 500 (no HTML, no traceback)."""
        self._log.failure("Error rendering {method} {uri}", reason,
                          method=self.method, uri=self.uri)
        if self.startedWriting:
            if self.channel is not None:
                self.channel.loseConnection()  # the status line is gone; cut the reply
            return
        body = b"Internal server error\n"
        self.setResponseCode(http.INTERNAL_SERVER_ERROR)
        self.responseHeaders.setRawHeaders(b"Content-Type", [b"text/plain; charset=utf-8"])
        self.responseHeaders.setRawHeaders(b"Content-Length", [b"%d" % len(body)])
        self.write(body)
        self.finish()


class OxdavSite(server.Site):
    """A Site with oxdav's HTTP hygiene (see the module docstring).

    Args:
        resource: the root resource.
        reactor: the reactor (time source for timeouts, logs and metrics).
        max_body_bytes: largest request body accepted, or None for no limit.
        idle_timeout: seconds an idle keep-alive connection stays open.
        header_timeout: seconds to receive a request's line and headers.
        body_timeout: seconds to receive a request's body once its headers are in.
        server_header: the ``Server`` header value.
        http2: offer ``h2`` over ALPN (only if Twisted's HTTP/2 support is installed).
        metrics: receives request counts and durations, or None.
        forwarded: trusted-proxy handling (``oxdav.web.forwarded.ForwardedHeaders``)
            for a plain-HTTP listener behind a reverse proxy, or None.
        access_log: whether to log each request.
    """

    protocol = _build_channel
    requestFactory = OxdavRequest

    def __init__(
        self,
        resource: IResource,
        *,
        reactor: IReactorTime,
        max_body_bytes: int | None = 16 * 1024 * 1024,
        idle_timeout: float | None = 60.0,
        header_timeout: float | None = 30.0,
        body_timeout: float | None = 300.0,
        server_header: bytes = b"oxdav",
        http2: bool = False,
        metrics: RequestMetrics | None = None,
        forwarded: Any = None,
        access_log: bool = True,
    ) -> None:
        super().__init__(
            resource,
            OxdavRequest,
            reactor=reactor,
            timeout=idle_timeout,
            logFormatter=access_log_line,
            parsePOSTFormSubmission=False,
        )
        self.max_body_bytes = max_body_bytes
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.server_header = server_header
        self.http2 = http2
        self.metrics = metrics
        self.forwarded = forwarded
        self.access_log = access_log

    def acceptableProtocols(self) -> list[bytes]:
        """ALPN protocols: ``http/1.1``, plus ``h2`` first when enabled and available."""
        if self.http2 and http.H2_ENABLED:
            return [b"h2", b"http/1.1"]
        return [b"http/1.1"]

    def log(self, request: http.Request) -> None:
        """Emit the access-log line as a twisted.logger event in ``oxdav.access``."""
        if not self.access_log:
            return
        timestamp = self._logDateTime or http.datetimeToLogString(self.reactor.seconds())
        _access_log.info(
            "{access_line}",
            access_line=self._logFormatter(timestamp, request),
            method=request.method.decode("latin-1"),
            status=request.code,
        )
