"""The server's WebDAV-Push as the DAV layer and the daemon see it.

:class:`ServerPush` is the :class:`oxdav.dav.push.PushService` the DAV layer asks for
the VAPID key, the limits and the endpoint check at registration, and starts and stops
the :class:`~oxdav.push.notifier.Notifier` with the store. The settings are the
``oxdav.push.*`` ones; the reloadable ones are read when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oxdav.work import INLINE, Work

from .delivery import Deliverer
from .endpoints import Resolver, Target, check, system_resolver
from .notifier import Notifier
from .vapid import VapidKey, load_or_create

#: The shortest expiry granted: the draft asks servers to allow at least three days.
MIN_EXPIRY = 3 * 86_400


class ServerPush:
    """Push for one daemon.

    Args:
        store: the store (started before :meth:`start`).
        reactor: the reactor.
        settings: returns the current configuration snapshot (``get(name)``).
        key: the VAPID key.
        resolver: resolves endpoint hosts (the system's, in a thread, by default).
    """

    def __init__(self, store: Any, reactor: Any, settings: Any, key_path: Path, *,
                 resolver: Resolver = system_resolver, work: Work = INLINE) -> None:
        self._settings = settings
        self.key_path = key_path
        self._key: VapidKey | None = None
        self._resolve = resolver
        snapshot = settings()
        self.deliverer = Deliverer(reactor, timeout=snapshot.get("oxdav.push.timeout"),
                                   ttl=int(snapshot.get("oxdav.push.ttl")))
        self.notifier = Notifier(store, reactor, self.deliverer, self.target,
                                 delay=snapshot.get("oxdav.push.delay"),
                                 concurrency=snapshot.get("oxdav.push.concurrency"),
                                 work=work)

    @classmethod
    def configured(cls, store: Any, reactor: Any, settings: Any, data_dir: Path, *,
                   work: Work = INLINE) -> ServerPush | None:
        """Push as the configuration says (None when ``oxdav.push.enabled`` is off)."""
        snapshot = settings()
        if not snapshot.get("oxdav.push.enabled"):
            return None
        path = Path(snapshot.get("oxdav.push.vapidKey"))
        return cls(store, reactor, settings, path if path.is_absolute() else data_dir / path,
                   work=work)

    def load_key(self) -> None:
        """Read the VAPID key, made first when there is none (first start): once the
        store is open, so that a data directory it cannot use is reported as the
        store's. Raises: OSError, ValueError."""
        self._key = load_or_create(self.key_path, self._settings().get("oxdav.push.subject"))
        self.deliverer.key = self._key

    @property
    def vapid_public_key(self) -> str:
        if self._key is None:
            raise RuntimeError("the VAPID key is read once the store has started")
        return self._key.public_key

    @property
    def subscription_limit(self) -> int:
        return int(self._settings().get("oxdav.push.maxPerUser"))

    def expiry(self, requested: float | None, now: float) -> int:
        longest = max(float(self._settings().get("oxdav.push.maxExpiry")), MIN_EXPIRY)
        wanted = longest if requested is None else requested - now
        return int(now + min(max(wanted, MIN_EXPIRY), longest))

    async def target(self, endpoint: str) -> Target:
        """The checked endpoint. Raises: EndpointRefused (a ValueError)."""
        allow = bool(self._settings().get("oxdav.push.allowPrivateEndpoints"))
        return await check(endpoint, self._resolve, allow_private=allow)

    async def check_endpoint(self, endpoint: str) -> None:
        await self.target(endpoint)

    def start(self) -> None:
        """Tell the commits from now on (after :meth:`load_key`)."""
        self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
