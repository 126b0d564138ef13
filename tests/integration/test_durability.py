"""Every PUT answered 201/204 survives SIGKILL of the daemon, and the database stays
intact (issue 3; DESIGN.md §7: ``synchronous=FULL``, a write is acknowledged only after
its transaction committed).

The real daemon runs as a subprocess (``twistd -n oxdav -c DIR``); a client thread
streams authenticated PUTs over TLS and records every acknowledged name; the daemon is
killed with SIGKILL mid-stream, restarted on the same data, and every acknowledged
object is read back with GET. A second round kills the restarted daemon too (recovery
of a WAL left by a kill, then another kill).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

from oxdav.config import load_config
from oxdav.service import data_directory
from oxdav.store.factory import sqlite_path
from tests.integration.daemon import Daemon, free_port, wait_for
from tests.integration.harness import write_config

#: Acknowledged PUTs to wait for before the kill (the kill lands mid-stream).
BEFORE_KILL = 40

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//oxdav//durability test//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260101T100000Z\r
DTEND:20260101T110000Z\r
SUMMARY:durability {uid}\r
END:VEVENT\r
END:VCALENDAR\r
"""


class PutStream(threading.Thread):
    """PUTs ``<prefix>-<n>.ics`` one after the other until the connection dies."""

    def __init__(self, daemon: Daemon, auth: dict[str, str], folder: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.target, self.auth, self.folder, self.prefix = daemon, auth, folder, prefix
        self.acknowledged: list[str] = []
        self.refused: list[int] = []

    def run(self) -> None:
        conn = self.target.connection()
        n = 0
        try:
            while True:
                name = f"{self.prefix}-{n}.ics"
                conn.request("PUT", f"{self.folder}{name}",
                             EVENT.format(uid=f"{self.prefix}-{n}").encode(),
                             {**self.auth, "Content-Type": "text/calendar",
                              "If-None-Match": "*"})
                response = conn.getresponse()
                response.read()
                if response.status in (201, 204):
                    self.acknowledged.append(name)
                else:
                    self.refused.append(response.status)
                    return
                n += 1
        except OSError:
            return  # the daemon was killed: the connection is gone
        finally:
            conn.close()


def default_calendar(daemon: Daemon, auth: dict[str, str]) -> str:
    """The href of the demo user's first calendar collection."""
    conn = daemon.connection()
    conn.request("PROPFIND", "/dav/caldav/", b"", {**auth, "Depth": "1"})
    body = conn.getresponse().read().decode()
    conn.close()
    hrefs = re.findall(r"<(?:\w+:)?href>(/dav/caldav/\d+/)</(?:\w+:)?href>", body)
    assert hrefs, body
    return hrefs[0]


def run_and_kill(daemon: Daemon, auth: dict[str, str], folder: str, prefix: str) -> list[str]:
    stream = PutStream(daemon, auth, folder, prefix)
    stream.start()
    wait_for(lambda: len(stream.acknowledged) >= BEFORE_KILL or not stream.is_alive(),
             f"{BEFORE_KILL} acknowledged PUTs", timeout=60)
    assert daemon.kill() == -9
    stream.join(timeout=30)
    assert not stream.refused, stream.refused
    assert len(stream.acknowledged) >= BEFORE_KILL
    return stream.acknowledged


def stored(daemon: Daemon, auth: dict[str, str], folder: str, names: list[str]) -> list[str]:
    """The names a GET finds, byte-checked against what was PUT."""
    found = []
    conn = daemon.connection()
    for name in names:
        conn.request("GET", f"{folder}{name}", headers=auth)
        response = conn.getresponse()
        body = response.read()
        if response.status == 200 and body == EVENT.format(uid=name[:-4]).encode():
            found.append(name)
    conn.close()
    return found


def test_acknowledged_puts_survive_sigkill_of_the_daemon(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path / "etc", "oxdav.sqlite.synchronous = FULL\n")
    properties = config / "oxdav.properties"
    properties.write_text(properties.read_text().replace(
        "oxdav.listen.https = 127.0.0.1:0\noxdav.listen.metrics = 127.0.0.1:0",
        f"oxdav.listen.https = 127.0.0.1:{port}\noxdav.listen.metrics ="))
    data = config / "data"

    first = Daemon(config, port)
    auth = first.demo_auth(data)
    folder = default_calendar(first, auth)
    acknowledged = run_and_kill(first, auth, folder, "first")

    second = Daemon(config, port)
    acknowledged += run_and_kill(second, auth, folder, "second")

    third = Daemon(config, port)
    try:
        assert stored(third, auth, folder, acknowledged) == acknowledged
    finally:
        third.stop()
    snapshot = load_config(config)
    database = sqlite_path(snapshot.get("oxdav.storage"), data_directory(snapshot))
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
