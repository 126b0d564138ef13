"""The real service on PostgreSQL (``oxdav.storage = postgresql://…`` with the password
in ``oxdav.storage.passwordFile``): clients work over TLS as on SQLite, ``/readyz``
asks the database, ``--check-config`` checks the settings without connecting, and a
database that cannot be reached stops the daemon naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_twisted
import treq
from lxml import etree

from tests.integration.daemon import start_until_ready_or_exit
from tests.integration.harness import start_server, write_config
from tests.postgres_cluster import free_port

D = "{DAV:}"
REPO = Path(__file__).resolve().parents[2]
EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:pg-1\r
DTSTAMP:20240101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:On PostgreSQL\r
END:VEVENT\r
END:VCALENDAR\r
"""
SYNC = b"""<D:sync-collection xmlns:D="DAV:"><D:sync-token>%s</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
#: Tomorrow, inside the sync window that limits Depth 1 listings.
TOMORROW = datetime.now(UTC) + timedelta(days=1)
EVENT = EVENT.format(start=TOMORROW.strftime("%Y%m%dT100000Z"),
                     end=TOMORROW.strftime("%Y%m%dT110000Z"))
PROPFIND = b"""<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:displayname/>
</D:prop></D:propfind>"""


def storage(database, password_file: Path | None = None) -> str:
    return (f"oxdav.storage = {database.url}\n"
            f"oxdav.storage.passwordFile = {password_file or database.password_file}\n")


async def default_calendar(server) -> int:
    async with server.service.store.transaction("test") as txn:
        user = await txn.user_by_email("demo@example.com")
        home = await txn.home(user.context_id, user.id)
        return next(f.id for f in await home.folders("calendar") if f.owner_id == user.id)


@pytest_twisted.ensureDeferred
async def test_clients_work_over_tls_on_postgresql(tmp_path, postgres_database) -> None:
    server = await start_server(tmp_path, storage(postgres_database))
    try:
        calendar = await default_calendar(server)
        href = f"/dav/caldav/{calendar}/"
        response, data = await server.request("REPORT", href, auth=server.demo,
                                              headers={"Depth": "1"}, body=SYNC % b"")
        assert response.code == 207, data
        token = etree.fromstring(data).findtext(f"{D}sync-token").encode()

        response, _ = await server.request(
            "PUT", href + "pg-1.ics", auth=server.demo, body=EVENT,
            headers={"Content-Type": "text/calendar", "If-None-Match": "*"})
        assert response.code == 201
        etag = response.headers.getRawHeaders("ETag")[0]
        response, _ = await server.request(
            "PUT", href + "pg-1.ics", auth=server.demo, body=EVENT,
            headers={"Content-Type": "text/calendar", "If-None-Match": "*"})
        assert response.code == 412

        response, data = await server.request("GET", href + "pg-1.ics", auth=server.demo)
        assert response.code == 200 and b"SUMMARY:On PostgreSQL" in data
        assert response.headers.getRawHeaders("ETag") == [etag]

        response, data = await server.request("PROPFIND", href, auth=server.demo,
                                              headers={"Depth": "1"}, body=PROPFIND)
        assert response.code == 207
        hrefs = [e.text for e in etree.fromstring(data).iter(f"{D}href")]
        assert href + "pg-1.ics" in hrefs

        response, data = await server.request("REPORT", href, auth=server.demo,
                                              headers={"Depth": "1"}, body=SYNC % token)
        assert response.code == 207
        changed = {r.findtext(f"{D}href"): r.findtext(f"{D}propstat/{D}prop/{D}getetag")
                   for r in etree.fromstring(data).iter(f"{D}response")}
        assert changed == {href + "pg-1.ics": etag}

        response, _ = await server.request("DELETE", href + "pg-1.ics", auth=server.demo,
                                           headers={"If-Match": etag})
        assert response.code == 204
    finally:
        await server.stop()
    assert not (tmp_path / "data" / "oxdav.sqlite3").exists()


@pytest_twisted.ensureDeferred
async def test_readyz_asks_the_database(tmp_path, postgres_database, postgres_cluster
                                        ) -> None:
    server = await start_server(tmp_path, storage(postgres_database))
    try:
        response = await treq.get(server.metrics + "/readyz")
        assert response.code == 200, await treq.text_content(response)
        postgres_cluster.drop_database(postgres_database.name)  # ends every session
        response = await treq.get(server.metrics + "/readyz")
        text = await treq.text_content(response)
        assert response.code == 503
        assert "database: " in text and postgres_database.name in text, text
    finally:
        await server.stop()


def check_config(config: Path) -> subprocess.CompletedProcess:
    twistd = Path(sys.executable).parent / "twistd"
    return subprocess.run([str(twistd), "oxdav", "-c", str(config), "--check-config"],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)


def test_check_config_checks_the_storage_settings_without_connecting(tmp_path) -> None:
    port = free_port()  # nothing listens there: no connection is tried
    (tmp_path / "pw").write_text("secret\n")
    config = write_config(tmp_path / "etc", f"oxdav.storage = postgresql://oxdav@127.0.0.1:"
                          f"{port}/oxdav?sslmode=disable\noxdav.storage.passwordFile = "
                          f"{tmp_path / 'pw'}\n")
    result = check_config(config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (f"storage: PostgreSQL oxdav@127.0.0.1:{port}/oxdav (password from "
            f"{tmp_path / 'pw'}, up to 10 connections)") in result.stdout
    assert "secret" not in result.stdout


def test_check_config_refuses_an_unreadable_password_file(tmp_path) -> None:
    config = write_config(tmp_path / "etc", "oxdav.storage = postgresql://oxdav@db/oxdav\n"
                          f"oxdav.storage.passwordFile = {tmp_path / 'missing'}\n")
    result = check_config(config)
    assert result.returncode != 0
    assert f"cannot read the database password file {tmp_path / 'missing'}" in (
        result.stdout + result.stderr)


def test_check_config_refuses_a_password_in_the_url(tmp_path) -> None:
    config = write_config(tmp_path / "etc",
                          "oxdav.storage = postgresql://oxdav:hunter2@db/oxdav\n")
    result = check_config(config)
    assert result.returncode != 0
    assert "must not hold the password" in result.stdout + result.stderr


def test_a_database_that_cannot_be_reached_stops_the_daemon_naming_it(tmp_path) -> None:
    port = free_port()
    (tmp_path / "pw").write_text("secret\n")
    config = write_config(tmp_path / "etc", f"oxdav.storage = postgresql://oxdav@127.0.0.1:"
                          f"{port}/oxdav\noxdav.storage.passwordFile = {tmp_path / 'pw'}\n")
    status, output = start_until_ready_or_exit(config)
    assert status is not None and status != 0, output[-3000:]
    assert f"cannot connect to the database oxdav@127.0.0.1:{port}/oxdav: " in output
    assert "oxdav ready" not in output and "secret" not in output


def test_a_wrong_password_stops_the_daemon_naming_the_database(tmp_path,
                                                               postgres_database) -> None:
    (tmp_path / "pw").write_text("wrong-password-17\n")
    config = write_config(tmp_path / "etc", storage(postgres_database, tmp_path / "pw"))
    status, output = start_until_ready_or_exit(config)
    assert status is not None and status != 0, output[-3000:]
    name = postgres_database.url.removeprefix("postgresql://")
    assert f"cannot connect to the database {name}: " in output
    assert "password authentication failed" in output
    assert "wrong-password-17" not in output


@pytest_twisted.ensureDeferred
async def test_a_name_with_a_nul_character_is_not_found_never_a_500(tmp_path,
                                                                    postgres_database) -> None:
    # PostgreSQL text cannot hold NUL: such a name names nothing (SQLite stores it).
    server = await start_server(tmp_path, storage(postgres_database))
    try:
        href = f"/dav/caldav/{await default_calendar(server)}/a%00b.ics"
        for method, body in [("GET", None), ("PUT", EVENT), ("DELETE", None)]:
            response, _ = await server.request(method, href, auth=server.demo, body=body,
                                               headers={"Content-Type": "text/calendar"})
            assert response.code == 404, method
        response, _ = await server.request("GET", "/dav/caldav/", auth=("a\x00b", "x"))
        assert response.code == 401
    finally:
        await server.stop()
