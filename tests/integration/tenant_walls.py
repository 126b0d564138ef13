"""One prepared tenant for the tenant-wall sweep (tests/integration/test_tenant_walls.py).

Context A holds alice (owner of everything probed), carol (a colleague with no rights on
alice's folders) and dave (read-only on alice's calendar); context B holds bob, whose
folders carry the same ids, names and member names as alice's, so that every path of
alice's is also a path of his. Everything distinctive in alice's data is a *marker*:
a string that may appear only in the answers of the users allowed to read it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import treq
from lxml import etree
from twisted.internet import reactor
from twisted.web.client import Agent, HTTPConnectionPool

from oxdav.directory import provisioning
from oxdav.folders.naming import remember_name
from oxdav.store import GAL_FOLDER_ID, FolderPermission
from tests.integration.carddav_support import MACOS_CONTACTS
from tests.integration.harness import Server, TrustOne, password_hash
from tests.integration.test_auth_tls import PASSWORD

D = "{DAV:}"
#: The URL segment alice made her own calendar under (MKCALENDAR).
ALIAS = "wall-made-calendar"
CONTEXT_A, CONTEXT_B = "tenant-a", "tenant-b"
PROBE_NS = "urn:x-wall-probe"


class Client:
    """HTTPS with kept-alive connections (the sweep sends thousands of requests)."""

    def __init__(self, server: Server) -> None:
        pem = (server.config / "data" / "tls" / "fullchain.pem").read_bytes()
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = 4
        self.http = treq.client.HTTPClient(Agent(reactor, contextFactory=TrustOne(pem),
                                                 pool=self.pool))
        self.base = server.https

    async def request(self, method: str, path: str, auth: tuple[str, str],
                      headers: dict[str, str] | None = None, body: bytes | None = None
                      ) -> tuple[int, dict[str, list[str]], bytes]:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        sent = {"Authorization": [f"Basic {token}"]}
        sent.update({k: [v] for k, v in (headers or {}).items()})
        response = await self.http.request(method, self.base + path, headers=sent,
                                           data=body, allow_redirects=False)
        data = await treq.content(response)
        found = {k.decode().lower(): [v.decode("latin-1") for v in vs]
                 for k, vs in response.headers.getAllRawHeaders()}
        return int(response.code), found, data

    async def close(self) -> None:
        await self.pool.closeCachedConnections()


@dataclass
class User:
    """One signed-in user of the sweep."""

    name: str
    email: str
    id: int = 0
    context_id: int = 0
    calendar: int = 0  # default calendar folder id
    contacts: int = 0  # default contacts folder id

    @property
    def auth(self) -> tuple[str, str]:
        return (self.email, PASSWORD)


@dataclass(frozen=True)
class Marker:
    """A distinctive string of the tenant and who may read it (user names)."""

    text: str
    what: str
    readers: frozenset[str]


@dataclass
class Tenant:
    """The prepared tenant: users, alice's paths and folders, her lock, the markers."""

    alice: User
    carol: User
    dave: User
    bob: User
    folders: dict[str, int]  # role (calendar, tasks, contacts, made, gal) → folder id
    objects: dict[str, str]  # role → DAV path of each of alice's objects
    aggregated: str  # alice's aggregated address book path (with the Mac User-Agent)
    lock_token: str
    sync_tokens: dict[str, str]  # collection path → alice's sync token there
    markers: list[Marker] = field(default_factory=list)

    @property
    def intruders(self) -> list[User]:
        return [self.bob, self.carol, self.dave]


def ics(uid: str, summary: str, *, component: str = "VEVENT") -> bytes:
    start = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y%m%dT100000Z")
    end = "DTEND" if component == "VEVENT" else "DUE"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//wall//EN\r\n"
            f"BEGIN:{component}\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{start}\r\n{end}:{start[:9]}110000Z\r\nSUMMARY:{summary}\r\n"
            f"END:{component}\r\nEND:VCALENDAR\r\n").encode()


def vcf(uid: str, name: str) -> bytes:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n"
            "END:VCARD\r\n").encode()


def dead_property(value: str) -> bytes:
    return (f'<D:propertyupdate xmlns:D="DAV:" xmlns:P="{PROBE_NS}"><D:set><D:prop>'
            f"<P:note>{value}</P:note></D:prop></D:set></D:propertyupdate>").encode()


def displayname(value: str) -> bytes:
    return (f'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>{value}'
            "</D:displayname></D:prop></D:set></D:propertyupdate>").encode()


