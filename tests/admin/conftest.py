"""Run the real ``oxdav-admin`` in a process of its own (tests/admin/runner.py) against a
temporary config directory."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import reactor

from oxdav.config import load_config
from oxdav.storage import configured_store
from tests.admin.runner import run_admin

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """What one ``oxdav-admin`` run did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Admin:
    """Runs ``oxdav-admin -c <config>`` and opens the same store for checks."""

    config: Path

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        done = run_admin(["-c", str(self.config), *args], input=stdin, env=env, timeout=60)
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, stdin: str | None = None) -> Result:
        result = self(*args, stdin=stdin)
        assert result.code == 0, result.err
        return result

    @asynccontextmanager
    async def transaction(self, *, write: bool = False) -> Any:
        """A read (or write) transaction on the same database, from the test's reactor."""
        snapshot = load_config(self.config)
        store = configured_store(snapshot, reactor)
        await store.start()
        try:
            async with store.transaction("test check", write=write) as txn:
                yield txn
        finally:
            await store.stop()


def write_admin_config(directory: Path, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "oxdav.properties").write_text(
        "oxdav.dataDir = data\noxdav.listen.https = 127.0.0.1:0\n" + extra)
    return directory


@pytest.fixture
def admin(tmp_path: Path) -> Admin:
    return Admin(write_admin_config(tmp_path / "etc"))


@pytest.fixture(scope="session")
def acme_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory ``oxdav-admin`` leaves after creating context ``acme`` (mapping
    acme.test) and user alice, made once per session."""
    admin = Admin(write_admin_config(tmp_path_factory.mktemp("acme") / "etc"))
    admin.ok("context", "create", "acme", "--mapping", "acme.test")
    admin.ok("user", "create", "acme", "alice", "--password-stdin", "--display-name",
             "Alice Liddell", "--email", "alice@acme.test", stdin="s3cret\n")
    return admin.config / "data"


@pytest.fixture
def acme(admin: Admin, acme_data: Path) -> Admin:
    """A config with context ``acme`` (mapping acme.test) and user alice: a copy of
    ``acme_data`` of its own."""
    shutil.copytree(acme_data, admin.config / "data")
    return admin


