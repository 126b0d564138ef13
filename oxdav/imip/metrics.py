"""Prometheus metrics of the mail side (``oxdav_imip_*``), in the daemon's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ImipMetrics:
    """Counters of sent, failed and skipped messages, the queue's length, and the
    reply mails the listener took or refused."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter("oxdav_imip_mail_sent_total",
                            "Scheduling mails the SMTP server accepted.", registry=registry)
        self.failed = Counter("oxdav_imip_mail_failed_total",
                              "Attempts to send a scheduling mail that failed (each retry "
                              "counts).", registry=registry)
        self.skipped = Counter("oxdav_imip_mail_skipped_total",
                               "Queued scheduling mails not sent (event over, iMIP off).",
                               registry=registry)
        self.queued = Gauge("oxdav_imip_mail_queued",
                            "Scheduling mails waiting in the queue (store-wide).",
                            registry=registry)
        self.replies = Counter("oxdav_imip_replies_total",
                               "Reply mails received, by outcome (applied, refused).",
                               ["outcome"], registry=registry)
