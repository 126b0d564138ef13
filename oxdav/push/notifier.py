"""This node's commits as push messages: coalesced, told only to who may know.

Exactly one node sends for a change: the one that committed it. The store tells this
node's own commits to ``subscribe_commits`` subscribers only (what other nodes relay
through PostgreSQL ``NOTIFY`` is not), with whom the writer muted
(``Push-Dont-Notify``). The subscriptions are shared through the database, so a
subscription registered on any node is told by whichever node took the write. (A
node that dies between its commit and its message loses that message; clients poll
as well, the draft says, so it is late, not lost for good.)

Changes are gathered per context for ``delay`` seconds from the first one (a burst,
say a client uploading 500 cards, becomes one message per collection carrying the
latest sync token, §4.1 allows merging content updates). Then one read transaction
finds the watchers, the store checking each still reads the changed folder, and each
gets one message, sent with at most ``concurrency`` in flight. A subscription the
push service no longer knows (404, 410) is dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred, DeferredSemaphore, ensureDeferred
from twisted.logger import Logger

from oxdav.dav.push import push_message, topic_for
from oxdav.dav.sync import SyncToken
from oxdav.store.core.events import Muted, ObjectChanged, StoreEvent
from oxdav.store.models import PushSubscription
from oxdav.work import INLINE, Work, WorkerLost

from .delivery import Deliverer, Outcome, encrypt
from .endpoints import EndpointRefused, Target

log = Logger()

#: The most contexts with changes waiting; beyond, changes are not pushed (logged).
MAX_PENDING_CONTEXTS = 10_000
#: The most muting writers remembered per batch; beyond, nobody is muted.
_MAX_MUTED = 64


@dataclass
class _Batch:
    """The changes of one context waiting to be told."""

    revisions: dict[int, int] = field(default_factory=dict)
    muted: list[Muted] = field(default_factory=list)
    unmuted: bool = False

    def add(self, event: ObjectChanged, muted: Muted) -> None:
        old = self.revisions.get(event.folder_id, -1)
        self.revisions[event.folder_id] = max(old, event.revision)
        if muted.writer is None or len(self.muted) >= _MAX_MUTED:
            self.unmuted = True
        elif muted not in self.muted:
            self.muted.append(muted)

    def mutes(self, subscription: PushSubscription) -> bool:
        """Whether every change of the batch was muted for ``subscription``."""
        return not self.unmuted and all(
            m.mutes(subscription.context_id, subscription.user_id, subscription.id)
            for m in self.muted)


def sync_token(subscription: PushSubscription, revisions: dict[int, int]) -> str | None:
    """The collection's new token: a folder's, or an aggregated one over its folders."""
    folders = subscription.folder_ids
    if len(folders) == 1 and subscription.collection == \
            f"{subscription.context_id}/{folders[0]}":
        revision = revisions.get(folders[0])
        return None if revision is None else str(
            SyncToken.for_collection(subscription.collection, revision))
    if not all(f in revisions for f in folders):
        return None
    return str(SyncToken.for_aggregate(subscription.collection,
                                       {str(f): revisions[f] for f in folders}))


class Notifier:
    """Tells the subscribers of this node's commits.

    Args:
        store: the started store.
        reactor: the reactor.
        deliverer: posts the messages.
        check: resolves and checks an endpoint (raises EndpointRefused).
        delay: seconds changes are gathered before they are told.
        concurrency: messages in flight at most.
        work: where the messages are encrypted (a worker process: ECDH and AES-GCM cost
            most of a millisecond each, and a shared folder may have many watchers).
    """

    def __init__(self, store: Any, reactor: Any, deliverer: Deliverer,
                 check: Callable[[str], Awaitable[Target]], *, delay: float,
                 concurrency: int, work: Work = INLINE) -> None:
        self._store = store
        self._reactor = reactor
        self._work = work
        self._deliverer = deliverer
        self._check = check
        self.delay = delay
        self._slots = DeferredSemaphore(concurrency)
        self._pending: dict[int, _Batch] = {}
        self._timers: dict[int, Any] = {}
        self._running: set[Deferred[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self._store.events.subscribe_commits(self.heard)

    async def stop(self) -> None:
        """Stop listening; what is gathered is dropped, what is in flight finishes."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        self._pending.clear()
        for running in list(self._running):
            await running

    def heard(self, events: Sequence[StoreEvent], muted: Muted) -> None:
        """A commit of this node (a ``subscribe_commits`` subscriber)."""
        for event in events:
            if not isinstance(event, ObjectChanged):
                continue  # only content updates are pushed (supported-triggers)
            batch = self._pending.get(event.context_id)
            if batch is None:
                if len(self._pending) >= MAX_PENDING_CONTEXTS:
                    log.warn("push: too many changes waiting; one is not told")
                    continue
                batch = self._pending[event.context_id] = _Batch()
                self._timers[event.context_id] = self._reactor.callLater(
                    self.delay, self._flush, event.context_id)
            batch.add(event, muted)

    def _flush(self, context_id: int) -> None:
        self._timers.pop(context_id, None)
        batch = self._pending.pop(context_id, None)
        if batch is None:
            return
        running = ensureDeferred(self.tell(context_id, batch))
        running.addErrback(lambda f: log.failure("push for context {c} failed", f,
                                                 c=context_id))
        self._running.add(running)
        running.addBoth(lambda _: self._running.discard(running))

    async def tell(self, context_id: int, batch: _Batch) -> None:
        """Send one message per watching subscription; drop the ones gone."""
        async with self._store.transaction("push: watchers") as txn:
            watchers = [s for s in await txn.push_watchers(context_id, list(batch.revisions))
                        if not batch.mutes(s)]
            revisions = dict(batch.revisions)
            if any(len(s.folder_ids) > 1 for s in watchers):
                for folder in await txn.folders(context_id):
                    revisions.setdefault(folder.id, folder.revision)
        if not watchers:
            return
        outcomes = []
        for subscription in watchers:
            outcomes.append(self._slots.run(lambda s=subscription: ensureDeferred(
                self.send(s, revisions))))
        gone = [s.id for s, outcome in zip(watchers, [await o for o in outcomes], strict=True)
                if outcome is Outcome.GONE]
        if gone:
            async with self._store.transaction("push: drop gone", write=True) as txn:
                await txn.drop_push(gone)
            log.info("push: dropped {count} subscriptions the push service forgot",
                     count=len(gone))

    async def send(self, subscription: PushSubscription, revisions: dict[int, int]
                   ) -> Outcome:
        topic = topic_for(subscription.collection)
        payload = push_message(topic, sync_token(subscription, revisions))
        try:
            target = await self._check(subscription.endpoint)
            body = await self._work.process(encrypt, payload, subscription.public_key,
                                            subscription.auth_secret)
        except EndpointRefused as e:
            log.info("push: not sending to {endpoint}: {why}",
                     endpoint=subscription.endpoint[:100], why=str(e))
            return Outcome.FAILED
        except ValueError as e:  # keys that are no P-256 point after all
            log.info("push: cannot encrypt for a subscription: {why}", why=str(e))
            return Outcome.GONE
        except WorkerLost:
            return Outcome.FAILED
        return await self._deliverer.send(target, body, topic)
