"""The verified-credential cache as the Authenticator uses it."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated, Forbidden, Unauthorized
from tests.directory.auth_fixtures import CACHE_TTL, CountingVerifier, make_authenticator
from tests.directory.memory_directory import MemoryDirectory, hashed

ADDRESS = "192.0.2.1"


async def alice(auth: Authenticator, password: str = "alice-secret", *, fresh: bool = False):
    return await auth.authenticate("alice@example.com", password, ADDRESS, "caldav",
                                   fresh=fresh)


async def served(auth: Authenticator, directory: MemoryDirectory,
                 password: str = "alice-secret"):
    """An attempt as a request makes it: a remembered verdict is confirmed against the
    directory (the store's ``confirm``) and, when its context moved, asked again fresh."""
    result = await alice(auth, password)
    if isinstance(result, Authenticated) and result.remembered \
            and not directory.is_current(result.context):
        result = await alice(auth, password, fresh=True)
    return result


@pytest_twisted.ensureDeferred
async def test_second_login_with_same_credentials_skips_the_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    assert isinstance(await alice(authenticator), Authenticated)
    assert isinstance(await alice(authenticator), Authenticated)
    assert verifier.calls == 1


@pytest_twisted.ensureDeferred
async def test_other_login_form_of_same_user_shares_the_cache_entry(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await alice(authenticator)
    result = await authenticator.authenticate(
        "a.smith@example.net", "alice-secret", ADDRESS, "carddav"
    )
    assert isinstance(result, Authenticated)
    assert verifier.calls == 1


@pytest_twisted.ensureDeferred
async def test_wrong_password_is_not_cached(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await alice(authenticator, "guess")
    await alice(authenticator, "guess")
    assert verifier.calls == 2


@pytest_twisted.ensureDeferred
async def test_old_password_is_refused_after_the_hash_changed(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    assert isinstance(await alice(authenticator), Authenticated)
    directory.change_user(directory.users[(10, 3)], password_hash=hashed("new-secret"))
    assert await served(authenticator, directory) == Unauthorized()
    assert isinstance(await served(authenticator, directory, "new-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_rehashed_same_password_runs_the_kdf_again(
    authenticator: Authenticator, directory: MemoryDirectory, verifier: CountingVerifier
) -> None:
    from oxdav.directory.passwords import hash_password

    await alice(authenticator)
    directory.change_user(directory.users[(10, 3)], password_hash=hash_password("alice-secret"))
    assert isinstance(await served(authenticator, directory), Authenticated)
    assert verifier.calls == 2


@pytest_twisted.ensureDeferred
async def test_cached_credential_expires_after_the_ttl(
    authenticator: Authenticator, verifier: CountingVerifier, clock: Clock
) -> None:
    await alice(authenticator)
    clock.advance(CACHE_TTL - 1)
    await alice(authenticator)
    assert verifier.calls == 1
    clock.advance(1)
    assert isinstance(await alice(authenticator), Authenticated)
    assert verifier.calls == 2


@pytest_twisted.ensureDeferred
async def test_cache_hit_still_refuses_a_user_disabled_since(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    await alice(authenticator)
    directory.change_user(directory.users[(10, 3)], enabled=False)
    assert not isinstance(await served(authenticator, directory), Authenticated)


@pytest_twisted.ensureDeferred
async def test_parallel_identical_credentials_share_one_kdf_run(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    attempts = [Deferred.fromCoroutine(alice(authenticator)) for _ in range(4)]
    results = await gatherResults(attempts)
    assert all(isinstance(r, Authenticated) for r in results)
    assert verifier.calls == 1


@pytest_twisted.ensureDeferred
async def test_a_login_that_passed_is_remembered_without_a_lookup(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    first = await alice(authenticator)
    opened = directory.transactions_opened
    second = await alice(authenticator)
    assert isinstance(first, Authenticated) and not first.remembered
    assert isinstance(second, Authenticated) and second.remembered
    assert directory.transactions_opened == opened
    assert second.context == first.context and second.user == first.user


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_is_not_used_for_another_password(
    authenticator: Authenticator, directory: MemoryDirectory, verifier: CountingVerifier
) -> None:
    await alice(authenticator)
    assert await alice(authenticator, "guess") == Unauthorized()
    assert verifier.calls == 2
    again = await alice(authenticator)
    assert isinstance(again, Authenticated) and again.remembered


@pytest_twisted.ensureDeferred
async def test_fresh_looks_the_login_up_and_remembers_the_new_answer(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    await alice(authenticator)
    opened = directory.transactions_opened
    fresh = await alice(authenticator, fresh=True)
    assert isinstance(fresh, Authenticated) and not fresh.remembered
    assert directory.transactions_opened == opened + 1


@pytest_twisted.ensureDeferred
async def test_a_refusal_is_not_remembered(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    directory.change_user(directory.users[(10, 3)], enabled=False)
    assert not isinstance(await alice(authenticator), Authenticated)
    directory.change_user(directory.users[(10, 3)], enabled=True)
    result = await alice(authenticator)
    assert isinstance(result, Authenticated) and not result.remembered


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_expires_with_the_credential_ttl(
    authenticator: Authenticator, directory: MemoryDirectory, clock: Clock
) -> None:
    await alice(authenticator)
    clock.advance(CACHE_TTL)
    result = await alice(authenticator)
    assert isinstance(result, Authenticated) and not result.remembered


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_ends_with_its_passwords_verification(
    authenticator: Authenticator, verifier: CountingVerifier, clock: Clock
) -> None:
    # Looked up again half-way (fresh), the login is remembered anew from a credential
    # verified at the start: it must not outlive that verification.
    await alice(authenticator)
    clock.advance(CACHE_TTL / 2)
    await alice(authenticator, fresh=True)
    assert verifier.calls == 1
    clock.advance(CACHE_TTL / 2)
    result = await alice(authenticator)
    assert isinstance(result, Authenticated) and not result.remembered
    assert verifier.calls == 2


@pytest_twisted.ensureDeferred
async def test_an_interface_enabled_again_lets_a_remembered_login_in_at_once(
    directory: MemoryDirectory, clock: Clock, verifier: CountingVerifier
) -> None:
    # The interface check reads the user's own config, as the cascade does: a login
    # remembered through one interface carries the user record of that moment.
    def enabled(context, user, interface) -> bool:
        return user.config.get(f"{interface}.enabled", "true") == "true"

    auth = make_authenticator(directory, clock, verifier, enabled)
    auth.startService()
    try:
        directory.change_user(directory.users[(10, 3)], config={"caldav.enabled": "false"})
        assert isinstance(await served(auth, directory), Forbidden)  # caldav
        assert isinstance(await auth.authenticate("alice@example.com", "alice-secret",
                                                  ADDRESS, "carddav"), Authenticated)
        directory.change_user(directory.users[(10, 3)], config={"caldav.enabled": "true"})
        assert isinstance(await served(auth, directory), Authenticated)
        directory.change_user(directory.users[(10, 3)], config={"caldav.enabled": "false"})
        assert isinstance(await served(auth, directory), Forbidden)
    finally:
        auth.stopService()
