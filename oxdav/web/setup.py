"""``<prefix>/setup``: the client setup page and the Apple configuration profile.

Served to the signed-in user only (the same Basic authentication as DAV, over HTTPS),
from one read of the store in the user's own view: the homes, principal and folders
the DAV tree shows them (:class:`oxdav.folders.tree.DavTree`), nothing of anyone
else's. ``/setup`` is the page (:mod:`oxdav.web.setup_page`), ``/setup/apple.mobileconfig``
the profile (:mod:`oxdav.web.apple_profile`), only over HTTPS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from twisted.web.server import Request

from oxdav.config import ConfigSnapshot
from oxdav.dav.paths import PathMapper
from oxdav.dav.resource import Principal, RequestContext
from oxdav.directory.results import Authenticated
from oxdav.directory.scope import scope_for
from oxdav.folders.collection import FolderCollection
from oxdav.folders.naming import shown_folder_url
from oxdav.folders.space import FolderSpace
from oxdav.folders.tree import DavTree
from oxdav.principals.resources import user_principal_path
from oxdav.store.errors import ContextChanged
from oxdav.web.apple_profile import PROFILE_CONTENT_TYPE, ProfileAccount, apple_profile
from oxdav.web.auth import CredentialChecker, take_credentials
from oxdav.web.lifecycle import authenticate, write_refusal
from oxdav.web.setup_page import AccountSetup, FolderLink, render_setup_page

#: DAV paths of the page and of the profile (below the prefix).
SETUP_PATH: Final = "/setup"
PROFILE_PATH: Final = "/setup/apple.mobileconfig"
#: A Host header (RFC 9110 §7.2): a name or bracketed IPv6 address, and maybe a port.
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?$")
#: The page's headers: nothing of it is kept, framed, scripted or sent on as a referrer.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_KINDS: Final = {"calendar": "calendar", "tasks": "task list", "contacts": "address book"}


def is_setup_path(dav_path: str) -> bool:
    """Whether ``dav_path`` is the page or the profile."""
    return dav_path.rstrip("/") in (SETUP_PATH, PROFILE_PATH)


class SetupPages:
    """Serves the setup page and profile of the signed-in user.

    Args:
        store: the store.
        spaces: the DAV spaces by name (the folders they show).
    """

    def __init__(self, store: Any, spaces: Mapping[str, FolderSpace]) -> None:
        self.store = store
        self.spaces = spaces

    async def serve(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                    dav_path: str, authenticator: CredentialChecker) -> None:
        """Authenticate, then answer GET or HEAD (others: 405)."""
        if request.method not in (b"GET", b"HEAD"):
            _finish(request, 405, {"Allow": "GET, HEAD", "Content-Type":
                                   "text/plain; charset=utf-8"}, b"use GET\n")
            return
        credentials = take_credentials(request)
        who = await authenticate(request, credentials, authenticator, dav_path)
        for fresh in (False, True):
            if fresh:
                who = await authenticate(request, credentials, authenticator, dav_path,
                                         fresh=True)
            if not isinstance(who, Authenticated):
                break
            try:
                setup = await self.account(request, snapshot, mapper, who,
                                           credentials.login if credentials else "")
            except ContextChanged:
                continue  # a remembered login out of date: look it up afresh
            if dav_path.rstrip("/") == PROFILE_PATH:
                self.write_profile(request, setup, who)
            else:
                _finish(request, 200, {**PAGE_HEADERS,
                                       "Content-Type": "text/html; charset=utf-8"},
                        render_setup_page(setup))
            return
        write_refusal(request, who, snapshot)  # type: ignore[arg-type]

    def write_profile(self, request: Request, setup: AccountSetup, who: Authenticated) -> None:
        """The profile, only over HTTPS (it names the account; RFC 9110 §17)."""
        if not request.isSecure():
            _finish(request, 403, {"Content-Type": "text/plain; charset=utf-8"},
                    b"The profile is served over HTTPS only.\n")
            return
        body = apple_profile(ProfileAccount(
            host=setup.host, port=setup.port, login=setup.login,
            principal_url=setup.principal_url, context_id=who.context.id,
            user_id=who.user.id, caldav=setup.calendar_home_url is not None,
            carddav=setup.addressbook_home_url is not None))
        _finish(request, 200, {
            "Content-Type": PROFILE_CONTENT_TYPE, "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{_file_name(setup.host)}"'}, body)

    async def account(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                      who: Authenticated, login: str) -> AccountSetup:
        """What the page shows, read in one snapshot of the user's view.

        Raises:
            ContextChanged: a remembered login's context changed (nothing was read).
        """
        named, port = _request_host(request)
        host = str(snapshot.get("oxdav.hostname") or named)
        authority = host if port == 443 else f"{host}:{port}"
        origin = f"https://{authority}"
        settings = snapshot.for_scope(scope_for(who.context, who.user))  # type: ignore[arg-type]
        # No User-Agent: the folders as a client that is not Apple's sees them.
        ctx = RequestContext(method="GET", path=SETUP_PATH, paths=mapper, config=snapshot,
                             principal=Principal(user_principal_path(who.user.id), who))
        enabled = {name: bool(settings.get(f"com.openexchange.{name}.enabled"))
                   for name in ("caldav", "carddav")}
        template = str(settings.get("com.openexchange.caldav.url"))
        calendars: list[FolderLink] = []
        books: list[FolderLink] = []
        async with self.store.transaction("GET setup", confirm=(
                who.context if who.remembered else None)) as txn:
            tree = DavTree(txn, who.context.id, who.user.id, self.spaces, ctx, settings)
            user = await txn.user(who.context.id, who.user.id)
            for name, space in self.spaces.items():
                if not enabled.get(name, True):
                    continue
                async for child in space.children(tree):
                    if not isinstance(child, FolderCollection):
                        continue
                    kind = _KINDS.get(child.folder.module, child.folder.module)
                    if name == "caldav":
                        url = shown_folder_url(template, authority, child.folder.id)
                        calendars.append(FolderLink(kind, child.displayname, url))
                    else:
                        url = origin + mapper.href(child.path, collection=True)
                        books.append(FolderLink(kind, child.displayname, url))
        return AccountSetup(
            host=host, port=port, login=login, display_name=user.display_name or login,
            server_url=origin + mapper.href("/", collection=True),
            principal_url=origin + mapper.href(user_principal_path(who.user.id),
                                               collection=True),
            calendar_home_url=(origin + mapper.href("/caldav", collection=True)
                               if enabled["caldav"] else None),
            addressbook_home_url=(origin + mapper.href("/carddav", collection=True)
                                  if enabled["carddav"] else None),
            profile_url=mapper.href(PROFILE_PATH), calendars=calendars, address_books=books)


def _request_host(request: Request) -> tuple[str, int]:
    """The host name and port the user reached the server by (the Host header's; a
    malformed one gives ``localhost`` and 443: only oxdav.hostname is then shown right)."""
    value = (request.getHeader(b"host") or b"").decode("latin-1").strip()
    found = _HOST.match(value)
    if found is None:
        return "localhost", 443
    port = int(found.group(2) or 443)
    return found.group(1), port if 0 < port < 65536 else 443


def _file_name(host: str) -> str:
    """The profile's file name: the host's letters, digits, dots and dashes."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", host) + ".mobileconfig"


def _finish(request: Request, status: int, headers: Mapping[str, str], body: bytes) -> None:
    request.setResponseCode(status)
    for name, value in headers.items():
        request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
    request.setHeader(b"content-length", str(len(body)).encode("ascii"))
    if not request.finished:
        request.write(body)
        request.finish()
