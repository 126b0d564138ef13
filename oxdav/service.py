"""The running oxdav daemon: listeners, store, authentication, reload, systemd.

Start order (twistd calls ``privilegedStartService`` as root, when it runs as root,
then drops privileges and calls ``startService``; OPS.md §B1, §B2):

1. ``__init__`` (from ``makeService``): TLS options are loaded (and a development
   certificate generated when the config allows it), sites and resources built. A
   certificate problem stops twistd here with a clear message.
2. ``privilegedStartService``: every listener is bound (port 443 needs it).
3. ``startService``: the SIGHUP handler is installed, the store is opened and migrated,
   the authenticator's thread pool starts; once the store is up, systemd gets READY=1,
   the watchdog starts, the pruning of tombstones and expired locks is scheduled
   (``oxdav.sync.*``) and the iMIP sender starts. If the store cannot be opened, the
   error is logged and the process exits with status 1 (see
   :func:`_exit_status_at_exit`), so that ``Restart=on-failure`` sees a failure.

SIGHUP only schedules :meth:`ReloadCoordinator.reload` on the reactor thread
(``callFromThread``); the previous handler is restored on stop.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import time
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.interfaces import IListeningPort
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from twisted.web.server import Site

from oxdav import sdnotify
from oxdav.caldav.horizon import InstanceHorizon
from oxdav.caldav.instance_index import FUTURE_DAYS, PAST_DAYS
from oxdav.carddav.representations import alternate_of
from oxdav.config import ConfigHolder, ConfigSnapshot
from oxdav.config.kinds import ListenAddress
from oxdav.dav.errors import ErrorMapper
from oxdav.devcert import ensure_dev_certificate
from oxdav.directory.authenticator import Authenticator
from oxdav.directory.provisioning import ensure_demo_account
from oxdav.imip.listener import ReplyListener
from oxdav.imip.metrics import ImipMetrics
from oxdav.imip.outbox import ImipDelivery
from oxdav.imip.sender import MailSender
from oxdav.logging import reset_log_levels, set_log_level
from oxdav.push.server import ServerPush
from oxdav.reload import ReloadCoordinator
from oxdav.scheduling.incoming import apply_mailed_reply
from oxdav.storage import configured_store, data_directory
from oxdav.store.errors import NotFound, StoreError, UnsupportedStorageURL
from oxdav.store.pruning import TombstonePruner
from oxdav.tls import (
    SwappableServerTLS,
    TLSConfigError,
    certificate_not_after,
    load_certificate_options,
    server_endpoint,
    tcp_endpoint_description,
    tls_server_factory,
)
from oxdav.web.composition import build_dav
from oxdav.web.forwarded import ForwardedHeaders, TrustedProxies
from oxdav.web.health import ReadinessResource, build_ops_site
from oxdav.web.metrics import OxdavMetrics
from oxdav.web.root import build_root
from oxdav.web.site import OxdavSite
from oxdav.work import WorkPool

#: Seconds between runs extending the instance index (a cheap query when none is due).
HORIZON_INTERVAL = 3600.0

log = Logger()


class StartupError(Exception):
    """The configuration is valid but cannot be put to work (e.g. unusable TLS files)."""


class PushKeyError(Exception):
    """The VAPID key cannot be read or made (``oxdav.push.vapidKey``)."""


def load_tls(snapshot: ConfigSnapshot, *, generate: bool = False) -> Any:
    """TLS server options from the snapshot's certificate and key files."""
    cert, key = snapshot.path("oxdav.tls.certificate"), snapshot.path("oxdav.tls.key")
    if generate and snapshot.get("oxdav.tls.generateDevCertificate"):
        hostname = snapshot.get("oxdav.hostname")
        ensure_dev_certificate(cert, key, [hostname] if hostname else None)
    return load_certificate_options(cert, key)


def check_tls(snapshot: ConfigSnapshot) -> str:
    """``--check-config``'s verdict on the TLS files: loaded as the start loads them
    (the key must match the certificate), without generating anything.

    Returns:
        A line for the summary.

    Raises:
        TLSConfigError: the start would fail; the message names the files.
    """
    if not snapshot.get("oxdav.listen.https"):
        return "TLS: no https listener"
    cert, key = snapshot.path("oxdav.tls.certificate"), snapshot.path("oxdav.tls.key")
    if (snapshot.get("oxdav.tls.generateDevCertificate")
            and not cert.exists() and not key.exists()):
        return f"TLS: a development certificate will be generated: {cert}, {key}"
    expiry = time.gmtime(certificate_not_after(load_tls(snapshot)))
    return f"TLS: {cert} with key {key}, valid until {time.strftime('%Y-%m-%d', expiry)}"