async def _add_user(server: Server, user: User, context: str, **fields: Any) -> None:
    """Create ``user`` (and the context, with the mapping ``<context>.test``) as
    ``oxdav-admin user create`` does; fills in its ids."""
    async with server.service.store.transaction("wall user", write=True) as txn:
        found = [c for c in await txn.contexts() if c.name == context]
        ctx = found[0] if found else await txn.create_context(
            context, mappings=(f"{context}.test",))
        made = await provisioning.create_user(
            txn, ctx.id, user.name, password_hash=password_hash(PASSWORD),
            email=user.email, **fields)
        home = await txn.home(ctx.id, made.id)
        defaults = {f.module: f.id for f in await home.folders()
                    if f.owner_id == made.id and f.is_default}
    user.id, user.context_id = made.id, ctx.id
    user.calendar, user.contacts = defaults["calendar"], defaults["contacts"]


async def _ok(client: Client, user: User, method: str, path: str, body: bytes | None = None,
              **headers: str) -> tuple[int, dict[str, list[str]], bytes]:
    answer = await client.request(method, path, user.auth, headers, body)
    assert answer[0] < 300, (user.name, method, path, answer[0], answer[2][:500])
    return answer


async def prepare(server: Server, client: Client) -> Tenant:
    """Make the tenant through the store (directory, the share) and through alice's own
    requests (objects, names, dead properties, her calendar, her lock)."""
    alice = User("alice", "alice.wall7mail@tenant-a.test")
    carol = User("carol", "carol.wall7mail@tenant-a.test")
    dave = User("dave", "dave.wall7mail@tenant-a.test")
    bob = User("bob", "bob@tenant-b.test")
    await _add_user(server, alice, CONTEXT_A, display_name="Alice Wall7AliceName",
                    phones=("+4930555073190",))
    await _add_user(server, bob, CONTEXT_B, display_name="Bob Builder")
    for user in (carol, dave):
        await _add_user(server, user, CONTEXT_A,
                        display_name=f"{user.name.title()} Wall7{user.name.title()}Name")
    folders, objects, lock_token = await _alices_work(server, client, alice)
    # dave reads alice's calendar (as ``oxdav-admin folder share`` grants it); carol
    # has no right on any of her folders.
    async with server.service.store.transaction("wall share", write=True) as txn:
        calendar = await txn.system_collection(alice.context_id, folders["calendar"])
        await calendar.update_folder(permissions=[
            *calendar.folder.permissions, FolderPermission(dave.id, read="all")])
    aggregated = await _aggregated_path(client, alice)
    objects["aggregated-card"] = aggregated + "wall-card.vcf"
    objects["aggregated-gal-card"] = aggregated + provisioning.gal_card_name(alice.id)
    sync_tokens = {}
    for path in [*(_collection(folders, role) for role in folders), aggregated]:
        sync_tokens[path] = await _sync_token(client, alice, path)
    await _colliding_bob(server, client, bob, alice, folders, objects)
    for user in (carol, dave, bob):
        await put_own(client, user)
    tenant = Tenant(alice, carol, dave, bob, folders, objects, aggregated, lock_token,
                    sync_tokens)
    tenant.markers = markers(tenant)
    return tenant


