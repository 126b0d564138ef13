"""The load generator's HTTP client: aiohttp, keep-alive, one timing per request.

aiohttp is the client because its HTTP parser is C (llhttp): on a 2-core machine the
load generator shares the CPU with the server, and the cheaper each request is for the
client, the more of the measured time belongs to the server. It is already installed
with the test extras (vdirsyncer uses it). Every phase reports the generator's own CPU
time, so a client-bound phase shows itself.

No request ever raises: a failure is a :class:`Result` with ``ok`` false, counted as
an error by the phase.
"""

from __future__ import annotations

import itertools
import ssl
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["Result", "Client"]


@dataclass
class Result:
    """One request.

    Attributes:
        status: HTTP status (0 when the request failed without a response).
        body: the response body.
        seconds: time from sending to the last byte of the body.
        ok: whether the status was one the caller expected.
        headers: response headers.
        length: bytes of the whole body (more than ``body`` holds when only its tail
            was kept).
    """

    status: int
    body: bytes
    seconds: float
    ok: bool
    headers: Any = None
    length: int = 0


class Client:
    """A keep-alive session against one server.

    Args:
        base_url: ``http://127.0.0.1:PORT`` or ``https://…``; or every node's, when
            several serve one store: each request goes to the next in turn.
        headers: sent with every request (Authorization, X-Forwarded-Proto, …).
        connections: the connection pool size (the phase's concurrency).
        ssl_context: trust for an HTTPS server, or None.
        timeout: per-request timeout in seconds.
    """

    def __init__(self, base_url: str | list[str], headers: dict[str, str], *,
                 connections: int = 20, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 300) -> None:
        urls = [base_url] if isinstance(base_url, str) else base_url
        self.nodes = [url.rstrip("/") for url in urls]
        self.base_url = self.nodes[0]
        self._turn = itertools.cycle(self.nodes)
        self.headers = dict(headers)
        self._connector = aiohttp.TCPConnector(
            limit=connections, ssl=ssl_context if ssl_context is not None else False,
            force_close=False, enable_cleanup_closed=False)
        self._session = aiohttp.ClientSession(
            connector=self._connector, timeout=aiohttp.ClientTimeout(total=timeout),
            skip_auto_headers=("User-Agent",),
            headers={"User-Agent": "oxdav-bench/1"})

    async def close(self) -> None:
        """Close the pool."""
        await self._session.close()

    async def request(self, method: str, path: str, *, body: bytes | None = None,
                      headers: dict[str, str] | None = None,
                      expect: tuple[int, ...] = (200, 201, 204, 207),
                      tail: int | None = None) -> Result:
        """Send one request; never raises (a failure is ``status`` 0 and not ``ok``).

        ``tail``: keep only the last ``tail`` bytes of the body (for answers of many
        megabytes, read without holding them)."""
        all_headers = {**self.headers, **(headers or {})}
        url = path if path.startswith("http") else next(self._turn) + path
        start = time.perf_counter()
        try:
            async with self._session.request(method, url, data=body, headers=all_headers,
                                             allow_redirects=False) as response:
                if tail is None:
                    data = await response.read()
                    length = len(data)
                else:
                    data, length = b"", 0
                    async for chunk in response.content.iter_any():
                        length += len(chunk)
                        data = (data + chunk)[-tail:]
                elapsed = time.perf_counter() - start
                return Result(response.status, data, elapsed, response.status in expect,
                              response.headers, length)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return Result(0, repr(error).encode(), time.perf_counter() - start, False)
