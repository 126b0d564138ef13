"""WebDAV-Push end to end: two real daemons on one PostgreSQL database, a real Web Push
service on loopback (tests/integration/push_service.py) holding each subscription's
private key. A subscription registered on one node is told of a change made on the
other, encrypted (RFC 8291) and VAPID-signed (RFC 8292), with the collection's topic
and new sync token; refused, expired and forgotten subscriptions go; tenants are walls.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.integration.nodes import Node, Response, admin_for, start_nodes, stop_nodes
from tests.integration.push_service import PUSH, PushService, Subscription

PASSWORD = "push password"
D = "{DAV:}"
ALICE = ("alice@acme.test", PASSWORD)
BOB = ("bob@acme.test", PASSWORD)
DAVE = ("dave@other.test", PASSWORD)
PROPS = """<D:propfind xmlns:D="DAV:" xmlns:P="https://bitfire.at/webdav-push"><D:prop>
<P:transports/><P:topic/><P:supported-triggers/><D:sync-token/></D:prop></D:propfind>"""


def card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nN:{uid};;;;\r\nEND:VCARD\r\n"


def event(uid: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//push//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20300101T100000Z\r\n"
            "DTEND:20300101T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@dataclass
class Setup:
    nodes: list[Node]
    service: PushService
    database: object
    directory: object

    def default(self, login: str, context: str, module: str) -> str:
        folders = admin_for(self.nodes[0]).ok("folder", "list", context, "--user", login,
                                              "--module", module, "--json").json()
        owned = [f for f in folders if f["default"] and f["owner"] == login]
        space = "caldav" if module == "calendar" else "carddav"
        return f"/dav/{space}/{owned[0]['id']}/"


@pytest.fixture(scope="module")
def setup(tmp_path_factory, postgres_cluster) -> Iterator[Setup]:
    database = postgres_cluster.new_database()
    directory = tmp_path_factory.mktemp("push")
    key = directory / "shared-vapid.pem"  # every node of one database signs alike
    extra = (f"oxdav.push.vapidKey = {key}\noxdav.push.allowPrivateEndpoints = true\n"
             "oxdav.push.delay = 200ms\noxdav.sync.pruneInterval = 1s\n")
    nodes = start_nodes(directory, database, 2, extra)
    service = PushService.start()
    try:
        admin = admin_for(nodes[0])
        admin.ok("context", "create", "acme", "--mapping", "acme.test")
        admin.ok("context", "create", "other", "--mapping", "other.test")
        for login, context in (("alice", "acme"), ("bob", "acme"), ("dave", "other")):
            admin.ok("user", "create", context, login, "--password-stdin",
                     "--email", f"{login}@{context}.test", stdin=PASSWORD + "\n")
        yield Setup(nodes, service, database, directory)
    finally:
        service.stop()
        stop_nodes(nodes)
        postgres_cluster.drop_database(database.name)


def register(node: Node, auth, href: str, subscription: Subscription, **options) -> Response:
    return node.request("POST", href, auth=auth, body=subscription.register_body(**options),
                        headers={"Content-Type": "application/xml; charset=utf-8"})


def registered(node: Node, auth, href: str, subscription: Subscription) -> str:
    """The registration URL (path) of a successful registration."""
    answer = register(node, auth, href, subscription)
    assert answer.status == 201, (answer.status, answer.body)
    assert answer.header("expires")
    location = answer.header("location")
    assert location.startswith("https://127.0.0.1:"), location  # DAVx5 needs it absolute
    return urlsplit(location).path


def push_props(node: Node, auth, href: str) -> tuple[str, str, str]:
    """The collection's (topic, sync token, VAPID key)."""
    answer = node.request("PROPFIND", href, auth=auth, body=PROPS, headers={"Depth": "0"})
    assert answer.status == 207, answer.body
    root = answer.xml()
    key = root.find(f".//{PUSH}transports/{PUSH}web-push/{PUSH}vapid-public-key")
    assert key is not None and key.get("type") == "p256ecdsa", answer.body
    level = root.findtext(f".//{PUSH}supported-triggers/{PUSH}content-update/{D}sync-level")
    assert level == "1", answer.body
    return root.findtext(f".//{PUSH}topic"), root.findtext(f".//{D}sync-token"), key.text


def put(node: Node, auth, href: str, body: str, *, headers: dict[str, str] | None = None
        ) -> Response:
    kind = "text/vcard" if href.endswith(".vcf") else "text/calendar"
    answer = node.request("PUT", href, auth=auth, body=body,
                          headers={"Content-Type": kind, **(headers or {})})
    assert answer.status in (201, 204), (answer.status, answer.body)
    return answer


def quiet(service: PushService, subscription: Subscription, count: int, wait: float = 1.5
          ) -> None:
    """No message beyond ``count`` arrives within ``wait`` seconds (several times the
    gathering delay)."""
    time.sleep(wait)
    assert len(service.posts(subscription)) == count


