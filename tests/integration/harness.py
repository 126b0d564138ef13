"""Start the real oxdav service in-process (the code path of ``twistd oxdav``) and talk
HTTPS to it. Used by every integration test.

    server = await start_server(tmp_path, extra_properties="...")
    response = await server.request("PROPFIND", "/dav/", auth=server.demo, headers=...)
    await server.stop()
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import treq
from twisted.internet import reactor
from twisted.internet.ssl import Certificate, optionsForClientTLS
from twisted.web.client import Agent
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from oxdav import tap
from oxdav.directory.passwords import hash_password
from oxdav.directory.provisioning import DEMO_FILE
from oxdav.storage import data_directory

REPO = Path(__file__).resolve().parents[2]

BASE_PROPERTIES = """\
oxdav.listen.https = 127.0.0.1:0
oxdav.listen.metrics = 127.0.0.1:0
oxdav.tls.certificate = data/tls/fullchain.pem
oxdav.tls.key = data/tls/privkey.pem
oxdav.tls.generateDevCertificate = true
oxdav.hostname = localhost
oxdav.dataDir = data
oxdav.demo.create = true
"""


@cache
def password_hash(password: str) -> str:
    """The Argon2 hash of ``password`` the tests' users are made with, computed once per
    test process (each takes ~0.12 s, and the tests make hundreds of users with a few
    passwords). Users with one password share its salt; the server verifies the real
    Argon2 hash all the same, and caches credentials per user, never per hash."""
    return hash_password(password)


def write_config(directory: Path, extra_properties: str = "", *,
                 sample: Path = REPO / "etc" / "oxdav") -> Path:
    """A config directory: the shipped OX sample files plus test listeners on port 0."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "contextSets").mkdir(exist_ok=True)
    for name in ("caldav.properties", "carddav.properties", "dav.properties"):
        (directory / name).write_text((sample / name).read_text())
    for path in (sample / "contextSets").glob("*.yml"):
        (directory / "contextSets" / path.name).write_text(path.read_text())
    (directory / "oxdav.properties").write_text(BASE_PROPERTIES + extra_properties)
    return directory


@implementer(IPolicyForHTTPS)
class TrustOne:
    """Trust exactly the server's (development) certificate, for host name localhost."""

    def __init__(self, pem: bytes) -> None:
        self.root = Certificate.loadPEM(pem)

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        return optionsForClientTLS("localhost", trustRoot=self.root)


@dataclass
class Server:
    """A running service and a client that trusts its certificate."""

    service: Any
    config: Path
    demo: tuple[str, str]
    client: Any = field(init=False)

    def __post_init__(self) -> None:
        pem = (self.config / "data" / "tls" / "fullchain.pem").read_bytes()
        self.client = treq.client.HTTPClient(Agent(reactor, contextFactory=TrustOne(pem)))

    @property
    def https(self) -> str:
        return f"https://localhost:{self.service.port('https')}"

    @property
    def metrics(self) -> str:
        return f"http://127.0.0.1:{self.service.port('metrics')}"

    async def request(self, method: str, path: str, *, auth: tuple[str, str] | None = None,
                      headers: dict[str, str] | None = None, body: bytes | str | None = None
                      ) -> tuple[Any, bytes]:
        """One HTTPS request; returns (response, body bytes)."""
        all_headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            all_headers["Authorization"] = f"Basic {token}"
        data = body.encode() if isinstance(body, str) else body
        response = await self.client.request(
            method, self.https + path, headers={k: [v] for k, v in all_headers.items()},
            data=data, allow_redirects=False)
        return response, await treq.content(response)

    async def stop(self) -> None:
        await self.service.stopService()


def set_shipped(directory: Path, file: str, values: dict[str, str]) -> None:
    """Replace (or add) properties in one of the shipped files copied by
    :func:`write_config` (a property set twice across files is a config error)."""
    path = directory / file
    lines = path.read_text().splitlines()
    for name, value in values.items():
        lines = [line for line in lines if not line.startswith(name + "=")] + [f"{name}={value}"]
    path.write_text("\n".join(lines) + "\n")


#: Data directories as a first start left them, by the configuration it started with.
_FIRST_STARTS: dict[str, Path] = {}


def _config_key(directory: Path) -> str | None:
    """A digest of the files in ``directory`` (but ``data``) and their contents, or None
    when one names the directory itself (a path of the test's own: a configuration
    never seen again)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*")
                       if p.is_file() and p.relative_to(directory).parts[0] != "data"):
        content = path.read_bytes()
        if str(directory).encode() in content:
            return None
        digest.update(b"%s\0%d\0%s" % (str(path.relative_to(directory)).encode(),
                                        len(content), content))
    return digest.hexdigest()


def _keep_first_start(service: Any, data: Path, key: str) -> None:
    """Copy the data directory of a service that has just made it (SQLite's store in
    it, read through its backup API), for the next start with the same configuration."""
    snapshot = service.holder.current
    url = snapshot.get("oxdav.storage")
    if data_directory(snapshot) != data or not url.startswith("sqlite:") \
            or url.startswith("sqlite:/"):
        return
    database = data / url.removeprefix("sqlite:")
    kept = Path(tempfile.mkdtemp(prefix="oxdav-first-start-")) / "data"
    atexit.register(shutil.rmtree, kept.parent, ignore_errors=True)
    shutil.copytree(data, kept, ignore=lambda _, names: [
        n for n in names if n.startswith(database.name)])
    with closing(sqlite3.connect(database)) as source, \
            closing(sqlite3.connect(kept / database.name)) as target:
        source.backup(target)
    _FIRST_STARTS[key] = kept


async def start_server(directory: Path, extra_properties: str = "", *,
                       shipped: dict[str, dict[str, str]] | None = None) -> Server:
    """Write a config into ``directory`` (``shipped``: file → properties replaced in the
    shipped files) and start the service exactly as twistd does.

    A first start (no ``data`` yet) makes the schema, the demo account (an Argon2 hash)
    and the development certificate. A configuration started before starts from a copy
    of the data directory its first start made instead: the same store, certificate and
    demo login, as a restart finds them.
    """
    write_config(directory, extra_properties)
    for file, values in (shipped or {}).items():
        set_shipped(directory, file, values)
    data = directory / "data"
    key = None if data.exists() else _config_key(directory)
    if key in _FIRST_STARTS:
        shutil.copytree(_FIRST_STARTS[key], data)
        key = None
    options = tap.Options()
    options.parseOptions(["-c", str(directory)])
    service = tap.makeService(options)
    service.privilegedStartService()
    service.startService()
    await service.ready
    if key is not None:
        _keep_first_start(service, data, key)
    login, _, password = (data / DEMO_FILE).read_text().strip().partition(" ")
    return Server(service, directory, (login, password))
