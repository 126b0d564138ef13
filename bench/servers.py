"""Start the compared servers as subprocesses on loopback and find their collections.

- ``oxdav``: ``twistd -n oxdav -c <tmp config>`` (the repository's own venv, the checkout
  on PYTHONPATH as ``./dev`` does), its embedded default (SQLite, synchronous=FULL) with
  a plain listener; the bench is a trusted proxy on loopback (``oxdav.proxy.trusted``
  defaults to ``127.0.0.1, ::1``) and sends ``X-Forwarded-Proto: https``.
- ``oxdav-tls``: the same, over the TLS listener with its development certificate.
- ``oxdav-pg``: ``oxdav`` on PostgreSQL (``oxdav.storage = postgresql://…``), a
  durable cluster (fsync and synchronous commit on, as SQLite's ``synchronous=FULL``)
  started from the machine's server binaries for the run (tests/postgres_cluster.py).
- ``oxdav-pg2``: two ``oxdav`` nodes on one such database (one data directory, as a
  shared volume would be); the client sends each request to the next node in turn, as
  a balancer without stickiness does. CPU and RSS are the two nodes' sums.
- ``radicale`` / ``xandikos``: from ``.venv-bench``, plain HTTP, default storage.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Target", "Running", "SERVERS", "OXDAV", "start", "stop", "shutdown", "free_port",
           "write_oxdav_config"]

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
SERVERS = ("oxdav", "oxdav-tls", "oxdav-pg", "oxdav-pg2", "radicale", "xandikos")
OXDAV = ("oxdav", "oxdav-tls", "oxdav-pg", "oxdav-pg2")
PROFILE_OXDAV = False
"""Run oxdav under twistd's cProfile (``--profile``): the reactor thread's profile is
written to ``<workdir>/oxdav.pstats`` at shutdown. Timings are then not comparable."""


@dataclass
class Target:
    """Where and how the load generator talks to one server.

    Attributes:
        name: the column name.
        base_url: scheme, host and port.
        headers: sent with every request.
        ssl_context: trust for TLS, or None.
        cafile: the certificate file ``ssl_context`` trusts, or None.
        calendar: path of the calendar collection (trailing slash), set by discovery.
        addressbook: path of the address book collection, set by discovery.
        home: the calendar home to discover the calendar in (oxdav) or None.
        card_home: the address book home (oxdav) or None.
        create: collections to create before the run: ``(method, path, body)``.
        nodes: every node's base URL when several serve one store (empty: just
            ``base_url``).
    """

    name: str
    base_url: str
    headers: dict[str, str]
    ssl_context: ssl.SSLContext | None = None
    calendar: str = ""
    addressbook: str = ""
    home: str | None = None
    card_home: str | None = None
    create: list[tuple[str, str, bytes]] = field(default_factory=list)
    cafile: str | None = None
    nodes: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        """The base URLs requests go to, in turn."""
        return self.nodes or [self.base_url]


@dataclass
class Running:
    """A started server: its process, and the other nodes' when it has several."""

    target: Target
    process: asyncio.subprocess.Process
    log: Path
    others: list[asyncio.subprocess.Process] = field(default_factory=list)
    database: str | None = None

    @property
    def pids(self) -> list[int]:
        """The server's process ids (what CPU and RSS are read from)."""
        return [self.process.pid, *(other.pid for other in self.others)]


