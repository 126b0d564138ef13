"""systemd readiness notifications (sd_notify(3)) without libsystemd.

Twisted has no sd_notify support (OPS.md B6). The protocol is one datagram per
message on the AF_UNIX socket named by ``$NOTIFY_SOCKET`` (a leading ``@`` means
the Linux abstract namespace). Outside systemd the variable is unset and every
call is a no-op; a failure to notify is logged, never raised.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

from twisted.internet.task import LoopingCall
from twisted.logger import Logger

__all__ = [
    "Watchdog",
    "notify",
    "notify_ready",
    "notify_reloading",
    "notify_status",
    "notify_stopping",
]

log = Logger()


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one sd_notify message such as ``"READY=1"``.

    Args:
        message: newline-separated ``KEY=VALUE`` assignments.
        env: where to look up ``NOTIFY_SOCKET``; ``os.environ`` by default.

    Returns:
        True if the datagram was sent, False if there is no socket or sending failed.
    """
    path = (os.environ if env is None else env).get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as e:
        log.warn("sd_notify to {path} failed: {error}", path=path, error=str(e))
        return False
    return True


def _monotonic_usec() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


def notify_ready(status: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """``READY=1`` (start-up or reload finished), optionally with a ``STATUS=`` line."""
    message = "READY=1" if status is None else f"READY=1\nSTATUS={status}"
    return notify(message, env)


def notify_reloading(env: Mapping[str, str] | None = None) -> bool:
    """``RELOADING=1`` with ``MONOTONIC_USEC=``, as ``Type=notify-reload`` requires."""
    return notify(f"RELOADING=1\nMONOTONIC_USEC={_monotonic_usec()}", env)


def notify_stopping(env: Mapping[str, str] | None = None) -> bool:
    """``STOPPING=1``: shutdown has begun."""
    return notify("STOPPING=1", env)


def notify_status(status: str, env: Mapping[str, str] | None = None) -> bool:
    """``STATUS=``: a one-line state shown by ``systemctl status``."""
    return notify(f"STATUS={status}", env)


class Watchdog:
    """Sends ``WATCHDOG=1`` every half ``$WATCHDOG_USEC`` from the reactor thread.

    The pings come from a LoopingCall, so they stop when the reactor is wedged and
    systemd then restarts the service (``WatchdogSec=``). Disabled when
    ``WATCHDOG_USEC`` is unset or ``WATCHDOG_PID`` names another process.

    Args:
        reactor: the reactor (an IReactorTime) driving the pings.
        env: the environment; ``os.environ`` by default.
    """

    def __init__(self, reactor: object, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self._loop = LoopingCall(notify, "WATCHDOG=1", self._env)
        self._loop.clock = reactor
        self.interval = self._interval()

    def _interval(self) -> float | None:
        pid = self._env.get("WATCHDOG_PID")
        if pid and pid != str(os.getpid()):
            return None
        try:
            usec = int(self._env.get("WATCHDOG_USEC", ""))
        except ValueError:
            return None
        return usec / 2e6 if usec > 0 else None

    @property
    def running(self) -> bool:
        """Whether pings are being sent."""
        return self._loop.running

    def start(self) -> None:
        """Start pinging (the first ping goes out at once); no-op if disabled."""
        if self.interval is not None and not self._loop.running:
            self._loop.start(self.interval, now=True)

    def stop(self) -> None:
        """Stop pinging."""
        if self._loop.running:
            self._loop.stop()
