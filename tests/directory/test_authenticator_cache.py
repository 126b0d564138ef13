"""The verified-credential cache as the Authenticator uses it."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated, Unauthorized
from tests.directory.auth_fixtures import CACHE_TTL, CountingVerifier
from tests.directory.memory_directory import MemoryDirectory, hashed

ADDRESS = "192.0.2.1"


async def alice(auth: Authenticator, password: str = "alice-secret"):
    return await auth.authenticate("alice@example.com", password, ADDRESS, "caldav")


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
    assert await alice(authenticator) == Unauthorized()
    assert isinstance(await alice(authenticator, "new-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_rehashed_same_password_runs_the_kdf_again(
    authenticator: Authenticator, directory: MemoryDirectory, verifier: CountingVerifier
) -> None:
    from oxdav.directory.passwords import hash_password

    await alice(authenticator)
    directory.change_user(directory.users[(10, 3)], password_hash=hash_password("alice-secret"))
    assert isinstance(await alice(authenticator), Authenticated)
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
    assert not isinstance(await alice(authenticator), Authenticated)


@pytest_twisted.ensureDeferred
async def test_parallel_identical_credentials_share_one_kdf_run(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    attempts = [Deferred.fromCoroutine(alice(authenticator)) for _ in range(4)]
    results = await gatherResults(attempts)
    assert all(isinstance(r, Authenticated) for r in results)
    assert verifier.calls == 1
