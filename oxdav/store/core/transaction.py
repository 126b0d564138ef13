"""A store transaction and its directory operations (``Transaction`` Protocol).

Each call is one hop to the transaction's pool, running one core function with the
engine's rows for the transaction's connection; a call that writes runs inside a
savepoint, so a call that raises changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from twisted.logger import Logger

from ..errors import ContextChanged, ReadOnlyTransaction, TransactionClosed
from ..executor import DBExecutor
from ..interfaces import Collection, Home
from ..mail_models import QueuedMail, RetryPolicy
from ..models import (
    UNSET,
    Context,
    Folder,
    Group,
    InboxItem,
    LoginFailures,
    Module,
    SearchTerm,
    Unset,
    User,
    context_version,
)
from ..permissions import full_rights
from . import directory, logins
from . import folders as folders_core
from . import inbox as inbox_core
from . import locks as locks_core
from . import mail as mail_core
from . import objects as objects_core
from .cache import versions
from .clock import from_datetime, seconds
from .collection import CoreCollection, CoreHome
from .events import NOBODY_MUTED, DirectoryChanged, MailQueued, Muted, StoreEvent, encode
from .push import PushCalls
from .rows import Rows
from .session import Session

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _nothing(rows: Rows) -> None:
    """A call that only lets the transaction's checks run."""


