"""The Apple configuration profile of a user's account (``.mobileconfig``).

A profile with one ``com.apple.caldav.account`` and one ``com.apple.carddav.account``
payload (Apple's Device Management "CalDAV" and "CardDAV" payloads): host, port, TLS,
login and principal URL, never the password, which the device asks for when the
profile is installed. Made with the standard library's ``plistlib``. Identifiers and
UUIDs are derived from the server, context and user, so installing a newer profile
replaces the one before instead of adding a second account.
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass
from typing import Any, Final

#: The media type macOS and iOS install from (Apple's Configuration Profile Reference).
PROFILE_CONTENT_TYPE: Final = "application/x-apple-aspen-config"
#: Namespace of the profile's name-based UUIDs.
_NAMESPACE: Final = uuid.UUID("6f1c6f0e-6d5c-4f0a-9d3e-0a7d0c5e2b21")


@dataclass(frozen=True)
class ProfileAccount:
    """What the profile says of the account.

    Attributes:
        host: the server's host name, as users reach it.
        port: its HTTPS port.
        login: the login the user signs in with.
        principal_url: the absolute URL of the user's principal.
        context_id: the user's context (identifiers only).
        user_id: the user (identifiers only).
        caldav: whether the profile sets up calendars.
        carddav: whether it sets up contacts.
    """

    host: str
    port: int
    login: str
    principal_url: str
    context_id: int
    user_id: int
    caldav: bool = True
    carddav: bool = True


def _identifier(account: ProfileAccount, *parts: str) -> str:
    """A reverse-DNS payload identifier below the server's name."""
    reverse = ".".join(reversed(account.host.lower().split("."))) or "localhost"
    return ".".join([reverse, "oxdav", f"c{account.context_id}", f"u{account.user_id}",
                     *parts])


def _uuid(identifier: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, identifier)).upper()


def _payload(account: ProfileAccount, kind: str, name: str) -> dict[str, Any]:
    """One account payload; ``kind`` is ``CalDAV`` or ``CardDAV`` (the key prefix)."""
    identifier = _identifier(account, kind.lower())
    return {
        "PayloadType": f"com.apple.{kind.lower()}.account",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": _uuid(identifier),
        "PayloadDisplayName": f"{name} ({account.login})",
        f"{kind}AccountDescription": f"{name} on {account.host}",
        f"{kind}HostName": account.host,
        f"{kind}Port": account.port,
        f"{kind}UseSSL": True,
        f"{kind}Username": account.login,
        f"{kind}PrincipalURL": account.principal_url,
    }


def apple_profile(account: ProfileAccount) -> bytes:
    """The profile as an XML property list."""
    content = []
    if account.caldav:
        content.append(_payload(account, "CalDAV", "Calendars"))
    if account.carddav:
        content.append(_payload(account, "CardDAV", "Contacts"))
    identifier = _identifier(account)
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": _uuid(identifier),
        "PayloadDisplayName": f"Calendars and contacts on {account.host}",
        "PayloadDescription": (f"Adds the calendars and contacts of {account.login} on "
                               f"{account.host}. You are asked for the password."),
        "PayloadRemovalDisallowed": False,
        "PayloadContent": content,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)
