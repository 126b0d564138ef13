"""Bounds on what one request may ask of the server, and how an answer says it hit one.

A multiget names at most :attr:`RequestLimits.max_hrefs` resources (more: 403,
:mod:`oxdav.dav.multiget`); a
multi-status answer stops after :attr:`RequestLimits.max_answer_bytes` with a 507
response for the request URI carrying ``DAV:number-of-matches-within-limits``, the way
RFC 6352 §8.6.1 and RFC 6578 §3.6 mark an answer cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from oxdav.dav.namespaces import DAV_NS, clark

#: The DAV:error of a request or an answer over a limit (RFC 6578 §3.6, RFC 6352 §8.6.1).
NUMBER_OF_MATCHES_WITHIN_LIMITS: Final = clark(DAV_NS, "number-of-matches-within-limits")


@dataclass(frozen=True)
class RequestLimits:
    """The bounds of one request (from the configuration it started with).

    Attributes:
        max_hrefs: most DAV:href elements in a multiget.
        max_answer_bytes: longest multi-status answer; None for no bound.
    """

    max_hrefs: int = 100_000
    max_answer_bytes: int | None = 100 * 1024 * 1024