def test_every_collection_offers_push(setup) -> None:
    node = setup.nodes[0]
    answer = node.request("OPTIONS", "/dav/caldav/", auth=ALICE)
    assert "webdav-push" in [c.strip() for c in answer.header("dav").split(",")]
    keys = set()
    for href in (setup.default("alice", "acme", "calendar"),
                 setup.default("alice", "acme", "contacts"), "/dav/carddav/Contacts/"):
        topic, token, key = push_props(node, ALICE, href)
        assert topic and token
        keys.add(key)
        assert push_props(setup.nodes[1], ALICE, href)[0] == topic  # the same everywhere
    assert len(keys) == 1


def test_a_put_on_another_node_is_pushed_with_topic_and_token(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    calendar = setup.default("alice", "acme", "calendar")
    phone = service.subscription("alice-phone")
    location = registered(first, ALICE, calendar, phone)
    assert location.startswith("/dav/push/")
    topic, _, key = push_props(first, ALICE, calendar)
    put(second, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
    message = service.wait_for(phone)
    assert message.topic == topic and message.vapid_key == key
    assert message.sync_token == push_props(first, ALICE, calendar)[1]
    assert message.headers["topic"] == topic
    # A DELETE is pushed too, with the token after it.
    name = f"{calendar}{uuid.uuid4().hex}.ics"
    put(first, ALICE, name, event(uuid.uuid4().hex))
    service.wait_for(phone, 2)
    assert second.request("DELETE", name, auth=ALICE).status == 204
    after = service.wait_for(phone, 3)
    assert after.sync_token == push_props(second, ALICE, calendar)[1]
    # Unregistered: nothing more.
    assert second.request("DELETE", location, auth=ALICE).status == 204
    assert first.request("DELETE", location, auth=ALICE).status == 404
    put(first, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
    quiet(service, phone, 3)


def test_a_burst_is_one_message_and_the_writer_is_not_told_its_own(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    book = setup.default("alice", "acme", "contacts")
    phone, laptop = service.subscription("phone"), service.subscription("laptop")
    phone_url = registered(first, ALICE, book, phone)
    registered(second, ALICE, book, laptop)
    for _ in range(5):
        uid = uuid.uuid4().hex
        put(second, ALICE, f"{book}{uid}.vcf", card(uid),
            headers={"Push-Dont-Notify": f'"https://127.0.0.1{phone_url}"'})
    message = service.wait_for(laptop)
    assert message.sync_token == push_props(first, ALICE, book)[1]
    quiet(service, laptop, 1)
    assert service.posts(phone) == []


def test_a_change_in_a_folder_of_all_contacts_is_pushed_to_its_subscribers(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    aggregated = "/dav/carddav/Contacts/"
    phone = service.subscription("aggregated")
    registered(first, ALICE, aggregated, phone)
    topic = push_props(first, ALICE, aggregated)[0]
    book = setup.default("alice", "acme", "contacts")
    assert topic != push_props(first, ALICE, book)[0]
    uid = uuid.uuid4().hex
    put(second, ALICE, f"{book}{uid}.vcf", card(uid))
    message = service.wait_for(phone)
    assert message.topic == topic
    assert message.sync_token == push_props(second, ALICE, aggregated)[1]


def test_a_subscription_the_push_service_forgot_is_dropped(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    calendar = setup.default("alice", "acme", "calendar")
    gone = service.subscription("gone")
    location = registered(first, ALICE, calendar, gone)
    service.answer_with(gone, 410)
    put(second, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
    service.wait_for(gone)
    subscription_id = location.rsplit("/", 1)[1]
    deadline = time.monotonic() + 10
    with psycopg.connect(setup.database.dsn, autocommit=True) as conn:
        while conn.execute("SELECT COUNT(*) FROM push_subscriptions WHERE id = %s",
                           (subscription_id,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the forgotten subscription stayed"
            time.sleep(0.1)
    assert first.request("DELETE", location, auth=ALICE).status == 404


def test_an_expired_subscription_is_not_told_and_goes(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    calendar = setup.default("alice", "acme", "calendar")
    old = service.subscription("old")
    location = registered(first, ALICE, calendar, old)
    subscription_id = location.rsplit("/", 1)[1]
    with psycopg.connect(setup.database.dsn, autocommit=True) as conn:
        # Time passes: its expiry is now behind it.
        conn.execute("UPDATE push_subscriptions SET expires = 1 WHERE id = %s",
                     (subscription_id,))
        put(second, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
        quiet(service, old, 0)
        assert first.request("DELETE", location, auth=ALICE).status == 404
        deadline = time.monotonic() + 10  # the pruning job runs every second here
        while conn.execute("SELECT COUNT(*) FROM push_subscriptions WHERE id = %s",
                           (subscription_id,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the expired row was not pruned"
            time.sleep(0.2)


def test_tenants_are_walls(setup) -> None:
    service, (first, second) = setup.service, setup.nodes
    calendar = setup.default("alice", "acme", "calendar")
    # Nobody registers on a collection they cannot read (it is not there for them).
    # Folder ids are per context: the same path is dave's own calendar, whose topic
    # is another.
    assert register(first, BOB, calendar, service.subscription("intruder")).status == 404
    assert push_props(first, DAVE, calendar)[0] != push_props(first, ALICE, calendar)[0]
    # Nobody unregisters another's subscription, nor learns it exists.
    mine = service.subscription("mine")
    location = registered(first, ALICE, calendar, mine)
    for auth in (BOB, DAVE):
        assert second.request("DELETE", location, auth=auth).status == 404
    # Nobody learns of another's changes: bob's and dave's own calendars share no news.
    bobs, daves = service.subscription("bob"), service.subscription("dave")
    registered(first, BOB, setup.default("bob", "acme", "calendar"), bobs)
    registered(first, DAVE, setup.default("dave", "other", "calendar"), daves)
    put(second, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
    service.wait_for(mine)
    quiet(service, bobs, 0)
    assert service.posts(daves) == []
    # Bob's Push-Dont-Notify naming alice's registration mutes nothing of hers.
    bob_book = setup.default("bob", "acme", "contacts")
    uid = uuid.uuid4().hex
    put(second, BOB, f"{bob_book}{uid}.vcf", card(uid),
        headers={"Push-Dont-Notify": f'"{location}"'})
    quiet(service, mine, 1)
    put(second, ALICE, f"{calendar}{uuid.uuid4().hex}.ics", event(uuid.uuid4().hex))
    service.wait_for(mine, 2)
    assert second.request("DELETE", location, auth=ALICE).status == 204


def test_bad_registrations_get_the_drafts_errors(setup) -> None:
    service, node = setup.service, setup.nodes[0]
    calendar = setup.default("alice", "acme", "calendar")
    sub = service.subscription("bad")

    def post(body: str) -> Response:
        return node.request("POST", calendar, auth=ALICE, body=body,
                            headers={"Content-Type": "application/xml"})

    def condition(answer: Response) -> str:
        return next(iter(answer.xml())).tag

    answer = register(node, ALICE, calendar, sub, trigger="property")
    assert (answer.status, condition(answer)) == (403, f"{PUSH}no-supported-trigger")
    broken = sub.register_body().replace(sub.public_key, "AAAA")
    answer = post(broken)
    assert (answer.status, condition(answer)) == (403, f"{PUSH}invalid-subscription")
    answer = post(sub.register_body().replace(sub.endpoint, "ftp://x/" + "a" * 10))
    assert (answer.status, condition(answer)) == (403, f"{PUSH}invalid-subscription")
    answer = post(sub.register_body().replace(sub.endpoint, "https://x/" + "a" * 3000))
    assert (answer.status, condition(answer)) == (403, f"{PUSH}invalid-subscription")
    assert post("<x/>").status == 415
    assert post('<push-register xmlns="https://bitfire.at/webdav-push"' + " " * 20_000
                + "/>").status == 413
    # A missing trigger is content-update at depth 1; the older key name is taken too.
    assert register(node, ALICE, calendar, sub, trigger=None,
                    key_element="client-public-key").status == 201
    # Expiry: at least three days, at most the configured seven.
    answer = register(node, ALICE, calendar, service.subscription("soon"),
                      expires="Wed, 01 Jan 2020 00:00:00 GMT")
    granted = parsedate_to_datetime(answer.header("expires")).timestamp() - time.time()
    assert 3 * 86400 - 60 < granted <= 3 * 86400 + 60


def test_private_endpoints_are_refused_unless_allowed(setup, tmp_path) -> None:
    (strict,) = start_nodes(tmp_path, setup.database, 1,
                            f"oxdav.push.vapidKey = {setup.directory / 'shared-vapid.pem'}\n"
                            "oxdav.push.maxPerUser = 1\n")
    try:
        calendar = setup.default("alice", "acme", "calendar")
        sub = setup.service.subscription("private")
        for endpoint in (sub.endpoint, "https://127.0.0.1/x", "https://10.1.2.3/x",
                         "https://[::1]/x", "https://[::ffff:192.168.0.1]/x",
                         "https://169.254.169.254/latest", "https://localhost/x"):
            body = sub.register_body().replace(sub.endpoint, endpoint)
            answer = strict.request("POST", calendar, auth=ALICE, body=body,
                                    headers={"Content-Type": "application/xml"})
            assert answer.status == 403, (endpoint, answer.status)
            assert next(iter(answer.xml())).tag == f"{PUSH}invalid-subscription"
        # A public address is taken (a literal: no DNS here), up to the user's limit.
        admin_for(strict).ok("user", "create", "acme", "erin", "--password-stdin",
                             "--email", "erin@acme.test", stdin=PASSWORD + "\n")
        erin, href = ("erin@acme.test", PASSWORD), setup.default("erin", "acme", "calendar")
        public = [sub.register_body().replace(sub.endpoint, f"https://93.184.216.34/{n}")
                  for n in range(2)]
        headers = {"Content-Type": "application/xml"}
        for body, status in ((public[0], 201), (public[1], 403), (public[0], 201)):
            answer = strict.request("POST", href, auth=erin, body=body, headers=headers)
            assert answer.status == status, answer.body
            if status == 403:
                assert next(iter(answer.xml())).tag == f"{PUSH}push-not-available"
    finally:
        stop_nodes([strict])