def _exit_status_at_exit(status: int) -> None:
    """Make the process exit with ``status`` once twistd (or twist) has finished.

    Both runners exit 0 whenever the reactor stops, however it stopped, and nothing
    raised after ``reactor.run()`` has begun reaches them. An exit handler runs after
    their clean-up (pid file, last log lines); ``os._exit`` is the only way left to
    set the status (Synapse ends a failed start with ``os._exit(1)`` too).
    """

    def exit_now() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

    atexit.register(exit_now)


def _endpoint_description(address: ListenAddress) -> str:
    if address.systemd_name:
        return f"systemd:domain=INET6:name={address.systemd_name}"
    return tcp_endpoint_description(address.host, address.port)


class OxdavService(MultiService):
    """The whole daemon; ``makeService`` returns one of these."""

    def __init__(self, snapshot: ConfigSnapshot, reactor: Any) -> None:
        super().__init__()
        self.reactor = reactor
        self.holder = ConfigHolder(snapshot)
        self.metrics = OxdavMetrics()
        self.ports: list[tuple[str, IListeningPort]] = []
        self._previous_sighup: Any = None
        self._shutdown_trigger: Any = None
        self.ready: Deferred[None] = Deferred()
        self._store_up = False
        self._ends_process = False

        try:
            self.store = configured_store(snapshot, reactor)
        except UnsupportedStorageURL as error:
            raise StartupError(f"oxdav.storage: {error}") from error
        self.authenticator = Authenticator(
            self.store_lookup, reactor,
            interface_enabled=self.interface_enabled,
            cache_ttl=snapshot.get("oxdav.auth.cacheTime"),
            not_found=(NotFound,),
            shared_failures=self.failure_counter,
        )
        self._apply_login_limits(snapshot)
        self.authenticator.setServiceParent(self)
        self.pruner = TombstonePruner(
            self.store, reactor, snapshot.get("oxdav.sync.pruneInterval"),
            lambda: self.holder.current.get("oxdav.sync.tombstoneRetention"),
            lambda: self.authenticator.failures.forget_after)
        self.tls: SwappableServerTLS | None = None
        if snapshot.get("oxdav.listen.https"):
            try:
                options = load_tls(snapshot, generate=True)
            except (TLSConfigError, OSError) as error:
                raise StartupError(str(error)) from error
            self.tls = SwappableServerTLS(options)
            self.metrics.record_certificate(certificate_not_after(options))
        self.imip_metrics = ImipMetrics(self.metrics.registry)
        # Sends the iMIP mail queue once the store is up (``_started``).
        self.mail_sender = MailSender(self.store, self.holder, reactor, self.imip_metrics)
        self.readiness = ReadinessResource(reactor)
        self.readiness.add_check("store", lambda: self._store_up)
        # The database answering now (PostgreSQL: SELECT 1, on a connection of its own).
        self.readiness.add_check("database", lambda: ensureDeferred(self.store.ping()))
        self.errors = ErrorMapper()
        self.work = WorkPool(reactor)
        self.work.setServiceParent(self)
        self.horizon = InstanceHorizon(
            self.store, self.work, reactor, HORIZON_INTERVAL,
            lambda: (int(self.holder.current.get(PAST_DAYS)),
                     int(self.holder.current.get(FUTURE_DAYS))))
        self.push = ServerPush.configured(self.store, reactor, lambda: self.holder.current,
                                          data_directory(snapshot), work=self.work)
        self.dav = build_dav(self.store, self.errors, work=self.work, reactor=reactor,
                             external=ImipDelivery(self.holder), push=self.push)
        self.root = build_root(self.holder, self.authenticator, dav=self.dav,
                               methods=tuple(m.encode() for m in self.dav.env.methods.names))
        self.sites = self._build_sites(snapshot)
        self.reloader = ReloadCoordinator(
            self.holder,
            load_tls=load_tls if self.tls is not None else None,
            apply_tls=self._apply_tls,
            notify=self._notify,
            listeners=[self._apply_reloadable],
        )
        self.reloader.outcomes.append(
            lambda ok: self.metrics.record_reload(ok, time.time()))
        self.watchdog = sdnotify.Watchdog(reactor)

    # --- composition -------------------------------------------------------------

    def _build_sites(self, snapshot: ConfigSnapshot
                     ) -> list[tuple[str, str, Any, Site | None]]:
        common = dict(reactor=self.reactor, max_body_bytes=snapshot.get("oxdav.http.maxBodySize"),
                      idle_timeout=snapshot.get("oxdav.http.idleTimeout"),
                      http2=snapshot.get("oxdav.http2"), metrics=self.metrics.http)
        sites: list[tuple[str, str, Any, Site | None]] = []
        if self.tls is not None:
            tls_site = OxdavSite(self.root, **common)
            factory = tls_server_factory(tls_site, self.tls)
            for address in snapshot.get("oxdav.listen.https"):
                sites.append(("https", _endpoint_description(address), factory, tls_site))
        plain = snapshot.get("oxdav.listen.http")
        if plain:
            self.forwarded = ForwardedHeaders(self._trusted(snapshot))
            plain_site = OxdavSite(self.root, forwarded=self.forwarded, **common)
            for address in plain:
                sites.append(("http", _endpoint_description(address), plain_site, plain_site))
        if snapshot.get("oxdav.listen.mail"):
            replies = ReplyListener(self.store, self.holder, self._apply_reply, self.reactor,
                                    self.imip_metrics)
            for address in snapshot.get("oxdav.listen.mail"):
                sites.append(("mail", _endpoint_description(address), replies, None))
        ops = build_ops_site(self.reactor, self.metrics, self.readiness)
        for address in snapshot.get("oxdav.listen.metrics"):
            sites.append(("metrics", _endpoint_description(address), ops, ops))
        return sites

    @staticmethod
    def _trusted(snapshot: ConfigSnapshot) -> TrustedProxies:
        return TrustedProxies(str(network) for network in snapshot.get("oxdav.proxy.trusted"))

    def _apply_reply(self, context_id: int, organizer_id: int, itip: bytes) -> Any:
        return self.apply_reply(context_id, organizer_id, itip)

    def apply_reply(self, context_id: int, organizer_id: int, itip: bytes) -> Any:
        """Apply an external attendee's iTIP REPLY (checked by the mail listener) to the
        organizer's copy (the scheduling layer's)."""
        return ensureDeferred(apply_mailed_reply(self.store, context_id, organizer_id, itip,
                                                 work=self.work))

    def store_lookup(self) -> Any:
        """The authenticator's user lookup: one snapshot, so that a login resolved in
        two calls (mapping, then e-mail) carries a context version that describes the
        state both calls saw (a remembered verdict is confirmed against it)."""
        return self.store.transaction("auth")

    def failure_counter(self) -> Any:
        """Where the authenticator counts failed logins: in the store, so that every
        node sharing it sees the same counts."""
        return self.store.transaction("auth: failed login", write=True)

    def interface_enabled(self, context: Any, user: Any, interface: str) -> bool:
        """``com.openexchange.{caldav,carddav}.enabled`` through the config cascade."""
        from oxdav.directory.scope import scope_for

        view = self.holder.current.for_scope(scope_for(context, user))
        if interface == "dav":  # principals and the DAV root serve both interfaces
            return bool(view.get("com.openexchange.caldav.enabled")
                        or view.get("com.openexchange.carddav.enabled"))
        return bool(view.get(f"com.openexchange.{interface}.enabled"))

    # --- reload ------------------------------------------------------------------

    def _notify(self, *, reloading: bool = False, ready: bool = False,
                status: str | None = None) -> None:
        if reloading:
            sdnotify.notify_reloading()
        if ready:
            sdnotify.notify_ready(status)

    def _apply_tls(self, options: Any) -> None:
        assert self.tls is not None
        self.tls.current = options
        self.metrics.record_certificate(certificate_not_after(options))
        log.info("TLS certificate reloaded")

    def _apply_login_limits(self, snapshot: ConfigSnapshot) -> None:
        self.authenticator.set_thresholds(
            account=snapshot.get("oxdav.auth.maxFailures"),
            address=snapshot.get("oxdav.auth.maxFailuresPerAddress"))

    def _apply_reloadable(self, old: ConfigSnapshot, new: ConfigSnapshot) -> None:
        reset_log_levels(new.get("oxdav.log.level"))
        set_log_level("", new.get("oxdav.log.level"))
        self._apply_login_limits(new)
        for _, _, _, site in self.sites:
            if isinstance(site, OxdavSite) and site.max_body_bytes:
                site.max_body_bytes = new.get("oxdav.http.maxBodySize")
        if getattr(self, "forwarded", None) is not None:
            self.forwarded.proxies = self._trusted(new)

    def _on_sighup(self, signum: int, frame: Any) -> None:
        # Runs between bytecodes of the main thread: only hand over to the reactor.
        self.reactor.callFromThread(self.reloader.reload)

    # --- lifecycle ---------------------------------------------------------------

    def privilegedStartService(self) -> None:
        try:
            for kind, description, factory, _ in self.sites:
                self.ports.append((kind, self._listen(description, factory)))
        except StartupError as error:
            # twistd would print a traceback; a port in use deserves one clear line
            # and a non-zero exit.
            log.critical("{error}", error=str(error))
            raise SystemExit(f"oxdav: {error}") from None
        super().privilegedStartService()

    def port(self, kind: str) -> int:
        """The TCP port number of the first listener of a kind (https, http, metrics)."""
        return next(port.getHost().port for k, port in self.ports if k == kind)

    def _listen(self, description: str, factory: Any) -> IListeningPort:
        outcome: list[Any] = []
        server_endpoint(self.reactor, description).listen(factory).addBoth(outcome.append)
        if not outcome:  # pragma: no cover - TCP and adopted sockets listen synchronously
            raise StartupError(f"listening on {description} did not complete")
        if isinstance(outcome[0], Failure):
            raise StartupError(f"cannot listen on {description}: {outcome[0].value}")
        log.info("listening on {description}", description=description)
        return outcome[0]

    def startService(self) -> None:
        # twistd and twist start the service before they run the reactor: then a
        # failed start ends the process. Started on a running reactor (in-process
        # tests), it fails ``ready`` instead.
        self._ends_process = not self.reactor.running
        self._previous_sighup = signal.signal(signal.SIGHUP, self._on_sighup)
        super().startService()
        self._shutdown_trigger = self.reactor.addSystemEventTrigger(
            "before", "shutdown", sdnotify.notify_stopping)
        ensureDeferred(self._start_store()).addCallbacks(self._started, self._start_failed)

    async def _start_store(self) -> None:
        await self.store.start()
        if self.push is not None:
            try:
                self.push.load_key()
            except (OSError, ValueError) as error:
                raise PushKeyError(f"oxdav.push.vapidKey: {error}") from error
        snapshot = self.holder.current
        if snapshot.get("oxdav.demo.create"):
            await ensure_demo_account(self.store, data_directory(snapshot), log,
                                      card_alternate=alternate_of)

    def _started(self, _: None) -> None:
        self.pruner.start()
        self.mail_sender.startService()
        if self.push is not None:
            self.push.start()
        self.horizon.start()
        self._store_up = True
        self.ready.callback(None)
        sdnotify.notify_ready("serving")
        self.watchdog.start()
        if self._ends_process:
            # What a daemon holds from start to end (modules, settings, the tree) leaves
            # the collector's view: its full collections walked all of it, ~50 ms each,
            # several per large report. Not in-process (tests): nothing frozen is freed.
            gc.freeze()
        log.info("oxdav ready")

    def _start_failed(self, failure: Failure) -> None:
        if failure.check(StoreError, PushKeyError):
            # The message names the database and what is wrong with it.
            log.critical("oxdav cannot start: {error}", error=failure.getErrorMessage())
        else:
            log.failure("oxdav cannot start", failure, LogLevel.critical)
        if not self._ends_process:
            self.ready.errback(failure)
            return
        _exit_status_at_exit(1)
        self.reactor.callWhenRunning(self.reactor.stop)

    def stopService(self) -> Deferred[None]:
        if self._previous_sighup is not None:
            signal.signal(signal.SIGHUP, self._previous_sighup)
            self._previous_sighup = None
        if self._shutdown_trigger is not None:
            self.reactor.removeSystemEventTrigger(self._shutdown_trigger)
            self._shutdown_trigger = None
        self.watchdog.stop()
        self.pruner.stop()
        self.horizon.stop()
        sending = self.mail_sender.stopService() if self.mail_sender.running else None
        stopping = [port.stopListening() for _, port in self.ports]
        self.ports = []
        parent_done = super().stopService()

        async def finish() -> None:
            for waiting in stopping:
                await waiting
            await parent_done
            if sending is not None:
                await sending
            if self.push is not None:
                await self.push.stop()
            await self.store.stop()

        return ensureDeferred(finish())
