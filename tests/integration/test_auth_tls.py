"""Authentication over the real TLS listener: login forms, contexts, throttling, 403s."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest_twisted
from twisted.internet.threads import deferToThread

from oxdav.directory import provisioning
from tests.admin.runner import run_admin
from tests.integration.harness import REPO, password_hash, start_server

PASSWORD = "correct horse"
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:x\r\n"
       "DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:w\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def add_user(server: Any, login: str, *, context: str = "demo",
                   mappings: tuple[str, ...] = (), **fields: Any) -> None:
    """Create a user (and its context when new) directly in the running server's store."""
    async with server.service.store.transaction("test user", write=True) as txn:
        found = [c for c in await txn.contexts() if c.name == context]
        ctx = found[0] if found else await txn.create_context(context, mappings=mappings)
        await provisioning.create_user(txn, ctx.id, login, password_hash=password_hash(PASSWORD),
                                       display_name=login, **fields)


@pytest_twisted.ensureDeferred
async def test_wrong_password_gets_401_with_the_realm(server) -> None:
    response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=("demo", "wrong"))
    assert response.code == 401
    assert response.headers.getRawHeaders("www-authenticate") == [
        'Basic realm="oxdav", charset="UTF-8"']


@pytest_twisted.ensureDeferred
async def test_login_in_mapping_form_works(server) -> None:
    _, password = server.demo
    response, body = await server.request("OPTIONS", "/dav/caldav/",
                                          auth=("demo@example.com", password))
    assert response.code == 200, body


@pytest_twisted.ensureDeferred
async def test_login_by_email_address_works(server) -> None:
    await add_user(server, "erin", email="erin.smith@mail.test")
    response, body = await server.request("OPTIONS", "/dav/caldav/",
                                          auth=("erin.smith@mail.test", PASSWORD))
    assert response.code == 200, body
    assert response.headers.getRawHeaders("dav")  # reached the DAV tree, authenticated


@pytest_twisted.ensureDeferred
async def test_user_of_another_context_cannot_use_this_contexts_mapping(server) -> None:
    await add_user(server, "olga", context="other", mappings=("other.test",),
                   email="olga@other.test")
    response, _ = await server.request("OPTIONS", "/dav/caldav/",
                                       auth=("olga@example.com", PASSWORD))
    assert response.code == 401
    response, body = await server.request("OPTIONS", "/dav/caldav/",
                                          auth=("olga@other.test", PASSWORD))
    assert response.code == 200, body


@pytest_twisted.ensureDeferred
async def test_repeated_failures_are_throttled_with_429(server) -> None:
    await add_user(server, "tom")
    codes = []
    for _ in range(10):
        response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=("tom", "wrong"))
        codes.append(response.code)
        if response.code == 429:
            assert int(response.headers.getRawHeaders("retry-after")[0]) >= 1
            break
    assert codes[:5] == [401] * 5
    assert codes[-1] == 429
    # While blocked even the right password is refused.
    response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=("tom", PASSWORD))
    assert response.code == 429


@pytest_twisted.ensureDeferred
async def test_disabled_user_gets_403(server) -> None:
    await add_user(server, "dora", enabled=False)
    response, body = await server.request("OPTIONS", "/dav/caldav/", auth=("dora", PASSWORD))
    assert response.code == 403
    assert b"disabled" in body


@pytest_twisted.ensureDeferred
async def test_caldav_disabled_by_user_override_leaves_carddav(server) -> None:
    await add_user(server, "carl", config={"com.openexchange.caldav.enabled": "false"})
    response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=("carl", PASSWORD))
    assert response.code == 403
    response, body = await server.request("OPTIONS", "/dav/carddav/", auth=("carl", PASSWORD))
    assert response.code == 200, body


