"""Start the compared servers as subprocesses on loopback and find their collections.

- ``oxdav``: ``twistd -n oxdav -c <tmp config>`` (the repository's own venv, the checkout
  on PYTHONPATH as ``./dev`` does), its embedded default (SQLite, synchronous=FULL) with
  a plain listener; the bench is a trusted proxy on loopback (``oxdav.proxy.trusted``
  defaults to ``127.0.0.1, ::1``) and sends ``X-Forwarded-Proto: https``.
- ``oxdav-tls``: the same, over the TLS listener with its development certificate.
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
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Target", "Running", "SERVERS", "start", "stop", "free_port", "write_oxdav_config"]

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
SERVERS = ("oxdav", "oxdav-tls", "radicale", "xandikos")
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


@dataclass
class Running:
    """A started server process."""

    target: Target
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        """The server's process id (what CPU and RSS are read from)."""
        return self.process.pid


def free_port() -> int:
    """A currently free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def write_oxdav_config(directory: Path, data_dir: Path, *, https: int, http: int,
                       metrics: int) -> Path:
    """A config dir: the shipped ``etc/oxdav`` with data dir and ports overridden."""
    sample = REPO / "etc" / "oxdav"
    (directory / "contextSets").mkdir(parents=True, exist_ok=True)
    for path in sample.glob("*.properties"):
        if path.name != "oxdav.properties":
            (directory / path.name).write_text(path.read_text())
    for path in (sample / "contextSets").glob("*.yml"):
        (directory / "contextSets" / path.name).write_text(path.read_text())
    lines = [line for line in (sample / "oxdav.properties").read_text().splitlines()
             if not line.startswith(("oxdav.listen.", "oxdav.dataDir", "oxdav.tls.certificate",
                                     "oxdav.tls.key"))]
    lines += [f"oxdav.listen.https = 127.0.0.1:{https}",
              f"oxdav.listen.http = 127.0.0.1:{http}",
              f"oxdav.listen.metrics = 127.0.0.1:{metrics}",
              f"oxdav.dataDir = {data_dir}",
              f"oxdav.tls.certificate = {data_dir / 'tls' / 'fullchain.pem'}",
              f"oxdav.tls.key = {data_dir / 'tls' / 'privkey.pem'}"]
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


async def _start(name: str, workdir: Path, spawned: list[asyncio.subprocess.Process]
                 ) -> Running:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    env = dict(os.environ)
    if name in ("oxdav", "oxdav-tls"):
        data = workdir / "data"
        https, http, metrics = free_port(), free_port(), free_port()
        config = write_oxdav_config(workdir / "etc", data, https=https, http=http,
                                    metrics=metrics)
        env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"]
                                         if env.get("PYTHONPATH") else "")
        twistd = Path(sys.executable).parent / "twistd"
        profile = ["--profile", str(workdir / "oxdav.pstats"), "--profiler", "cprofile",
                   "--savestats"] if PROFILE_OXDAV else []
        # As systemd/oxdav.service runs it: the journald observer, access log on.
        process = await _spawn([str(twistd), "-n", "--pidfile=", *profile,
                                "--logger=oxdav.logging.observer", "oxdav",
                                "-c", str(config)], log, env, workdir)
        spawned.append(process)
        await _wait_http(f"http://127.0.0.1:{metrics}/readyz", process, log,
                         any_status=False)
        login, _, password = (data / "demo-login.txt").read_text().strip().partition(" ")
        headers = {"Authorization": _basic(login, password)}
        if name == "oxdav":
            headers["X-Forwarded-Proto"] = "https"
            target = Target(name, f"http://127.0.0.1:{http}", headers)
        else:
            context = ssl.create_default_context(cafile=str(data / "tls" / "fullchain.pem"))
            context.check_hostname = False  # the dev certificate names localhost
            target = Target(name, f"https://127.0.0.1:{https}", headers, context,
                            cafile=str(data / "tls" / "fullchain.pem"))
        target.home, target.card_home = "/dav/caldav/", "/dav/carddav/"
        return Running(target, process, log)
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
    """SIGTERM the server, then SIGKILL after 15 s."""
    process = running.process
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()


MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:set><D:prop><D:displayname>Bench</D:displayname>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
 </D:prop></D:set></C:mkcalendar>"""

MKCOL_ADDRESSBOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
 <D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
 <D:displayname>Bench</D:displayname></D:prop></D:set></D:mkcol>"""
