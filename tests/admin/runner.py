"""Run ``oxdav-admin`` in a process of its own, forked from a warm interpreter.

    done = run_admin(["-c", str(config), "context", "list"], input=None, env=env)
    done.returncode, done.stdout, done.stderr     # as subprocess.run(..., text=True) has them

A fresh ``python -m oxdav.admin.main`` spends most of its second importing (Twisted,
psycopg, icalendar, lxml, oxdav), and the suite runs it hundreds of times. Here one
server process per test process imports ``oxdav.admin.main`` once (without running
anything: no reactor, no store, no thread) and forks for each run. Each run is still a
separate process that gets the caller's stdin, stdout, stderr, environment and working
directory, runs ``main(argv)`` with a reactor and store of its own, and ends with a
normal interpreter exit (atexit handlers, non-daemon threads joined, streams flushed);
its exit status is reported as the process's, signals included. Runs may overlap.

The server exits when the test process closes its end of a pipe (at exit, or when it
dies). Start it directly with ``python -m tests.admin.runner SOCKET_PATH`` (stdin is the
pipe).
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
_MAX_REQUEST = 1 << 20


# -- the server (its own process) ------------------------------------------------------

def serve(path: str) -> int:
    """Import oxdav-admin, then fork one run per connection on ``path`` until stdin
    closes. Returns the exit code of whichever process returns from here."""
    import oxdav.admin.main  # noqa: F401  (the warm-up: a run imports nothing of this again)
    import oxdav.storage  # noqa: F401

    assert "twisted.internet.reactor" not in sys.modules, "a reactor before the fork"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable:  # the test process is gone
            listener.close()
            return 0
        connection, _ = listener.accept()
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            return _monitor(connection)
        connection.close()


def _monitor(connection: socket.socket) -> int:
    """In the forked monitor: fork the run, tell the client its pid and then its exit
    status. Returns (only in the run's process) the run's exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    message, fds, _, _ = socket.recv_fds(connection, _MAX_REQUEST, 3)
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        connection.close()
        return _run(request, fds)
    for fd in fds:
        os.close(fd)
    connection.sendall(b"%d" % pid)
    _, status = os.waitpid(pid, 0)
    connection.sendall(b"%d" % os.waitstatus_to_exitcode(status))
    os._exit(0)


def _run(request: dict, fds: list[int]) -> int:
    """In the run's process: take the caller's stdio, environment and directory, then run
    ``main`` as ``python -m oxdav.admin.main`` would."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = [str(Path(sys.executable).parent / "oxdav-admin"), *request["argv"]]
    from oxdav.admin.main import main

    try:
        main(request["argv"])
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    return 0


# -- the client (the test process) -----------------------------------------------------

class _Server:
    """The running server: its process, socket and the pipe whose end stops it."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="oxdav-admin-runner-")
        self.path = os.path.join(self.directory, "socket")
        self.log = Path(self.directory) / "server.log"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.admin.runner", self.path],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                cwd=REPO)
        assert self.process.stdout is not None
        if self.process.stdout.readline() != b"ready\n":
            self.process.wait(timeout=30)
            raise RuntimeError(f"the oxdav-admin runner did not start:\n{self.log.read_text()}")
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for name in ("socket", "server.log"):
            Path(self.directory, name).unlink(missing_ok=True)
        os.rmdir(self.directory)


_server: _Server | None = None
_server_lock = threading.Lock()


def _running_server() -> _Server:
    global _server
    with _server_lock:
        if _server is None or _server.process.poll() is not None:
            _server = _Server()
        return _server


def run_admin(argv: Sequence[str], *, input: str | None = None,
              env: Mapping[str, str] | None = None, timeout: float = 60
              ) -> subprocess.CompletedProcess[str]:
    """``oxdav-admin ARGV`` in a process of its own, as ``subprocess.run([sys.executable,
    "-m", "oxdav.admin.main", *argv], input=input, env=env, capture_output=True,
    text=True, timeout=timeout)`` would run it (stdin is empty when ``input`` is None).

    Raises:
        subprocess.TimeoutExpired: the run took longer than ``timeout`` (it is killed).
    """
    server = _running_server()
    with (tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout,
          tempfile.TemporaryFile() as stderr):
        stdin.write((input or "").encode())
        stdin.seek(0)
        request = json.dumps({"argv": list(argv), "cwd": os.getcwd(),
                              "env": dict(os.environ if env is None else env)}).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
            connection.settimeout(timeout)
            connection.connect(server.path)
            socket.send_fds(connection, [request],
                            [stdin.fileno(), stdout.fileno(), stderr.fileno()])
            pid = int(connection.recv(64))
            try:
                code = int(connection.recv(64))
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["oxdav-admin", *argv], timeout,
                                                _read(stdout), _read(stderr)) from None
        return subprocess.CompletedProcess(["oxdav-admin", *argv], code, _read(stdout),
                                           _read(stderr))


def _read(file: IO[bytes]) -> str:
    """The file's text as ``subprocess.run(..., text=True)`` gives it (universal newlines)."""
    file.seek(0)
    text = file.read().decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
