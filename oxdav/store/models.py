"""Immutable values the store returns and accepts (DESIGN.md §2 tenancy model).

Timestamps are timezone-aware ``datetime`` objects in UTC. Mapping fields are read-only
views, excluded from hashing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, NamedTuple, get_args

Module = Literal["calendar", "tasks", "contacts"]
"""Folder modules: VEVENT folders, VTODO folders, vCard folders."""

MODULES: tuple[Module, ...] = get_args(Module)

Level = Literal["none", "own", "all"]
"""A folder permission level: nothing, only objects the user created, every object."""

LEVELS: tuple[Level, ...] = get_args(Level)

ShareReply = Literal["accepted", "declined"]
"""A sharee's answer to a folder shared with them (``Home.reply_to_share``); a sharee
who gave none has not answered yet."""

SHARE_REPLIES: tuple[ShareReply, ...] = get_args(ShareReply)

ALL_USERS_GROUP = 0
"""Virtual group id meaning "every user of the context" in folder permissions (as in OX)."""

GAL_FOLDER_ID = 6
"""The global address list: one per context, created with it, no owner."""

GAL_FOLDER_NAME = "Global Address Book"

FIRST_FOLDER_ID = 20
"""Folder ids below this are reserved for system folders; new folders count up from it."""

MAX_ID = 2**63 - 1
"""The largest id of a context, user, group or folder: every database keeps ids as
signed 64-bit integers, so a larger number names nothing."""

MAX_CHOSEN_FOLDER_ID = 2**31 - 1
"""The largest folder id a user may choose (``Home.create_folder(folder_id=)``, a
calendar made under a numeric name). OX folder ids are 32-bit; and a chosen id moves
the context's folder counter past it, so a choice near ``MAX_ID`` would leave no id
for the next folder of anyone in the context."""

MAX_FOLDER_COMPONENTS = 8
"""Most calendar component types one folder may be made for (RFC 5545 §3.6 has four
that hold calendar data; the rest is room for extensions)."""

_COMPONENT_NAME = re.compile(r"[A-Z][A-Z0-9-]{0,62}")


def folder_components(module: str, names: Iterable[str]) -> tuple[str, ...]:
    """``Folder.components`` for a new folder: the names sorted, without repeats.

    Raises:
        ValueError: names for a contacts folder, more than ``MAX_FOLDER_COMPONENTS``,
            or a name that is no upper-case iCalendar component name (RFC 5545 §3.6).
    """
    found = tuple(sorted(set(names)))
    if not found:
        return ()
    if module not in ("calendar", "tasks"):
        raise ValueError(f"a {module} folder holds no calendar components")
    if len(found) > MAX_FOLDER_COMPONENTS:
        raise ValueError(f"at most {MAX_FOLDER_COMPONENTS} component types, not {len(found)}")
    for name in found:
        if not isinstance(name, str) or _COMPONENT_NAME.fullmatch(name) is None:
            raise ValueError(f"{name!r} is no upper-case iCalendar component name")
    return found


class Unset(enum.Enum):
    """Marker type for "leave this field unchanged" in ``update_*`` calls."""

    UNSET = 0


UNSET = Unset.UNSET


def frozen_mapping(values: Mapping[str, str] | None) -> Mapping[str, str]:
    """Return a read-only copy of ``values`` (empty when None)."""
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class Context:
    """A tenant.

    Attributes:
        id: numeric context id, unique in the store.
        name: unique context name.
        mappings: login mappings (e.g. ``"example.com"``), unique across contexts,
            compared case-insensitively.
        taxonomy_types: ``taxonomy/types`` tags used by the config cascade.
        config: context-level configuration overrides.
        enabled: whether users of the context may log in.
        version: an opaque token that changes whenever anything changes that decides who
            may log in to the context and what its users see: the context itself, its
            mappings, users, addresses, groups, folders (not their contents) and folder
            permissions, or any login name anywhere (a new one may take precedence).
            Kept with what was read from the context, it tells whether that is still
            current (``Store.transaction(confirm=...)``). Not part of equality.
    """

    id: int
    name: str
    mappings: tuple[str, ...] = ()
    taxonomy_types: tuple[str, ...] = ()
    config: Mapping[str, str] = field(default_factory=lambda: frozen_mapping(None), hash=False)
    enabled: bool = True
    version: str = field(default="", compare=False)


@dataclass(frozen=True)
class User:
    """A user of one context.

    Attributes:
        context_id: the user's context.
        id: numeric user id, unique within the context.
        login: login name, unique within the context (case-insensitive).
        display_name: name shown to others.
        first_name: given name, if known.
        last_name: family name, if known.
        email: primary e-mail address; with ``aliases`` unique across all contexts
            (case-insensitive).
        aliases: further e-mail addresses.
        password_hash: opaque hash string produced by the directory layer.
        permissions: granted module names (``calendar``, ``tasks``, ``contacts``,
            ``infostore``, ``webmail``, ...).
        config: user-level configuration overrides.
        enabled: whether the user may log in.
        created: creation time (UTC).
        modified: last modification time (UTC).
        phones: telephone numbers as given (shown on the user's card in the global
            address list).
    """

    context_id: int
    id: int
    login: str
    display_name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    aliases: tuple[str, ...]
    password_hash: str | None
    permissions: frozenset[str]
    config: Mapping[str, str] = field(hash=False)
    enabled: bool
    created: datetime
    modified: datetime
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """A group of users of one context (for folder permissions and scheduling).

    Attributes:
        context_id: the group's context.
        id: numeric group id, unique within the context; 0 is reserved for
            ``ALL_USERS_GROUP``.
        name: short name, unique within the context (case-insensitive).
        display_name: name shown to users.
        members: user ids.
    """

    context_id: int
    id: int
    name: str
    display_name: str
    members: frozenset[int]


SearchField = Literal["name", "address"]
"""What a directory search compares: a display name, or a user's e-mail addresses."""

