"""The server's WebDAV-Push as the DAV layer and the daemon see it.

:class:`ServerPush` is the :class:`oxdav.dav.push.PushService` the DAV layer asks for
the VAPID key, the limits and the endpoint check at registration, and starts and stops
the :class:`~oxdav.push.notifier.Notifier` with the store. The settings are the
``oxdav.push.*`` ones; the reloadable ones are read when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

    def __init__(self, store: Any, reactor: Any, settings: Any, key: VapidKey, *,
                 resolver: Resolver = system_resolver) -> None:
        self._settings = settings
        self._key = key
        self._resolve = resolver
        snapshot = settings()
        self.deliverer = Deliverer(reactor, key, timeout=snapshot.get("oxdav.push.timeout"),
                                   ttl=int(snapshot.get("oxdav.push.ttl")))
        self.notifier = Notifier(store, reactor, self.deliverer, self.target,
                                 delay=snapshot.get("oxdav.push.delay"),
                                 concurrency=snapshot.get("oxdav.push.concurrency"))

    @classmethod
    def configured(cls, store: Any, reactor: Any, settings: Any, data_dir: Path
                   ) -> ServerPush | None:
        """Push as the configuration says (None when ``oxdav.push.enabled`` is off);
        the VAPID key is made on first start. Raises: OSError, ValueError."""
        snapshot = settings()
        if not snapshot.get("oxdav.push.enabled"):
            return None
        path = Path(snapshot.get("oxdav.push.vapidKey"))
        key = load_or_create(path if path.is_absolute() else data_dir / path,
                             snapshot.get("oxdav.push.subject"))
        return cls(store, reactor, settings, key)

    @property
    def vapid_public_key(self) -> str:
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
        """Tell the commits from now on."""
        self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