def free_port() -> int:
    """A currently free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def write_oxdav_config(directory: Path, data_dir: Path, *, https: int, http: int,
                       metrics: int, storage: list[str] | None = None) -> Path:
    """A config dir: the shipped ``etc/oxdav`` with data dir and ports overridden, and
    ``storage`` (``oxdav.storage…`` lines) when not the embedded default."""
    sample = REPO / "etc" / "oxdav"
    (directory / "contextSets").mkdir(parents=True, exist_ok=True)
    for path in sample.glob("*.properties"):
        if path.name != "oxdav.properties":
            (directory / path.name).write_text(path.read_text())
    for path in (sample / "contextSets").glob("*.yml"):
        (directory / "contextSets" / path.name).write_text(path.read_text())
    replaced = ("oxdav.listen.", "oxdav.dataDir", "oxdav.tls.certificate", "oxdav.tls.key",
                *(("oxdav.storage",) if storage else ()))
    lines = [line for line in (sample / "oxdav.properties").read_text().splitlines()
             if not line.startswith(replaced)]
    lines += [f"oxdav.listen.https = 127.0.0.1:{https}",
              f"oxdav.listen.http = 127.0.0.1:{http}",
              f"oxdav.listen.metrics = 127.0.0.1:{metrics}",
              f"oxdav.dataDir = {data_dir}",
              f"oxdav.tls.certificate = {data_dir / 'tls' / 'fullchain.pem'}",
              f"oxdav.tls.key = {data_dir / 'tls' / 'privkey.pem'}", *(storage or [])]
    (directory / "oxdav.properties").write_text("\n".join(lines) + "\n")
    return directory


async def _spawn(argv: list[str], log: Path, env: dict[str, str], cwd: Path
                 ) -> asyncio.subprocess.Process:
    handle = log.open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            *argv, stdout=handle, stderr=asyncio.subprocess.STDOUT, env=env, cwd=cwd,
            start_new_session=True)
    finally:
        handle.close()


async def _wait_http(url: str, process: asyncio.subprocess.Process, log: Path,
                     timeout: float = 60, *, any_status: bool = True) -> None:
    """Poll ``url`` until it answers (any HTTP status, or 200 if not ``any_status``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            await asyncio.to_thread(urllib.request.urlopen, url, timeout=2)
            return
        except urllib.error.HTTPError:
            if any_status:
                return
            await asyncio.sleep(0.2)
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout}s; see {log}")


async def start(name: str, workdir: Path) -> Running:
    """Start server ``name`` with fresh state under ``workdir``; a server that fails to
    come up is stopped again before the error is raised."""
    spawned: list[asyncio.subprocess.Process] = []
    try:
        return await _start(name, workdir, spawned)
    except BaseException:
        for process in spawned:
            if process.returncode is None:
                process.kill()
                await process.wait()
        raise


_cluster: Any = None


async def _postgres_database(workdir: Path) -> tuple[str, list[str]]:
    """A fresh database in the run's PostgreSQL cluster (started on first use, on disk in
    the temporary directory, which its unprivileged server account can reach): its name
    and the ``oxdav.storage`` lines."""
    global _cluster
    if _cluster is None:
        from tests.postgres_cluster import PostgresCluster

        _cluster = await asyncio.to_thread(PostgresCluster.start,
                                           Path(tempfile.gettempdir()), durable=True)
    database = await asyncio.to_thread(_cluster.new_database)
    return database.name, [f"oxdav.storage = {database.url}",
                           f"oxdav.storage.passwordFile = {database.password_file}"]


def shutdown() -> None:
    """Stop the PostgreSQL cluster of the run, if one was started."""
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


async def _start_oxdav(workdir: Path, config_name: str, data: Path, env: dict[str, str],
                       storage: list[str] | None, spawned: list[asyncio.subprocess.Process]
                       ) -> tuple[asyncio.subprocess.Process, Path, int, int]:
    """One ``twistd oxdav`` node, ready: its process, log, HTTPS and HTTP ports."""
    https, http, metrics = free_port(), free_port(), free_port()
    config = write_oxdav_config(workdir / config_name, data, https=https, http=http,
                                metrics=metrics, storage=storage)
    twistd = Path(sys.executable).parent / "twistd"
    node = "" if config_name == "etc" else config_name.removeprefix("etc")
    log = workdir / f"server{node}.log"
    profile = ["--profile", str(workdir / f"oxdav{node}.pstats"), "--profiler", "cprofile",
               "--savestats"] if PROFILE_OXDAV else []
    # As systemd/oxdav.service runs it: the journald observer, access log on.
    process = await _spawn([str(twistd), "-n", "--pidfile=", *profile,
                            "--logger=oxdav.logging.observer", "oxdav",
                            "-c", str(config)], log, env, workdir)
    spawned.append(process)
    await _wait_http(f"http://127.0.0.1:{metrics}/readyz", process, log, any_status=False)
    return process, log, https, http