SearchMatch = Literal["contains", "starts-with", "equals"]
"""How a directory search compares: a substring, a prefix, or the whole value."""

SEARCH_MATCHES: tuple[SearchMatch, ...] = get_args(SearchMatch)


@dataclass(frozen=True)
class SearchTerm:
    """One condition of a directory search (``Transaction.find_users``/``find_groups``):
    met when any of ``fields`` matches ``text``.

    Attributes:
        fields: ``name``, a user's or group's display name; ``address``, a user's
            primary address or an alias (groups have none).
        text: what the fields are compared with, caseless (Unicode case folding).
        match: ``contains`` (a substring; the empty text is in everything),
            ``starts-with`` or ``equals``.
    """

    fields: tuple[SearchField, ...]
    text: str
    match: SearchMatch = "contains"

    def __post_init__(self) -> None:
        if not self.fields or any(f not in ("name", "address") for f in self.fields):
            raise ValueError(f"fields must be name and/or address, not {self.fields!r}")
        if self.match not in SEARCH_MATCHES:
            raise ValueError(f"match must be one of {SEARCH_MATCHES}, not {self.match!r}")


@dataclass(frozen=True)
class FolderPermission:
    """One access-control entry of a folder (OX folder permission model).

    ``own`` levels apply to objects whose ``created_by`` is the acting user.

    Attributes:
        entity: user id, or group id when ``is_group`` (``ALL_USERS_GROUP`` = everyone).
        is_group: whether ``entity`` is a group.
        read: which objects the entity may read.
        write: which objects the entity may create (own or all) and modify.
        delete: which objects the entity may delete.
        admin: whether the entity may change the folder itself and its permissions.
    """

    entity: int
    is_group: bool = False
    read: Level = "none"
    write: Level = "none"
    delete: Level = "none"
    admin: bool = False

    def __post_init__(self) -> None:
        for name in ("read", "write", "delete"):
            if getattr(self, name) not in LEVELS:
                raise ValueError(f"{name} must be one of {LEVELS}, not {getattr(self, name)!r}")

    def allows(self, right: Literal["read", "write", "delete"], created_by: int | None,
               user_id: int | None) -> bool:
        """Whether this permission grants ``right`` on an object created by ``created_by``.

        Args:
            right: ``"read"``, ``"write"`` or ``"delete"``.
            created_by: the object's creator (None: unknown or system).
            user_id: the acting user.
        """
        level: Level = getattr(self, right)
        if level == "all":
            return True
        return level == "own" and created_by is not None and created_by == user_id


@dataclass(frozen=True)
class Folder:
    """A calendar, task or contacts folder (a WebDAV collection).

    Attributes:
        context_id: the folder's context.
        id: numeric folder id, unique within the context.
        module: ``calendar``, ``tasks`` or ``contacts``.
        owner_id: owning user, or None for system folders such as the GAL.
        name: display name.
        color: colour string as the client sent it, if any.
        description: free text, if any.
        is_default: the owner's default folder of this module.
        revision: monotonic; bumped by every object write or delete (sync token, CTag).
        permissions: the access-control entries (the owner's rights are implicit).
        created: creation time (UTC).
        modified: last change of the folder's own attributes (UTC).
        components: the calendar component types (``VEVENT``, ``VTODO``, ``VJOURNAL``)
            its objects may have, sorted, as chosen when it was made (CalDAV
            supported-calendar-component-set, RFC 4791 §5.2.3); empty: those of its
            module. Fixed at creation.
        owner_name: the owner's display name as the directory has it now (None for
            system folders), so a folder shared to others can say whose it is.
    """

    context_id: int
    id: int
    module: Module
    owner_id: int | None
    name: str
    color: str | None
    description: str | None
    is_default: bool
    revision: int
    permissions: tuple[FolderPermission, ...]
    created: datetime
    modified: datetime
    components: tuple[str, ...] = ()
    owner_name: str | None = None


