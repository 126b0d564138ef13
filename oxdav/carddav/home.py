"""The address book home ``/carddav/`` as a home kind of the folder tree
(RFC 6352 §7.1.1): contacts folders appear as address book collections."""

from __future__ import annotations

from oxdav.dav.namespaces import CARDDAV_NS, clark
from oxdav.folders.homes import HomeKind

ADDRESSBOOK = clark(CARDDAV_NS, "addressbook")


class AddressBookHome(HomeKind):
    """``/carddav/``: one address book per readable contacts folder."""

    name = "carddav"
    modules = ("contacts",)
    collection_type = ADDRESSBOOK
    member_content_type = "text/vcard; charset=utf-8"
    compliance = ("addressbook",)