async def _start(name: str, workdir: Path, spawned: list[asyncio.subprocess.Process]
                 ) -> Running:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    env = dict(os.environ)
    if name in OXDAV:
        data = workdir / "data"
        env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"]
                                         if env.get("PYTHONPATH") else "")
        database, storage = (await _postgres_database(workdir) if name.startswith("oxdav-pg")
                             else (None, None))
        process, log, https, http = await _start_oxdav(workdir, "etc", data, env, storage,
                                                       spawned)
        others, nodes = [], []
        if name == "oxdav-pg2":
            # The second node starts on the store the first one has set up.
            other, _, _, other_http = await _start_oxdav(workdir, "etc-node2", data, env,
                                                         storage, spawned)
            others.append(other)
            nodes = [f"http://127.0.0.1:{http}", f"http://127.0.0.1:{other_http}"]
        login, _, password = (data / "demo-login.txt").read_text().strip().partition(" ")
        headers = {"Authorization": _basic(login, password)}
        if name == "oxdav-tls":
            context = ssl.create_default_context(cafile=str(data / "tls" / "fullchain.pem"))
            context.check_hostname = False  # the dev certificate names localhost
            target = Target(name, f"https://127.0.0.1:{https}", headers, context,
                            cafile=str(data / "tls" / "fullchain.pem"))
        else:
            headers["X-Forwarded-Proto"] = "https"
            target = Target(name, f"http://127.0.0.1:{http}", headers, nodes=nodes)
        target.home, target.card_home = "/dav/caldav/", "/dav/carddav/"
        return Running(target, process, log, others, database)
    if name == "radicale":
        port = free_port()
        argv = [str(BENCH_VENV / "bin" / "radicale"), "--config", "",
                "--server-hosts", f"127.0.0.1:{port}",
                "--storage-filesystem-folder", str(workdir / "collections"),
                "--auth-type", "none", "--logging-level", "warning"]
        process = await _spawn(argv, log, env, workdir)
        spawned.append(process)
        await _wait_http(f"http://127.0.0.1:{port}/", process, log)
        target = Target(name, f"http://127.0.0.1:{port}",
                        {"Authorization": _basic("bench", "bench")},
                        calendar="/bench/calendar/", addressbook="/bench/contacts/")
        target.create = [("PROPFIND", "/bench/", b""),
                         ("MKCALENDAR", target.calendar, MKCALENDAR),
                         ("MKCOL", target.addressbook, MKCOL_ADDRESSBOOK)]
        return Running(target, process, log)
    if name == "xandikos":
        port = free_port()
        env["XDG_DATA_HOME"] = str(workdir / "state")
        argv = [str(BENCH_VENV / "bin" / "xandikos"), "serve", "-d", str(workdir / "dav"),
                "--defaults", "--current-user-principal", "/bench/", "-l", "127.0.0.1",
                "-p", str(port), "--no-detect-systemd"]
        process = await _spawn(argv, log, env, workdir)
        spawned.append(process)
        await _wait_http(f"http://127.0.0.1:{port}/", process, log)
        target = Target(name, f"http://127.0.0.1:{port}", {},
                        calendar="/bench/calendars/calendar/",
                        addressbook="/bench/contacts/addressbook/")
        return Running(target, process, log)
    raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVERS)}")


async def stop(running: Running) -> None:
    """SIGTERM the server's processes, then SIGKILL after 15 s; drop its database."""
    for process in (running.process, *running.others):
        if process.returncode is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    if running.database is not None and _cluster is not None:
        await asyncio.to_thread(_cluster.drop_database, running.database)


MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:set><D:prop><D:displayname>Bench</D:displayname>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
 </D:prop></D:set></C:mkcalendar>"""

MKCOL_ADDRESSBOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
 <D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
 <D:displayname>Bench</D:displayname></D:prop></D:set></D:mkcol>"""