class CoreTransaction(PushCalls):
    """A transaction on one engine session (one connection, used by it alone).

    Args:
        executor: the store's thread pools.
        pool: the pool that serves the session.
        session: the engine's connection with its rows.
        label: what the transaction is for.
        write: whether it may write.
        snapshot: one transaction spans every call (the default); when False (reads
            only), each call is a transaction of its own, so ending costs no call.
        confirm: a context whose version the first call checks (``Store.transaction``).
    """

    log = Logger()

    def __init__(self, executor: DBExecutor, pool: str, session: Session, label: str,
                 write: bool, snapshot: bool = True, confirm: Context | None = None) -> None:
        self.label = label
        self.write = write
        self.snapshot = snapshot
        self._executor = executor
        self._pool = pool
        self._session = session
        # Serialises this transaction's calls on the database threads, even when the
        # caller issues several at once or abandons (cancels) one in flight.
        self._thread_lock = threading.Lock()
        self._begun = False
        self._closed = False
        self._issued = False
        #: Calls that may have written (counted when issued), so readers can tell
        #: whether something they read earlier in this transaction may have changed.
        self.mutations = 0
        #: (context id, version) still to be checked by the first call.
        self._confirm = None if confirm is None else (confirm.id, confirm.version)
        #: What the calls so far changed, told after commit (``core.events``).
        self.events: list[StoreEvent] = []
        #: Whom the writer asked not to push its changes to (``core.events.Muted``).
        self.muted = NOBODY_MUTED

    def mute(self, writer: tuple[int, int], subscription_ids: Iterable[str] = (), *,
             everything: bool = False) -> None:
        """Tell the changes of this transaction to none of the writer's (context id,
        user id) push subscriptions named, or to none of them at all (``everything``)."""
        self.muted = Muted(writer, frozenset(subscription_ids), everything)

    def note(self, event: StoreEvent) -> None:
        """Record a change a call made (after the call succeeded)."""
        self.events.append(event)

    # -- machinery --------------------------------------------------------------------

    async def call(self, fn: Callable[..., _T], *args: Any, mutates: bool = False,
                   **kwargs: Any) -> _T:
        """Run ``fn(rows, *args, **kwargs)`` on the database thread, in this transaction.

        Args:
            fn: a database-thread function of the core.
            mutates: whether ``fn`` writes (needs a write transaction; runs in a savepoint).

        Raises:
            TransactionClosed: the transaction has ended.
            ReadOnlyTransaction: ``mutates`` in a read transaction.
        """
        if self._closed:
            raise TransactionClosed(f"transaction {self.label!r} has ended")
        if mutates and not self.write:
            raise ReadOnlyTransaction(f"transaction {self.label!r} is read-only")
        self._issued = True
        if mutates:
            self.mutations += 1
        result: _T = await self._executor.run(self._pool, self._on_thread, fn, mutates, args,
                                              kwargs)
        return result

    def _on_thread(self, fn: Callable[..., _T], mutates: bool, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> _T:
        with self._thread_lock:
            if self._closed:
                raise TransactionClosed(f"transaction {self.label!r} has ended")
            session = self._session
            if not self.snapshot:
                session.begin(write=False)
                try:
                    return self._read(session.rows, fn, args, kwargs)
                finally:
                    session.commit()
            if not self._begun:
                session.begin(write=self.write)
                self._begun = True
            if not mutates:
                return self._read(session.rows, fn, args, kwargs)
            if self._confirm is not None:
                self._check_confirm(session.rows)  # before anything is written
            session.savepoint()
            try:
                result = fn(session.rows, *args, **kwargs)
            except BaseException:
                session.rollback_to_savepoint()
                raise
            session.release_savepoint()
            return result

    def _read(self, rows: Rows, fn: Callable[..., _T], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> _T:
        """A call that only reads. The versions it reads are kept for its duration
        (``cache.versions``), and a pending confirmation is checked after it, in the
        same snapshot, usually from what it read already: a read has nothing to undo,
        and a stale context replaces whatever it returned or raised."""
        rows.call_memo = {}
        try:
            result = fn(rows, *args, **kwargs)
        finally:
            try:
                if self._confirm is not None:
                    self._check_confirm(rows)
            finally:
                rows.call_memo = None
        return result

    def _check_confirm(self, rows: Rows) -> None:
        context_id, version = self._confirm  # type: ignore[misc]
        self._confirm = None
        tags = versions(rows, context_id)
        if tags is None or context_version(tags.context, tags.names) != version:
            raise ContextChanged(f"context {context_id} changed since {version}")

    async def confirmed(self) -> None:
        """See ``Transaction.confirmed``."""
        if self._confirm is not None:
            await self.call(_nothing)

    def _end_on_thread(self, commit: bool) -> None:
        with self._thread_lock:
            self._closed = True
            if not self._begun:
                return
            if commit:
                try:
                    if self.events:
                        self._session.announce(encode(self.events))
                    self._session.commit()
                    return
                except BaseException:
                    self._session.rollback()
                    raise
            self._session.rollback()

    async def end(self, commit: bool) -> None:
        """Commit or roll back, once; the transaction is closed afterwards."""
        if self._closed:
            return
        if not self._issued or not self.snapshot:  # no transaction is open there
            self._closed = True
            return
        await self._executor.run(self._pool, self._end_on_thread, commit)

    # -- contexts ---------------------------------------------------------------------

    async def create_context(self, name: str, mappings: Iterable[str] = (),
                             taxonomy_types: Iterable[str] = (),
                             config: Mapping[str, str] | None = None,
                             context_id: int | None = None, *, enabled: bool = True
                             ) -> Context:
        """See ``Transaction.create_context``."""
        context: Context = await self.call(
            directory.create_context, name, list(mappings), list(taxonomy_types),
            dict(config or {}), context_id, enabled, mutates=True)
        self.note(DirectoryChanged(context.id))
        return context

    async def context(self, context_id: int) -> Context:
        """See ``Transaction.context``."""
        return await self.call(directory.load_context, context_id)

    async def context_by_mapping(self, mapping: str) -> Context:
        """See ``Transaction.context_by_mapping``."""
        return await self.call(directory.context_by_mapping, mapping)

    async def contexts(self) -> list[Context]:
        """See ``Transaction.contexts``."""
        return await self.call(directory.all_contexts)

    async def update_context(self, context_id: int, *, name: str | Unset = UNSET,
                             mappings: Iterable[str] | Unset = UNSET,
                             taxonomy_types: Iterable[str] | Unset = UNSET,
                             config: Mapping[str, str] | Unset = UNSET,
                             enabled: bool | Unset = UNSET) -> Context:
        """See ``Transaction.update_context``."""
        context: Context = await self.call(
            directory.update_context, context_id, name=name,
            mappings=_listed(mappings), taxonomy_types=_listed(taxonomy_types),
            config=config if config is UNSET else dict(config), enabled=enabled, mutates=True)
        self.note(DirectoryChanged(context_id))
        return context

    async def delete_context(self, context_id: int) -> None:
        """See ``Transaction.delete_context``."""
        await self.call(directory.delete_context, context_id, mutates=True)
        self.note(DirectoryChanged(context_id))

    # -- users ------------------------------------------------------------------------

    async def create_user(self, context_id: int, login: str, *, display_name: str,
                          first_name: str | None = None, last_name: str | None = None,
                          email: str | None = None, aliases: Iterable[str] = (),
                          phones: Iterable[str] = (),
                          password_hash: str | None = None, permissions: Iterable[str] = (),
                          config: Mapping[str, str] | None = None, enabled: bool = True,
                          user_id: int | None = None) -> User:
        """See ``Transaction.create_user``."""
        user: User = await self.call(
            directory.create_user, context_id, login, display_name=display_name,
            first_name=first_name, last_name=last_name, email=email, aliases=list(aliases),
            phones=list(phones), password_hash=password_hash, permissions=list(permissions),
            config=dict(config or {}), enabled=enabled, user_id=user_id, mutates=True)
        self.note(DirectoryChanged(context_id))
        return user

    async def user(self, context_id: int, user_id: int) -> User:
        """See ``Transaction.user``."""
        return await self.call(directory.load_user, context_id, user_id)

    async def user_by_login(self, context_id: int, login: str) -> User:
        """See ``Transaction.user_by_login``."""
        return await self.call(directory.user_by_login, context_id, login)

    async def user_by_email(self, email: str) -> User:
        """See ``Transaction.user_by_email``."""
        return await self.call(directory.user_by_email, email)

    async def login_in_mapping(self, mapping: str, login: str) -> tuple[Context, User]:
        """See ``Transaction.login_in_mapping``."""
        return await self.call(directory.login_in_mapping, mapping, login)

    async def login_by_email(self, email: str) -> tuple[Context, User]:
        """See ``Transaction.login_by_email``."""
        return await self.call(directory.login_by_email, email)

    async def users(self, context_id: int) -> list[User]:
        """See ``Transaction.users``."""
        return await self.call(directory.context_users, context_id)

    async def users_and_groups(self, context_id: int, user_ids: Iterable[int],
                               group_ids: Iterable[int] = ()
                               ) -> tuple[dict[int, User], dict[int, Group]]:
        """See ``Directory.users_and_groups``."""
        return await self.call(directory.users_and_groups, context_id, list(user_ids),
                               list(group_ids))

    async def find_users(self, context_id: int, terms: Sequence[SearchTerm] = (), *,
                         any_term: bool = False, limit: int) -> list[User]:
        """See ``Transaction.find_users``."""
        return await self.call(directory.find_users, context_id, tuple(terms), any_term,
                               limit)

    async def find_groups(self, context_id: int, terms: Sequence[SearchTerm] = (), *,
                          any_term: bool = False, limit: int) -> list[Group]:
        """See ``Transaction.find_groups``."""
        return await self.call(directory.find_groups, context_id, tuple(terms), any_term,
                               limit)

    async def update_user(self, context_id: int, user_id: int, *,
                          login: str | Unset = UNSET, display_name: str | Unset = UNSET,
                          first_name: str | None | Unset = UNSET,
                          last_name: str | None | Unset = UNSET,
                          email: str | None | Unset = UNSET,
                          aliases: Iterable[str] | Unset = UNSET,
                          phones: Iterable[str] | Unset = UNSET,
                          password_hash: str | None | Unset = UNSET,
                          permissions: Iterable[str] | Unset = UNSET,
                          config: Mapping[str, str] | Unset = UNSET,
                          enabled: bool | Unset = UNSET) -> User:
        """See ``Transaction.update_user``."""
        given: dict[str, Any] = {
            "login": login, "display_name": display_name, "first_name": first_name,
            "last_name": last_name, "email": email, "aliases": _listed(aliases),
            "phones": _listed(phones), "password_hash": password_hash,
            "permissions": _listed(permissions),
            "config": config if config is UNSET else dict(config), "enabled": enabled,
        }
        changes = {k: v for k, v in given.items() if v is not UNSET}
        user: User = await self.call(directory.update_user, context_id, user_id, changes,
                                     mutates=True)
        self.note(DirectoryChanged(context_id))
        return user

    async def delete_user(self, context_id: int, user_id: int) -> None:
        """See ``Transaction.delete_user``."""
        await self.call(directory.delete_user, context_id, user_id, mutates=True)
        self.note(DirectoryChanged(context_id))

    # -- groups -----------------------------------------------------------------------

    async def create_group(self, context_id: int, name: str, *,
                           display_name: str | None = None, members: Iterable[int] = (),
                           group_id: int | None = None) -> Group:
        """See ``Transaction.create_group``."""
        group: Group = await self.call(directory.create_group, context_id, name,
                                       display_name, list(members), group_id, mutates=True)
        self.note(DirectoryChanged(context_id))
        return group

    async def group(self, context_id: int, group_id: int) -> Group:
        """See ``Transaction.group``."""
        return await self.call(directory.load_group, context_id, group_id)

    async def groups(self, context_id: int, *, member: int | None = None) -> list[Group]:
        """See ``Transaction.groups``."""
        return await self.call(directory.context_groups, context_id, member)

    async def update_group(self, context_id: int, group_id: int, *,
                           name: str | Unset = UNSET, display_name: str | Unset = UNSET,
                           members: Iterable[int] | Unset = UNSET) -> Group:
        """See ``Transaction.update_group``."""
        group: Group = await self.call(
            directory.update_group, context_id, group_id, name=name,
            display_name=display_name, members=members if members is UNSET else list(members),
            mutates=True)
        self.note(DirectoryChanged(context_id))
        return group

    async def delete_group(self, context_id: int, group_id: int) -> None:
        """See ``Transaction.delete_group``."""
        await self.call(directory.delete_group, context_id, group_id, mutates=True)
        self.note(DirectoryChanged(context_id))

    # -- failed logins ----------------------------------------------------------------

    async def login_failures(self, keys: Iterable[str]) -> dict[str, LoginFailures]:
        """See ``Directory.login_failures``."""
        return await self.call(logins.login_failures, list(keys))

    async def record_login_failures(self, keys: Mapping[str, float], now: float
                                    ) -> dict[str, LoginFailures]:
        """See ``Directory.record_login_failures``."""
        return await self.call(logins.record_login_failures, dict(keys), now, mutates=True)

    async def take_back_login_failures(self, keys: Iterable[str], count: int
                                       ) -> dict[str, LoginFailures]:
        """See ``Directory.take_back_login_failures``."""
        return await self.call(logins.take_back_login_failures, list(keys), count,
                               mutates=True)

    async def forget_login_failures(self, keys: Iterable[str]) -> dict[str, LoginFailures]:
        """See ``Directory.forget_login_failures``."""
        return await self.call(logins.forget_login_failures, list(keys), mutates=True)

    async def prune_login_failures(self, older_than: float) -> int:
        """See ``Directory.prune_login_failures``."""
        return await self.call(logins.prune_login_failures, older_than, mutates=True)

    # -- folders ----------------------------------------------------------------------

    async def home(self, context_id: int, user_id: int, *, quota: int | None = None) -> Home:
        """See ``Transaction.home``."""
        if quota is not None and quota < 0:
            raise ValueError("a quota is a number of bytes >= 0")
        return CoreHome(self, context_id, user_id, None, quota)

    async def folders(self, context_id: int, *, module: Module | None = None) -> list[Folder]:
        """See ``Transaction.folders``."""
        return await self.call(folders_core.all_folders, context_id, module)

    async def system_collection(self, context_id: int, folder_id: int) -> Collection:
        """See ``Transaction.system_collection``."""
        folder = await self.call(folders_core.load_folder, context_id, folder_id)
        return CoreCollection(self, folder, full_rights(0), None)

    async def aging_instance_indexes(self, until_before: int, limit: int
                                     ) -> list[tuple[int, int, str]]:
        """See ``Transaction.aging_instance_indexes``."""
        found: list[tuple[int, int, str]] = await self.call(
            objects_core.aging_instance_indexes, until_before, limit)
        return found

    async def prune_tombstones(self, older_than: datetime) -> int:
        """See ``Transaction.prune_tombstones``."""
        return await self.call(objects_core.prune_tombstones, from_datetime(older_than),
                               mutates=True)

    async def prune_locks(self, now: float | None = None) -> int:
        """See ``Transaction.prune_locks``."""
        return await self.call(locks_core.prune_locks, seconds(now), mutates=True)

    # -- scheduling inboxes (RFC 6638 §2.2) ----------------------------------------------

    async def inbox_items(self, context_id: int, user_id: int) -> list[InboxItem]:
        """See ``Content.inbox_items``."""
        return await self.call(inbox_core.inbox_items, context_id, user_id)

    async def inbox_item(self, context_id: int, user_id: int, name: str) -> InboxItem:
        """See ``Content.inbox_item``."""
        return await self.call(inbox_core.inbox_item, context_id, user_id, name)

    async def deliver_to_inbox(self, context_id: int, user_id: int, name: str,
                               data: bytes) -> InboxItem:
        """See ``Content.deliver_to_inbox``."""
        return await self.call(inbox_core.deliver, context_id, user_id, name, data,
                               mutates=True)

    async def delete_inbox_item(self, context_id: int, user_id: int, name: str) -> None:
        """See ``Content.delete_inbox_item``."""
        await self.call(inbox_core.remove, context_id, user_id, name, mutates=True)

    # -- outgoing scheduling mail ---------------------------------------------------

    async def enqueue_mail(self, context_id: int, sender_id: int, recipient: str,
                           method: str, uid: str, itip: bytes, *,
                           now: float | None = None) -> QueuedMail:
        """See ``MailQueue.enqueue_mail``."""
        mail: QueuedMail = await self.call(mail_core.enqueue, context_id, sender_id,
                                           recipient, method, uid, itip, seconds(now),
                                           mutates=True)
        self.note(MailQueued(context_id))
        return mail

    async def claim_mail(self, limit: int, lease: float, *, now: float | None = None
                         ) -> list[QueuedMail]:
        """See ``MailQueue.claim_mail``."""
        return await self.call(mail_core.claim, limit, lease, seconds(now), mutates=True)

    async def mark_mail_sent(self, mail_id: int, claim: str, *, now: float | None = None
                             ) -> bool:
        """See ``MailQueue.mark_mail_sent``."""
        return await self.call(mail_core.mark_sent, mail_id, claim, seconds(now),
                               mutates=True)

    async def mark_mail_skipped(self, mail_id: int, claim: str, reason: str, *,
                                now: float | None = None) -> bool:
        """See ``MailQueue.mark_mail_skipped``."""
        return await self.call(mail_core.mark_skipped, mail_id, claim, reason, seconds(now),
                               mutates=True)

    async def mark_mail_failed(self, mail_id: int, claim: str, error: str,
                               policy: RetryPolicy, *, now: float | None = None
                               ) -> QueuedMail | None:
        """See ``MailQueue.mark_mail_failed``."""
        return await self.call(mail_core.mark_failed, mail_id, claim, error, policy,
                               seconds(now), mutates=True)

    async def mail_by_token(self, token: str) -> QueuedMail | None:
        """See ``MailQueue.mail_by_token``."""
        return await self.call(mail_core.by_token, token)

    async def mail(self, mail_id: int, *, context_id: int | None = None) -> QueuedMail:
        """See ``MailQueue.mail``."""
        return await self.call(mail_core.get, mail_id, context_id)

    async def list_mail(self, *, context_id: int | None = None, state: str | None = None,
                        after_id: int = 0, limit: int = 100) -> list[QueuedMail]:
        """See ``MailQueue.list_mail``."""
        return await self.call(mail_core.listing, context_id, state, after_id, limit)

    async def retry_mail(self, mail_id: int, *, context_id: int | None = None,
                         now: float | None = None) -> bool:
        """See ``MailQueue.retry_mail``."""
        retried: bool = await self.call(mail_core.retry, mail_id, context_id, seconds(now),
                                        mutates=True)
        if retried:
            row = await self.call(mail_core.get, mail_id, context_id)
            self.note(MailQueued(row.context_id))
        return retried

    async def drop_mail(self, mail_id: int, *, context_id: int | None = None) -> bool:
        """See ``MailQueue.drop_mail``."""
        return await self.call(mail_core.drop, mail_id, context_id, mutates=True)

    async def mail_counts(self) -> dict[str, int]:
        """See ``MailQueue.mail_counts``."""
        return await self.call(mail_core.counts)

    async def prune_mail(self, older_than: float) -> int:
        """See ``MailQueue.prune_mail``."""
        return await self.call(mail_core.prune, older_than, mutates=True)


def _listed(values: Iterable[Any] | Unset) -> list[Any] | Unset:
    return values if values is UNSET else list(values)
