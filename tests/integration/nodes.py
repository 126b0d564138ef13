"""Several real daemons (``twistd -n oxdav -c DIR``) on one PostgreSQL database, and a
blocking HTTPS client for them: what a round-robin balancer in front of them would see.

    nodes = start_nodes(tmp_path, database, 2)
    status, headers, body = nodes[0].request("GET", "/dav/caldav/", auth=("alice", "pw"))
    stop_nodes(nodes)
"""

from __future__ import annotations

import base64
import http.client
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tests.admin.conftest import Admin
from tests.integration.daemon import Daemon, free_port
from tests.integration.harness import write_config

D = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"


def node_properties(database, port: int, http_port: int, extra: str = "") -> str:
    """The properties of one node: its own listeners, the shared database. Behind the
    plain listener sits a "proxy" on loopback, so that tests can name client addresses
    (``X-Forwarded-For``)."""
    return (f"oxdav.storage = {database.url}\n"
            f"oxdav.storage.passwordFile = {database.password_file}\n"
            f"oxdav.listen.http = 127.0.0.1:{http_port}\n"
            "oxdav.proxy.trusted = 127.0.0.1/32\n"
            "oxdav.storage.poolSize = 4\n" + extra)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def xml(self) -> etree._Element:
        return etree.fromstring(self.body)


@dataclass
class Node:
    """One daemon and a kept-alive connection to each of its listeners."""

    name: str
    daemon: Daemon
    http_port: int
    _connections: dict[str, http.client.HTTPConnection] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.daemon.config

    def _connection(self, kind: str) -> http.client.HTTPConnection:
        conn = self._connections.get(kind)
        if conn is None:
            if kind == "https":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection("127.0.0.1", self.daemon.port,
                                                   context=context, timeout=30)
            else:
                conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
            conn.connect()
            self._connections[kind] = conn
        return conn

    def connect(self) -> None:
        """Open the TLS connection now (so that a later request sends at once)."""
        self._connection("https")

    def request(self, method: str, path: str, *, auth: tuple[str, str] | None = None,
                headers: dict[str, str] | None = None, body: bytes | str | None = None,
                address: str | None = None) -> Response:
        """One request over HTTPS, or over the plain listener as if from ``address``
        (forwarded by the trusted proxy)."""
        kind = "https" if address is None else "http"
        all_headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            all_headers["Authorization"] = f"Basic {token}"
        if address is not None:
            all_headers["X-Forwarded-For"] = address
            all_headers["X-Forwarded-Proto"] = "https"
        data = body.encode() if isinstance(body, str) else body
        for attempt in range(2):
            conn = self._connection(kind)
            try:
                conn.request(method, path, body=data, headers=all_headers)
                response = conn.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                conn.close()
                self._connections.pop(kind, None)
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self._connections.pop(kind, None)
            return Response(response.status,
                            {k.lower(): v for k, v in response.getheaders()}, payload)
        raise AssertionError("unreachable")

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()


def start_nodes(directory: Path, database, count: int = 2, extra: str = "") -> list[Node]:
    """``count`` daemons, each with its own config and data directory (its own
    development certificate) and listeners on free ports, on ``database``; started at
    once and waited for."""
    nodes: list[Node] = []
    try:
        for index in range(count):
            port, http_port = free_port(), free_port()
            config = write_config(directory / f"node{index}",
                                  node_properties(database, port, http_port, extra))
            properties = config / "oxdav.properties"
            properties.write_text(properties.read_text()
                                  .replace("oxdav.listen.https = 127.0.0.1:0",
                                           f"oxdav.listen.https = 127.0.0.1:{port}")
                                  .replace("oxdav.demo.create = true",
                                           "oxdav.demo.create = false"))
            nodes.append(Node(f"node{index}", Daemon(config, port, wait=False), http_port))
        for node in nodes:
            node.daemon.wait_ready(timeout=60)
    except BaseException:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes: list[Node]) -> None:
    for node in nodes:
        node.close()
        node.daemon.stop()


def admin_for(node: Node) -> Admin:
    """``oxdav-admin`` on the node's configuration (the same database)."""
    return Admin(node.config)


# -- reading DAV answers --------------------------------------------------------------

SYNC = """<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
LISTING = """<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>
<D:getetag/><D:displayname/><CS:getctag/><D:sync-token/></D:prop></D:propfind>"""


@dataclass(frozen=True)
class Listing:
    """A Depth 1 PROPFIND of a collection: the collection's ctag and token, and each
    member's ETag by href."""

    ctag: str
    token: str
    members: dict[str, str]


def listing(response: Response, href: str) -> Listing:
    assert response.status == 207, (response.status, response.body[:500])
    ctag = token = ""
    members: dict[str, str] = {}
    for item in response.xml().iter(f"{D}response"):
        where = item.findtext(f"{D}href")
        if where == href:
            ctag = item.findtext(f".//{CS}getctag") or ""
            token = item.findtext(f".//{D}sync-token") or ""
        else:
            members[where] = item.findtext(f".//{D}getetag") or ""
    return Listing(ctag, token, members)


def sync_answer(response: Response) -> tuple[str, dict[str, str | None]]:
    """The new token and the changes: href → ETag, or None for a removed member."""
    assert response.status == 207, (response.status, response.body[:500])
    root = response.xml()
    changes: dict[str, str | None] = {}
    for item in root.iter(f"{D}response"):
        where = item.findtext(f"{D}href")
        status = item.findtext(f"{D}status") or ""
        changes[where] = None if " 404 " in status else item.findtext(f".//{D}getetag")
    return root.findtext(f"{D}sync-token") or "", changes
