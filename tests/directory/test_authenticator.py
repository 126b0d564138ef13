"""Authenticator outcomes: login forms, wrong passwords, disabled accounts."""

from __future__ import annotations

import pytest_twisted

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import (
    Authenticated,
    Forbidden,
    ForbiddenReason,
    Unauthorized,
)
from tests.directory.auth_fixtures import CountingVerifier, InterfaceSwitch
from tests.directory.memory_directory import MemoryDirectory

ADDRESS = "192.0.2.1"


async def login(auth: Authenticator, name: str, password: str, interface: str = "caldav"):
    return await auth.authenticate(name, password, ADDRESS, interface)  # type: ignore[arg-type]


def ids(result: object) -> tuple[int, int]:
    assert isinstance(result, Authenticated), result
    return (result.context.id, result.user.id)


@pytest_twisted.ensureDeferred
async def test_user_at_mapping_logs_in(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "alice@example.com", "alice-secret")) == (10, 3)


@pytest_twisted.ensureDeferred
async def test_any_mapping_of_the_context_selects_it(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "bob@example.net", "bob-secret")) == (10, 4)


@pytest_twisted.ensureDeferred
async def test_primary_email_logs_in(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "carol@other.org", "carol-secret")) == (20, 3)


@pytest_twisted.ensureDeferred
async def test_email_alias_logs_in(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "a.smith@example.net", "alice-secret")) == (10, 3)


@pytest_twisted.ensureDeferred
async def test_bare_login_resolves_in_defaultcontext(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "dave", "dave-secret")) == (1, 5)


@pytest_twisted.ensureDeferred
async def test_bare_login_of_other_context_is_unauthorized(authenticator: Authenticator) -> None:
    assert await login(authenticator, "alice", "alice-secret") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_bare_login_without_defaultcontext_is_unauthorized(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    del directory.contexts[1]
    assert await login(authenticator, "dave", "dave-secret") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_login_is_split_at_the_last_at_sign(authenticator: Authenticator) -> None:
    assert ids(await login(authenticator, "a@b@example.com", "ab-secret")) == (10, 6)


@pytest_twisted.ensureDeferred
async def test_user_of_another_context_cannot_use_this_mapping(
    authenticator: Authenticator,
) -> None:
    assert await login(authenticator, "carol@example.com", "carol-secret") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_wrong_password_is_unauthorized(authenticator: Authenticator) -> None:
    assert await login(authenticator, "alice@example.com", "guess") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_unknown_user_gets_the_same_result_as_wrong_password(
    authenticator: Authenticator,
) -> None:
    unknown = await login(authenticator, "nobody@example.com", "guess")
    wrong = await login(authenticator, "bob@example.com", "guess")
    assert unknown == wrong == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_unknown_user_still_runs_the_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await login(authenticator, "nobody@nowhere.test", "guess")
    assert verifier.calls == 1


@pytest_twisted.ensureDeferred
async def test_overlong_password_is_unauthorized_without_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    assert await login(authenticator, "bob@example.com", "x" * 5000) == Unauthorized()
    assert verifier.calls == 0


@pytest_twisted.ensureDeferred
async def test_disabled_user_is_forbidden(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    directory.change_user(directory.users[(10, 4)], enabled=False)
    result = await login(authenticator, "bob@example.com", "bob-secret")
    assert result == Forbidden(ForbiddenReason.USER_DISABLED)


@pytest_twisted.ensureDeferred
async def test_disabled_user_with_wrong_password_is_unauthorized(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    directory.change_user(directory.users[(10, 4)], enabled=False)
    assert await login(authenticator, "bob@example.com", "guess") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_disabled_context_is_forbidden(
    authenticator: Authenticator, directory: MemoryDirectory
) -> None:
    import dataclasses

    directory.add_context(dataclasses.replace(directory.contexts[20], enabled=False))
    result = await login(authenticator, "carol@other.org", "carol-secret")
    assert result == Forbidden(ForbiddenReason.CONTEXT_DISABLED)


@pytest_twisted.ensureDeferred
async def test_disabled_interface_is_forbidden(
    authenticator: Authenticator, interfaces: InterfaceSwitch
) -> None:
    interfaces.disabled.add((10, 3, "carddav"))
    result = await login(authenticator, "alice@example.com", "alice-secret", "carddav")
    assert result == Forbidden(ForbiddenReason.INTERFACE_DISABLED)


@pytest_twisted.ensureDeferred
async def test_interface_check_is_asked_for_the_requested_interface(
    authenticator: Authenticator, interfaces: InterfaceSwitch
) -> None:
    interfaces.disabled.add((10, 3, "carddav"))
    assert ids(await login(authenticator, "alice@example.com", "alice-secret", "caldav"))
    assert interfaces.asked == [(10, 3, "caldav")]


@pytest_twisted.ensureDeferred
async def test_authenticated_repr_hides_the_user_record(authenticator: Authenticator) -> None:
    result = await login(authenticator, "alice@example.com", "alice-secret")
    assert "argon2" not in repr(result)
