"""``oxdav-admin store copy --to URL``: the target's password from a file or the
environment, the target named wrongly, a copy between two SQLite files."""

from __future__ import annotations

import os
import subprocess

from tests.admin.conftest import REPO, Admin, write_admin_config
from tests.admin.runner import run_admin


def run_with_env(admin: Admin, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_admin(["-c", str(admin.config), *args], timeout=60,
                     env={**os.environ, "PYTHONPATH": str(REPO), **env})


def test_the_targets_password_may_come_from_the_environment(acme, tmp_path,
                                                                  postgres_database) -> None:
    password = postgres_database.password_file.read_text().strip()
    done = run_with_env(acme, {"PGPASSWORD": password}, "store", "copy", "--to",
                        postgres_database.url)
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr
    target = Admin(write_admin_config(
        tmp_path / "target", f"oxdav.storage = {postgres_database.url}\n"
        f"oxdav.storage.passwordFile = {postgres_database.password_file}\n"))
    users = target.ok("user", "list", "acme", "--json").json()
    assert [u["login"] for u in users] == ["alice"]


def test_a_wrong_password_names_the_database_and_copies_nothing(acme, tmp_path,
                                                                postgres_database) -> None:
    (tmp_path / "wrong").write_text("not the password\n")
    result = acme("store", "copy", "--to", postgres_database.url, "--password-file",
                  str(tmp_path / "wrong"))
    assert result.code == 4
    assert "password authentication failed" in result.err
    assert "not the password" not in result.err


def test_a_target_url_no_engine_takes_is_a_usage_error(acme) -> None:
    result = acme("store", "copy", "--to", "mysql://db/oxdav")
    assert result.code == 1 and "unsupported storage URL" in result.err
    result = acme("store", "copy", "--to", "sqlite:oxdav.sqlite3")
    assert result.code == 1 and "the configured store itself" in result.err
    assert acme("store", "copy", "--to", "sqlite:x", "--batch", "0").code == 1


def test_a_sqlite_store_copies_into_another_sqlite_file(acme, tmp_path) -> None:
    result = acme.ok("store", "copy", "--to", "sqlite:copy.sqlite3", "--batch", "1")
    assert "users: 1/1 rows" in result.out
    copy_config = tmp_path / "copy"
    copy_config.mkdir()
    (copy_config / "oxdav.properties").write_text(
        f"oxdav.dataDir = {acme.config / 'data'}\noxdav.listen.https = 127.0.0.1:0\n"
        "oxdav.storage = sqlite:copy.sqlite3\n")
    folders = Admin(copy_config).ok("folder", "list", "acme", "--json").json()
    assert {f["module"] for f in folders if f["default"]} == {"calendar", "tasks", "contacts"}
