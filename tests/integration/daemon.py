"""The real daemon as a subprocess (``twistd -n oxdav -c DIR``), for the tests that need
a process of its own: signals (SIGHUP, SIGKILL), systemd notifications, the access log.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from oxdav.directory.provisioning import DEMO_FILE
from tests.integration.harness import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, config: Path, port: int, notify_socket: Path | None = None, *,
                 wait: bool = True) -> None:
        self.config, self.port = config, port
        self.log = config / "twistd.log"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        if notify_socket is not None:
            env["NOTIFY_SOCKET"] = str(notify_socket)
        twistd = Path(sys.executable).parent / "twistd"
        self.process = subprocess.Popen(
            [str(twistd), "-n", "--pidfile=", "oxdav", "-c", str(config)],
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=config)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the daemon says it is ready (it must not have exited)."""
        wait_for(lambda: "oxdav ready" in self.output() or self.process.poll() is not None,
                 "the daemon to start", timeout)
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def connection(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=10)

    def realm(self) -> str:
        conn = self.connection()
        conn.request("GET", "/dav/")
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.getheader("WWW-Authenticate") or ""

    def certificate_digest(self) -> str:
        conn = self.connection()
        conn.connect()
        der = conn.sock.getpeercert(binary_form=True)
        conn.close()
        return hashlib.sha256(der).hexdigest()

    def hup_and_wait(self, marker: str) -> None:
        before = self.output().count(marker)
        self.process.send_signal(signal.SIGHUP)
        wait_for(lambda: self.output().count(marker) > before, f"log line {marker!r}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def demo_auth(self, data_dir: Path) -> dict[str, str]:
        """The Authorization header of the demo account the daemon created."""
        login, _, password = (data_dir / DEMO_FILE).read_text().strip().partition(" ")
        token = base64.b64encode(f"{login}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def kill(self) -> int:
        """SIGKILL: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=30)


#: Long enough for a start on a loaded machine; a daemon still running then has
#: started.
START_TIMEOUT = 30.0


def bound_by_permissions(command: list[str]) -> list[str]:
    """``command`` run so that file permissions apply to it.

    Root ignores them, so as root the command runs without the capabilities that
    override them, as a root service does under systemd's ``CapabilityBoundingSet=``;
    as any other user it runs as is.
    """
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--inh-caps=-all",
            "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]


def start_until_ready_or_exit(config: Path) -> tuple[int | None, str]:
    """Run the daemon until it exits or reports ready; (exit status or None, output)."""
    log = config / "twistd.log"
    twistd = Path(sys.executable).parent / "twistd"
    command = bound_by_permissions([str(twistd), "-n", "--pidfile=", "oxdav", "-c", str(config)])
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=config,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if "oxdav ready" in log.read_text(errors="replace"):
                break
            time.sleep(0.1)
        status = process.poll()
        if status is None:
            process.terminate()
            process.wait(timeout=30)
    return status, log.read_text(errors="replace")
