"""oxdav.sdnotify: datagrams on a socket bound by the test, no-ops without systemd."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from oxdav.sdnotify import (
    Watchdog,
    notify,
    notify_ready,
    notify_reloading,
    notify_status,
    notify_stopping,
)


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(5)
    yield {"NOTIFY_SOCKET": path}, sock
    sock.close()


def _received(sock) -> str:
    return sock.recv(4096).decode()


def test_ready_sends_ready_1(notify_socket):
    env, sock = notify_socket
    assert notify_ready(env=env) is True
    assert _received(sock) == "READY=1"


def test_ready_with_status_sends_both_lines(notify_socket):
    env, sock = notify_socket
    notify_ready("serving", env=env)
    assert _received(sock) == "READY=1\nSTATUS=serving"


def test_reloading_sends_monotonic_usec(notify_socket):
    env, sock = notify_socket
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notify_reloading(env=env)
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    first, second = _received(sock).split("\n")
    assert first == "RELOADING=1"
    key, value = second.split("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(value) <= after


def test_stopping_and_status_messages(notify_socket):
    env, sock = notify_socket
    notify_stopping(env=env)
    notify_status("reloading config", env=env)
    assert [_received(sock), _received(sock)] == ["STOPPING=1", "STATUS=reloading config"]


def test_abstract_namespace_socket_is_used_for_at_sign():
    name = f"oxdav-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify("READY=1", env={"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(100) == b"READY=1"


def test_notify_without_socket_is_a_no_op():
    assert notify("READY=1", env={}) is False


def test_notify_to_a_missing_socket_returns_false_without_raising(tmp_path):
    assert notify("READY=1", env={"NOTIFY_SOCKET": str(tmp_path / "absent")}) is False


def test_watchdog_pings_every_half_interval(notify_socket):
    from twisted.internet.task import Clock

    env, sock = notify_socket
    clock = Clock()
    watchdog = Watchdog(clock, env={**env, "WATCHDOG_USEC": "30000000"})
    watchdog.start()
    clock.advance(15)
    watchdog.stop()
    assert watchdog.interval == 15
    assert [_received(sock), _received(sock)] == ["WATCHDOG=1", "WATCHDOG=1"]
    assert not watchdog.running


def test_watchdog_is_disabled_without_watchdog_usec(notify_socket):
    from twisted.internet.task import Clock

    env, _ = notify_socket
    watchdog = Watchdog(Clock(), env=env)
    watchdog.start()
    assert not watchdog.running


def test_watchdog_is_disabled_for_another_pid(notify_socket):
    from twisted.internet.task import Clock

    env, _ = notify_socket
    watchdog = Watchdog(
        Clock(), env={**env, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    )
    watchdog.start()
    assert not watchdog.running
