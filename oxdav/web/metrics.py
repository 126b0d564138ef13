"""Prometheus metrics (OPS.md B8) and the resource that exposes them.

Each :class:`OxdavMetrics` owns its own ``CollectorRegistry`` (with the process,
platform and GC collectors the default registry would have), so tests and several
sites never collide on global state. Names follow ``oxdav_<subsystem>_<name>_<unit>``;
labels never carry hrefs, users, UIDs or paths, and unknown HTTP methods are folded
into ``other`` so a client cannot grow the label set.

``prometheus_client.twisted.MetricsResource`` is not used: it binds the global
reactor at import time and runs in the shared thread pool.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from twisted.web.resource import Resource
from twisted.web.server import Request

from oxdav import __version__

from .site import KNOWN_METHODS

__all__ = ["HttpMetrics", "MetricsResource", "OxdavMetrics"]

#: Request latency buckets, 5 ms to 10 s.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _method_label(method: bytes) -> str:
    return method.decode("ascii") if method in KNOWN_METHODS else "other"


class HttpMetrics:
    """Request counters for :class:`oxdav.web.site.OxdavSite` (its ``RequestMetrics``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "oxdav_http_requests_total",
            "HTTP requests answered, by method and status code.",
            ["method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "oxdav_http_request_duration_seconds",
            "Time from a request being received to its response being finished.",
            ["method"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "oxdav_http_requests_in_flight",
            "Requests received and not yet answered.",
            registry=registry,
        )

    def request_started(self) -> None:
        """Count a request in flight."""
        self.in_flight.inc()

    def request_finished(self, method: bytes, status: int, seconds: float) -> None:
        """Count an answered request and observe its duration."""
        self.in_flight.dec()
        label = _method_label(method)
        self.requests.labels(label, str(status)).inc()
        self.duration.labels(label).observe(seconds)

    def request_aborted(self, method: bytes, seconds: float) -> None:
        """The client went away before the answer was finished: not counted as answered."""
        self.in_flight.dec()

    def request_refused(self, method: bytes, status: int) -> None:
        """Count a request refused by the connection (413, 408) before processing."""
        self.requests.labels(_method_label(method), str(status)).inc()


class OxdavMetrics:
    """All of oxdav's metrics, in one registry.

    Args:
        registry: where to register; a new registry with the process, platform and
            GC collectors by default.
        version: the ``version`` label of ``oxdav_build_info``.

    Attributes:
        registry: the registry to expose.
        http: request metrics; pass as ``OxdavSite(metrics=...)``.
    """

    def __init__(self, registry: CollectorRegistry | None = None,
                 version: str = __version__) -> None:
        if registry is None:
            registry = CollectorRegistry()
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        self.registry = registry
        self.http = HttpMetrics(registry)
        self.config_last_reload_successful = Gauge(
            "oxdav_config_last_reload_successful",
            "Whether the last configuration load or reload succeeded (1) or failed (0).",
            registry=registry,
        )
        self.config_last_reload_success_timestamp = Gauge(
            "oxdav_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully.",
            registry=registry,
        )
        self.tls_certificate_not_after = Gauge(
            "oxdav_tls_certificate_not_after_timestamp_seconds",
            "Expiry (notAfter) of the TLS certificate being served.",
            registry=registry,
        )
        self.build_info = Gauge(
            "oxdav_build_info", "oxdav build; always 1.", ["version"], registry=registry
        )
        self.build_info.labels(version).set(1)

    def record_reload(self, success: bool, timestamp: float) -> None:
        """Record a configuration load: its outcome, and the time if it succeeded."""
        self.config_last_reload_successful.set(1 if success else 0)
        if success:
            self.config_last_reload_success_timestamp.set(timestamp)

    def record_certificate(self, not_after: float) -> None:
        """Record the expiry of the certificate now served (``tls.certificate_not_after``)."""
        self.tls_certificate_not_after.set(not_after)


class MetricsResource(Resource):
    """``GET /metrics``: the registry in Prometheus text or OpenMetrics format."""

    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self._registry = registry

    def render_GET(self, request: Request) -> bytes:
        accept = (request.getHeader(b"accept") or b"").decode("latin-1")
        encoder, content_type = choose_encoder(accept)
        request.setHeader(b"Content-Type", content_type.encode("ascii"))
        request.setHeader(b"Cache-Control", b"no-store")
        return encoder(self._registry)
