"""twistd as a subprocess: SIGHUP reloads properties and the certificate, and a broken
file or a mismatched key changes nothing (issue 2, OPS.md §B3, §B4)."""

from __future__ import annotations

import base64
import hashlib
import signal
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from oxdav.devcert import generate_dev_certificate
from tests.integration.daemon import Daemon, free_port, wait_for
from tests.integration.harness import write_config


@pytest.fixture
def notifications(tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(20)
    yield sock
    sock.close()


@pytest.fixture
def daemon(tmp_path: Path, notifications: socket.socket) -> Iterator[Daemon]:
    port = free_port()
    config = write_config(tmp_path / "etc")
    properties = config / "oxdav.properties"
    properties.write_text(properties.read_text()
                          .replace("127.0.0.1:0\noxdav.listen.metrics = 127.0.0.1:0",
                                   f"127.0.0.1:{port}\noxdav.listen.metrics =")
                          + "oxdav.auth.realm = first\n")
    running = Daemon(config, port, tmp_path / "notify")
    yield running
    running.stop()


def set_property(config: Path, line: str) -> None:
    properties = config / "oxdav.properties"
    properties.write_text(properties.read_text() + line + "\n")


def test_sighup_reloads_properties_and_keeps_them_on_a_broken_file(daemon: Daemon) -> None:
    assert 'realm="first"' in daemon.realm()
    text = (daemon.config / "oxdav.properties").read_text()
    (daemon.config / "oxdav.properties").write_text(text.replace("realm = first", "realm = second"))
    daemon.hup_and_wait("configuration reloaded")
    assert 'realm="second"' in daemon.realm()

    set_property(daemon.config, "oxdav.http.maxBodySize = enormous")
    daemon.hup_and_wait("reload refused")
    assert 'realm="second"' in daemon.realm()
    assert "oxdav.http.maxBodySize" in daemon.output()
    assert daemon.process.poll() is None
    # twistd re-raises the terminating signal after a clean shutdown, so the exit
    # status says SIGTERM (systemd counts that as a clean stop).
    assert daemon.stop() == -signal.SIGTERM
    assert "Server Shut Down" in daemon.output()


def test_sighup_swaps_the_certificate_and_refuses_a_mismatched_key(daemon: Daemon) -> None:
    tls = daemon.config / "data" / "tls"
    first = daemon.certificate_digest()
    cert_pem, key_pem = generate_dev_certificate(["localhost"])
    (tls / "fullchain.pem").write_bytes(cert_pem)
    (tls / "privkey.pem").write_bytes(key_pem)
    daemon.hup_and_wait("configuration reloaded")
    second = daemon.certificate_digest()
    assert second != first
    assert second == hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem.decode())).hexdigest()

    _, other_key = generate_dev_certificate(["localhost"])
    (tls / "privkey.pem").write_bytes(other_key)
    daemon.hup_and_wait("reload refused")
    assert "do not match" in daemon.output() or "does not match" in daemon.output()
    assert daemon.certificate_digest() == second


def test_changed_listener_is_logged_as_restart_required(daemon: Daemon) -> None:
    set_property(daemon.config, "oxdav.listen.http = 127.0.0.1:1")
    daemon.hup_and_wait("configuration reloaded")
    assert "restart required" in daemon.output()
    assert "oxdav.listen.http" in daemon.output()


def test_basic_auth_never_reaches_the_log(daemon: Daemon) -> None:
    conn = daemon.connection()
    secret = base64.b64encode(b"demo@example.com:not-the-password").decode()
    conn.request("GET", "/dav/", headers={"Authorization": f"Basic {secret}"})
    conn.getresponse().read()
    conn.close()
    wait_for(lambda: '"GET /dav/' in daemon.output(), "the access log line")
    assert secret not in daemon.output()
    assert "not-the-password" not in daemon.output()


def test_systemd_hears_ready_reloading_and_stopping(daemon: Daemon,
                                                     notifications: socket.socket) -> None:
    def next_message() -> str:
        return notifications.recv(4096).decode()

    assert "READY=1" in next_message()
    daemon.process.send_signal(signal.SIGHUP)
    reloading = next_message()
    assert "RELOADING=1" in reloading
    assert "MONOTONIC_USEC=" in reloading
    assert "READY=1" in next_message()
    daemon.stop()
    assert "STOPPING=1" in next_message()
