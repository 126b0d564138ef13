"""A store that cannot be opened stops ``twistd oxdav`` with a non-zero exit (which
systemd's ``Restart=on-failure`` counts as a failure) and the database path in the log.

Permissions are part of the story (an unwritable data directory, a read-only
database file): see ``daemon.bound_by_permissions`` for how they bind the daemon
when the tests run as root.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_twisted

from oxdav import tap
from oxdav.store import StoreError
from oxdav.store.sqlite.migrate import migrate
from tests.integration.daemon import bound_by_permissions, start_until_ready_or_exit
from tests.integration.harness import write_config

TLS_OUTSIDE_THE_DATA_DIR = {
    "oxdav.tls.certificate = data/tls/fullchain.pem": "oxdav.tls.certificate = tls/cert.pem",
    "oxdav.tls.key = data/tls/privkey.pem": "oxdav.tls.key = tls/key.pem",
}


def config_dir(tmp_path: Path) -> Path:
    """The test config, with the TLS files outside the data directory (the
    development certificate is generated before the store opens)."""
    config = write_config(tmp_path / "etc")
    properties = config / "oxdav.properties"
    text = properties.read_text()
    for old, new in TLS_OUTSIDE_THE_DATA_DIR.items():
        assert old in text
        text = text.replace(old, new)
    properties.write_text(text)
    return config


def current_database(path: Path) -> None:
    """A database of the current schema, closed cleanly (no -wal or -shm left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    conn.close()


def corrupt_file(data: Path) -> None:
    data.mkdir()
    (data / "oxdav.sqlite3").write_bytes(b"this is no SQLite database\n" * 1000)


def data_dir_is_a_file(data: Path) -> None:
    data.write_text("a file where the data directory belongs\n")


def data_dir_unwritable(data: Path) -> None:
    data.mkdir()
    data.chmod(0o555)


def data_dir_unwritable_with_database(data: Path) -> None:
    current_database(data / "oxdav.sqlite3")
    data.chmod(0o555)


def database_read_only(data: Path) -> None:
    current_database(data / "oxdav.sqlite3")
    (data / "oxdav.sqlite3").chmod(0o444)


READ_ONLY = "attempt to write a readonly database"
UNABLE = "unable to open database file"

#: case → (preparation of the data directory, what SQLite says: any of these)
CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "corrupt file": (corrupt_file, ("file is not a database",)),
    "data directory is a file": (data_dir_is_a_file, ("not a directory",)),
    "data directory unwritable": (data_dir_unwritable, (UNABLE,)),
    # No -wal or -shm can be created next to the file.
    "data directory unwritable, database present": (
        data_dir_unwritable_with_database, (READ_ONLY, UNABLE)),
    "database read-only": (database_read_only, (READ_ONLY,)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_store_that_cannot_be_opened_exits_non_zero_naming_the_database(
        tmp_path: Path, case: str) -> None:
    prepare, reasons = CASES[case]
    config = config_dir(tmp_path)
    data = config / "data"
    prepare(data)
    try:
        status, output = start_until_ready_or_exit(config)
    finally:
        if data.is_dir():
            data.chmod(0o755)
    assert status is not None, f"the daemon started:\n{output[-3000:]}"
    assert status != 0, output[-3000:]
    assert f"cannot open the database {data / 'oxdav.sqlite3'}: " in output, output[-3000:]
    assert any(reason in output for reason in reasons), output[-3000:]
    assert "oxdav ready" not in output


def test_the_daemon_really_cannot_write_what_the_tests_make_read_only(tmp_path: Path) -> None:
    """The premise of the permission cases, so that they cannot pass vacuously."""
    data = tmp_path / "data"
    database_read_only(data)
    probe = subprocess.run(bound_by_permissions(
        ["sh", "-c", f"echo >> '{data / 'oxdav.sqlite3'}'"]), capture_output=True, check=False)
    assert probe.returncode != 0


@pytest_twisted.ensureDeferred
async def test_failed_start_on_a_running_reactor_fails_ready_and_readiness(
        tmp_path: Path) -> None:
    """In-process (the reactor already runs) a failed start must not stop the reactor:
    it fails ``ready``, and /readyz keeps saying the store is not ready."""
    config = config_dir(tmp_path)
    corrupt_file(config / "data")
    options = tap.Options()
    options.parseOptions(["-c", str(config)])
    service = tap.makeService(options)
    service.privilegedStartService()
    service.startService()
    try:
        with pytest.raises(StoreError, match="file is not a database"):
            await service.ready
        assert (await service.readiness.evaluate())["store"] == "not ready"
    finally:
        await service.stopService()