@dataclass(frozen=True)
class InstanceSpans:
    """The instance index of one recurring object: its instances' time spans inside a
    window around the time it was written (CalDAV: ``oxdav.caldav.instance_index``).

    Attributes:
        indexed_from: UTC epoch seconds from which ``spans`` hold every instance.
        indexed_until: UTC epoch seconds until which they do.
        spans: ``(start, end)`` pairs, epoch seconds, in start order: every instance
            that can meet a range inside the window.
        floating: the spans are wall-clock times written as if UTC (as
            ``ObjectIndex.floating_spans``).
    """

    indexed_from: int
    indexed_until: int
    spans: tuple[tuple[int, int], ...]
    floating: bool = False


@dataclass(frozen=True)
class ObjectIndex:
    """What the caller extracted from an object when parsing it once on write.

    The store never parses iCalendar or vCard; it indexes these values.

    Attributes:
        uid: the object's UID (unique per collection).
        component: ``VEVENT``, ``VTODO``, ``VJOURNAL``, ``VCARD``, ...
        first_start: earliest instant of any occurrence, UTC epoch seconds; None means
            unbounded (e.g. no date, or not a time-based object).
        last_end: latest instant of any occurrence, UTC epoch seconds; None means
            unbounded (e.g. an infinite recurrence).
        recurring: whether the object has a recurrence set.
        exact_spans: ``(start, end)`` pairs (UTC epoch seconds, each within
            ``[first_start, last_end]``) that the caller vouches are exactly the
            object's time spans rather than an envelope (CalDAV: the instances of a
            VEVENT with zoned or UTC times, RFC 4791 §9.9), so that a time-range query
            may be answered from the index alone. None (unknown) is always safe.
        floating_spans: ``exact_spans`` are wall-clock times written as if UTC (CalDAV:
            DATE and floating DATE-TIME instances, whose instant depends on the time
            zone of the query, RFC 4791 §7.3).
        derived: bytes the caller derived from the content on write (CardDAV: the
            card in the other vCard version; CalDAV: the prepared expansion), so that
            reads wanting them get stored bytes instead of working them out; opaque to the store,
            stored with the object and replaced (or cleared, when None) by every
            ``put``. It is not the object's content: the ETag, ``size`` and the quota
            (RFC 4331) count ``data`` only, see ``Home``.
        instances: the instance index of a recurring object whose ``exact_spans``
            are unknown (an open-ended or long series), replaced by every ``put``
            and ``reindex``; ``Collection.candidates`` answers a time range
            inside its window from it, as ``exact_spans`` of the instances near the
            range.
    """

    uid: str
    component: str
    first_start: int | None = None
    last_end: int | None = None
    recurring: bool = False
    exact_spans: tuple[tuple[int, int], ...] | None = None
    floating_spans: bool = False
    derived: bytes | None = field(default=None, repr=False)
    instances: InstanceSpans | None = field(default=None, repr=False)


class ObjectMeta(NamedTuple):
    """One object's listing entry.

    A named tuple rather than a frozen dataclass like the other values: a listing
    builds one per member, and a named tuple is several times cheaper to make.

    Attributes:
        name: resource name inside the collection (e.g. ``abc.ics``).
        uid: the object's UID.
        etag: strong entity tag computed from the content, without quotes.
        component: the indexed component type.
        size: length of the data in bytes.
        modseq: the folder revision at which the object was last written.
        created_by: the user who created it (kept across updates), or None.
        created: creation time (UTC).
        modified: last write time (UTC).
        first_start: the indexed earliest instant (epoch seconds; None: unbounded).
        last_end: the indexed latest instant (epoch seconds; None: unbounded).
    """

    name: str
    uid: str
    etag: str
    component: str
    size: int
    modseq: int
    created_by: int | None
    created: datetime
    modified: datetime
    first_start: int | None = None
    last_end: int | None = None

    def overlaps(self, start: int | None, end: int | None) -> bool:
        """Whether the indexed span meets the closed interval ``[start, end]`` (None:
        unbounded) -- the same test ``Collection.list(time_range=...)`` applies."""
        return ((end is None or self.first_start is None or self.first_start <= end)
                and (start is None or self.last_end is None or self.last_end >= start))


