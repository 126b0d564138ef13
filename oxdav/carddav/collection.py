"""A contacts folder as an address book collection, and its address object resources
(RFC 6352 §5.1, §5.2).

PUT bodies are validated once (§6.3.2.1) and stored exactly as sent (§6.3.2.3); GET
returns the vCard version the client accepts (§5.1.1).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from oxdav.carddav.names import ADDRESSBOOK_DESCRIPTION
from oxdav.carddav.validation import (
    index_of,
    render_for_get,
    uid_conflict,
    validate_body,
)
from oxdav.carddav.vcard import ParsedAddressObject
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import NegotiatedContent, PutOutcome
from oxdav.dav.resource import RequestContext
from oxdav.folders.collection import FolderCollection, ObjectResource
from oxdav.store.errors import UIDConflict
from oxdav.store.interfaces import Collection
from oxdav.store.models import GAL_FOLDER_ID, ObjectIndex, ObjectMeta


class AddressObject(ObjectResource, NegotiatedContent):
    """One stored vCard (an address object resource, RFC 6352 §5.1)."""

    async def read_for(self, ctx: RequestContext) -> tuple[bytes, str]:
        return await render_for_get(await self.read(), ctx.header("accept"),
                                    ctx.header("user-agent"))


async def store_card(parent: FolderCollection, collection: Collection, ctx: RequestContext,
                     name: str, parsed: ParsedAddressObject, *, if_etag: str | None,
                     if_absent: bool) -> PutOutcome:
    """Store a validated card as ``name`` in ``collection`` (reached as ``parent``),
    exactly as sent (RFC 6352 §6.3.2.3).

    Raises:
        DAVError: 403 ``no-uid-conflict`` with the href of the card holding the UID
            (§6.3.2.1).
    """
    try:
        meta, created = await collection.put(name, parsed.data, index_of(parsed),
                                             if_etag=if_etag, if_absent=if_absent)
    except UIDConflict as error:
        raise uid_conflict(ctx.href(f"{parent.path}/{error.holder}")) from None
    return PutOutcome(f'"{meta.etag}"', created)


class AddressBookCollection(FolderCollection):
    """A contacts folder as an address book (RFC 6352 §5.2)."""

    @property
    def description(self) -> str | None:
        """CARDDAV:addressbook-description (§6.2.1): the folder's description."""
        return self.folder.description or None

    def member(self, meta: ObjectMeta, data: bytes | None = None) -> AddressObject:
        return AddressObject(self, self.collection, meta, data)

    def writable_live_properties(self) -> frozenset[str]:
        return super().writable_live_properties() | {ADDRESSBOOK_DESCRIPTION}

    async def patch_live_properties(self, values: Mapping[str, etree._Element | None]) -> None:
        # RFC 6352 §6.2.1: addressbook-description is settable; it is the folder's.
        rest = {k: v for k, v in values.items() if k != ADDRESSBOOK_DESCRIPTION}
        if ADDRESSBOOK_DESCRIPTION in values:
            element = values[ADDRESSBOOK_DESCRIPTION]
            text = (element.text or "").strip() if element is not None else ""
            await self.collection.update_folder(description=text or None)
        if rest:
            await super().patch_live_properties(rest)

    async def validate_put(self, ctx: RequestContext, name: str, body: bytes,
                           content_type: str | None) -> ObjectIndex:
        return index_of(await validate_body(body, content_type, self.max_resource_size or 0))

    async def put_member(self, ctx: RequestContext, name: str, body: bytes,
                         content_type: str | None, *, if_etag: str | None,
                         if_absent: bool) -> PutOutcome:
        parsed = await validate_body(body, content_type, self.max_resource_size or 0)
        return await store_card(self, self.collection, ctx, name, parsed, if_etag=if_etag,
                                if_absent=if_absent)

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        # DESIGN.md §5 / issue 6: never the default folder nor the global address list.
        if self.folder.id == GAL_FOLDER_ID or self.folder.is_default:
            raise DAVError(403, None, "the default address book and the address list stay")
        await self.collection.delete_folder()
