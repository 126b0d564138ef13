"""Extended MKCOL bodies for address books (RFC 5689 §5.1, RFC 6352 §6.3.1)."""

from __future__ import annotations

import pytest
from lxml import etree

from oxdav.carddav.mkcol import VALID_RESOURCETYPE, NewAddressBook, parse_mkcol
from oxdav.dav.errors import DAVError

HEAD = b'<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
TAIL = b"</D:prop></D:set></D:mkcol>"
TYPES = b"<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"


def body(inner: bytes) -> etree._Element:
    return etree.fromstring(HEAD + inner + TAIL)


def test_rfc_5689_example_gives_name_and_description() -> None:
    parsed = parse_mkcol(body(TYPES + b"<D:displayname>Lisa's Contacts</D:displayname>"
                              b"<CR:addressbook-description>My primary address book."
                              b"</CR:addressbook-description>"))
    assert parsed == NewAddressBook("Lisa's Contacts", "My primary address book.")


def test_only_a_resourcetype_is_enough() -> None:
    assert parse_mkcol(body(TYPES)) == NewAddressBook()


def test_apple_colour_is_ignored() -> None:
    colour = b'<A:calendar-color xmlns:A="http://apple.com/ns/ical/">#ff0000</A:calendar-color>'
    assert parse_mkcol(body(TYPES + colour)) == NewAddressBook()


def test_a_plain_collection_is_403_valid_resourcetype() -> None:
    with pytest.raises(DAVError) as caught:
        parse_mkcol(body(b"<D:resourcetype><D:collection/></D:resourcetype>"))
    assert caught.value.status == 403
    assert caught.value.precondition_name == VALID_RESOURCETYPE


def test_plain_mkcol_without_body_is_403() -> None:
    with pytest.raises(DAVError) as caught:
        parse_mkcol(None)
    assert caught.value.status == 403


def test_another_root_element_is_415() -> None:
    with pytest.raises(DAVError) as caught:
        parse_mkcol(etree.fromstring(b'<D:propertyupdate xmlns:D="DAV:"/>'))
    assert caught.value.status == 415


def test_an_unknown_property_is_refused() -> None:
    with pytest.raises(DAVError) as caught:
        parse_mkcol(body(TYPES + b'<X:color xmlns:X="urn:x">red</X:color>'))
    assert caught.value.status == 403
