"""``oxdav-admin`` on PostgreSQL: the same commands, unchanged, through ``open_store``."""

from __future__ import annotations

from pathlib import Path

import pytest_twisted

from tests.admin.conftest import Admin, write_admin_config


def postgres_admin(tmp_path: Path, database) -> Admin:
    return Admin(write_admin_config(
        tmp_path / "etc", f"oxdav.storage = {database.url}\n"
        f"oxdav.storage.passwordFile = {database.password_file}\n"))


@pytest_twisted.ensureDeferred
async def test_admin_creates_a_context_and_a_user_on_postgresql(tmp_path, postgres_database):
    admin = postgres_admin(tmp_path, postgres_database)
    admin.ok("context", "create", "acme", "--mapping", "acme.test")
    admin.ok("user", "create", "acme", "alice", "--password-stdin", "--display-name",
             "Alice Liddell", "--email", "alice@acme.test", stdin="s3cret\n")
    folders = admin.ok("folder", "list", "acme", "--user", "alice", "--json").json()
    assert {f["module"] for f in folders if f["default"]} == {"calendar", "tasks", "contacts"}
    assert admin("user", "create", "acme", "ALICE", "--password", "x").code == 3
    async with admin.transaction() as txn:
        context = await txn.context_by_mapping("ACME.test")
        alice = await txn.user_by_login(context.id, "alice")
    assert (context.name, alice.display_name, alice.email) == (
        "acme", "Alice Liddell", "alice@acme.test")
    assert not (tmp_path / "etc" / "data" / "oxdav.sqlite3").exists()


def test_admin_names_the_database_it_cannot_reach(tmp_path, postgres_database):
    admin = Admin(write_admin_config(
        tmp_path / "etc", f"oxdav.storage = {postgres_database.url}\n"
        f"oxdav.storage.passwordFile = {tmp_path / 'missing'}\n"))
    result = admin("context", "list")
    assert result.code != 0
    assert f"cannot read the database password file {tmp_path / 'missing'}" in result.err
