"""The CardDAV live properties of address book collections (RFC 6352 §6.2).

``addressbook-home-set`` is a principal property (``oxdav.principals``); the generic
ones (resourcetype, displayname, getctag, sync-token, supported-report-set) come from
``oxdav.dav.webdav_properties``. Only the names below are registered here.
"""

from __future__ import annotations

from lxml import etree

from oxdav.carddav.collation import SUPPORTED_COLLATIONS
from oxdav.carddav.names import ADDRESSBOOK, ADDRESSBOOK_DESCRIPTION
from oxdav.carddav.validation import takes_only_vcard3
from oxdav.carddav.vcard import SUPPORTED_VERSIONS
from oxdav.dav.namespaces import CARDDAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.folders.collection import FolderCollection

SUPPORTED_ADDRESS_DATA = clark(CARDDAV_NS, "supported-address-data")
MAX_RESOURCE_SIZE = clark(CARDDAV_NS, "max-resource-size")
SUPPORTED_COLLATION_SET = clark(CARDDAV_NS, "supported-collation-set")
_ADDRESS_DATA_TYPE = clark(CARDDAV_NS, "address-data-type")
_SUPPORTED_COLLATION = clark(CARDDAV_NS, "supported-collation")


class AddressBookDescriptionProperty(LiveProperty):
    """CARDDAV:addressbook-description (§6.2.1): the folder description; writable
    through the collection (PROPPATCH maps it onto the folder)."""

    name = ADDRESSBOOK_DESCRIPTION
    resource_types = frozenset({ADDRESSBOOK})

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return getattr(resource, "description", None)


class SupportedAddressDataProperty(LiveProperty):
    """CARDDAV:supported-address-data (§6.2.2): vCard 3.0 and 4.0; only 3.0 for Apple's
    clients, which cannot take 4.0 (DESIGN.md §5)."""

    name = SUPPORTED_ADDRESS_DATA
    resource_types = frozenset({ADDRESSBOOK})

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        versions = ("3.0",) if takes_only_vcard3(ctx.header("user-agent")) else SUPPORTED_VERSIONS
        values = []
        for version in versions:
            element = etree.Element(_ADDRESS_DATA_TYPE)
            element.set("content-type", "text/vcard")
            element.set("version", version)
            values.append(element)
        return values


class MaxResourceSizeProperty(LiveProperty):
    """CARDDAV:max-resource-size (§6.2.3) in octets."""

    name = MAX_RESOURCE_SIZE
    resource_types = frozenset({ADDRESSBOOK})

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, FolderCollection)
        return str(resource.max_resource_size)


class SupportedCollationSetProperty(LiveProperty):
    """CARDDAV:supported-collation-set (§8.3.1): the collations addressbook-query's
    text-match takes; defined where that report is."""

    name = SUPPORTED_COLLATION_SET
    resource_types = frozenset({ADDRESSBOOK})

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        values = []
        for collation in SUPPORTED_COLLATIONS:
            element = etree.Element(_SUPPORTED_COLLATION)
            element.text = collation
            values.append(element)
        return values


def carddav_properties() -> list[LiveProperty]:
    """The CardDAV live properties, in the order PROPFIND lists them."""
    return [AddressBookDescriptionProperty(), SupportedAddressDataProperty(),
            MaxResourceSizeProperty(), SupportedCollationSetProperty()]