@pytest_twisted.ensureDeferred
async def test_user_created_by_oxdav_admin_while_serving_can_log_in(server) -> None:
    # A cold start, as an operator runs it (the other tests' runs fork from a warm
    # interpreter: tests/admin/runner.py).
    command = [sys.executable, "-m", "oxdav.admin.main", "-c", str(server.config),
               "user", "create", "example.com", "ada", "--password-stdin",
               "--display-name", "Ada"]
    done = await deferToThread(
        subprocess.run, command, input=PASSWORD + "\n", capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    response, body = await server.request("OPTIONS", "/dav/carddav/",
                                          auth=("ada@example.com", PASSWORD))
    assert response.code == 200, body


async def admin(server: Any, *args: str, password: str | None = None) -> None:
    """Run oxdav-admin in another process against the running server's configuration."""
    done = await deferToThread(
        run_admin, ["-c", str(server.config), *args],
        input=None if password is None else password + "\n",
        env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60)
    assert done.returncode == 0, done.stderr


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_follows_oxdav_admin_on_the_very_next_request(server) -> None:
    # The second request on the same credentials skips the login lookup (a remembered
    # verdict, confirmed by the request's own store call); a change made by another
    # process must still decide the next request, whatever the method.
    await add_user(server, "rita", email="rita@mail.test")

    async def code(method: str, password: str = PASSWORD, login: str = "rita@mail.test"):
        response, _ = await server.request(method, "/dav/caldav/", auth=(login, password),
                                           headers={"Depth": "0"})
        return response.code

    seen = [await code("PROPFIND"), await code("PROPFIND")]
    await admin(server, "user", "change", "demo", "rita", "--disable")
    seen += [await code("PROPFIND"), await code("OPTIONS")]
    await admin(server, "user", "change", "demo", "rita", "--enable")
    seen += [await code("OPTIONS"), await code("PROPFIND")]
    await admin(server, "user", "change", "demo", "rita", "--password-stdin",
                password="new password")
    seen += [await code("PROPFIND"), await code("PROPFIND", "new password")]
    await admin(server, "user", "change", "demo", "rita", "--email", "rita@other.test")
    seen += [await code("PROPFIND", "new password"),
             await code("PROPFIND", "new password", "rita@other.test")]
    assert seen == [207, 207, 403, 403, 200, 207, 401, 207, 401, 207]

    # A write on a remembered login whose context changed meanwhile is served once the
    # login is looked up again, with its body read again from the start.
    auth = ("rita@other.test", "new password")
    _, listing = await server.request("PROPFIND", "/dav/caldav/", auth=auth,
                                      headers={"Depth": "1"})
    calendar = re.findall(rb"<[^>]*href>(/dav/caldav/\d+/)</", listing)[0].decode()
    await admin(server, "user", "change", "demo", "rita", "--display-name", "Rita R.")
    event = ICS.replace("UID:x", "UID:remembered-write")
    response, body = await server.request("PUT", calendar + "w.ics", auth=auth, body=event,
                                          headers={"Content-Type": "text/calendar"})
    assert response.code == 201, body
    response, body = await server.request("GET", calendar + "w.ics", auth=auth)
    assert b"UID:remembered-write" in body


@pytest_twisted.ensureDeferred
async def test_caldav_enabled_again_by_oxdav_admin_is_served_on_the_very_next_request(
        server) -> None:
    # CardDAV stays allowed, so the login is remembered with the user record that
    # still had CalDAV off; that record must not refuse CalDAV once it is back on.
    await add_user(server, "cleo", config={"com.openexchange.caldav.enabled": "false"})

    async def code(path: str) -> int:
        response, _ = await server.request("OPTIONS", path, auth=("cleo", PASSWORD))
        return response.code

    seen = [await code("/dav/caldav/"), await code("/dav/carddav/"), await code("/dav/caldav/")]
    await admin(server, "user", "change", "demo", "cleo",
                "--config", "com.openexchange.caldav.enabled=true")
    seen += [await code("/dav/caldav/"), await code("/dav/caldav/")]
    await admin(server, "user", "change", "demo", "cleo",
                "--config", "com.openexchange.caldav.enabled=false")
    seen += [await code("/dav/caldav/"), await code("/dav/carddav/")]
    assert seen == [403, 200, 403, 200, 200, 403, 200]


@pytest_twisted.ensureDeferred
async def test_caldav_enabled_again_in_the_store_is_served_on_the_very_next_request(
        server) -> None:
    await add_user(server, "cid", config={"com.openexchange.caldav.enabled": "false"})
    store = server.service.store

    async def set_caldav(value: str) -> None:
        async with store.transaction("test config", write=True) as txn:
            ctx = next(c for c in await txn.contexts() if c.name == "demo")
            user = await txn.user_by_login(ctx.id, "cid")
            await txn.update_user(ctx.id, user.id,
                                  config={"com.openexchange.caldav.enabled": value})

    async def code(path: str) -> int:
        response, _ = await server.request("OPTIONS", path, auth=("cid", PASSWORD))
        return response.code

    seen = [await code("/dav/carddav/"), await code("/dav/caldav/")]
    await set_caldav("true")
    seen += [await code("/dav/caldav/")]
    await set_caldav("false")
    seen += [await code("/dav/caldav/")]
    assert seen == [200, 403, 200, 403]
