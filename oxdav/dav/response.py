"""The protocol-level response handlers return; the web layer writes it to the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from oxdav.dav.errors import XML_CONTENT_TYPE, DAVError, render_error


@dataclass
class DAVResponse:
    """Status, headers and a body that is either bytes or an async stream of chunks.

    Attributes:
        status: HTTP status code.
        headers: response headers (names as sent).
        body: the whole body, or an async iterator of chunks (large multistatus).
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | AsyncIterator[bytes] = b""

    @classmethod
    def from_error(cls, err: DAVError) -> DAVResponse:
        """The response for ``err`` (see :func:`oxdav.dav.errors.render_error`)."""
        status, headers, body = render_error(err)
        return cls(status, headers, body)

    @classmethod
    def multistatus(
        cls, body: bytes | AsyncIterator[bytes], *, minimal_applied: bool = False
    ) -> DAVResponse:
        """A ``207 Multi-Status`` with an XML body (RFC 4918 §13).

        Args:
            body: the document or its chunks.
            minimal_applied: add ``Preference-Applied: return=minimal`` (RFC 7240 §3).
        """
        headers = {"Content-Type": XML_CONTENT_TYPE}
        if minimal_applied:
            headers["Preference-Applied"] = "return=minimal"
        return cls(207, headers, body)

    async def read_body(self) -> bytes:
        """The whole body, draining a stream (for tests and small responses)."""
        if isinstance(self.body, bytes):
            return self.body
        return b"".join([chunk async for chunk in self.body])
