"""Two nodes on one PostgreSQL database, each running a sender: every queued message
goes out exactly once, whichever node's transaction queued it (the ``MailQueued``
event reaches the other node through LISTEN/NOTIFY, and claims skip each other's
rows)."""

from __future__ import annotations

import email
from collections import Counter
from email.policy import default

import pytest_twisted
from prometheus_client import CollectorRegistry
from twisted.internet.task import deferLater

from oxdav.imip.metrics import ImipMetrics
from oxdav.imip.sender import MailSender
from oxdav.store import open_store

from .smtp_server import PASSWORD, SmtpServer
from .support import config, enqueue, itip, reactor, tenant, until
from .test_sender import properties


@pytest_twisted.async_yield_fixture()
async def nodes(tmp_path, postgres_database):
    stores = [open_store(postgres_database.url, tmp_path, reactor(),
                         password_file=postgres_database.password_file) for _ in range(2)]
    for store in stores:
        await store.start()
    yield stores
    for store in stores:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_two_nodes_never_send_one_message_twice(tmp_path, nodes) -> None:
    smtp = SmtpServer(reactor(), tmp_path)
    smtp.start()
    senders = []
    try:
        # A long poll interval: the nodes are woken by the events of the commits.
        holder = config(tmp_path / "etc", properties(smtp).replace(
            "oxdav.imip.pollInterval = 1s", "oxdav.imip.pollInterval = 1h"))
        (tmp_path / "etc" / "smtp-password").write_text(PASSWORD + "\n")
        for store in nodes:
            sender = MailSender(store, holder, reactor(), ImipMetrics(CollectorRegistry()))
            sender.startService()
            senders.append(sender)
        context, alice = await tenant(nodes[0])
        for i in range(24):  # queued on both nodes, in turn
            await enqueue(nodes[i % 2], context, alice, itip(uid=f"m{i}"),
                          recipient=f"guest{i}@outside.example", uid=f"m{i}")
        await until(lambda: len(smtp.received) >= 24, timeout=60)
        await deferLater(reactor(), 1.0, lambda: None)  # anything sent twice shows now
        recipients = Counter(r.recipients[0] for r in smtp.received)
        assert len(smtp.received) == 24 and set(recipients.values()) == {1}
        uids = {email.message_from_bytes(r.data, policy=default).get_payload()[1]
                .get_payload(decode=True).split(b"UID:")[1].split(b"\r\n")[0]
                for r in smtp.received}
        assert len(uids) == 24
        sent_by = [s.metrics.sent._value.get() for s in senders]
        assert sum(sent_by) == 24
        async with nodes[1].transaction("read") as txn:
            assert (await txn.mail_counts())["sent"] == 24
    finally:
        for sender in senders:
            await sender.stopService()
        await smtp.stop()
