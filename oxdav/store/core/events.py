"""Transaction events: what a committed transaction changed, told to subscribers.

A transaction notes each change its calls made (an object written or deleted, a folder
created, changed or deleted, the directory of a context changed, mail queued); once it
has committed, the store hands the list to every subscriber on the reactor thread. A
rolled-back transaction tells nothing, and neither does a call that failed. Engines
shared by several processes also carry the events to the other nodes (PostgreSQL
``NOTIFY``), which hand them to their own subscribers the same way. Scheduling mail,
push and sharing notifications subscribe here; nothing HTTP-shaped enters the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from twisted.logger import Logger

log = Logger()


@dataclass(frozen=True)
class ObjectChanged:
    """An object was written (``deleted`` False) or deleted; ``revision`` is the
    folder's revision after the change (its new sync token)."""

    context_id: int
    folder_id: int
    name: str
    deleted: bool
    revision: int


@dataclass(frozen=True)
class FolderChanged:
    """A folder was created, changed (name, colour, description, permissions) or
    deleted; ``permissions`` says whether who may see it may have changed."""

    context_id: int
    folder_id: int
    deleted: bool = False
    permissions: bool = False


@dataclass(frozen=True)
class DirectoryChanged:
    """Contexts, users or groups of a context changed (logins, rights, addresses)."""

    context_id: int


@dataclass(frozen=True)
class MailQueued:
    """Scheduling mail was queued in a context (``Transaction.enqueue_mail``): a
    sender on any node may send it now."""

    context_id: int


StoreEvent = ObjectChanged | FolderChanged | DirectoryChanged | MailQueued
Subscriber = Callable[[Sequence[StoreEvent]], object]


@dataclass(frozen=True)
class Muted:
    """Push subscriptions the writer asked not to be told of its own changes
    (WebDAV-Push ``Push-Dont-Notify``): those of ``writer`` (context id, user id) whose
    ids are in ``subscriptions``, or all of the writer's when ``everything``. Nobody
    mutes another user's subscriptions."""

    writer: tuple[int, int] | None = None
    subscriptions: frozenset[str] = frozenset()
    everything: bool = False

    def mutes(self, context_id: int, user_id: int, subscription_id: str) -> bool:
        """Whether the subscription ``subscription_id`` of that user is muted."""
        return self.writer == (context_id, user_id) and (
            self.everything or subscription_id in self.subscriptions)


NOBODY_MUTED = Muted()
#: Told of this process's own commits: the events and whom the writer muted.
CommitSubscriber = Callable[[Sequence[StoreEvent], Muted], object]

_KINDS: dict[str, type[ObjectChanged] | type[FolderChanged] | type[DirectoryChanged]
             | type[MailQueued]] = {
    "object": ObjectChanged, "folder": FolderChanged, "directory": DirectoryChanged,
    "mail": MailQueued}
_NAMES = {kind: name for name, kind in _KINDS.items()}


def encode(events: Sequence[StoreEvent]) -> str:
    """``events`` as compact JSON, for engines that carry them to other nodes."""
    return json.dumps([[_NAMES[type(e)], asdict(e)] for e in events], separators=(",", ":"))


def decode(text: str) -> list[StoreEvent]:
    """Inverse of :func:`encode`. Raises: ValueError for text it did not make."""
    try:
        return [_KINDS[kind](**fields) for kind, fields in json.loads(text)]
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a store event list: {text[:80]!r}") from e


class EventHub:
    """The store's subscribers. ``publish`` runs on the reactor thread."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._committers: list[CommitSubscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(events)`` after every commit that changed something;
        returns what unsubscribes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def subscribe_commits(self, subscriber: CommitSubscriber) -> Callable[[], None]:
        """Call ``subscriber(events, muted)`` after every commit of this process that
        changed something, never for what other nodes relay: for work exactly one
        node is to do (push), the one that committed; returns what unsubscribes it."""
        self._committers.append(subscriber)
        return lambda: self._committers.remove(subscriber)

    def publish_commit(self, events: Sequence[StoreEvent],
                       muted: Muted = NOBODY_MUTED) -> None:
        """What a transaction of this process committed: to every subscriber."""
        self.publish(events)
        if not events:
            return
        for subscriber in list(self._committers):
            try:
                subscriber(events, muted)
            except Exception:
                log.failure("a store commit subscriber failed")

    def publish(self, events: Sequence[StoreEvent]) -> None:
        """Hand ``events`` to every subscriber; one that fails is logged, not raised
        (the transaction has committed: its caller is not to be told otherwise)."""
        if not events:
            return
        for subscriber in list(self._subscribers):
            try:
                subscriber(events)
            except Exception:
                log.failure("a store event subscriber failed")
