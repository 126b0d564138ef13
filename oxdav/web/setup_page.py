"""The client setup page: plain server-rendered HTML, every value escaped.

What a user needs to add their account by hand (server address, login, principal and
folder URLs) and the steps in the clients DESIGN.md §1 names, with the Apple
configuration profile for macOS and iOS. No script, no external resource; the page
works with a screen reader and without styles (headings in order, lists, a language).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Final

#: Stylesheet of the page (inline: the page loads nothing else).
_STYLE: Final = """
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1b1b1b}
code,.url{font-family:ui-monospace,monospace;word-break:break-all}
dt{font-weight:600;margin-top:.5rem}dd{margin-left:0}
a{color:#0b57d0}a:focus,a:hover{outline:2px solid #0b57d0}
table{border-collapse:collapse}th,td{text-align:left;padding:.25rem .75rem .25rem 0;
vertical-align:top}
.button{display:inline-block;padding:.5rem 1rem;border:2px solid #0b57d0;border-radius:4px;
text-decoration:none}
"""


@dataclass(frozen=True)
class FolderLink:
    """One of the user's collections: its kind, its name and its URL."""

    kind: str
    name: str
    url: str


@dataclass(frozen=True)
class AccountSetup:
    """Everything the page shows; all of it is the requesting user's own.

    Attributes:
        host: the server's host name; ``port``: its HTTPS port.
        login: the login the user signed in with.
        display_name: the user's name.
        server_url: what to type as the server address (discovery does the rest).
        principal_url: the user's principal.
        calendar_home_url, addressbook_home_url: the homes (None: interface disabled).
        calendars, address_books: the collections the user sees.
        profile_url: where the Apple configuration profile is.
    """

    host: str
    port: int
    login: str
    display_name: str
    server_url: str
    principal_url: str
    calendar_home_url: str | None
    addressbook_home_url: str | None
    profile_url: str
    calendars: list[FolderLink] = field(default_factory=list)
    address_books: list[FolderLink] = field(default_factory=list)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _value(label: str, value: str) -> str:
    return f"<dt>{_e(label)}</dt><dd><code class=url>{_e(value)}</code></dd>"


def _folders(caption: str, folders: list[FolderLink]) -> str:
    if not folders:
        return f"<p>No {_e(caption.lower())} yet.</p>"
    rows = "".join(f"<tr><td>{_e(f.name)}</td><td>{_e(f.kind)}</td>"
                   f"<td><code class=url>{_e(f.url)}</code></td></tr>" for f in folders)
    return (f"<table><caption>{_e(caption)}</caption><thead><tr><th scope=col>Name</th>"
            f"<th scope=col>Kind</th><th scope=col>URL</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _steps(*items: str) -> str:
    return "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"


def render_setup_page(setup: AccountSetup) -> bytes:
    """The page as UTF-8 HTML."""
    server, login = f"<code>{_e(setup.server_url)}</code>", f"<code>{_e(setup.login)}</code>"
    caldav = setup.calendar_home_url is not None
    carddav = setup.addressbook_home_url is not None
    values = [_value("Server address", setup.server_url), _value("Login", setup.login),
              "<dt>Password</dt><dd>your usual password (this page never shows it)</dd>",
              _value("Principal URL", setup.principal_url)]
    if caldav:
        values.append(_value("Calendar home", str(setup.calendar_home_url)))
    if carddav:
        values.append(_value("Address book home", str(setup.addressbook_home_url)))
    sections = [
        "<h2 id=account>Your account</h2>", f"<dl>{''.join(values)}</dl>",
        "<h2 id=folders>Your calendars and address books</h2>",
        "<p>Clients find these by themselves from the server address; here they are "
        "for clients that ask for one URL.</p>",
    ]
    if caldav:
        sections.append(_folders("Calendars and task lists", setup.calendars))
    if carddav:
        sections.append(_folders("Address books", setup.address_books))
    sections += [
        "<h2 id=clients>Adding the account</h2>",
        "<h3 id=apple>macOS and iOS (Calendar, Contacts, Reminders)</h3>",
        f'<p><a class=button href="{_e(setup.profile_url)}" download>Download the '
        "configuration profile</a></p>",
        "<p>The profile holds the server, your login and the principal URL, not your "
        "password: you are asked for it when you install it.</p>",
        "<p>On a Mac:</p>" + _steps(
            "Open the downloaded profile.",
            "Open System Settings, then Privacy &amp; Security, then Profiles (on older "
            "systems: System Preferences, then Profiles).",
            "Select the profile, choose Install, and enter your password."),
        "<p>On an iPhone or iPad:</p>" + _steps(
            "Open this page in Safari and download the profile; allow the download.",
            "Open Settings: Profile Downloaded appears at the top (else General, then VPN "
            "&amp; Device Management).",
            "Choose Install and enter your password."),
        "<p>Without the profile: add a CalDAV and a CardDAV account (Settings, then "
        f"Calendar or Contacts, then Accounts, then Add Account, then Other) with server "
        f"{server}, user name {login} and your password.</p>",
        "<h3 id=thunderbird>Thunderbird</h3>",
        _steps("Calendars: in the Calendar view choose New Calendar, then On the Network.",
               f"Enter user name {login} and location {server}, then Find Calendars, and "
               "subscribe to the calendars you want.",
               "Contacts: in the Address Book choose New Address Book, then Add CardDAV "
               f"Address Book, with user name {login} and location {server}."),
        "<h3 id=davx5>DAVx5 (Android)</h3>",
        _steps("Add an account (+), then Login with URL and user name.",
               f"Base URL {server}, user name {login}, your password; then Login.",
               "Choose the calendars and address books to synchronise."),
        "<h3 id=evolution>Evolution (GNOME)</h3>",
        _steps("Calendars: File, then New, then Calendar; type CalDAV.",
               f"URL {server}, user {login}; Find Calendars and pick one (repeat for each).",
               "Contacts: File, then New, then Address Book; type CardDAV, same URL and "
               "user; Find Address Books."),
    ]
    title = f"Set up your calendars and contacts on {setup.host}"
    page = (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>Signed in as {_e(setup.display_name)} "
        f"({login}).</p></header>"
        "<nav aria-label=Contents><ul><li><a href=#account>Your account</a></li>"
        "<li><a href=#folders>Calendars and address books</a></li>"
        "<li><a href=#clients>Adding the account</a></li></ul></nav>"
        f"<main>{''.join(sections)}</main></body></html>\n")
    return page.encode("utf-8")
