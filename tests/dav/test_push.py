"""The WebDAV-Push XML (draft-bitfire-webdav-push): push-register, Push-Dont-Notify,
push-message."""

from __future__ import annotations

import pytest
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.push import dont_notify, parse_registration, push_message, topic_for

KEY = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"


def body(trigger: str = "", extra: str = "") -> etree._Element:
    return etree.fromstring(
        '<push-register xmlns="https://bitfire.at/webdav-push" xmlns:D="DAV:">'
        "<subscription><web-push-subscription>"
        "<push-resource>https://up.example.net/yohd4yai5Phiz1wi</push-resource>"
        f'<subscription-public-key type="p256dh">{KEY}</subscription-public-key>'
        "<auth-secret>BTBZMqHH6r4Tts7J_aSIgg</auth-secret>"
        f"</web-push-subscription></subscription>{trigger}{extra}</push-register>")


def test_the_drafts_sample_registers_with_its_expiry() -> None:
    registration = parse_registration(body(
        "<trigger><content-update><D:sync-level>infinite</D:sync-level></content-update>"
        "<property-update><D:depth>0</D:depth></property-update></trigger>",
        "<expires>Wed, 20 Dec 2023 10:03:31 GMT</expires>"))
    assert registration.endpoint == "https://up.example.net/yohd4yai5Phiz1wi"
    assert registration.expires == 1703066611


def test_only_property_updates_are_no_supported_trigger() -> None:
    with pytest.raises(DAVError) as raised:
        parse_registration(body("<trigger><property-update/></trigger>"))
    assert raised.value.status == 403
    assert raised.value.precondition_name == "{https://bitfire.at/webdav-push}no-supported-trigger"


def test_an_unreadable_expiry_leaves_it_to_the_server() -> None:
    assert parse_registration(body(extra="<expires>soon</expires>")).expires is None


def test_push_dont_notify_names_registration_ids_or_all() -> None:
    assert dont_notify('"https://h/dav/push/abc", "https://h/dav/push/def/"') == (
        frozenset({"abc", "def"}), False)
    assert dont_notify("*") == (frozenset(), True)
    assert dont_notify(None) == (frozenset(), False)
    assert len(dont_notify(", ".join(f'"/push/{n}"' for n in range(100)))[0]) == 16


def test_a_push_message_carries_topic_and_token() -> None:
    root = etree.fromstring(push_message("T", "http://oxdav.org/ns/sync/x"))
    ns = "{https://bitfire.at/webdav-push}"
    assert root.tag == f"{ns}push-message" and root.findtext(f"{ns}topic") == "T"
    assert root.findtext(f"{ns}content-update/{{DAV:}}sync-token") == \
        "http://oxdav.org/ns/sync/x"


def test_topics_are_stable_opaque_and_short() -> None:
    assert topic_for("1/12") == topic_for("1/12") != topic_for("2/12")
    assert len(topic_for("1/12")) <= 32 and "12" not in topic_for("1/12")
