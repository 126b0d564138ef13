"""A throwaway PostgreSQL cluster for tests, started from the machine's server binaries.

    cluster = PostgresCluster.start()
    database = cluster.new_database()      # fresh and empty, owned by the ``oxdav`` role
                                           # (or template="name": a copy of that one)
    psycopg.connect(database.dsn)          # or: oxdav.storage = database.url,
                                           #     oxdav.storage.passwordFile = database.password_file
    cluster.drop_database(database.name)
    cluster.stop()

The cluster lives in a fresh temporary directory (data, unix socket, log, password
file), in memory where /dev/shm has room, and listens on 127.0.0.1 on a free port. Every
login needs a password (scram-sha-256), as in production. Durability is switched off for
speed (``fsync``, ``synchronous_commit``, ``full_page_writes``) unless started with
``durable=True`` (the benchmark): a crash loses the cluster, which tests throw away anyway.

``initdb`` and ``postgres`` refuse to run as root: a root test process runs them as the
unprivileged ``postgres`` account (which Debian's package creates) or else ``nobody``,
and gives that account the temporary directory.

A run that dies without cleaning up (SIGKILL, ``os._exit``) leaves its directory behind;
the next start removes directories whose owner is gone, and their orphaned server,
which re-checks its lock file every minute, shuts itself down once it is gone.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROLE = "oxdav"
DATABASE = "oxdav"
HOST = "127.0.0.1"
PREFIX = "oxdav-pg-"
SUPERUSER = "postgres"
SERVER_ACCOUNTS = ("postgres", "nobody")

SETTINGS = f"""
# Little WAL kept, since the directory is usually in memory.
wal_level = minimal
max_wal_senders = 0
max_wal_size = 128MB
listen_addresses = '{HOST}'
max_connections = 200
timezone = 'UTC'
"""

NO_DURABILITY = """
# Throwaway test cluster: no durability, which tests do not need, for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
"""


class PostgresUnavailable(RuntimeError):
    """The cluster cannot be started here; the message says what to install or fix."""


@dataclass(frozen=True)
class PostgresDatabase:
    """One database of the cluster, owned by the ``oxdav`` role.

    Attributes:
        name: the database name.
        dsn: a libpq URL with the password, for ``psycopg.connect``.
        url: the same without the password, as ``oxdav.storage`` takes it.
        password_file: the file holding the role's password (``oxdav.storage.passwordFile``).
    """

    name: str
    dsn: str
    url: str
    password_file: Path


def find_bindir(versions: Path = Path("/usr/lib/postgresql"),
                path: str | None = None) -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: Debian's highest versioned
    ``/usr/lib/postgresql/N/bin``, else wherever ``path`` (``PATH``) finds them.

    Raises:
        PostgresUnavailable: neither has them.
    """

    def version(bindir: Path) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in bindir.parent.name.split("."))
        except ValueError:
            return (-1,)

    for bindir in sorted(versions.glob("*/bin"), key=version, reverse=True):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    found = shutil.which("pg_ctl", path=path)
    if found and (Path(found).resolve().parent / "initdb").is_file():
        return Path(found).resolve().parent
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl) are neither in {versions}/*/bin "
        "nor on PATH. `./dev test` installs the distribution's `postgresql` package when it "
        "runs as root; otherwise install it (apt-get install postgresql).")


def server_account() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as, or None to run it as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_ACCOUNTS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable(
        f"running as root and none of the accounts {', '.join(SERVER_ACCOUNTS)} exists; "
        "initdb refuses to run as root")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def default_base(min_free: int = 1 << 30) -> Path:
    """Where clusters live: the in-memory ``/dev/shm`` when it has room (creating a
    database there is an order of magnitude faster than on a busy disk), else the
    temporary directory."""
    shm = Path("/dev/shm")
    try:
        stat = os.statvfs(shm)
        if stat.f_bavail * stat.f_frsize >= min_free and os.access(shm, os.W_OK | os.X_OK):
            return shm
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def remove_stale(base: Path, min_age: float = 60.0) -> None:
    """Remove cluster directories left by runs that died: their lock is free and they are
    older than ``min_age`` seconds (a starting run creates its directory, then locks it)."""
    for directory in base.glob(PREFIX + "*"):
        try:
            if time.time() - directory.stat().st_mtime < min_age:
                continue
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        shutil.rmtree(directory, ignore_errors=True)
        os.close(fd)


class PostgresCluster:
    """A running throwaway cluster; build it with :meth:`start`, end it with :meth:`stop`.

    Attributes:
        host, port: where it listens (TCP); ``socket_dir`` holds its unix socket.
        user, password, password_file: the ``oxdav`` login role and its password.
        version: the server version (``SHOW server_version``).
        start_seconds: how long :meth:`start` took.
    """

    host = HOST
    user = ROLE

    def __init__(self, bindir: Path, account: pwd.struct_passwd | None, directory: Path,
                 lock_fd: int) -> None:
        self.bindir = bindir
        self.directory = directory
        self.data_dir = directory / "data"
        self.socket_dir = directory
        self.log_file = directory / "server.log"
        self.password_file = directory / f"{ROLE}.password"
        self.password = secrets.token_urlsafe(24)
        self.port = 0
        self.version = ""
        self._version_num = 0
        self.start_seconds = 0.0
        self._account = account
        self._lock_fd: int | None = lock_fd
        self._superuser_password = secrets.token_urlsafe(24)
        self._admin: psycopg.Connection | None = None
        self._databases = 0
        self.durable = False

    @classmethod
    def start(cls, base: Path | None = None, *, durable: bool = False) -> PostgresCluster:
        """Create, start and provision a cluster in a new directory under ``base``
        (:func:`default_base` by default). ``durable`` keeps PostgreSQL's own defaults
        (fsync, synchronous commit), as a benchmark against durable SQLite needs.

        Raises:
            PostgresUnavailable: no server binaries, or no account to run them as.
            RuntimeError: initdb or the server failed; the message carries their output.
        """
        began = time.monotonic()
        bindir = find_bindir()
        account = server_account()
        base = Path(base) if base else default_base()
        remove_stale(base)
        directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
        lock_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        cluster = cls(bindir, account, directory, lock_fd)
        cluster.durable = durable
        atexit.register(cluster.stop)
        try:
            cluster._init()
            cluster._launch()
            cluster._provision()
        except BaseException:
            cluster.stop()
            raise
        cluster.start_seconds = time.monotonic() - began
        return cluster

    def dsn(self, dbname: str = DATABASE) -> str:
        """A libpq URL with the ``oxdav`` role's password, for ``psycopg.connect``."""
        return f"postgresql://{ROLE}:{self.password}@{HOST}:{self.port}/{dbname}"

    def url(self, dbname: str = DATABASE) -> str:
        """The storage URL without the password, as ``oxdav.storage`` takes it."""
        return f"postgresql://{ROLE}@{HOST}:{self.port}/{dbname}"

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        """A libpq URL of the cluster's superuser, for tests that act as the DBA."""
        return f"postgresql://{SUPERUSER}:{self._superuser_password}@{HOST}:{self.port}/{dbname}"

    def database(self, name: str = DATABASE) -> PostgresDatabase:
        """The handle of an existing database (``oxdav`` by default)."""
        return PostgresDatabase(name, self.dsn(name), self.url(name), self.password_file)

    def new_database(self, template: str = "template0") -> PostgresDatabase:
        """Create a fresh database owned by ``oxdav``: empty, or a copy of the database
        ``template`` (nobody may be connected to it meanwhile); drop it with
        :meth:`drop_database` (or it goes with the cluster)."""
        self._databases += 1
        name = f"oxdav_test_{self._databases}"
        self._create_database(name, template)
        return self.database(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any sessions still connected to it."""
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))

    def stop(self) -> None:
        """Stop the server at once and remove the directory; safe to call twice."""
        if self._lock_fd is None:
            return
        atexit.unregister(self.stop)
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-s",
                      check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.close(self._lock_fd)
        self._lock_fd = None

    def _init(self) -> None:
        superuser_file = self.directory / "superuser.password"
        superuser_file.write_text(self._superuser_password + "\n")
        self.password_file.write_text(self.password + "\n")
        self.password_file.chmod(0o600)
        if self._account is not None:
            os.chown(self.directory, self._account.pw_uid, self._account.pw_gid)
            os.chown(superuser_file, self._account.pw_uid, self._account.pw_gid)
        self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER,
                  "--auth=scram-sha-256", f"--pwfile={superuser_file}", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        superuser_file.unlink()
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(SETTINGS + ("" if self.durable else NO_DURABILITY)
                       + f"unix_socket_directories = '{self.socket_dir}'\n")

    def _launch(self, attempts: int = 5) -> None:
        # The free port can be taken between probe and bind by a parallel run: try another.
        for _ in range(attempts):
            self.port = free_port()
            started = self._run("pg_ctl", "start", "-D", str(self.data_dir),
                                "-l", str(self.log_file), "-o", f"-p {self.port}",
                                "-w", "-t", "60", "-s", check=False)
            if started.returncode == 0:
                return
            if "could not bind" not in self._log_tail():
                break
        raise RuntimeError(f"PostgreSQL did not start ({started.stdout}{started.stderr}); "
                           f"server log:\n{self._log_tail()}")

    def _provision(self) -> None:
        self._execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(ROLE), sql.Literal(self.password)))
        self.version = self._connection().execute("SHOW server_version").fetchone()[0]
        self._version_num = int(
            self._connection().execute("SHOW server_version_num").fetchone()[0])
        self._create_database(DATABASE)

    def _create_database(self, name: str, template: str = "template0") -> None:
        # A file copy of a small template is several times faster than the WAL-logged
        # copy that PostgreSQL 15 made the default, with fsync off.
        strategy = sql.SQL(" STRATEGY FILE_COPY" if self._version_num >= 150000 else "")
        self._execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE {}{}").format(
            sql.Identifier(name), sql.Identifier(ROLE), sql.Identifier(template), strategy))

    def _connection(self) -> psycopg.Connection:
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.superuser_dsn(), autocommit=True,
                                          connect_timeout=30)
        return self._admin

    def _execute(self, statement: sql.Composable) -> None:
        self._connection().execute(statement)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        account: dict = {}
        if self._account is not None:
            account = {"user": self._account.pw_uid, "group": self._account.pw_gid,
                       "extra_groups": []}
        # A clean environment: a developer's PGDATA, PGPORT or locale must not leak in.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        result = subprocess.run([str(self.bindir / program), *args], cwd=self.directory,
                                env=env, capture_output=True, text=True, timeout=120,
                                **account)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): "
                               f"{result.stdout}{result.stderr}")
        return result