async def _alices_work(server: Server, client: Client, alice: User
                       ) -> tuple[dict[str, int], dict[str, str], str]:
    """What alice's clients make: a calendar of her own (MKCALENDAR), an object in each
    folder, folder names, dead properties, a lock on her event. Returns her folders by
    role, her objects' paths by role and her lock token."""
    async with server.service.store.transaction("wall folders") as txn:
        home = await txn.home(alice.context_id, alice.id)
        mine = {f.module: f.id for f in await home.folders()
                if f.owner_id == alice.id and f.is_default}
    folders = {"calendar": mine["calendar"], "tasks": mine["tasks"],
               "contacts": mine["contacts"], "gal": GAL_FOLDER_ID}
    await _ok(client, alice, "MKCALENDAR", f"/dav/caldav/{ALIAS}/", (
        b'<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set>'
        b"<D:prop><D:displayname>Wall7MadeCalendarName</D:displayname>"
        b"<C:calendar-description>Wall7MadeDescription</C:calendar-description>"
        b"</D:prop></D:set></C:mkcalendar>"))
    async with server.service.store.transaction("wall made") as txn:
        home = await txn.home(alice.context_id, alice.id)
        [folders["made"]] = [f.id for f in await home.folders()
                             if f.name == "Wall7MadeCalendarName"]
    objects = {
        "event": f"/dav/caldav/{folders['calendar']}/wall-event.ics",
        "todo": f"/dav/caldav/{folders['tasks']}/wall-todo.ics",
        "made-event": f"/dav/caldav/{folders['made']}/wall-made-event.ics",
        "card": f"/dav/carddav/{folders['contacts']}/wall-card.vcf",
        "gal-card": f"/dav/carddav/{GAL_FOLDER_ID}/{provisioning.gal_card_name(alice.id)}",
    }
    ics_type = {"Content-Type": "text/calendar; charset=utf-8"}
    await _ok(client, alice, "PUT", objects["event"],
              ics("wall7-event-uid", "Wall7EventSummary"), **ics_type)
    await _ok(client, alice, "PUT", objects["todo"],
              ics("wall7-todo-uid", "Wall7TodoSummary", component="VTODO"), **ics_type)
    await _ok(client, alice, "PUT", objects["made-event"],
              ics("wall7-made-uid", "Wall7MadeEventSummary"), **ics_type)
    await _ok(client, alice, "PUT", objects["card"], vcf("wall7-card-uid", "Wall7CardName"),
              **{"Content-Type": "text/vcard; charset=utf-8"})
    for role, name in (("calendar", "Wall7CalendarName"), ("tasks", "Wall7TasksName"),
                       ("contacts", "Wall7ContactsName")):
        await _ok(client, alice, "PROPPATCH", _collection(folders, role), displayname(name))
    await _ok(client, alice, "PROPPATCH", _collection(folders, "calendar"),
              dead_property("Wall7CalendarDeadValue"))
    await _ok(client, alice, "PROPPATCH", objects["event"], dead_property("Wall7EventDeadValue"))
    _, headers, _ = await _ok(client, alice, "LOCK", objects["event"], (
        b'<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
        b"<D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:wall7lockowner@"
        b"tenant-a.test</D:href></D:owner></D:lockinfo>"))
    return folders, objects, headers["lock-token"][0].strip("<>")


def _collection(folders: dict[str, int], role: str) -> str:
    kind = "carddav" if role in ("contacts", "gal") else "caldav"
    return f"/dav/{kind}/{folders[role]}/"


async def _aggregated_path(client: Client, user: User) -> str:
    _, _, data = await _ok(client, user, "PROPFIND", "/dav/carddav/", (
        b'<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'),
        Depth="1", **{"User-Agent": MACOS_CONTACTS})
    hrefs = [h for h in etree.fromstring(data).findall(f"{D}response/{D}href")
             if "/Contacts" in (h.text or "")]
    assert len(hrefs) == 1, data
    return str(hrefs[0].text)


async def _sync_token(client: Client, user: User, path: str) -> str:
    headers = {"User-Agent": MACOS_CONTACTS} if "/Contacts" in path else {}
    _, _, data = await _ok(client, user, "PROPFIND", path, (
        b'<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>'),
        Depth="0", **headers)
    return str(etree.fromstring(data).findtext(f".//{D}sync-token"))


async def _colliding_bob(server: Server, client: Client, bob: User, alice: User,
                         folders: dict[str, int], objects: dict[str, str]) -> None:
    """Give bob a folder for each of alice's (same id, module and made-under name) and an
    object of his own under each of her object names."""
    assert bob.id == alice.id  # the same principal path in both contexts
    async with server.service.store.transaction("wall bob", write=True) as txn:
        home = await txn.home(bob.context_id, bob.id)
        theirs = {f.id: f for f in await txn.folders(alice.context_id)}
        his = {f.id for f in await home.folders()}
        for folder_id in folders.values():
            if folder_id not in his:
                await home.create_folder(theirs[folder_id].module, "Bob's",
                                         folder_id=folder_id)
        await remember_name(await home.collection(folders["made"]), ALIAS)
    for role, path in objects.items():
        if role.startswith(("gal", "aggregated")):
            continue  # bob's own GAL card has alice's name already; no aggregated twin
        uid = put_uid(bob, path)
        body, media = ((vcf(uid, "Bob Own Card"), "text/vcard") if path.endswith(".vcf")
                       else (ics(uid, "Bob Own Summary",
                                 component="VTODO" if role == "todo" else "VEVENT"),
                             "text/calendar"))
        await _ok(client, bob, "PUT", path, body, **{"Content-Type": media})


