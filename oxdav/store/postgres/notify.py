"""Transaction events between the nodes of one database: ``NOTIFY`` and ``LISTEN``.

A committing transaction sends what it changed (``core.events.encode``) on the channel
``oxdav_events``, prefixed by its node's id; PostgreSQL delivers it to every listening
connection once the transaction has committed, and not at all if it rolls back. Each
node listens on one connection of its own, on a thread of its own, and hands what
other nodes sent to its store's subscribers on the reactor thread. A node skips its
own payloads: its store has told its subscribers already.

A payload holds at most 8000 bytes. Longer event lists are split into several
payloads of whole events (a subscriber may be told of one transaction in several
parts); an event too long on its own (an object name of thousands of characters) is
sent as a ``FolderChanged`` of its folder, which says less but nothing false.

While the listening connection is down (a database restart), events of the other
nodes are missed; what the nodes cache is checked against the versions in the
database on every use, so nothing stale is served, only a push may be late.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from twisted.internet.interfaces import IReactorFromThreads
from twisted.logger import Logger

from ..core.events import FolderChanged, ObjectChanged, StoreEvent, decode, encode
from ..errors import StoreError

CHANNEL = "oxdav_events"
#: What one NOTIFY payload may hold (PostgreSQL refuses 8000 bytes and more).
MAX_PAYLOAD = 7999
#: Longest pause between attempts to listen again while the database is away.
MAX_RETRY = 30.0

Publish = Callable[[Sequence[StoreEvent]], object]


def payloads(node: str, events: Sequence[StoreEvent], limit: int = MAX_PAYLOAD) -> list[str]:
    """``events`` as NOTIFY payloads of at most ``limit`` bytes: ``<node> <json list>``.

    The JSON is ASCII (``encode``), so characters are bytes.
    """
    room = limit - len(node) - 3  # the space and the list's brackets
    parts: list[str] = []
    chunk: list[str] = []
    size = 0
    for event in events:
        piece = encode([event])[1:-1]
        if len(piece) > room and isinstance(event, ObjectChanged):
            piece = encode([FolderChanged(event.context_id, event.folder_id)])[1:-1]
        if chunk and size + 1 + len(piece) > room:
            parts.append(f"{node} [{','.join(chunk)}]")
            chunk, size = [], 0
        size += len(piece) + (1 if chunk else 0)
        chunk.append(piece)
    if chunk:
        parts.append(f"{node} [{','.join(chunk)}]")
    return parts


class Listener:
    """One LISTEN connection on a thread of its own, reconnecting when it drops.

    Args:
        connect: opens a connection (autocommit), raising on failure.
        node: this node's id; its own payloads are skipped.
        publish: the store's ``EventHub.publish``, called on the reactor thread.
        reactor: delivers to the reactor thread.
        poll: seconds between checks whether to stop.
        retry: seconds before the first new attempt when the database is away
            (doubling up to ``MAX_RETRY``).
    """

    log = Logger()

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], node: str,
                 publish: Publish, reactor: IReactorFromThreads, *, poll: float = 0.5,
                 retry: float = 2.0) -> None:
        self._connect = connect
        self._node = node
        self._publish = publish
        self._reactor = reactor
        self._poll = poll
        self._retry = retry
        self._stopping = threading.Event()
        #: Set whenever the connection is listening (tests wait for it).
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oxdav-db-listen", daemon=True)

    def start(self) -> None:
        """Start listening (returns at once)."""
        self._thread.start()

    @property
    def wake_channel(self) -> str:
        """The channel a NOTIFY on wakes this listener alone (:meth:`stop`)."""
        return f"oxdav_wake_{self._node}"

    def stop(self, wake: Callable[[str], object] | None = None) -> None:
        """Stop and wait for the thread; ``wake(channel)``, when given, sends a NOTIFY
        on :attr:`wake_channel` so that the thread need not wait out ``poll``. Blocks:
        call it off the reactor thread."""
        self._stopping.set()
        if wake is not None and self.listening.is_set():
            try:
                wake(self.wake_channel)
            except Exception:
                pass  # it stops within poll seconds anyway
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        pause = self._retry
        while not self._stopping.is_set():
            try:
                conn = self._connect()
            except Exception as e:
                self.log.warn("cannot listen for other nodes' changes (next try in"
                              " {pause:g} s): {error}", pause=pause, error=str(e))
                self._stopping.wait(pause)
                pause = min(pause * 2, MAX_RETRY)
                continue
            lost: psycopg.Error | StoreError | None = None
            try:
                conn.execute(f"LISTEN {CHANNEL}; LISTEN {self.wake_channel}")
                self.listening.set()
                pause = self._retry
                while not self._stopping.is_set():
                    for notify in conn.notifies(timeout=self._poll):
                        if notify.channel == CHANNEL:
                            self._deliver(notify.payload)
                        elif self._stopping.is_set():
                            break
            except (psycopg.Error, StoreError) as e:  # the server gone: StoreUnavailable
                lost = e
            finally:
                self.listening.clear()
                conn.close()
            if lost is not None and not self._stopping.is_set():
                self.log.warn("lost the connection listening for other nodes' changes (next"
                              " try in {pause:g} s): {error}", pause=pause, error=str(lost))
                self._stopping.wait(pause)

    def _deliver(self, payload: str) -> None:
        node, _, text = payload.partition(" ")
        if node == self._node:
            return
        try:
            events = decode(text)
        except ValueError:
            self.log.warn("ignored a notification that is no event list: {payload}",
                          payload=payload[:200])
            return
        self._reactor.callFromThread(self._publish, events)