class Candidate(NamedTuple):
    """An object a time-range report tests, as its index describes it
    (``Collection.candidates``): what deciding it needs and no more, since a query
    meets thousands.

    Attributes:
        name: resource name inside the collection.
        component: the indexed component type.
        exact_spans: the spans of its instances (epoch seconds) known exactly:
            ``ObjectIndex.exact_spans``, or those of its instance index near the range
            asked; None when only parsing decides.
        floating_spans: the spans are wall-clock times (``ObjectIndex.floating_spans``).
    """

    name: str
    component: str
    exact_spans: tuple[tuple[int, int], ...] | None = None
    floating_spans: bool = False


@dataclass(frozen=True)
class StoredObject:
    """An object with its raw data.

    Attributes:
        meta: its listing entry.
        data: the content as written.
        derived: ``ObjectIndex.derived`` as written with this content; only read
            when asked for (``Collection.get(..., derived=True)``), else None. None
            too when the object has none (e.g. written before derived bytes existed).
    """

    meta: ObjectMeta
    data: bytes
    derived: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The resource name."""
        return self.meta.name

    @property
    def etag(self) -> str:
        """The strong entity tag, without quotes."""
        return self.meta.etag


@dataclass(frozen=True)
class Changes:
    """Result of ``Collection.changes`` (RFC 6578 sync-collection).

    Attributes:
        revision: the revision to pass as ``since`` next time.
        changed: objects created or modified after ``since`` (current state).
        deleted: names deleted after ``since`` (tombstones).
        truncated: more changes exist after ``revision``; ask again from it.
    """

    revision: int
    changed: list[ObjectMeta]
    deleted: list[str]
    truncated: bool


@dataclass(frozen=True)
class Lock:
    """A write lock (RFC 4918 §6) on one member name of a folder: an object, or a name
    no object holds yet (RFC 4918 §7.3). It belongs to the folder, so the same name in
    another folder or context is another resource.

    Attributes:
        token: the lock token URI; None when the viewer is neither its creator nor an
            admin of the folder (RFC 4918 §15.8 lets the server withhold it).
        name: the member name.
        creator_id: the user who took it; only they may write with its token (§6.4).
        exclusive: an exclusive (else shared) lock.
        owner: the client's ``DAV:owner`` element as text, opaque to the store; None
            when the client sent none or it is withheld like ``token``.
        timeout: the seconds the last lock or refresh granted.
        expires: wall-clock epoch seconds after which it has no effect.
    """

    token: str | None
    name: str
    creator_id: int
    exclusive: bool
    owner: str | None
    timeout: int
    expires: int


@dataclass(frozen=True)
class LoginFailures:
    """The failed logins counted under one key (an account, a client address, …;
    the directory names the keys and decides what the counts mean).

    Attributes:
        failures: how many, since the count last started over.
        last: when the last one was counted, in epoch seconds.
    """

    failures: int
    last: float


#: Longest key failed logins are counted under (``Directory.record_login_failures``).
MAX_LOGIN_FAILURE_KEY = 1024


def context_version(own: int, names: int) -> str:
    """``Context.version`` from the context's own version and the store's login-names
    version (``core.rows.Versions``)."""
    return f"{own}.{names}"


@dataclass(frozen=True)
class InboxItem:
    """One iTIP message in a user's scheduling inbox (RFC 6638 §2.2).

    Attributes:
        name: its resource name in the inbox.
        data: the iTIP message (an iCalendar object with a METHOD).
        etag: a strong validator of ``data``, without quotes.
        created: when it was delivered (UTC).
    """

    name: str
    data: bytes
    etag: str
    created: datetime


@dataclass(frozen=True)
class PushSubscription:
    """A WebDAV-Push subscription (draft-bitfire-webdav-push §3): one Web Push endpoint
    (RFC 8030 push resource) told of changes to the folders a collection shows.

    Attributes:
        id: random and unguessable; names the registration (its URL's last segment).
        context_id: the subscriber's context.
        user_id: the subscriber; only they see or remove it.
        collection: what was subscribed, as the caller names it (opaque to the store;
            one subscription per user, collection and endpoint).
        folder_ids: the folders whose changes the subscriber is told of, sorted.
        endpoint: the push resource URL.
        public_key: the subscriber's P-256 key, base64url (RFC 8291 ``p256dh``).
        auth_secret: the subscriber's authentication secret, base64url (RFC 8291).
        expires: wall-clock epoch seconds after which it is not used.
    """

    id: str
    context_id: int
    user_id: int
    collection: str
    folder_ids: tuple[int, ...]
    endpoint: str
    public_key: str
    auth_secret: str
    expires: int
