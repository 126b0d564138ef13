"""Every acknowledged write survives SIGKILL, and the database stays intact.

TODO(issue 4): once the DAV tree serves PUT, switch this to the real daemon: start
``twistd -n --pidfile= oxdav -c DIR`` as a subprocess on a free port, stream
authenticated PUTs from a thread over ``http.client.HTTPSConnection``, record every
201/204, SIGKILL the daemon mid-stream, restart it and GET every acknowledged object.
Until then a writer subprocess (``durability_writer.py``) drives the store directly,
opened from the configuration exactly as the daemon opens it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from oxdav.config import load_config
from oxdav.service import data_directory
from oxdav.store import open_store
from oxdav.store.factory import sqlite_path

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("durability_writer.py")
#: Acknowledged writes to wait for before the kill (the kill lands mid-stream).
BEFORE_KILL = 40


def write_config(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "oxdav.properties").write_text(
        "oxdav.dataDir = data\noxdav.listen.https = 127.0.0.1:0\n"
        "oxdav.sqlite.synchronous = FULL\n")
    return directory


def run_and_kill(config: Path, prefix: str) -> list[str]:
    """Start a writer, SIGKILL it after ``BEFORE_KILL`` acknowledgements, return them all."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, str(WRITER), str(config), prefix],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        assert first == "ready\n", first + process.stderr.read() if process.stderr else ""
        acknowledged = [process.stdout.readline().strip() for _ in range(BEFORE_KILL)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # Lines printed before the kill are acknowledgements too.
        acknowledged += [line.strip() for line in process.stdout if line.strip()]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return acknowledged


async def stored_names(config: Path) -> set[str]:
    """Reopen the store (running its start-up recovery) and list the writer's objects."""
    snapshot = load_config(config)
    store = open_store(snapshot.get("oxdav.storage"), data_directory(snapshot), reactor)
    await store.start()
    try:
        async with store.transaction("durability check") as txn:
            context = next(c for c in await txn.contexts() if c.name == "durability")
            user = await txn.user_by_login(context.id, "writer")
            home = await txn.home(context.id, user.id)
            folder = next(f for f in await home.folders("calendar") if f.is_default)
            return {meta.name for meta in await (await home.collection(folder.id)).list()}
    finally:
        await store.stop()


def integrity(config: Path) -> list[tuple[str]]:
    snapshot = load_config(config)
    path = sqlite_path(snapshot.get("oxdav.storage"), data_directory(snapshot))
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


@pytest_twisted.ensureDeferred
async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    config = write_config(tmp_path / "etc")
    first = run_and_kill(config, "first")
    # A second writer recovers the killed one's WAL and carries on; kill it too.
    second = run_and_kill(config, "second")
    names = await stored_names(config)
    assert len(first) >= BEFORE_KILL and len(second) >= BEFORE_KILL
    assert set(first) <= names
    assert set(second) <= names
    assert integrity(config) == [("ok",)]
