"""``oxdav-admin user ...``: provisioning, errors and the GAL card."""

import pytest_twisted

from oxdav.carddav.convert import convert
from oxdav.directory.passwords import verify_password
from oxdav.directory.provisioning import gal_card_name
from oxdav.store import GAL_FOLDER_ID
from tests.admin.conftest import Admin


def test_new_user_gets_three_default_folders(acme: Admin) -> None:
    folders = acme.ok("folder", "list", "acme", "--user", "alice", "--json").json()
    defaults = {f["module"] for f in folders if f["default"] and f["owner"] == "alice"}
    assert defaults == {"calendar", "tasks", "contacts"}


@pytest_twisted.ensureDeferred
async def test_new_user_gets_a_gal_card(acme: Admin) -> None:
    async with acme.transaction() as txn:
        user = await txn.user_by_login(1, "alice")
        gal = await txn.system_collection(1, GAL_FOLDER_ID)
        card = await gal.get(gal_card_name(user.id))
    assert b"FN:Alice Liddell" in card.data


@pytest_twisted.ensureDeferred
async def test_password_is_stored_hashed_and_never_echoed(acme: Admin) -> None:
    result = acme.ok("user", "change", "acme", "alice", "--password", "n3w-secret")
    assert "n3w-secret" not in result.out + result.err
    async with acme.transaction() as txn:
        user = await txn.user_by_login(1, "alice")
    assert user.password_hash and verify_password(user.password_hash, "n3w-secret")


def test_duplicate_login_exits_3_with_a_clear_message(acme: Admin) -> None:
    result = acme("user", "create", "acme", "alice", "--password", "x")
    assert result.code == 3
    assert "login 'alice' already exists" in result.err


def test_unknown_context_exits_2(admin: Admin) -> None:
    result = admin("user", "create", "nowhere", "bob", "--password", "x")
    assert result.code == 2
    assert "'nowhere'" in result.err


def test_invalid_config_value_exits_1_naming_allowed_values(acme: Admin) -> None:
    result = acme("user", "change", "acme", "alice",
                  "--config", "com.openexchange.caldav.interval.start=forever")
    assert result.code == 1
    assert "com.openexchange.caldav.interval.start" in result.err
    assert "one_month, six_months, one_year" in result.err


def test_user_change_disables_and_sets_overrides(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--disable",
            "--config", "com.openexchange.caldav.enabled=false")
    [row] = acme.ok("user", "list", "acme", "--json").json()
    assert row["enabled"] is False
    assert row["config"] == {"com.openexchange.caldav.enabled": "false"}


@pytest_twisted.ensureDeferred
async def test_changed_name_reaches_the_gal_card(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--display-name", "Alice Cooper")
    async with acme.transaction() as txn:
        card = await (await txn.system_collection(1, GAL_FOLDER_ID)).get(gal_card_name(1))
    assert b"FN:Alice Cooper" in card.data


@pytest_twisted.ensureDeferred
async def test_gal_card_is_stored_with_its_vcard_4_0_version(acme: Admin) -> None:
    async def stored():
        async with acme.transaction() as txn:
            gal = await txn.system_collection(1, GAL_FOLDER_ID)
            return await gal.get(gal_card_name(1), derived=True)

    created = await stored()  # by "user create"
    assert created.derived == convert(created.data, "4.0")
    acme.ok("user", "change", "acme", "alice", "--display-name", "Alice Cooper")
    changed = await stored()
    assert changed.derived == convert(changed.data, "4.0")
    assert b"FN:Alice Cooper" in changed.derived


@pytest_twisted.ensureDeferred
async def test_deleting_a_user_removes_the_gal_card(acme: Admin) -> None:
    acme.ok("user", "delete", "acme", "alice")
    async with acme.transaction() as txn:
        names = [m.name for m in await (await txn.system_collection(1, GAL_FOLDER_ID)).list()]
        assert await txn.users(1) == []
    assert names == []


def test_deleting_an_unknown_user_exits_2(acme: Admin) -> None:
    assert acme("user", "delete", "acme", "bob").code == 2


def test_user_create_takes_repeated_phones_shown_in_list(admin: Admin) -> None:
    admin.ok("context", "create", "acme")
    admin.ok("user", "create", "acme", "bob", "--password", "x",
             "--phone", "+49 30 1234", "--phone", "+1 555 0100")
    [row] = admin.ok("user", "list", "acme", "--json").json()
    assert row["phones"] == ["+49 30 1234", "+1 555 0100"]
    header, line = admin.ok("user", "list", "acme").out.splitlines()
    assert "phones" in header.split() and "+49 30 1234,+1 555 0100" in line


def test_user_change_phone_replaces_all_numbers(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--phone", "111", "--phone", "222")
    acme.ok("user", "change", "acme", "alice", "--phone", "333")
    [row] = acme.ok("user", "list", "acme", "--json").json()
    assert row["phones"] == ["333"]


def test_user_change_without_phone_keeps_the_numbers(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--phone", "111")
    acme.ok("user", "change", "acme", "alice", "--display-name", "Alice Cooper")
    [row] = acme.ok("user", "list", "acme", "--json").json()
    assert row["phones"] == ["111"]


def test_user_change_empty_phone_clears_the_numbers(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--phone", "111")
    acme.ok("user", "change", "acme", "alice", "--phone", "")
    [row] = acme.ok("user", "list", "acme", "--json").json()
    assert row["phones"] == []


@pytest_twisted.ensureDeferred
async def test_changed_phones_reach_the_gal_card(acme: Admin) -> None:
    acme.ok("user", "change", "acme", "alice", "--phone", "+49 30 1234")
    async with acme.transaction() as txn:
        card = await (await txn.system_collection(1, GAL_FOLDER_ID)).get(gal_card_name(1))
    assert b"TEL;TYPE=WORK,VOICE:+49 30 1234" in card.data


def test_names_and_addresses_dav_clients_cannot_be_shown_are_refused(acme) -> None:
    result = acme("user", "create", "acme", "bob", "--password", "pw",
                  "--display-name", "Bob\x1b[2J")
    assert result.code == 1 and "U+001B at character 3" in result.err
    for option, value in (("--phone", "+49\x01"), ("--email", "a\x0b@acme.test"),
                          ("--alias", "b\uffff@acme.test")):
        result = acme("user", "change", "acme", "alice", option, value)
        assert result.code == 1, option
    result = acme("folder", "create", "acme", "alice", "Work\x01", "--module", "calendar")
    assert result.code == 1
    result = acme("user", "create", "acme", "carol", "--password", "pw",
                  "--id", "99999999999999999999")
    assert result.code == 1 and "invalid id" in result.err
    assert "bob" not in acme.ok("user", "list", "acme").out
