"""What an engine offers the core: row-level reads and writes on one connection.

An engine implements :class:`Rows` once per database dialect (``oxdav.store.sqlite``,
``oxdav.store.postgres``). Every method runs on a database thread inside the
transaction the core opened, filters in SQL and returns the store's models; none of
them decides a rule of the contract (rights, the UID rule, quota, revisions,
tombstones, lock conflicts: :mod:`oxdav.store.core`). What differs between databases
stays behind these methods: how uniqueness violations are recognised (they become
``AlreadyExists``), how other writers are held off (:meth:`ContentRows.hold_writers`),
how ``Context.version`` is kept (triggers), how lists are stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from ..models import (
    Candidate,
    Context,
    Folder,
    FolderPermission,
    Group,
    InstanceSpans,
    Lock,
    Module,
    ObjectIndex,
    ObjectMeta,
    PushSubscription,
    SearchTerm,
    StoredObject,
    User,
)
from .scope import Scope
from .tables import TransferRows

#: A per-context id counter (``next_id``).
Counter = str  # "user", "group" or "folder"


class Versions(NamedTuple):
    """The tags the caches are checked against: the context's own version, the store's
    login-names version (``Context.version`` is made of the two) and a folder's
    revision (None when no folder was asked for, or there is none)."""

    context: int
    names: int
    folder: int | None


#: Seconds beyond which an instance span is long (``object_instances.is_long``): a range
#: scans the short spans from a week before it only, the long ones from the start.
LONG_SPAN = 7 * 86_400

#: What :meth:`ContentRows.instance_spans` returns, as rows: ``(name, floating)`` of the
#: objects whose instance window holds the range; ``(name, start, end)`` of the first
#: span of each starting inside the inner interval; ``(name, start, end)`` of the spans
#: near the range starting outside it, in start order.
InstanceSpansNear = tuple[Sequence[tuple[str, bool]], Sequence[tuple[str, int, int]],
                          Sequence[tuple[str, int, int]]]


def instance_bounds(low: int, high: int, inner: tuple[int, int]) -> dict[str, int]:
    """The parameters of an engine's instance-span queries: the range ``low``/``high``,
    the open inner interval ``a``/``b`` (``b`` past ``a``, so that the spans starting
    at or before ``a`` and those at or after ``b`` never overlap), and where short and
    long spans meeting the range can start."""
    a = inner[0]
    return {"low": low, "high": high, "a": a, "b": max(inner[1], a + 1),
            "short_from": low - LONG_SPAN, "long_from": -(2 ** 62)}


def spans_near(conn: Any, queries: tuple[str, str, str], scope: Scope, low: int, high: int,
               inner: tuple[int, int]) -> InstanceSpansNear:
    """``ContentRows.instance_spans`` on an engine's connection, from its windows,
    inner-span and edge-spans queries (parameters: :func:`instance_bounds`, ``c`` and
    ``f``); the spans are read only when a window holds the range."""
    bounds = {"c": scope.context_id, "f": scope.folder_id,
              **instance_bounds(low, high, inner)}
    windows_query, inner_query, edge_query = queries
    windows = conn.execute(windows_query, bounds).fetchall()
    if not windows:
        return [], [], []
    return (windows, conn.execute(inner_query, bounds).fetchall(),
            conn.execute(edge_query, bounds).fetchall())


class ObjectState(NamedTuple):
    """What a write checks of the object it replaces."""

    etag: str
    created_by: int | None
    created: int
    size: int
    uid: str


class Change(NamedTuple):
    """One entry of a folder's change log: the object as it is now (None: deleted,
    a tombstone), its name and the revision of its last change."""

    meta: ObjectMeta | None
    name: str
    modseq: int


class DirectoryRows(Protocol):
    """Contexts, users, groups and logins."""

    def context(self, context_id: int) -> Context | None: ...
    def context_id_by_mapping(self, mapping: str) -> int | None: ...
    def context_ids(self) -> list[int]: ...
    def insert_context(self, context_id: int | None, name: str, taxonomy_types: list[str],
                       config: dict[str, str], enabled: bool, now: int) -> int:
        """The new context's id. Raises: AlreadyExists (name or id)."""
    def update_context(self, context_id: int, columns: Mapping[str, Any], now: int) -> None:
        """Raises: AlreadyExists (name)."""
    def replace_mappings(self, context_id: int, mappings: Sequence[str]) -> None:
        """Raises: AlreadyExists (a mapping of another context)."""
    def delete_context(self, context_id: int) -> bool: ...
    def next_id(self, context_id: int, counter: Counter, explicit: int | None) -> int | None:
        """Take the next id of a per-context counter, or move it past ``explicit``;
        None when there is no such context."""

    def user(self, context_id: int, user_id: int) -> User | None: ...
    def user_by_login(self, context_id: int, login: str) -> User | None: ...
    def user_by_address(self, address: str) -> User | None: ...
    def users(self, context_id: int) -> list[User]: ...
    def find_users(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                   limit: int) -> list[User]:
        """Enabled users meeting the terms (caselessly), by id, at most ``limit``."""
    def find_group_ids(self, context_id: int, terms: Sequence[SearchTerm], any_term: bool,
                       limit: int) -> list[int]: ...
    def user_group_ids(self, context_id: int, user_id: int) -> list[int] | None:
        """The user's groups; None when there is no such user."""
    def insert_user(self, context_id: int, user_id: int, fields: Mapping[str, Any],
                    now: int) -> None:
        """Raises: AlreadyExists (login or id)."""
    def update_user(self, context_id: int, user_id: int, columns: Mapping[str, Any],
                    now: int) -> None:
        """Raises: AlreadyExists (login)."""
    def replace_addresses(self, context_id: int, user_id: int,
                          addresses: Sequence[str]) -> None:
        """Raises: AlreadyExists (an address of another user)."""
    def delete_user(self, context_id: int, user_id: int) -> None:
        """With the permission entries naming the user (the rest cascades)."""

    def group(self, context_id: int, group_id: int) -> Group | None: ...
    def group_ids(self, context_id: int, member: int | None) -> list[int]: ...
    def insert_group(self, context_id: int, group_id: int, name: str, display_name: str,
                     now: int) -> None:
        """Raises: AlreadyExists (name or id)."""
    def update_group(self, context_id: int, group_id: int, columns: Mapping[str, Any],
                     now: int) -> None:
        """Raises: AlreadyExists (name)."""
    def replace_members(self, context_id: int, group_id: int, members: Sequence[int]
                        ) -> None: ...
    def delete_group(self, context_id: int, group_id: int) -> None:
        """With the permission entries naming the group."""

    # Failed logins (``core.logins``): (failures, last failure in µs) per key.
    def login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]: ...
    def add_login_failure(self, key: str, now: int, restart_before: int) -> tuple[int, int]:
        """Count one failure at ``now`` in one atomic statement (starting over at one
        when the last came at or before ``restart_before``); the count now."""
    def take_back_login_failures(self, key: str, count: int) -> tuple[int, int] | None:
        """Take ``count`` back in one atomic statement; None when none are left (the
        row is gone)."""
    def delete_login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Delete the rows; what they held."""
    def prune_login_failures(self, before: int) -> int: ...


class FolderCache(Protocol):
    """The folders and group sets kept between transactions (``core.cache.MetadataCache``),
    which read what they lack through the rows given."""

    def folder(self, rows: Rows, context_id: int, folder_id: int, *, fill: bool) -> Folder:
        ...

    def groups(self, rows: Rows, context_id: int, user_id: int, *, fill: bool
               ) -> frozenset[int]: ...


class ContentRows(Protocol):
    """Folders, objects with their index, changes, dead properties, versions, locks."""

    call_memo: dict[Any, Any] | None
    metadata: FolderCache | None
    fills_metadata: bool

    def versions(self, context_id: int, folder_id: int | None, member: str | None
                 ) -> tuple[Versions, StoredObject | None] | None:
        """The tags (and, with ``member``, that object of the folder, whoever may
        read it) in one statement; None when there is no such context."""

    def folders(self, context_id: int, *, folder_id: int | None = None,
                module: Module | None = None) -> list[Folder]: ...
    def readable_folders(self, context_id: int, user_id: int, groups: frozenset[int],
                         module: Module | None) -> list[Folder]: ...
    def insert_folder(self, context_id: int, folder_id: int, module: Module,
                      owner_id: int | None, name: str, color: str | None,
                      description: str | None, is_default: bool, now: int,
                      components: Sequence[str]) -> None:
        """Raises: AlreadyExists (id, or a second default of the owner's module)."""
    def update_folder(self, context_id: int, folder_id: int, columns: Mapping[str, Any],
                      now: int) -> None: ...
    def replace_permissions(self, context_id: int, folder_id: int,
                            permissions: Sequence[FolderPermission]) -> None: ...
    def delete_folder(self, context_id: int, folder_id: int) -> bool: ...
    def own_name(self, context_id: int, user_id: int, folder_id: int) -> str | None:
        """The name ``user_id`` gave the folder for themselves, if any."""
    def own_names(self, context_id: int, user_id: int) -> dict[int, str]: ...
    def set_own_name(self, context_id: int, user_id: int, folder_id: int,
                     name: str | None) -> None:
        """Give (None: take back) the user's own name for the folder."""
    def share_replies(self, context_id: int, *, user_id: int | None = None,
                      folder_id: int | None = None) -> dict[tuple[int, int], str]:
        """Sharees' replies (``accepted``/``declined``) by (user id, folder id), of one
        user and/or of one folder."""
    def set_share_reply(self, context_id: int, user_id: int, folder_id: int,
                        status: str | None, now: int) -> None:
        """Record (None: forget) the user's reply for the folder."""
    def folder_property(self, context_id: int, name: str) -> dict[int, str]:
        """A dead property of every folder resource that has it, by folder id."""
    def folder_revisions(self, context_id: int, folder_id: int) -> tuple[int, int] | None:
        """(revision, pruned revision)."""
    def bump_revision(self, context_id: int, folder_id: int) -> int | None:
        """The folder's next revision; None when there is no such folder."""

    def hold_writers(self, context_id: int, folder_id: int, owner_id: int | None) -> None:
        """Make the checks that follow hold until commit against other writers of the
        folder (and, with ``owner_id``, of anything counting against that owner's
        quota)."""
    def list_objects(self, scope: Scope, time_range: tuple[int | None, int | None] | None,
                     component: str | None) -> list[ObjectMeta]: ...
    def list_candidates(self, scope: Scope, time_range: tuple[int | None, int | None] | None,
                        component: str | None) -> list[Candidate]:
        """The objects ``list_objects`` gives, as ``Candidate`` with their stored
        ``exact_spans`` and ``floating_spans``."""
    def get_objects(self, scope: Scope, names: Sequence[str], derived: bool
                    ) -> dict[str, StoredObject]: ...
    def object_by_uid(self, scope: Scope, uid: str) -> ObjectMeta | None: ...
    def object_state(self, context_id: int, folder_id: int, name: str
                     ) -> ObjectState | None: ...
    def object_meta(self, context_id: int, folder_id: int, name: str) -> ObjectMeta: ...
    def uid_holder(self, context_id: int, folder_id: int, uid: str, other_than: str
                   ) -> str | None: ...
    def used_bytes(self, context_id: int, owner_id: int) -> int: ...
    def store_object(self, context_id: int, folder_id: int, name: str, index: ObjectIndex,
                     data: bytes, *, etag: str, modseq: int, created_by: int | None,
                     created: int, modified: int) -> None:
        """Insert or replace the object's row."""
    def update_index(self, context_id: int, folder_id: int, name: str,
                     index: ObjectIndex) -> None: ...
    def remove_object(self, context_id: int, folder_id: int, name: str) -> None:
        """The object with its dead properties, locks and instance index."""
    def store_instances(self, context_id: int, folder_id: int, name: str,
                        instances: InstanceSpans | None) -> None:
        """Replace the object's instance index (None: remove it)."""
    def aging_instance_indexes(self, until_before: int, limit: int
                               ) -> list[tuple[int, int, str]]: ...
    def instance_spans(self, scope: Scope, low: int, high: int, inner: tuple[int, int]
                       ) -> InstanceSpansNear:
        """The folder's indexed objects whose instance window holds ``[low, high]``
        (with whether their spans are floating); for each, the first indexed span
        starting inside the open interval ``inner``; and the indexed spans meeting the
        closed interval ``[low, high]`` that start outside ``inner``, in start order
        (:func:`instance_bounds`). For objects the scope may not read too: the caller
        filters."""
    def record_change(self, context_id: int, folder_id: int, name: str, modseq: int,
                      deleted: bool, created_by: int | None, now: int) -> None: ...
    def changes(self, scope: Scope, since: int | None, limit: int | None) -> list[Change]:
        """Changes after ``since`` by revision (None: only the objects there now)."""
    def prune_tombstones(self, before_us: int) -> int: ...
    def dead_properties(self, context_id: int, folder_id: int, resource: str
                        ) -> dict[str, str]: ...
    def change_dead_properties(self, context_id: int, folder_id: int, resource: str,
                               values: Mapping[str, str], remove: Sequence[str]) -> None: ...

    def locks(self, scope: Scope, name: str | None, now: float) -> list[Lock]:
        """Unexpired locks of the folder (on ``name``), on objects the scope reads or
        names no object holds."""
    def lock(self, context_id: int, folder_id: int, name: str, token: str, now: float
             ) -> Lock | None: ...
    def lock_kinds(self, context_id: int, folder_id: int, name: str) -> list[bool]:
        """Whether each lock held on ``name`` is exclusive."""
    def count_locks(self, context_id: int, creator_id: int, now: float) -> int: ...
    def insert_lock(self, context_id: int, folder_id: int, lock: Lock, now: int) -> None: ...
    def set_lock_expiry(self, token: str, timeout: int, expires: int) -> None: ...
    def delete_lock(self, token: str) -> None: ...
    def drop_expired_locks(self, context_id: int, folder_id: int, name: str,
                           now: float) -> None: ...
    def prune_locks(self, now: float) -> int: ...

    def inbox_items(self, context_id: int, user_id: int, name: str | None
                    ) -> list[tuple[str, bytes, int]]:
        """(name, data, created) of the user's inbox items (only ``name`` when given),
        by name."""
    def insert_inbox_item(self, context_id: int, user_id: int, name: str, data: bytes,
                          now: int) -> None:
        """Insert or replace one item."""
    def delete_inbox_item(self, context_id: int, user_id: int, name: str) -> bool: ...


#: A mail queue row as engines return it: id, context_id, sender_id, recipient, method,
#: uid, token, itip, state, attempts, due, created, settled, last_error, claim,
#: reply_token (times in epoch milliseconds).
MailRow = tuple[Any, ...]
MAIL_COLUMNS = ("id, context_id, sender_id, recipient, method, uid, token, itip, state,"
                " attempts, due, created, settled, last_error, claim, reply_token")


class MailRows(Protocol):
    """The outgoing scheduling mail queue (``core.mail``); times in epoch milliseconds."""

    def insert_mail(self, context_id: int, sender_id: int, recipient: str, method: str,
                    uid: str, token: str, itip: bytes, due: int, created: int,
                    reply_token: str | None = None) -> int:
        """The new row's id (the sender is a user of the context: the core checked)."""
    def invitation_token(self, context_id: int, sender_id: int, uid: str,
                         recipient: str) -> str | None:
        """The reply token of the invitation of ``recipient`` to ``uid`` by the sender:
        that of its newest REQUEST, ADD or CANCEL row (its reply_token, else its token)."""
    def claim_mail(self, now: int, lease_until: int, claim: str, limit: int
                   ) -> list[MailRow]:
        """Take up to ``limit`` queued rows due by ``now`` whose lease (if any) ran out,
        counting an attempt each; rows another transaction is claiming are passed over,
        not waited for."""
    def mail(self, mail_id: int) -> MailRow | None: ...
    def mail_by_token(self, token: str) -> MailRow | None:
        """The row whose token or reply_token is ``token``: the newest REQUEST or ADD
        among them, else the newest."""
    def settle_mail(self, mail_id: int, claim: str, state: str, due: int,
                    last_error: str | None, settled: int | None) -> bool:
        """Set the row's state and give up the claim, if ``claim`` still holds it."""
    def list_mail(self, context_id: int | None, state: str | None, after_id: int,
                  limit: int) -> list[MailRow]: ...
    def requeue_mail(self, mail_id: int, context_id: int | None, now: int) -> bool:
        """Make a queued or failed row due now with its attempts reset."""
    def delete_mail(self, mail_id: int, context_id: int | None) -> bool:
        """Delete a row that was not sent."""
    def mail_counts(self) -> dict[str, int]: ...
    def prune_mail(self, before: int) -> int:
        """Delete the rows settled before ``before``."""





class PushRows(Protocol):
    """WebDAV-Push subscriptions (``core.push``); times are epoch seconds."""

    def push_subscription(self, subscription_id: str) -> PushSubscription | None: ...
    def push_subscription_id(self, context_id: int, user_id: int, collection: str,
                             endpoint: str) -> str | None: ...
    def count_push_subscriptions(self, context_id: int, user_id: int, now: int) -> int: ...
    def insert_push_subscription(self, subscription: PushSubscription, now: int) -> bool:
        """With its watched folders; False (nothing done) when the user already has
        one for the collection and endpoint."""
    def update_push_subscription(self, subscription: PushSubscription) -> None:
        """Keys, expiry and watched folders of the row ``subscription.id``."""
    def push_watchers(self, context_id: int, folder_ids: Sequence[int], now: int
                      ) -> list[PushSubscription]:
        """Unexpired subscriptions watching any of the folders, by id."""
    def delete_push_subscriptions(self, subscription_ids: Sequence[str]) -> int: ...
    def prune_push_subscriptions(self, now: int) -> int: ...


class Rows(DirectoryRows, ContentRows, PushRows, TransferRows, MailRows, Protocol):
    """Everything an engine connection offers the core."""
