"""Creating, changing and removing users with everything that comes with them.

DESIGN.md §2: a new user gets a default calendar, tasks and contacts folder, and one
card in the context's global address list (folder 6) that follows the user directory.
The store only stores; this module keeps those rules in one place for the admin
command line and the first-start demo account alike.

The GAL card is written with its vCard 4.0 alternate (so that a read in either version
returns stored bytes) when the caller passes the converter as ``card_alternate``
(``oxdav.carddav.representations.alternate_of``): CardDAV sits above the directory
(ARCHITECTURE.md), so it is handed in rather than imported. Without it the card is
stored alone and 4.0 readers convert it on every read.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import vobject

from oxdav.store import GAL_FOLDER_ID, NotFound, ObjectIndex, Store, Transaction, User

#: The folders every user gets: (module, display name).
DEFAULT_FOLDERS = (("calendar", "Calendar"), ("tasks", "Tasks"), ("contacts", "Contacts"))
#: Module permissions a user gets when none are given.
DEFAULT_PERMISSIONS = frozenset({"calendar", "tasks", "contacts", "infostore"})
DEMO_FILE = "demo-login.txt"

CardAlternate = Callable[[bytes], "bytes | None"]
"""Makes a card's alternate representation: the card in the other vCard version."""


def gal_card_name(user_id: int) -> str:
    """The resource name of a user's card in the global address list."""
    return f"user-{user_id}.vcf"


def gal_card(user: User) -> bytes:
    """The user's vCard 3.0 for the global address list (RFC 2426).

    Each of the user's phone numbers is one ``TEL;TYPE=WORK,VOICE`` (RFC 2426 §3.3.1):
    the directory knows them as business numbers and says nothing more about them.
    """
    card = vobject.vCard()
    card.add("version").value = "3.0"
    card.add("prodid").value = "-//oxdav//global address list//EN"
    card.add("uid").value = f"oxdav-gal-{user.context_id}-{user.id}"
    card.add("fn").value = user.display_name or user.login
    card.add("n").value = vobject.vcard.Name(family=user.last_name or "",
                                             given=user.first_name or "")
    for address in [a for a in (user.email, *user.aliases) if a]:
        email = card.add("email")
        email.value = address
        email.type_param = "INTERNET"
    for number in user.phones:
        tel = card.add("tel")
        tel.value = number
        tel.type_paramlist = ["WORK", "VOICE"]
    return card.serialize().encode("utf-8")


async def write_gal_card(txn: Transaction, user: User,
                         card_alternate: CardAlternate | None = None) -> None:
    """Create or refresh the user's card in folder 6 (with its other vCard version
    when ``card_alternate`` is given)."""
    gal = await txn.system_collection(user.context_id, GAL_FOLDER_ID)
    data = gal_card(user)
    index = ObjectIndex(uid=f"oxdav-gal-{user.context_id}-{user.id}", component="VCARD",
                        first_start=None, last_end=None, recurring=False,
                        derived=None if card_alternate is None else card_alternate(data))
    await gal.put(gal_card_name(user.id), data, index, created_by=user.id)


async def create_user(txn: Transaction, context_id: int, login: str, *, password_hash: str,
                      display_name: str, first_name: str | None = None,
                      last_name: str | None = None, email: str | None = None,
                      aliases: Iterable[str] = (), phones: Iterable[str] = (),
                      permissions: Iterable[str] = DEFAULT_PERMISSIONS,
                      config: Mapping[str, str] | None = None, enabled: bool = True,
                      user_id: int | None = None,
                      card_alternate: CardAlternate | None = None) -> User:
    """Create a user with default folders and a GAL card, in one transaction."""
    user = await txn.create_user(
        context_id, login, display_name=display_name, first_name=first_name,
        last_name=last_name, email=email, aliases=tuple(aliases), phones=tuple(phones),
        password_hash=password_hash, permissions=frozenset(permissions), config=config,
        enabled=enabled, user_id=user_id)
    home = await txn.home(context_id, user.id)
    for module, name in DEFAULT_FOLDERS:
        await home.create_folder(module, name, is_default=True)  # type: ignore[arg-type]
    await write_gal_card(txn, user, card_alternate)
    return user


async def update_user(txn: Transaction, context_id: int, user_id: int, *,
                      card_alternate: CardAlternate | None = None, **fields: Any) -> User:
    """Change a user and keep their GAL card in step."""
    user = await txn.update_user(context_id, user_id, **fields)
    await write_gal_card(txn, user, card_alternate)
    return user


async def delete_user(txn: Transaction, context_id: int, user_id: int) -> None:
    """Remove a user, their folders and objects, and their GAL card."""
    gal = await txn.system_collection(context_id, GAL_FOLDER_ID)
    try:
        await gal.delete(gal_card_name(user_id))
    except NotFound:
        pass
    await txn.delete_user(context_id, user_id)


async def ensure_demo_account(store: Store, data_dir: Path, log: Any,
                              hash_password: Any = None,
                              card_alternate: CardAlternate | None = None) -> None:
    """On a store with no context yet, create context ``demo`` and user ``demo``.

    The generated password is written to ``<data_dir>/demo-login.txt`` (mode 0600)
    and the login is logged at every start while that file exists.
    """
    from twisted.internet.threads import deferToThread

    from oxdav.directory.passwords import hash_password as default_hash

    async with store.transaction("demo account", write=True) as txn:
        if not await txn.contexts():
            password = secrets.token_urlsafe(12)
            hashed = await deferToThread(hash_password or default_hash, password)
            context = await txn.create_context("demo", mappings=("example.com", "defaultcontext"))
            await create_user(txn, context.id, "demo", password_hash=hashed,
                              display_name="Demo User", first_name="Demo", last_name="User",
                              email="demo@example.com", card_alternate=card_alternate)
            data_dir.mkdir(parents=True, exist_ok=True)
            path = data_dir / DEMO_FILE
            path.touch(mode=0o600)
            path.write_text(f"demo@example.com {password}\n", encoding="utf-8")
    path = data_dir / DEMO_FILE
    if path.exists():
        login, _, password = path.read_text(encoding="utf-8").strip().partition(" ")
        log.warn("demo account: login {login} password {password} (from {path}; "
                 "development only)", login=login, password=password, path=str(path))
