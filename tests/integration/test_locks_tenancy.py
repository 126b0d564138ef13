"""Locks belong to what a user may write (RFC 4918 §6-§7, §9.10-§9.11), through the TLS
listener: the same folder id in two contexts names two resources, LOCK needs the write
right, only the lock's creator writes with (and sees) its token, locks live in the
store, and the timeout, owner size and locks per user are bounded."""

from __future__ import annotations

from collections.abc import Sequence

import pytest_twisted
from lxml import etree

from oxdav.store import FolderPermission
from tests.integration import carddav_support as cards
from tests.integration.harness import Server, start_server
from tests.integration.test_auth_tls import PASSWORD, add_user

D = "{DAV:}"
FOLDER = 777  # made in both contexts: the paths of A's and olga's calendars are equal
OLGA = ("olga@other.test", PASSWORD)
LOCK_PROPS = (b'<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop>'
              b'</D:propfind>')


def lockinfo(*, shared: bool = False, owner: str = "") -> bytes:
    scope = "<D:shared/>" if shared else "<D:exclusive/>"
    return (f'<D:lockinfo xmlns:D="DAV:"><D:lockscope>{scope}</D:lockscope>'
            f"<D:locktype><D:write/></D:locktype>{owner}</D:lockinfo>").encode()


def ics(uid: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n"
            "SUMMARY:w\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def path(name: str, folder: int = FOLDER) -> str:
    return f"/dav/caldav/{folder}/{name}"


async def calendar(server: Server, email: str, folder_id: int,
                   shares: Sequence[tuple[str, dict[str, object]]] = ()) -> None:
    """A calendar ``folder_id`` of the user ``email``, shared to users by e-mail."""
    async with server.service.store.transaction("test folder", write=True) as txn:
        user = await txn.user_by_email(email)
        permissions = [FolderPermission(entity=(await txn.user_by_email(other)).id, **rights)
                       for other, rights in shares]
        await (await txn.home(user.context_id, user.id)).create_folder(
            "calendar", "Work", folder_id=folder_id, permissions=permissions)


async def put(server: Server, auth, target: str, uid: str, *, token: str | None = None
              ) -> int:
    headers = {"Content-Type": "text/calendar"}
    if token is not None:
        headers["If"] = f"(<{token}>)"
    response, _ = await server.request("PUT", target, auth=auth, headers=headers,
                                       body=ics(uid))
    return int(response.code)


async def lock(server: Server, auth, target: str, body: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, str | None, bytes]:
    """LOCK ``target``: (status, token, body)."""
    response, data = await server.request("LOCK", target, auth=auth, headers=headers,
                                          body=lockinfo() if body is None else body)
    token = response.headers.getRawHeaders("lock-token", [None])[0]
    return int(response.code), token and token.strip("<>"), data


async def unlock(server: Server, auth, target: str, token: str) -> int:
    response, _ = await server.request("UNLOCK", target, auth=auth,
                                       headers={"Lock-Token": f"<{token}>"})
    return int(response.code)


async def discovered(server: Server, auth, target: str) -> list[etree._Element]:
    """The ``DAV:activelock`` elements ``auth`` sees on ``target``."""
    response, data = await server.request("PROPFIND", target, auth=auth,
                                          headers={"Depth": "0"}, body=LOCK_PROPS)
    assert response.code == 207, data
    return etree.fromstring(data).findall(f".//{D}lockdiscovery/{D}activelock")


async def two_tenants(server: Server) -> None:
    """demo (context demo) and olga (context other) each with calendar FOLDER holding
    x.ics: the same path names a different resource for each."""
    await add_user(server, "olga", context="other", mappings=("other.test",),
                   email="olga@other.test")
    for email, auth in (("demo@example.com", server.demo), ("olga@other.test", OLGA)):
        await calendar(server, email, FOLDER)
        assert await put(server, auth, path("x.ics"), f"x-{email}") == 201


async def colleagues(server: Server) -> None:
    """demo's calendar FOLDER with x.ics, shared read-only to rita and read-write to
    wade; nora has no rights on it."""
    for login in ("rita", "wade", "nora"):
        await add_user(server, login, email=f"{login}@example.com")
    await calendar(server, "demo@example.com", FOLDER, [
        ("rita@example.com", dict(read="all")),
        ("wade@example.com", dict(read="all", write="all", delete="all"))])
    assert await put(server, server.demo, path("x.ics"), "x") == 201


def auth(login: str) -> tuple[str, str]:
    return (f"{login}@example.com", PASSWORD)


@pytest_twisted.ensureDeferred
async def test_a_lock_in_one_context_leaves_the_same_path_in_another_alone(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await two_tenants(server)
        code, olgas, _ = await lock(server, OLGA, path("x.ics"))
        assert code == 200
        assert await put(server, server.demo, path("x.ics"), "x-demo@example.com") == 204
        assert await discovered(server, server.demo, path("x.ics")) == []
        code, demos, _ = await lock(server, server.demo, path("x.ics"))
        assert code == 200  # no conflict with olga's lock: another resource
        [seen] = await discovered(server, OLGA, path("x.ics"))
        assert seen.findtext(f"{D}locktoken/{D}href") == olgas != demos
        assert await unlock(server, OLGA, path("x.ics"), demos) == 409  # not on her resource
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_folder_of_another_context_is_404_for_lock_and_unlock(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await two_tenants(server)
        await calendar(server, "demo@example.com", FOLDER + 1)  # none in olga's context
        assert await put(server, server.demo, path("y.ics", FOLDER + 1), "y") == 201
        for name in ("y.ics", "new.ics"):
            code, token, _ = await lock(server, OLGA, path(name, FOLDER + 1))
            assert (code, token) == (404, None)
        code, token, _ = await lock(server, server.demo, path("y.ics", FOLDER + 1))
        assert code == 200
        assert await unlock(server, OLGA, path("y.ics", FOLDER + 1), token) == 404
        assert len(await discovered(server, server.demo, path("y.ics", FOLDER + 1))) == 1
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_reader_cannot_lock_and_sees_the_lock_without_token_or_owner(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        for name in ("x.ics", "new.ics"):  # an object, and a name not taken yet
            code, token, body = await lock(server, auth("rita"), path(name))
            assert (code, token) == (403, None)
            assert etree.fromstring(body).find(f"{D}need-privileges") is not None
        owner = "<D:owner><D:href>mailto:demo@example.com</D:href></D:owner>"
        code, token, _ = await lock(server, server.demo, path("x.ics"), lockinfo(owner=owner))
        assert code == 200
        [mine] = await discovered(server, server.demo, path("x.ics"))
        assert mine.findtext(f"{D}locktoken/{D}href") == token
        assert mine.findtext(f"{D}owner/{D}href") == "mailto:demo@example.com"
        [theirs] = await discovered(server, auth("rita"), path("x.ics"))
        assert theirs.find(f"{D}locktoken") is None and theirs.find(f"{D}owner") is None
        assert theirs.find(f"{D}lockscope/{D}exclusive") is not None
        assert await unlock(server, auth("rita"), path("x.ics"), token) == 403
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_colleague_without_rights_gets_404(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        for name in ("x.ics", "new.ics"):
            code, token, _ = await lock(server, auth("nora"), path(name))
            assert (code, token) == (404, None)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_only_the_creator_writes_with_the_token_and_unlocks(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        code, token, _ = await lock(server, server.demo, path("x.ics"))
        assert code == 200
        assert await put(server, auth("wade"), path("x.ics"), "x") == 423
        assert await put(server, auth("wade"), path("x.ics"), "x", token=token) == 423
        assert await unlock(server, auth("wade"), path("x.ics"), token) == 403
        assert await put(server, server.demo, path("x.ics"), "x", token=token) == 204
        assert await unlock(server, server.demo, path("x.ics"), token) == 204
        assert await put(server, auth("wade"), path("x.ics"), "x") == 204
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_only_the_creator_refreshes_a_lock(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.lock.maxTimeout = 10m\n")
    try:
        await colleagues(server)
        code, token, _ = await lock(server, server.demo, path("x.ics"),
                                    headers={"Timeout": "Second-60"})
        assert code == 200
        refresh = {"If": f"(<{token}>)", "Timeout": "Second-3600"}
        code, _, _ = await lock(server, auth("wade"), path("x.ics"), b"", refresh)
        assert code == 412  # RFC 4918 §9.10.2: not a lock of wade's
        code, renewed, body = await lock(server, server.demo, path("x.ics"), b"", refresh)
        assert (code, renewed) == (200, token)
        assert etree.fromstring(body).findtext(f".//{D}timeout") == "Second-600"
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_free_name_is_locked_for_its_creator_until_unlocked(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        code, token, _ = await lock(server, auth("wade"), path("new.ics"))
        assert code == 201  # RFC 4918 §9.10.4: the name was unmapped
        assert await put(server, server.demo, path("new.ics"), "n", token=token) == 423
        assert await put(server, auth("wade"), path("new.ics"), "n", token=token) == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_copy_onto_a_name_locked_by_someone_else_is_423(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        await calendar(server, "demo@example.com", FOLDER + 1,
                       [("wade@example.com", dict(read="all", write="all", delete="all"))])
        destination = path("dest.ics", FOLDER + 1)
        code, token, _ = await lock(server, server.demo, destination)
        assert code == 201
        for method in ("COPY", "MOVE"):  # RFC 4918 §7.5: the destination is written
            response, _ = await server.request(method, path("x.ics"), auth=auth("wade"),
                                               headers={"Destination": destination})
            assert response.code == 423
        response, _ = await server.request(
            "COPY", path("x.ics"), auth=server.demo,
            headers={"Destination": destination, "If": f"(<{token}>)"})
        assert response.code == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_card_is_locked_in_its_own_folder_also_through_the_aggregated_book(
        tmp_path) -> None:
    server = await cards.start_carddav(tmp_path)  # mode 0: by User-Agent
    try:
        folder = await cards.default_book(server)
        aggregated = next(iter(await cards.books(server, cards.MACOS_CONTACTS)))
        mac = {"User-Agent": cards.MACOS_CONTACTS}
        response, _ = await cards.put(server, folder + "c.vcf", cards.card("c", "C"))
        assert response.code == 201
        code, token, _ = await lock(server, server.demo, aggregated + "c.vcf", headers=mac)
        assert code == 200
        [seen] = await discovered(server, server.demo, folder + "c.vcf")
        assert seen.findtext(f"{D}locktoken/{D}href") == token
        response, _ = await cards.put(server, folder + "c.vcf", cards.card("c", "C2"))
        assert response.code == 423
        # A free name of the aggregated book is the default folder's: where the card lands.
        code, new, _ = await lock(server, server.demo, aggregated + "n.vcf", headers=mac)
        assert code == 201
        response, _ = await cards.put(server, folder + "n.vcf", cards.card("n", "N"))
        assert response.code == 423
        response, _ = await cards.put(server, aggregated + "n.vcf", cards.card("n", "N"),
                                      user_agent=cards.MACOS_CONTACTS, If=f"(<{new}>)")
        assert response.code == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_locks_are_kept_in_the_store_across_a_restart(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        code, token, _ = await lock(server, server.demo, path("x.ics"))
        assert code == 200
    finally:
        await server.stop()
    server = await start_server(tmp_path)
    try:
        assert await put(server, auth("wade"), path("x.ics"), "x") == 423
        assert await put(server, server.demo, path("x.ics"), "x", token=token) == 204
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_the_configured_timeout_cap_is_what_a_lock_gets(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.lock.maxTimeout = 5m\n")
    try:
        await colleagues(server)
        for name, asked in (("x.ics", "Second-86400"), ("new.ics", "Infinite")):
            code, _, body = await lock(server, server.demo, path(name),
                                       headers={"Timeout": asked})
            assert code in (200, 201)
            assert etree.fromstring(body).findtext(f".//{D}timeout") == "Second-300"
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_owner_element_over_the_limit_is_400(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        owner = f"<D:owner>{'a' * 5000}</D:owner>"
        code, token, body = await lock(server, server.demo, path("x.ics"),
                                       lockinfo(owner=owner))
        assert (code, token) == (400, None)
        assert b"DAV:owner" in body
        assert await discovered(server, server.demo, path("x.ics")) == []
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_user_beyond_the_lock_cap_gets_507(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.lock.maxPerUser = 2\n")
    try:
        await colleagues(server)
        codes = [(await lock(server, auth("wade"), path(name)))[0]
                 for name in ("x.ics", "a.ics", "b.ics")]
        assert codes == [200, 201, 507]
        assert (await lock(server, server.demo, path("b.ics")))[0] == 201  # demo's own count
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_reader_is_refused_on_privileges_before_locks_and_conditions(tmp_path) -> None:
    # RFC 9110 §13.2.1: a condition counts only where the request could succeed
    # without it; RFC 3744 §7.1.1: who lacks the privilege gets 403 need-privileges.
    # So rita (read-only) hears neither of demo's lock (423) nor of her If header (412).
    server = await start_server(tmp_path)
    try:
        await colleagues(server)
        await calendar(server, "rita@example.com", FOLDER + 1)
        assert await put(server, auth("rita"), path("own.ics", FOLDER + 1), "own") == 201
        code, token, _ = await lock(server, server.demo, path("x.ics"))
        assert code == 200
        with_token = {"If": f"(<{token}>)"}
        requests = [
            ("PUT", path("x.ics"), {"Content-Type": "text/calendar"}, ics("x")),
            ("PUT", path("x.ics"), {"Content-Type": "text/calendar", **with_token}, ics("x")),
            ("PUT", path("new.ics"), {"Content-Type": "text/calendar", **with_token},
             ics("n")),
            ("DELETE", path("x.ics"), {}, None),
            ("DELETE", path("x.ics"), with_token, None),
            ("PROPPATCH", path("x.ics"), {}, (
                b'<D:propertyupdate xmlns:D="DAV:" xmlns:P="urn:p"><D:set><D:prop>'
                b"<P:note>rita</P:note></D:prop></D:set></D:propertyupdate>")),
            ("MOVE", path("x.ics"), {"Destination": path("moved.ics", FOLDER + 1)}, None),
            ("COPY", path("own.ics", FOLDER + 1), {"Destination": path("x.ics")}, None),
            ("MOVE", path("own.ics", FOLDER + 1), {"Destination": path("new.ics"),
                                                    **with_token}, None),
            ("LOCK", path("x.ics"), {**with_token, "Timeout": "Second-60"}, b""),
        ]
        for method, target, headers, body in requests:
            response, data = await server.request(method, target, auth=auth("rita"),
                                                  headers=headers, body=body)
            assert response.code == 403, (method, target, headers, response.code, data)
            assert etree.fromstring(data).find(f"{D}need-privileges") is not None
        [held] = await discovered(server, server.demo, path("x.ics"))
        assert held.findtext(f"{D}locktoken/{D}href") == token
        # A writer still hears of the lock: it is what stands in their way.
        assert await put(server, auth("wade"), path("x.ics"), "x") == 423
    finally:
        await server.stop()
