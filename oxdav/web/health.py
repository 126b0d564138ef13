"""Liveness, readiness and metrics on a separate loopback-only plain-HTTP site.

OPS.md B8: ``/metrics``, ``/healthz`` and ``/readyz`` never live in the public
TLS tree. ``/healthz`` answers 200 whenever the reactor does. ``/readyz`` runs
named checks (config snapshot present, TLS context built, store answering
``SELECT 1``...) concurrently, each with a timeout, and answers 200 only if all
pass, else 503 listing the failures.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Union

from twisted.internet.defer import Deferred, DeferredList, TimeoutError, maybeDeferred
from twisted.internet.endpoints import TCP4ServerEndpoint, TCP6ServerEndpoint
from twisted.internet.interfaces import IReactorTCP, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.pages import notFound
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from .metrics import MetricsResource, OxdavMetrics
from .site import OxdavSite

__all__ = [
    "HealthResource",
    "ReadinessCheck",
    "ReadinessResource",
    "build_ops_site",
    "ops_endpoint",
]

#: A readiness check: returns (or fires with) True when ready. False, an exception
#: or a timeout means not ready; an exception's message is the reason shown.
ReadinessCheck = Callable[[], Union[bool, "Deferred[bool]"]]

log = Logger()


def _plain(request: Request, status: int, text: str) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
    request.setHeader(b"Cache-Control", b"no-store")
    return text.encode("utf-8")


class HealthResource(Resource):
    """``GET /healthz``: 200 ``ok`` (the reactor is answering)."""

    isLeaf = True

    def render_GET(self, request: Request) -> bytes:
        return _plain(request, 200, "ok\n")


class ReadinessResource(Resource):
    """``GET /readyz``: 200 when every named check passes, else 503 with reasons.

    Args:
        reactor: time source for the per-check timeout.
        checks: name → check; more can be added with :meth:`add_check`.
        timeout: seconds each check may take.
    """

    isLeaf = True

    def __init__(self, reactor: IReactorTime,
                 checks: Mapping[str, ReadinessCheck] | None = None,
                 timeout: float = 5.0) -> None:
        super().__init__()
        self._reactor = reactor
        self.checks: dict[str, ReadinessCheck] = dict(checks or {})
        self.timeout = timeout

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        """Register (or replace) a named check."""
        self.checks[name] = check

    def _run(self, check: ReadinessCheck) -> Deferred[str | None]:
        """Fires with None when ready, else with the reason."""

        def judge(result: object) -> str | None:
            if isinstance(result, Failure):
                if result.check(TimeoutError):
                    return f"timed out after {self.timeout:g} s"
                return result.getErrorMessage() or result.type.__name__
            return None if result is True else "not ready"

        d: Deferred[object] = maybeDeferred(check)
        d.addTimeout(self.timeout, self._reactor)
        return d.addBoth(judge)

    def evaluate(self) -> Deferred[dict[str, str | None]]:
        """Run every check; fires with name → None (ready) or the failure reason."""
        names = sorted(self.checks)
        runs = DeferredList([self._run(self.checks[n]) for n in names], consumeErrors=True)
        return runs.addCallback(
            lambda results: {n: (r if ok else "check failed") for n, (ok, r) in
                             zip(names, results, strict=True)}
        )

    def render_GET(self, request: Request) -> int:
        finished = []
        request.notifyFinish().addBoth(finished.append)

        def answer(results: dict[str, str | None]) -> None:
            if finished:
                return  # the client went away
            failing = {n: r for n, r in results.items() if r is not None}
            if failing:
                lines = "".join(f"{n}: {r}\n" for n, r in sorted(failing.items()))
                body = _plain(request, 503, f"not ready\n{lines}")
            else:
                body = _plain(request, 200, "ready\n")
            request.setHeader(b"Content-Length", b"%d" % len(body))
            request.write(body)
            request.finish()

        self.evaluate().addCallback(answer).addErrback(
            lambda f: log.failure("readiness answer failed", f)
        )
        return NOT_DONE_YET


class _OpsRoot(Resource):
    """The ops site's root: its three children, and a plain 404 for anything else."""

    def getChild(self, path: bytes, request: Request) -> Resource:
        return notFound()  # type: ignore[return-value]


def build_ops_site(
    reactor: IReactorTime,
    metrics: OxdavMetrics,
    readiness: ReadinessResource | None = None,
) -> OxdavSite:
    """The ops site: ``/metrics``, ``/healthz``, ``/readyz``; anything else is 404.

    Args:
        reactor: the reactor.
        metrics: whose registry ``/metrics`` exposes.
        readiness: the ``/readyz`` resource (keep it to add checks later); one
            without checks, hence always ready, by default.

    Its own requests are neither access-logged nor counted in the HTTP metrics, so
    scrapes do not drown real traffic.
    """
    root = _OpsRoot()
    root.putChild(b"metrics", MetricsResource(metrics.registry))
    root.putChild(b"healthz", HealthResource())
    root.putChild(b"readyz", readiness or ReadinessResource(reactor))
    return OxdavSite(
        root,
        reactor=reactor,
        max_body_bytes=0,
        idle_timeout=30.0,
        header_timeout=10.0,
        body_timeout=10.0,
        access_log=False,
    )


def ops_endpoint(
    reactor: IReactorTCP,
    port: int,
    interface: str = "127.0.0.1",
    allow_public: bool = False,
) -> TCP4ServerEndpoint | TCP6ServerEndpoint:
    """The TCP server endpoint for the ops site, loopback-only unless allowed.

    Raises:
        ValueError: ``interface`` is not an IP literal, or not loopback while
            ``allow_public`` is false (metrics must not leak to the Internet).
    """
    address = ipaddress.ip_address(interface)
    if not address.is_loopback and not allow_public:
        raise ValueError(
            f"the metrics/health listener must bind a loopback address, not {interface}"
        )
    if address.version == 6:
        return TCP6ServerEndpoint(reactor, port, interface=interface)
    return TCP4ServerEndpoint(reactor, port, interface=interface)
