"""The SQLite transaction and its directory operations (``Transaction`` Protocol).

Each call is one hop to the transaction's pool, running one database-thread function;
write calls run inside a savepoint so a call that raises changes nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from twisted.logger import Logger

from . import sqlite_directory as directory
from . import sqlite_folders as folders_db
from . import sqlite_locks as locks_db
from . import sqlite_objects as objects_db
from .errors import ContextChanged, ReadOnlyTransaction, TransactionClosed
from .executor import DBExecutor
from .models import UNSET, Context, Folder, Group, Module, SearchTerm, Unset, User
from .permissions import full_rights
from .sqlite_cache import versions
from .sqlite_collection import SQLiteCollection, SQLiteHome
from .sqlite_rows import context_version, from_datetime

if TYPE_CHECKING:
    from .interfaces import Collection, Home

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _nothing(conn: sqlite3.Connection) -> None:
    """A call that only lets the transaction's checks run."""


class SQLiteTransaction:
    """A transaction on one connection: the writer's, or a checked-out reader's.

    Args:
        executor: the store's thread pools.
        pool: the pool that serves ``conn``.
        conn: the connection, used by this transaction alone until it ends.
        label: what the transaction is for.
        write: whether it may write (``BEGIN IMMEDIATE`` instead of ``BEGIN``).
        snapshot: one transaction spans every call (the default); when False (reads
            only), each call is a transaction of its own, so ending costs no call.
        confirm: a context whose version the first call checks (``Store.transaction``).
    """

    log = Logger()

    def __init__(self, executor: DBExecutor, pool: str, conn: sqlite3.Connection, label: str,
                 write: bool, snapshot: bool = True, confirm: Context | None = None) -> None:
        self.label = label
        self.write = write
        self.snapshot = snapshot
        self._executor = executor
        self._pool = pool
        self._conn = conn
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

    # -- machinery --------------------------------------------------------------------

    async def call(self, fn: Callable[..., _T], *args: Any, mutates: bool = False,
                   **kwargs: Any) -> _T:
        """Run ``fn(conn, *args, **kwargs)`` on the database thread, in this transaction.

        Args:
            fn: a database-thread function.
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
            conn = self._conn
            if not self.snapshot:
                conn.execute("BEGIN")
                try:
                    return self._read(conn, fn, args, kwargs)
                finally:
                    conn.execute("COMMIT")
            if not self._begun:
                conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
                self._begun = True
            if not mutates:
                return self._read(conn, fn, args, kwargs)
            if self._confirm is not None:
                self._check_confirm(conn)  # before anything is written
            conn.execute("SAVEPOINT store_call")
            try:
                result = fn(conn, *args, **kwargs)
            except BaseException:
                conn.execute("ROLLBACK TO store_call")
                conn.execute("RELEASE store_call")
                raise
            conn.execute("RELEASE store_call")
            return result

    def _read(self, conn: sqlite3.Connection, fn: Callable[..., _T], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> _T:
        """A call that only reads. The versions it reads are kept for its duration
        (``sqlite_cache.versions``), and a pending confirmation is checked after it, in
        the same snapshot, usually from what it read already: a read has nothing to
        undo, and a stale context replaces whatever it returned or raised."""
        conn.call_memo = {}  # type: ignore[attr-defined]
        try:
            result = fn(conn, *args, **kwargs)
        finally:
            try:
                if self._confirm is not None:
                    self._check_confirm(conn)
            finally:
                conn.call_memo = None  # type: ignore[attr-defined]
        return result

    def _check_confirm(self, conn: sqlite3.Connection) -> None:
        context_id, version = self._confirm  # type: ignore[misc]
        self._confirm = None
        tags = versions(conn, context_id)
        if tags is None or context_version(tags[0], tags[1]) != version:
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
                    self._conn.execute("COMMIT")
                    return
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

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
        return await self.call(directory.create_context, name, list(mappings),
                               list(taxonomy_types), dict(config or {}), context_id, enabled,
                               mutates=True)

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
        return await self.call(
            directory.update_context, context_id, name=name,
            mappings=_listed(mappings), taxonomy_types=_listed(taxonomy_types),
            config=config if config is UNSET else dict(config), enabled=enabled, mutates=True)

    async def delete_context(self, context_id: int) -> None:
        """See ``Transaction.delete_context``."""
        await self.call(directory.delete_context, context_id, mutates=True)

    # -- users ------------------------------------------------------------------------

    async def create_user(self, context_id: int, login: str, *, display_name: str,
                          first_name: str | None = None, last_name: str | None = None,
                          email: str | None = None, aliases: Iterable[str] = (),
                          phones: Iterable[str] = (),
                          password_hash: str | None = None, permissions: Iterable[str] = (),
                          config: Mapping[str, str] | None = None, enabled: bool = True,
                          user_id: int | None = None) -> User:
        """See ``Transaction.create_user``."""
        return await self.call(
            directory.create_user, context_id, login, display_name=display_name,
            first_name=first_name, last_name=last_name, email=email, aliases=list(aliases),
            phones=list(phones), password_hash=password_hash, permissions=list(permissions),
            config=dict(config or {}), enabled=enabled, user_id=user_id, mutates=True)

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
        return await self.call(directory.update_user, context_id, user_id, changes,
                               mutates=True)

    async def delete_user(self, context_id: int, user_id: int) -> None:
        """See ``Transaction.delete_user``."""
        await self.call(directory.delete_user, context_id, user_id, mutates=True)

    # -- groups -----------------------------------------------------------------------

    async def create_group(self, context_id: int, name: str, *,
                           display_name: str | None = None, members: Iterable[int] = (),
                           group_id: int | None = None) -> Group:
        """See ``Transaction.create_group``."""
        return await self.call(directory.create_group, context_id, name, display_name,
                               list(members), group_id, mutates=True)

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
        return await self.call(
            directory.update_group, context_id, group_id, name=name,
            display_name=display_name, members=members if members is UNSET else list(members),
            mutates=True)

    async def delete_group(self, context_id: int, group_id: int) -> None:
        """See ``Transaction.delete_group``."""
        await self.call(directory.delete_group, context_id, group_id, mutates=True)

    # -- folders ----------------------------------------------------------------------

    async def home(self, context_id: int, user_id: int, *, quota: int | None = None) -> Home:
        """See ``Transaction.home``."""
        if quota is not None and quota < 0:
            raise ValueError("a quota is a number of bytes >= 0")
        return SQLiteHome(self, context_id, user_id, None, quota)

    async def folders(self, context_id: int, *, module: Module | None = None) -> list[Folder]:
        """See ``Transaction.folders``."""
        return await self.call(folders_db.all_folders, context_id, module)

    async def system_collection(self, context_id: int, folder_id: int) -> Collection:
        """See ``Transaction.system_collection``."""
        folder = await self.call(folders_db.load_folder, context_id, folder_id)
        return SQLiteCollection(self, folder, full_rights(0), None)

    async def prune_tombstones(self, older_than: datetime) -> int:
        """See ``Transaction.prune_tombstones``."""
        return await self.call(objects_db.prune_tombstones, from_datetime(older_than),
                               mutates=True)

    async def prune_locks(self, now: float | None = None) -> int:
        """See ``Transaction.prune_locks``."""
        return await self.call(locks_db.prune_locks, locks_db.seconds(now), mutates=True)


def _listed(values: Iterable[Any] | Unset) -> list[Any] | Unset:
    return values if values is UNSET else list(values)
