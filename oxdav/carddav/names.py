"""Clark names CardDAV's resources and properties share (RFC 6352 §10, §6.2)."""

from __future__ import annotations

from typing import Final

from oxdav.dav.namespaces import CARDDAV_NS, clark

#: The resourcetype of an address book collection (RFC 6352 §5.2).
ADDRESSBOOK: Final = clark(CARDDAV_NS, "addressbook")
#: CARDDAV:addressbook-description (§6.2.1).
ADDRESSBOOK_DESCRIPTION: Final = clark(CARDDAV_NS, "addressbook-description")
#: CARDDAV:address-data (§10.4).
ADDRESS_DATA: Final = clark(CARDDAV_NS, "address-data")
