"""Checking a login and password (HTTP Basic credentials, RFC 7617) against the directory.

One attempt goes: the client address's throttle → a remembered login → login
resolution (``resolution``) → a cached credential → the account's throttle → Argon2
verification on a small dedicated thread pool → account and interface checks. A
login and password that passed are remembered with the context and user they named,
so the next attempt with them skips the lookup too; that verdict is
:class:`Authenticated` with ``remembered`` set, and whoever serves the request must
confirm that ``context.version`` is still current (the web layer opens the request's
store transaction with ``confirm``) and, if not, ask again with ``fresh=True``. A
remembered login is only ever let in that way, never refused: a refusal is decided on
records read now, so an account or interface enabled again counts at once.

Failures are counted per client address and per account (every spelling of a login
shares its account's count; a login naming nobody is counted under the name it
claims). A password verified before (remembered or cached, or verified within
``VERIFIED_TTL``, then through the KDF) passes even while its account is blocked, so
guessing from elsewhere never locks the owner out; any other attempt on a blocked
account is refused before the KDF and costs its address. A success proven by the KDF
takes back the failures its own address made on that account, and only those. Where
nodes share a store, the counts are the store's (``failures``): guesses spread over the
nodes meet the same thresholds as on one, and a remembered login or a cached credential
still costs no database call. Unknown logins are verified against a decoy hash so they
cost the same as a wrong password, and both give the same :class:`Unauthorized`.
Passwords are never logged; logins are logged with ``!r`` so that control
characters cannot forge log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from oxdav.directory.clock import TimeSource
from oxdav.directory.credential_cache import CredentialCache
from oxdav.directory.failures import CounterFactory, FailureLedger
from oxdav.directory.lookup import ContextRecord, LookupFactory, UserRecord
from oxdav.directory.passwords import decoy_password_hash, verify_password
from oxdav.directory.resolution import NotFoundTypes, normalised, resolve_login
from oxdav.directory.results import (
    Authenticated,
    AuthResult,
    Forbidden,
    ForbiddenReason,
    Interface,
    InterfaceCheck,
    Throttled,
    Unauthorized,
)
from oxdav.directory.throttle import IN_FLIGHT_RETRY_AFTER, ThrottlePolicy

log = Logger()

#: Longest login (characters) and password (characters) worth looking at.
MAX_LOGIN_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024

#: Name of the thread pool the password KDF runs on.
KDF_POOL_NAME = "oxdav-auth-kdf"

DEFAULT_ACCOUNT_THROTTLE = ThrottlePolicy(threshold=5)

#: Seconds a verified password still passes a blocked account once its cache entry
#: expired (it is verified again first): a guesser may keep an account blocked for
#: much longer than the credential cache lasts.
VERIFIED_TTL = 86_400.0
# One address may be a NAT or a proxy for many users: more tolerant per key.
DEFAULT_ADDRESS_THROTTLE = ThrottlePolicy(threshold=20, max_in_flight=16)


class Authenticator(Service):
    """Verifies credentials for the CalDAV and CardDAV interfaces.

    It is a Service: start it (or add it to the application) before the first
    :meth:`authenticate`, so that its thread pool runs.

    Args:
        lookup_factory: Opens a read-only lookup (a store transaction) per attempt.
        reactor: Runs callbacks from the KDF threads; also the clock unless
            ``clock`` is given.
        interface_enabled: Whether a user may use ``caldav`` / ``carddav``.
        cache_ttl: Seconds a verified credential is trusted without the KDF.
        cache_size: Most verified credentials remembered.
        account_throttle: Failure policy per account (and per claimed name for a
            login that names nobody).
        address_throttle: Failure policy per client address.
        not_found: Exception type(s) the lookup raises for a missing record.
        clock: Time source for the cache and the throttles (tests: ``task.Clock``).
        kdf_threads: Size of the KDF thread pool.
        verify: ``verify(password_hash, password) -> bool``; the Argon2 check.
        shared_failures: opens a store write transaction for failure counts that
            every node sees (the lookup then reads them too, ``failures``); None: this
            process counts alone.
    """

    def __init__(
        self,
        lookup_factory: LookupFactory,
        reactor: Any,
        *,
        interface_enabled: InterfaceCheck,
        cache_ttl: float = 300.0,
        cache_size: int = 10_000,
        account_throttle: ThrottlePolicy = DEFAULT_ACCOUNT_THROTTLE,
        address_throttle: ThrottlePolicy = DEFAULT_ADDRESS_THROTTLE,
        not_found: NotFoundTypes = (LookupError,),
        clock: TimeSource | None = None,
        kdf_threads: int = 2,
        verify: Callable[[str, str], bool] = verify_password,
        shared_failures: CounterFactory | None = None,
    ) -> None:
        self._lookup_factory = lookup_factory
        self._reactor = reactor
        time_source: TimeSource = clock if clock is not None else reactor
        self._interface_enabled = interface_enabled
        self._not_found = not_found
        self._verify = verify
        self.cache = CredentialCache(time_source, ttl=cache_ttl, max_size=cache_size)
        #: Credentials verified within VERIFIED_TTL (keys of ``cache``).
        self.verified = CredentialCache(time_source, ttl=max(cache_ttl, VERIFIED_TTL),
                                        max_size=cache_size)
        #: Login and password → (context, user) of the last attempt that passed.
        self.logins = CredentialCache(time_source, ttl=cache_ttl, max_size=cache_size)
        self.failures = FailureLedger(time_source, account_throttle, address_throttle,
                                      shared_failures)
        #: Failures per account, or per claimed name for a login naming nobody.
        self.account_throttle = self.failures.account
        self.address_throttle = self.failures.address
        self._pool = ThreadPool(minthreads=0, maxthreads=kdf_threads, name=KDF_POOL_NAME)
        # Verifications running, by cache key: identical credentials arriving in
        # parallel (a client opening several connections) share one KDF run.
        self._running: dict[bytes, list[Deferred[bool]]] = {}

    def startService(self) -> None:
        """Start the KDF thread pool."""
        super().startService()  # type: ignore[no-untyped-call]
        self._pool.start()

    def stopService(self) -> None:
        """Stop the KDF thread pool, letting running verifications finish."""
        super().stopService()  # type: ignore[no-untyped-call]
        self._pool.stop()

    async def authenticate(
        self, login: str, password: str, client_address: str, interface: Interface,
        *, fresh: bool = False,
    ) -> AuthResult:
        """Check one login and password.

        Args:
            login: ``user@mapping``, an e-mail address, or a bare ``user``.
            password: The clear-text password.
            client_address: The client's IP address, one throttling key.
            interface: ``"caldav"`` or ``"carddav"``.
            fresh: look the login up even if it is remembered (the remembered
                context's version was found out of date).

        Returns:
            :class:`Authenticated`, :class:`Unauthorized` (unknown login or wrong
            password), :class:`Forbidden` (disabled account or interface; only
            after the password was right) or :class:`Throttled`.
        """
        wait = self.address_throttle.retry_after(client_address)
        if wait is not None:
            return Throttled(wait)
        if len(login) > MAX_LOGIN_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            key = f"name {normalised(login[:MAX_LOGIN_LENGTH])}"
            return await self._failed(login, key, client_address)
        remembered_key = self.logins.key_for(login, password, "")
        remembered = None if fresh else self.logins.get(remembered_key)
        if remembered is not None and self._refusal(*remembered, interface) is None:
            return Authenticated(*remembered, remembered=True)
        # Only current records may refuse: a remembered user record may predate the
        # change that lets it in (an interface enabled again), so look it up.
        self.logins.discard(remembered_key)
        key: bytes | None = None
        async with self._lookup_factory() as lookup:
            resolution = await resolve_login(lookup, login, self._not_found)
            if resolution.account is not None:
                found_context, found_user = resolution.account
                key = self.cache.key_for(f"{found_context.id}/{found_user.id}", password,
                                         found_user.password_hash)
            if key is None or key not in self.cache:  # password work starts: read counts
                await self.failures.refresh(lookup, resolution.key, client_address)
        if resolution.account is None:
            verdict = await self._verify_unless_blocked(
                resolution.key, client_address, None, None, password)
            if isinstance(verdict, Throttled):
                return verdict
            return await self._failed(login, resolution.key, client_address)
        context, user = resolution.account
        assert key is not None
        # A password verified before passes whatever others tried meanwhile: at once
        # while cached, else through the KDF even if the account is blocked.
        if key not in self.cache:
            verdict = await self._verify_unless_blocked(
                resolution.key, client_address, key, user.password_hash, password,
                known=key in self.verified)
            if isinstance(verdict, Throttled):
                return verdict
            if not verdict:
                return await self._failed(login, resolution.key, client_address)
            self.cache.add(key)
            self.verified.add(key)
            # The password was just proven from this address: the failures it made on
            # this account were the owner's own. Only a run of the KDF proves it: a
            # cached credential passing would let a guesser at the owner's address (or
            # the owner's polling client) wipe the count at will.
            await self.failures.succeeded(resolution.key, client_address)
        verdict = self._admit(context, user, interface)
        if isinstance(verdict, Authenticated):
            # Only a login that got in: a refusal is not remembered, so that
            # re-enabling an account needs no confirmation to take effect. It is
            # trusted no longer than the verification of its password.
            self.logins.add(remembered_key, (context, user), until=self.cache.expires(key))
        return verdict

    def set_thresholds(self, *, account: int, address: int) -> None:
        """Failures tolerated per account (or unknown login) and per client address
        before attempts are delayed; counts so far are kept."""
        self.account_throttle.policy = replace(self.account_throttle.policy, threshold=account)
        self.address_throttle.policy = replace(self.address_throttle.policy, threshold=address)

    def _refusal(
        self, context: ContextRecord, user: UserRecord, interface: Interface
    ) -> ForbiddenReason | None:
        if not context.enabled:
            return ForbiddenReason.CONTEXT_DISABLED
        if not user.enabled:
            return ForbiddenReason.USER_DISABLED
        if not self._interface_enabled(context, user, interface):
            return ForbiddenReason.INTERFACE_DISABLED
        return None

    def _admit(
        self, context: ContextRecord, user: UserRecord, interface: Interface
    ) -> Authenticated | Forbidden:
        reason = self._refusal(context, user, interface)
        if reason is None:
            return Authenticated(context, user)
        log.info(
            "Refusing {interface} to user {user} of context {context}: {reason}",
            interface=interface,
            user=user.id,
            context=context.id,
            reason=reason.value,
        )
        return Forbidden(reason)

    async def _failed(self, login: str, throttle_key: str, client_address: str
                      ) -> Unauthorized:
        log.info(
            "Login failed for {login!r} from {address!r}",
            login=login[:MAX_LOGIN_LENGTH],
            address=client_address,
        )
        await self.failures.failed(throttle_key, client_address)
        return Unauthorized()

    async def _verify_unless_blocked(
        self,
        throttle_key: str,
        client_address: str,
        key: bytes | None,
        password_hash: str | None,
        password: str,
        *,
        known: bool = False,
    ) -> bool | Throttled:
        """Run the KDF unless the account (or unknown login) is blocked or it or the
        address has too many attempts pending.

        ``key`` None means "do not share this run"; ``password_hash`` None means
        "check against the decoy hash" (unknown login); ``known``: the credential
        was verified before, so a blocked account does not stop it.
        """
        wait = None if known else self.account_throttle.blocked(throttle_key)
        if wait is not None:
            # Unchecked, but a guess all the same: it costs this address, or one
            # address could try passwords against the credential cache at will.
            await self.failures.refused(throttle_key, client_address)
            return Throttled(wait)
        if key is not None and key in self._running:
            waiter: Deferred[bool] = Deferred()
            self._running[key].append(waiter)
            return await waiter
        if not self.account_throttle.try_begin(throttle_key, even_if_blocked=known):
            return Throttled(IN_FLIGHT_RETRY_AFTER if known
                             else self._retry_after(throttle_key, client_address))
        if not self.address_throttle.try_begin(client_address):
            self.account_throttle.end(throttle_key)
            return Throttled(self._retry_after(throttle_key, client_address))
        try:
            return await self._run_kdf(key, password_hash, password)
        finally:
            self.account_throttle.end(throttle_key)
            self.address_throttle.end(client_address)

    def _retry_after(self, throttle_key: str, client_address: str) -> float:
        waits = [w for w in (self.account_throttle.retry_after(throttle_key),
                             self.address_throttle.retry_after(client_address))
                 if w is not None]
        return max(waits, default=IN_FLIGHT_RETRY_AFTER)

    async def _run_kdf(self, key: bytes | None, password_hash: str | None, password: str) -> bool:
        waiters: list[Deferred[bool]] = []
        if key is not None:
            self._running[key] = waiters
        try:
            result: bool = await deferToThreadPool(
                self._reactor, self._pool, self._check_in_thread, password_hash, password
            )
        except BaseException as error:
            failure = Failure(error)  # type: ignore[no-untyped-call]
            for waiter in self._pop_waiters(key):
                waiter.errback(failure)
            raise
        for waiter in self._pop_waiters(key):
            waiter.callback(result)
        return result

    def _check_in_thread(self, password_hash: str | None, password: str) -> bool:
        # Runs on the KDF pool; the decoy hash is made there too on first use.
        return self._verify(
            password_hash if password_hash is not None else decoy_password_hash(), password
        )

    def _pop_waiters(self, key: bytes | None) -> list[Deferred[bool]]:
        return self._running.pop(key, []) if key is not None else []