def put_uid(user: User, path: str) -> str:
    """The UID ``user`` writes under the name of ``path``, always the same there (a
    resource keeps its UID, RFC 4791 §5.3.2.1): a PUT of theirs replaces their own
    object, also when it reaches it by another path (the made-under name, the
    aggregated book)."""
    name = path.rstrip("/").rsplit("/", 1)[1]
    return f"{user.name}-put-{hashlib.sha1(name.encode()).hexdigest()[:10]}"


async def put_own(client: Client, user: User, generation: int = 0,
                  kinds: tuple[str, ...] = ("caldav", "carddav")) -> None:
    """The intruder's own event and card (what they copy or move onto alice's paths);
    a later ``generation`` remakes one after a move took it away."""
    if "caldav" in kinds:
        await _ok(client, user, "PUT", f"/dav/caldav/{user.calendar}/own.ics",
                  ics(f"{user.name}-own-uid-{generation}", f"Own{user.name.title()}Summary"),
                  **{"Content-Type": "text/calendar"})
    if "carddav" in kinds:
        await _ok(client, user, "PUT", f"/dav/carddav/{user.contacts}/own.vcf",
                  vcf(f"{user.name}-own-card-{generation}", f"Own{user.name.title()}Card"),
                  **{"Content-Type": "text/vcard"})


def markers(tenant: Tenant) -> list[Marker]:
    """Every distinctive string of the tenant with who may read it.

    The directory of a context (display names, addresses, phones: principals and the
    global address list) is readable by each user of that context (DESIGN.md §2);
    alice's calendar by dave too, whom she shared it to; everything else is hers alone.
    A lock's token and owner are shown to its creator only (RFC 4918 §15.8, withheld
    from others by oxdav's choice)."""
    alice, carol, dave = tenant.alice, tenant.carol, tenant.dave
    context = frozenset({"alice", "carol", "dave"})
    shared = frozenset({"alice", "dave"})
    only = frozenset({"alice"})

    def each(readers: frozenset[str], what: str, *texts: str) -> list[Marker]:
        return [Marker(text, what, readers) for text in texts]

    return [
        *each(context, "directory", "Wall7AliceName", "alice.wall7mail", "4930555073190",
              "Wall7CarolName", "carol.wall7mail", "Wall7DaveName", "dave.wall7mail",
              f"oxdav-gal-{alice.context_id}-"),
        *each(shared, "shared calendar", "Wall7CalendarName", "wall7-event-uid",
              "Wall7EventSummary", "Wall7CalendarDeadValue", "Wall7EventDeadValue"),
        *each(only, "alice's own folders", "Wall7TasksName", "wall7-todo-uid",
              "Wall7TodoSummary", "Wall7MadeCalendarName", "Wall7MadeDescription",
              "wall7-made-uid", "Wall7MadeEventSummary", "Wall7ContactsName",
              "wall7-card-uid", "Wall7CardName"),
        *each(only, "alice's lock", "wall7lockowner", tenant.lock_token),
        *(marker for user in (carol, dave, tenant.bob) for marker in each(
            frozenset({user.name}), f"{user.name}'s own", f"{user.name}-own-uid",
            f"{user.name}-own-card")),
    ]


async def snapshot(server: Server, tenant: Tenant) -> dict[str, Any]:
    """What of context A no intruder may change: every folder carol and dave do not own
    (attributes, permissions, revision = sync token), its objects (bytes and ETag),
    dead properties and locks, the directory, and the folders alice sees."""
    alice = tenant.alice
    intruders = {tenant.carol.id, tenant.dave.id}
    found: dict[str, Any] = {}
    async with server.service.store.transaction("wall snapshot") as txn:
        found["users"] = sorted(repr(u) for u in await txn.users(alice.context_id))
        home = await txn.home(alice.context_id, alice.id)
        found["alice sees"] = sorted(f.id for f in await home.folders())
        for folder in await txn.folders(alice.context_id):
            if folder.owner_id in intruders:
                continue
            collection = await txn.system_collection(alice.context_id, folder.id)
            key = f"folder {folder.id}"
            found[key] = repr((folder.name, folder.color, folder.description,
                               folder.permissions, folder.revision, folder.modified))
            found[key + " properties"] = await collection.dead_properties("")
            found[key + " locks"] = await collection.locks()
            for meta in await collection.list():
                stored = await collection.get(meta.name, derived=True)
                found[f"{key}/{meta.name}"] = (stored.data, stored.derived, meta.etag,
                                               meta.modseq, meta.created_by)
                found[f"{key}/{meta.name} properties"] = await collection.dead_properties(
                    meta.name)
            found[key + " changes"] = repr(await collection.changes(0))
    return found
