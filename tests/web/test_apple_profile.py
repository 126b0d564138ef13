"""The Apple configuration profile (issue 21): an XML property list with the CalDAV and
CardDAV account payloads, no password, stable identifiers."""

from __future__ import annotations

import plistlib

from oxdav.web.apple_profile import ProfileAccount, apple_profile

ACCOUNT = ProfileAccount(host="dav.example.com", port=8443, login="ann@example.com",
                         principal_url="https://dav.example.com:8443/dav/principals/users/3/",
                         context_id=7, user_id=3)


def test_the_profile_has_both_account_payloads_with_apples_keys() -> None:
    profile = plistlib.loads(apple_profile(ACCOUNT))
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadIdentifier"] == "com.example.dav.oxdav.c7.u3"
    caldav, carddav = profile["PayloadContent"]
    assert caldav["PayloadType"] == "com.apple.caldav.account"
    assert carddav["PayloadType"] == "com.apple.carddav.account"
    for kind, payload in (("CalDAV", caldav), ("CardDAV", carddav)):
        assert payload[f"{kind}HostName"] == "dav.example.com"
        assert payload[f"{kind}Port"] == 8443 and payload[f"{kind}UseSSL"] is True
        assert payload[f"{kind}Username"] == "ann@example.com"
        assert payload[f"{kind}PrincipalURL"] == ACCOUNT.principal_url
        assert not any("Password" in key for key in payload)


def test_the_same_account_gives_the_same_uuids_another_other_ones() -> None:
    first = plistlib.loads(apple_profile(ACCOUNT))
    other = plistlib.loads(apple_profile(ProfileAccount(**{**ACCOUNT.__dict__, "user_id": 4})))
    assert first == plistlib.loads(apple_profile(ACCOUNT))
    assert first["PayloadUUID"] != other["PayloadUUID"]


def test_an_interface_that_is_off_gets_no_payload() -> None:
    profile = plistlib.loads(apple_profile(ProfileAccount(**{**ACCOUNT.__dict__,
                                                             "carddav": False})))
    assert [p["PayloadType"] for p in profile["PayloadContent"]] == [
        "com.apple.caldav.account"]


def test_markup_in_values_is_escaped_in_the_xml() -> None:
    body = apple_profile(ProfileAccount(**{**ACCOUNT.__dict__, "login": "a<b>&c"}))
    assert b"a&lt;b&gt;&amp;c" in body and plistlib.loads(body)["PayloadContent"][0][
        "CalDAVUsername"] == "a<b>&c"
