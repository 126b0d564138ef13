"""A contacts folder as an address book collection, and its address object resources
(RFC 6352 §5.1, §5.2).

PUT bodies are validated once (§6.3.2.1) and stored exactly as sent (§6.3.2.3), with
the card in the other vCard version beside them (:mod:`oxdav.carddav.representations`);
GET returns the vCard version the client accepts (§5.1.1).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

from lxml import etree
from twisted.logger import Logger

from oxdav.carddav.card_file import (
    card_objects,
    ending_with_line_break,
    file_version,
)
from oxdav.carddav.errors import ConversionError
from oxdav.carddav.names import ADDRESSBOOK_DESCRIPTION
from oxdav.carddav.representations import in_version, render_for_get
from oxdav.carddav.tasks import CheckedCard, checked_card
from oxdav.carddav.validation import uid_conflict
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import NegotiatedContent, PutOutcome, WholeCollection
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.base import FolderTree
from oxdav.folders.collection import FolderCollection, ObjectResource
from oxdav.folders.whole import FileContent, FileObject, check_whole_size, stored_batches
from oxdav.store.errors import NotFound, UIDConflict
from oxdav.store.interfaces import Collection
from oxdav.store.models import GAL_FOLDER_ID, ObjectIndex, ObjectMeta, StoredObject
from oxdav.work import Work

log = Logger()


class AddressObject(ObjectResource, NegotiatedContent):
    """One stored vCard (an address object resource, RFC 6352 §5.1).

    Args:
        parent: the collection it is reached through.
        store_collection: the store collection holding it.
        meta: its listing entry.
        stored: the object when already fetched (a lookup by name reads it anyway),
            so a GET or multiget does not read it twice.
        alternate_read: whether ``stored`` was read with its alternate representation
            (else a read in the other vCard version fetches it when it needs it).
    """

    def __init__(self, parent: FolderCollection, store_collection: Collection, meta: ObjectMeta,
                 stored: StoredObject | None = None, *, alternate_read: bool = False) -> None:
        super().__init__(parent, store_collection, meta, None if stored is None else stored.data)
        self._alternate = None if stored is None else stored.derived
        self._alternate_read = stored is not None and alternate_read

    async def read_alternate(self) -> bytes | None:
        """The stored card in the other vCard version (None: none stored), read once."""
        if not self._alternate_read:
            self._alternate_read = True
            try:
                stored = await self.store_collection.get(self.meta.name, derived=True)
            except NotFound:
                return None  # removed meanwhile: what was read is converted
            if stored.etag == self.meta.etag:
                self._data, self._alternate = stored.data, stored.derived
        return self._alternate

    async def in_version(self, version: str) -> bytes:
        """The card as vCard ``version``: stored bytes when the card or its alternate
        is in that version, else converted now.

        Raises:
            ConversionError: ``supported-address-data-conversion``.
        """
        return await in_version(await self.read(), version, self.read_alternate,
                                self.parent.tree.work)

    async def read_for(self, ctx: RequestContext) -> tuple[bytes, str]:
        return await render_for_get(await self.read(), ctx.header("accept"),
                                    ctx.header("user-agent"), self.read_alternate,
                                    self.parent.tree.work)


class CardLookup(abc.ABC):
    """A collection whose cards are read by name in batches (addressbook-multiget)."""

    @abc.abstractmethod
    async def cards_named(self, names: Sequence[str], *, alternate: bool = False
                          ) -> dict[str, AddressObject]:
        """The members among ``names`` by name (missing ones left out), with their
        bytes, and with their stored alternates when ``alternate``."""


async def check_card(work: Work, body: bytes, content_type: str | None, max_size: int
                     ) -> CheckedCard:
    """Parse and check a PUT body once (RFC 6352 §6.3.2.1), in a worker process when
    large (:func:`oxdav.carddav.tasks.checked_card`).

    Raises:
        AddressDataError: ``valid-address-data``, ``max-resource-size`` (403) or
            ``supported-address-data`` (415).
    """
    return await work.sized_process(len(body), checked_card, body, content_type, max_size)


async def store_card(parent: FolderCollection, store_collection: Collection, ctx: RequestContext,
                     name: str, card: CheckedCard, *, if_etag: str | None,
                     if_absent: bool) -> PutOutcome:
    """Store a validated card as ``name`` in ``store_collection`` (reached as ``parent``),
    exactly as sent (RFC 6352 §6.3.2.3), with its other vCard version.

    Raises:
        DAVError: 403 ``no-uid-conflict`` with the href of the card holding the UID
            (§6.3.2.1).
    """
    try:
        meta, created = await store_collection.put(name, card.data, card.index,
                                                   if_etag=if_etag, if_absent=if_absent)
    except UIDConflict as error:
        raise uid_conflict(ctx.href(f"{parent.path}/{error.holder}")) from None
    return PutOutcome(f'"{meta.etag}"', created)


async def whole_cards(sources: Sequence[tuple[Collection, list[str]]], version: str | None,
                      work: Work) -> AsyncIterator[bytes]:
    """The cards ``sources`` name (store collection, names), each in ``version`` (None:
    as stored), as :mod:`oxdav.carddav.card_file` exports them."""
    for store_collection, names in sources:
        async for batch in stored_batches(store_collection, names, derived=version is not None):
            out: list[bytes] = []
            for stored in batch:
                data = stored.data
                if version is not None:
                    try:
                        data = await in_version(data, version, _given(stored.derived), work)
                    except ConversionError as error:
                        log.warn("folder {folder}: {name} left out of the whole address "
                                 "book, no vCard {version}: {error}",
                                 folder=store_collection.folder.id, name=stored.name,
                                 version=version, error=error)
                        continue
                out.append(ending_with_line_break(data))
            yield b"".join(out)


def _given(derived: bytes | None) -> Callable[[], Awaitable[bytes | None]]:
    async def read() -> bytes | None:
        return derived
    return read


class WholeAddressBook(WholeCollection):
    """An address book read whole as one vCard file (:mod:`.card_file`)."""

    tree: FolderTree

    @abc.abstractmethod
    async def whole_sources(self) -> list[tuple[Collection, list[ObjectMeta]]]:
        """The store collections read whole and the members each contributes."""

    async def read_whole(self, ctx: RequestContext) -> tuple[AsyncIterator[bytes], str]:
        """Every card the user may read here as one vCard file.

        Raises:
            DAVError: 507 over the answer bound; ConversionError (406) when the Accept
                header takes no vCard version.
        """
        version, content_type = file_version(ctx.header("accept"), ctx.header("user-agent"))
        sources = await self.whole_sources()
        check_whole_size([meta for _, metas in sources for meta in metas], ctx.limits)
        return whole_cards([(c, [m.name for m in metas]) for c, metas in sources], version,
                           self.tree.work), content_type


class AddressBookCollection(FolderCollection, CardLookup, WholeAddressBook, FileContent):
    """A contacts folder as an address book (RFC 6352 §5.2)."""

    #: How cards imported from a file are named and sent.
    file_suffix = ".vcf"
    file_content_type = "text/vcard; charset=utf-8"

    async def whole_sources(self) -> list[tuple[Collection, list[ObjectMeta]]]:
        return [(self.store_collection, await self.store_collection.list())]

    def split_file(self, data: bytes) -> list[FileObject]:
        """The cards of a vCard file. Raises: CardFileError."""
        return card_objects(data)

    @property
    def description(self) -> str | None:
        """CARDDAV:addressbook-description (§6.2.1): the folder's description."""
        return self.folder.description or None

    def member(self, meta: ObjectMeta, data: bytes | None = None) -> AddressObject:
        stored = None if data is None else StoredObject(meta, data)
        return AddressObject(self, self.store_collection, meta, stored)

    async def resolve_member(self, name: str) -> DAVResource | None:
        try:  # one name: get() answers from the folder's prefetch when it has one
            stored = await self.store_collection.get(name)
        except NotFound:
            return None
        return AddressObject(self, self.store_collection, stored.meta, stored)

    async def cards_named(self, names: Sequence[str], *, alternate: bool = False
                          ) -> dict[str, AddressObject]:
        stored = await self.store_collection.get_many(names, derived=alternate)
        return {s.name: AddressObject(self, self.store_collection, s.meta, s,
                                      alternate_read=alternate) for s in stored}

    def writable_live_properties(self) -> frozenset[str]:
        return super().writable_live_properties() | {ADDRESSBOOK_DESCRIPTION}

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        # RFC 6352 §6.2.1: addressbook-description is settable; it is the folder's.
        rest = {k: v for k, v in values.items() if k != ADDRESSBOOK_DESCRIPTION}
        if ADDRESSBOOK_DESCRIPTION in values:
            element = values[ADDRESSBOOK_DESCRIPTION]
            text = (element.text or "").strip() if element is not None else ""
            await self.store_collection.update_folder(description=text or None)
        if rest:
            await super().patch_live_properties(rest)

    async def validate_put(self, ctx: RequestContext, name: str, body: bytes,
                           content_type: str | None) -> ObjectIndex:
        card = await check_card(self.tree.work, body, content_type,
                                self.max_resource_size or 0)
        return card.index

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        card = await check_card(self.tree.work, body, content_type,
                                self.max_resource_size or 0)
        return await store_card(self, self.store_collection, ctx, name, card, if_etag=if_etag,
                                if_absent=if_absent)

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        # DESIGN.md §5: never the default folder nor the global address list.
        if self.folder.id == GAL_FOLDER_ID or self.folder.is_default:
            raise DAVError(403, None, "the default address book and the address list stay")
        await self.store_collection.delete_folder()
