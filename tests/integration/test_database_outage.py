"""The database going away while the daemon runs (PostgreSQL): requests are answered
503 with Retry-After (RFC 9110 §15.6.4), never 500, and served again once it is back."""

from __future__ import annotations

import psycopg
import pytest_twisted
from psycopg import sql

from tests.integration.harness import start_server

PROPFIND = b"""<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"""


def allow_connections(cluster, database, allowed: bool) -> None:
    """As the DBA: let sessions in, or refuse new ones and end those there."""
    with psycopg.connect(cluster.superuser_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
            sql.Identifier(database.name), sql.Literal(allowed)))
        if not allowed:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = %s", (database.name,))


@pytest_twisted.ensureDeferred
async def test_requests_while_the_database_is_down_get_503_with_retry_after(
        tmp_path, postgres_cluster, postgres_database) -> None:
    server = await start_server(tmp_path, f"oxdav.storage = {postgres_database.url}\n"
                                f"oxdav.storage.passwordFile = "
                                f"{postgres_database.password_file}\n")
    try:
        async def propfind(auth):
            return await server.request("PROPFIND", "/dav/caldav/", auth=auth, body=PROPFIND,
                                        headers={"Depth": "1"})

        response, _ = await propfind(server.demo)  # remembered from now on
        assert response.code == 207
        allow_connections(postgres_cluster, postgres_database, False)
        try:
            for auth in (server.demo, server.demo, (server.demo[0], "not remembered")):
                response, body = await propfind(auth)
                assert response.code == 503, (response.code, body)
                assert response.headers.getRawHeaders("retry-after"), auth
        finally:
            allow_connections(postgres_cluster, postgres_database, True)
        response, _ = await propfind(server.demo)
        assert response.code == 207
    finally:
        await server.stop()
