"""``oxdav-admin group ...`` and ``folder ...``."""

import pytest_twisted

from tests.admin.conftest import Admin


def test_group_members_are_listed_by_login(acme: Admin) -> None:
    acme.ok("group", "create", "acme", "staff", "--member", "alice")
    [row] = acme.ok("group", "list", "acme", "--json").json()
    assert (row["name"], row["members"]) == ("staff", ["alice"])


def test_group_with_an_unknown_member_exits_2(acme: Admin) -> None:
    assert acme("group", "create", "acme", "staff", "--member", "bob").code == 2


def test_shared_folder_is_visible_to_the_grantee(acme: Admin) -> None:
    acme.ok("user", "create", "acme", "bob", "--password", "x")
    created = acme.ok("folder", "create", "acme", "alice", "Team", "--module", "calendar")
    folder_id = created.out.split()[2]
    acme.ok("folder", "share", "acme", folder_id, "--user", "bob", "--write", "own")
    seen = acme.ok("folder", "list", "acme", "--user", "bob", "--json").json()
    [team] = [f for f in seen if f["name"] == "Team"]
    assert team["permissions"] == ["user:bob=r:all/w:own/d:none"]


def test_default_folder_cannot_be_deleted(acme: Admin) -> None:
    folders = acme.ok("folder", "list", "acme", "--json").json()
    default = next(f for f in folders if f["default"])
    result = acme("folder", "delete", "acme", str(default["id"]))
    assert result.code == 1 and "default" in result.err


def test_dns_records_follow_the_rfc_6764_format(admin: Admin) -> None:
    out = admin.ok("dns-records", "--host", "dav.example.com").out
    lines = [line.split() for line in out.splitlines() if not line.startswith(";")]
    assert ["_caldavs._tcp.example.com.", "10800", "IN", "SRV", "10", "1", "443",
            "dav.example.com."] in lines
    assert ["_carddavs._tcp.example.com.", "10800", "IN", "TXT", "path=/dav"] in lines
    assert not any(line[0].startswith("_caldav._tcp") for line in lines)


def test_dns_records_include_port_80_with_a_plain_listener(tmp_path) -> None:
    from tests.admin.conftest import write_admin_config

    admin = Admin(write_admin_config(tmp_path / "etc",
                                     "oxdav.listen.http = 127.0.0.1:0\n"
                                     "oxdav.hostname = dav.example.org\n"))
    out = admin.ok("dns-records", "--domain", "example.org", "--port", "8443").out
    lines = [line.split() for line in out.splitlines() if not line.startswith(";")]
    assert ["_caldav._tcp.example.org.", "10800", "IN", "SRV", "10", "1", "80",
            "dav.example.org."] in lines
    assert ["_carddavs._tcp.example.org.", "10800", "IN", "SRV", "10", "1", "8443",
            "dav.example.org."] in lines


def test_folder_list_prints_the_caldav_url_through_the_owners_cascade(acme: Admin) -> None:
    acme.config.joinpath("oxdav.properties").write_text(
        acme.config.joinpath("oxdav.properties").read_text()
        + "oxdav.hostname = dav.acme.test\n")
    acme.ok("user", "change", "acme", "alice", "--config",
            "com.openexchange.caldav.url=https://[hostname]/cal/[folderId]")
    folders = acme.ok("folder", "list", "acme", "--json").json()
    calendar = next(f for f in folders if f["module"] == "calendar" and f["default"])
    contacts = next(f for f in folders if f["module"] == "contacts" and f["default"])
    assert calendar["url"] == f"https://dav.acme.test/cal/{calendar['id']}"
    assert contacts["url"] is None


def test_folder_list_default_caldav_url_names_the_served_path(acme: Admin) -> None:
    folders = acme.ok("folder", "list", "acme", "--json").json()
    tasks = next(f for f in folders if f["module"] == "tasks" and f["default"])
    assert tasks["url"].endswith(f"/dav/caldav/{tasks['id']}/")


@pytest_twisted.ensureDeferred
async def test_folder_list_shows_the_component_types_a_calendar_takes(acme: Admin) -> None:
    """The OX folders keep their type; a calendar a client made without a component set
    is a calendar folder that takes every type (RFC 4791 §5.2.3)."""
    async with acme.transaction(write=True) as txn:
        [context] = [c for c in await txn.contexts() if c.name == "acme"]
        [alice] = [u for u in await txn.users(context.id) if u.login == "alice"]
        home = await txn.home(context.id, alice.id)
        await home.create_folder("calendar", "Mixed",
                                 components=["VEVENT", "VTODO", "VJOURNAL"])
    folders = acme.ok("folder", "list", "acme", "--json").json()
    shown = {(f["module"], f["name"], f["default"]): f["components"] for f in folders}
    assert shown[("calendar", "Mixed", False)] == ["VEVENT", "VJOURNAL", "VTODO"]
    defaults = {module: c for (module, _, default), c in shown.items() if default}
    assert defaults == {"calendar": ["VEVENT"], "tasks": ["VTODO"], "contacts": None}
    table = acme.ok("folder", "list", "acme").out
    assert "VEVENT,VJOURNAL,VTODO" in table
