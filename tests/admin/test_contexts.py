"""``oxdav-admin context ...`` through the real console entry point."""

from tests.admin.conftest import Admin


def test_created_context_is_listed_with_its_mappings(admin: Admin) -> None:
    admin.ok("context", "create", "acme", "--id", "7", "--mapping", "acme.test",
             "--taxonomy", "gold")
    [row] = admin.ok("context", "list", "--json").json()
    assert (row["id"], row["name"], row["mappings"], row["taxonomy"]) == (
        7, "acme", ["acme.test"], ["gold"])


def test_context_is_found_by_id_name_or_mapping(admin: Admin) -> None:
    admin.ok("context", "create", "acme", "--mapping", "acme.test")
    for spec in ("1", "acme", "ACME.test"):
        assert admin("user", "list", spec).code == 0


def test_duplicate_context_name_exits_3(admin: Admin) -> None:
    admin.ok("context", "create", "acme")
    result = admin("context", "create", "acme")
    assert result.code == 3
    assert "already exists" in result.err and "acme" in result.err


def test_context_change_sets_a_cascade_override(admin: Admin) -> None:
    admin.ok("context", "create", "acme")
    admin.ok("context", "change", "acme", "--config", "com.openexchange.caldav.enabled=false",
             "--disable")
    [row] = admin.ok("context", "list", "--json").json()
    assert row["config"] == {"com.openexchange.caldav.enabled": "false"}
    assert row["enabled"] is False


def test_server_wide_property_cannot_be_set_per_context(admin: Admin) -> None:
    result = admin("context", "create", "acme", "--config", "oxdav.listen.https=0.0.0.0:1")
    assert result.code == 1
    assert "oxdav.listen.https" in result.err and "server-wide" in result.err


def test_unknown_property_is_named(admin: Admin) -> None:
    result = admin("context", "create", "acme", "--config", "com.openexchange.caldav.nope=1")
    assert result.code == 1
    assert "unknown property 'com.openexchange.caldav.nope'" in result.err


def test_deleted_context_is_gone(admin: Admin) -> None:
    admin.ok("context", "create", "acme")
    admin.ok("context", "delete", "acme")
    assert admin.ok("context", "list", "--json").json() == []
    assert admin("context", "delete", "acme").code == 2


def test_usage_error_exits_1(admin: Admin) -> None:
    assert admin("context", "frobnicate").code == 1


def test_help_documents_the_exit_codes(admin: Admin) -> None:
    out = admin.ok("--help").out
    assert "exit codes" in out and "3  already exists" in out
