"""Two real daemons on one PostgreSQL database, no stickiness (DESIGN.md §8): a client
that alternates between them at random never reads a stale answer; what ``oxdav-admin``
changes counts on both at once; racing writers on both lose nothing and exactly one of
them wins; failed logins count on both, so guesses spread over them meet the
same thresholds as on one."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.nodes import (
    LISTING,
    SYNC,
    Listing,
    Node,
    Response,
    admin_for,
    listing,
    start_nodes,
    stop_nodes,
    sync_answer,
)

PASSWORD = "first password"
#: Inside the sync window that bounds listings and sync-collection.
DAY = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")


def event(uid: str, summary: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//multinode//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{DAY}T100000Z\r\n"
            f"DTEND:{DAY}T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def card(uid: str, summary: str) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{summary}\r\n"
            f"N:{summary};;;;\r\nEND:VCARD\r\n")


@dataclass(frozen=True)
class Kind:
    """A collection kind: where its objects live and what they look like."""

    name: str
    suffix: str
    content_type: str
    make: Callable[[str, str], str]


CALENDAR = Kind("caldav", ".ics", "text/calendar", event)
ADDRESSBOOK = Kind("carddav", ".vcf", "text/vcard", card)


@dataclass
class Cluster:
    nodes: list[Node]
    rng: random.Random

    def any(self) -> Node:
        return self.rng.choice(self.nodes)

    def other(self, node: Node) -> Node:
        return next(n for n in self.nodes if n is not node)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_cluster) -> Iterator[Cluster]:
    database = postgres_cluster.new_database()
    nodes = start_nodes(tmp_path_factory.mktemp("multinode"), database, 2)
    try:
        admin = admin_for(nodes[0])
        admin.ok("context", "create", "acme", "--mapping", "acme.test")
        for login in ("alice", "bob", "carol"):
            admin.ok("user", "create", "acme", login, "--password-stdin",
                     "--email", f"{login}@acme.test", stdin=PASSWORD + "\n")
        yield Cluster(nodes, random.Random(16))
    finally:
        stop_nodes(nodes)
        postgres_cluster.drop_database(database.name)


def default_collection(cluster: Cluster, login: str, password: str, kind: Kind) -> str:
    """The href of the user's default calendar or address book (folder list)."""
    module = "calendar" if kind is CALENDAR else "contacts"
    folders = admin_for(cluster.nodes[0]).ok("folder", "list", "acme", "--user", login,
                                              "--module", module, "--json").json()
    owned = [f for f in folders if f["default"] and f["owner"] == login]
    return f"/dav/{kind.name}/{owned[0]['id']}/"


def put(node: Node, auth, href: str, kind: Kind, text: str, **conditions: str) -> Response:
    return node.request("PUT", href, auth=auth, body=text,
                        headers={"Content-Type": kind.content_type, **conditions})


def putting(auth, href: str, kind: Kind, text: str, **conditions: str
            ) -> Callable[[Node], Response]:
    """A PUT to send later, on whichever node."""
    return lambda node: put(node, auth, href, kind, text, **conditions)


def deleting(auth, href: str, **conditions: str) -> Callable[[Node], Response]:
    """A DELETE to send later, on whichever node."""
    return lambda node: node.request("DELETE", href, auth=auth, headers=conditions)


def list_collection(node: Node, auth, href: str) -> Listing:
    return listing(node.request("PROPFIND", href, auth=auth, body=LISTING,
                                headers={"Depth": "1"}), href)


# -- a client alternating between the nodes ---------------------------------------------


@pytest.mark.parametrize("kind", [CALENDAR, ADDRESSBOOK], ids=lambda k: k.name)
def test_a_client_alternating_between_nodes_never_reads_a_stale_answer(cluster, kind
                                                                         ) -> None:
    auth = ("alice@acme.test", PASSWORD)
    collection = default_collection(cluster, "alice", PASSWORD, kind)
    rng = cluster.rng
    first = list_collection(cluster.any(), auth, collection)
    model: dict[str, str] = dict(first.members)  # href -> ETag the client expects
    ctag = first.ctag
    status, token = 0, sync_answer(cluster.any().request(
        "REPORT", collection, auth=auth, body=SYNC.format(token=""),
        headers={"Depth": "1"}))[0]
    for step in range(24):
        writer = cluster.any()
        reader = cluster.other(writer)
        names = sorted(model)
        choice = rng.random()
        if not names or choice < 0.45:
            href = f"{collection}{uuid.uuid4().hex}{kind.suffix}"
            response = put(writer, auth, href, kind, kind.make(href, f"new {step}"),
                           **{"If-None-Match": "*"})
            status, expected = 201, response.header("ETag")
        elif choice < 0.8:
            href = rng.choice(names)
            response = put(writer, auth, href, kind, kind.make(href, f"changed {step}"),
                           **{"If-Match": model[href]})
            status, expected = 204, response.header("ETag")
        else:
            href = rng.choice(names)
            response = writer.request("DELETE", href, auth=auth,
                                      headers={"If-Match": model[href]})
            status, expected = 204, None
        assert response.status == status, (writer.name, response.status, response.body)
        if expected is None:
            del model[href]
        else:
            assert expected and expected != model.get(href)
            model[href] = expected

        # The other node, at once: the object, the listing, the changes, the ctag.
        got = reader.request("GET", href, auth=auth)
        if expected is None:
            assert got.status == 404, (reader.name, step)
        else:
            assert (got.status, got.header("ETag")) == (200, expected), (reader.name, step)
        now = list_collection(reader, auth, collection)
        assert now.members == model, (reader.name, step)
        assert now.ctag != ctag, (reader.name, step)
        ctag = now.ctag
        new_token, changes = sync_answer(reader.request(
            "REPORT", collection, auth=auth, body=SYNC.format(token=token),
            headers={"Depth": "1"}))
        assert changes == {href: expected}, (reader.name, step)
        assert new_token != token and new_token == now.token
        token = new_token
        # And a node picked at random agrees too.
        assert list_collection(cluster.any(), auth, collection).members == model


# -- what oxdav-admin changes -----------------------------------------------------------


def test_a_new_password_refuses_the_old_one_on_both_nodes_at_once(cluster) -> None:
    old, new = ("carol@acme.test", PASSWORD), ("carol@acme.test", "second password")
    for node in cluster.nodes:  # both nodes remember the login
        assert node.request("PROPFIND", "/dav/caldav/", auth=old,
                            headers={"Depth": "0"}).status == 207
    admin_for(cluster.any()).ok("user", "change", "acme", "carol", "--password-stdin",
                                stdin=new[1] + "\n")
    for node in cluster.nodes:
        assert node.request("PROPFIND", "/dav/caldav/", auth=old,
                            headers={"Depth": "0"}).status == 401, node.name
    for node in cluster.nodes:
        assert node.request("PROPFIND", "/dav/caldav/", auth=new,
                            headers={"Depth": "0"}).status == 207, node.name
        assert node.request("PROPFIND", "/dav/caldav/", auth=old,
                            headers={"Depth": "0"}).status == 401, node.name


def test_disabling_and_enabling_a_user_counts_on_both_nodes_at_once(cluster) -> None:
    auth = ("bob@acme.test", PASSWORD)
    admin = admin_for(cluster.any())
    for node in cluster.nodes:
        assert node.request("PROPFIND", "/dav/carddav/", auth=auth,
                            headers={"Depth": "0"}).status == 207
    admin.ok("user", "change", "acme", "bob", "--disable")
    for node in cluster.nodes:
        assert node.request("PROPFIND", "/dav/carddav/", auth=auth,
                            headers={"Depth": "0"}).status == 403, node.name
    admin.ok("user", "change", "acme", "bob", "--enable")
    for node in cluster.nodes:
        assert node.request("PROPFIND", "/dav/carddav/", auth=auth,
                            headers={"Depth": "0"}).status == 207, node.name


def test_a_revoked_share_disappears_on_both_nodes_at_once(cluster) -> None:
    alice, bob = ("alice@acme.test", PASSWORD), ("bob@acme.test", PASSWORD)
    admin = admin_for(cluster.any())
    created = admin.ok("folder", "create", "acme", "alice", "Team", "--module",
                       "calendar").out
    folder = int(created.split()[2])
    shared = f"/dav/caldav/{folder}/"
    href = f"{shared}meeting.ics"
    assert put(cluster.any(), alice, href, CALENDAR, event("meeting", "Meeting"),
               **{"If-None-Match": "*"}).status == 201
    admin.ok("folder", "share", "acme", str(folder), "--user", "bob", "--read", "all")
    for node in cluster.nodes:  # bob sees it on both (and both keep his login)
        home = list_collection(node, bob, "/dav/caldav/")
        assert shared in home.members, node.name
        assert node.request("GET", href, auth=bob).status == 200, node.name
    admin.ok("folder", "share", "acme", str(folder), "--user", "bob", "--revoke")
    for node in cluster.nodes:
        home = list_collection(node, bob, "/dav/caldav/")
        assert shared not in home.members, node.name
        assert node.request("GET", href, auth=bob).status == 404, node.name
        assert node.request("PROPFIND", shared, auth=bob, body=LISTING,
                            headers={"Depth": "0"}).status == 404, node.name


def share_body(who: str, access: str | None) -> str:
    """A CS:share body setting (or, for None, removing) ``who``."""
    inner = (f"<CS:remove><D:href>{who}</D:href></CS:remove>" if access is None else
             f"<CS:set><D:href>{who}</D:href><CS:{access}/></CS:set>")
    return (f'<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">{inner}'
            "</CS:share>")


def test_a_share_from_the_client_and_its_revocation_count_on_both_nodes_at_once(
        cluster) -> None:
    alice, bob = ("alice@acme.test", PASSWORD), ("bob@acme.test", PASSWORD)
    admin = admin_for(cluster.any())
    created = admin.ok("folder", "create", "acme", "alice", "Shared from a client",
                       "--module", "calendar").out
    shared = f"/dav/caldav/{int(created.split()[2])}/"
    href = f"{shared}plan.ics"
    assert put(cluster.any(), alice, href, CALENDAR, event("plan", "Plan"),
               **{"If-None-Match": "*"}).status == 201
    sharer = cluster.any()
    assert sharer.request("POST", shared, auth=alice, body=share_body(
        "mailto:bob@acme.test", "read-write"), headers={"Content-Type": "text/xml"}
        ).status == 200
    other = cluster.other(sharer)
    notes = other.request("PROPFIND", "/dav/caldav/notifications/", auth=bob,
                          headers={"Depth": "1"})
    assert notes.status == 207 and b"invite-" in notes.body
    reply = ('<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
             f"<CS:invite-accepted/><CS:hosturl><D:href>{shared}</D:href></CS:hosturl>"
             "</CS:invite-reply>")
    assert other.request("POST", "/dav/caldav/", auth=bob, body=reply,
                         headers={"Content-Type": "text/xml"}).status == 200
    for node in cluster.nodes:  # bob sees and writes it on both
        assert shared in list_collection(node, bob, "/dav/caldav/").members, node.name
        assert node.request("GET", href, auth=bob).status == 200, node.name
        invite = node.request("PROPFIND", shared, auth=alice, headers={"Depth": "0"},
                              body='<D:propfind xmlns:D="DAV:"><D:prop><CS:invite '
                                   'xmlns:CS="http://calendarserver.org/ns/"/></D:prop>'
                                   "</D:propfind>")
        assert b"invite-accepted" in invite.body, node.name
    assert put(sharer, bob, f"{shared}bob.ics", CALENDAR, event("bob", "Bob's"),
               **{"If-None-Match": "*"}).status == 201
    assert other.request("POST", shared, auth=alice, body=share_body(
        "mailto:bob@acme.test", None), headers={"Content-Type": "text/xml"}).status == 200
    for node in cluster.nodes:
        assert shared not in list_collection(node, bob, "/dav/caldav/").members, node.name
        assert node.request("GET", href, auth=bob).status == 404, node.name
        # as for a calendar that exists nowhere: no parent collection (RFC 4918 §9.7.1)
        assert put(node, bob, f"{shared}late.ics", CALENDAR, event("late", "Late"),
                   **{"If-None-Match": "*"}).status == 409, node.name


# -- racing writers ---------------------------------------------------------------------


def race(cluster: Cluster, *attempts: Callable[[Node], Response]) -> list[Response]:
    """Run each attempt on its own node at the same moment; their answers in order."""
    for node in cluster.nodes:
        node.connect()
    barrier = threading.Barrier(len(attempts))
    answers: list[Response | BaseException | None] = [None] * len(attempts)

    def run(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = attempts[index](cluster.nodes[index % len(cluster.nodes)])
        except BaseException as error:  # reported below
            answers[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for answer in answers:
        if not isinstance(answer, Response):
            raise AssertionError(f"a racing request failed: {answer!r}")
    return answers  # type: ignore[return-value]


@pytest.mark.parametrize("kind", [CALENDAR, ADDRESSBOOK], ids=lambda k: k.name)
def test_racing_writers_on_both_nodes_exactly_one_wins(cluster, kind) -> None:
    auth = ("alice@acme.test", PASSWORD)
    collection = default_collection(cluster, "alice", PASSWORD, kind)
    reader = cluster.nodes[0]
    for round_ in range(6):
        # If-None-Match: * on one new name (RFC 9110 §13.1.2).
        href = f"{collection}race-{round_}-{uuid.uuid4().hex[:8]}{kind.suffix}"
        uid = uuid.uuid4().hex
        texts = [kind.make(uid, f"writer {i}") for i in range(2)]
        answers = race(cluster, *(putting(auth, href, kind, text, **{"If-None-Match": "*"})
                                  for text in texts))
        assert sorted(a.status for a in answers) == [201, 412], [a.status for a in answers]
        winner = next(i for i, a in enumerate(answers) if a.status == 201)
        got = reader.request("GET", href, auth=auth)
        assert got.header("ETag") == answers[winner].header("ETag")
        assert f"writer {winner}".encode() in got.body

        # If-Match on one ETag (RFC 9110 §13.1.1): one update wins, the other is told.
        etag = got.header("ETag")
        answers = race(cluster, *(putting(auth, href, kind, kind.make(uid, f"update {i}"),
                                          **{"If-Match": etag}) for i in range(2)))
        assert sorted(a.status for a in answers) == [204, 412], [a.status for a in answers]
        winner = next(i for i, a in enumerate(answers) if a.status == 204)
        got = cluster.nodes[1].request("GET", href, auth=auth)
        assert got.header("ETag") == answers[winner].header("ETag")
        assert f"update {winner}".encode() in got.body

        # One UID under two names (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1).
        uid = uuid.uuid4().hex
        names = [f"{collection}uid-{round_}-{i}{kind.suffix}" for i in range(2)]
        answers = race(cluster, *(putting(auth, name, kind, kind.make(uid, name))
                                  for name in names))
        assert sorted(a.status for a in answers) == [201, 403], [a.status for a in answers]
        assert b"no-uid-conflict" in next(a for a in answers if a.status == 403).body
        members = list_collection(reader, auth, collection).members
        kept = [name for name in names if name in members]
        assert kept == [names[next(i for i, a in enumerate(answers) if a.status == 201)]]


def test_racing_updates_and_deletions_on_both_nodes_exactly_one_wins(cluster) -> None:
    auth = ("alice@acme.test", PASSWORD)
    collection = default_collection(cluster, "alice", PASSWORD, CALENDAR)
    for round_ in range(6):
        href = f"{collection}doomed-{round_}.ics"
        created = put(cluster.any(), auth, href, CALENDAR, event(href, "doomed"),
                      **{"If-None-Match": "*"})
        etag = created.header("ETag")
        answers = race(cluster,
                       putting(auth, href, CALENDAR, event(href, "saved"), **{"If-Match": etag}),
                       deleting(auth, href, **{"If-Match": etag}))
        assert sorted(a.status for a in answers) == [204, 412], [a.status for a in answers]
        got = cluster.any().request("GET", href, auth=auth)
        if answers[0].status == 204:  # the update won: it is there, as written
            assert (got.status, got.header("ETag")) == (200, answers[0].header("ETag"))
        else:
            assert got.status == 404


def test_racing_writers_on_both_nodes_never_exceed_a_quota(cluster) -> None:
    admin = admin_for(cluster.any())
    admin.ok("user", "create", "acme", "dave", "--password-stdin", "--email",
             "dave@acme.test", "--config", "oxdav.quota.bytes=400", stdin=PASSWORD + "\n")
    auth = ("dave@acme.test", PASSWORD)
    collection = default_collection(cluster, "dave", PASSWORD, CALENDAR)
    for round_ in range(6):  # each event fits alone (~300 bytes), two do not
        names = [f"{collection}q-{round_}-{i}.ics" for i in range(2)]
        answers = race(cluster, *(putting(auth, name, CALENDAR, event(name, "quota"),
                                          **{"If-None-Match": "*"}) for name in names))
        assert sorted(a.status for a in answers) == [201, 507], [a.status for a in answers]
        kept = list_collection(cluster.any(), auth, collection).members
        assert list(kept) == [names[[a.status for a in answers].index(201)]]
        assert cluster.any().request("DELETE", next(iter(kept)), auth=auth).status == 204


# -- guessing passwords on both nodes ---------------------------------------------------


def test_guesses_spread_over_both_nodes_are_throttled_after_the_same_count(cluster) -> None:
    admin_for(cluster.any()).ok("user", "create", "acme", "erin", "--password-stdin",
                                "--email", "erin@acme.test", stdin=PASSWORD + "\n")
    nodes = cluster.nodes
    # oxdav.auth.maxFailures (5) per account, whichever node and address guess.
    codes = [nodes[n % 2].request("PROPFIND", "/dav/caldav/", auth=("erin@acme.test", f"g{n}"),
                                  headers={"Depth": "0"}, address=f"198.51.100.{n}").status
             for n in range(6)]
    assert codes == [401] * 5 + [429]
    for node in nodes:  # a password never verified is refused on both while blocked
        assert node.request("PROPFIND", "/dav/caldav/", auth=("erin@acme.test", PASSWORD),
                            headers={"Depth": "0"}, address="203.0.113.9").status == 429
    # oxdav.auth.maxFailuresPerAddress (20) per client address, whichever node.
    codes = [nodes[n % 2].request("PROPFIND", "/dav/caldav/", auth=(f"nobody{n}@acme.test", "x"),
                                  headers={"Depth": "0"}, address="203.0.113.50").status
             for n in range(21)]
    assert codes == [401] * 20 + [429]
    assert nodes[0].request("PROPFIND", "/dav/caldav/", auth=("alice@acme.test", PASSWORD),
                            headers={"Depth": "0"}, address="203.0.113.50").status == 429


# -- locks ------------------------------------------------------------------------------

LOCKINFO = ('<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
            '<D:locktype><D:write/></D:locktype><D:owner>multinode</D:owner></D:lockinfo>')


def test_a_lock_taken_on_one_node_holds_on_the_other(cluster) -> None:
    auth = ("alice@acme.test", PASSWORD)
    collection = default_collection(cluster, "alice", PASSWORD, CALENDAR)
    href = f"{collection}locked.ics"
    first, second = cluster.nodes
    locked = first.request("LOCK", href, auth=auth, body=LOCKINFO,
                           headers={"Timeout": "Second-600"})
    assert locked.status in (200, 201), locked.body
    token = locked.header("Lock-Token")
    # RFC 4918 §7: a write without the lock's token is refused, on the other node too.
    assert put(second, auth, href, CALENDAR, event("locked", "x")).status == 423
    assert put(second, auth, href, CALENDAR, event("locked", "x"),
               If=f"({token})").status in (200, 201, 204)
    assert second.request("UNLOCK", href, auth=auth,
                          headers={"Lock-Token": token}).status == 204
    assert put(first, auth, href, CALENDAR, event("locked", "y")).status == 204


# -- scheduling (RFC 6638) across nodes -------------------------------------------------


def test_an_invitation_made_on_one_node_is_there_and_answered_on_the_other(cluster) -> None:
    """Deliveries are written in the organizer's transaction: the other node sees the
    attendee's copy and inbox item at once, and the answer made there reaches the
    organizer's copy as seen from the first."""
    from oxdav.scheduling.delivery import copy_name

    alice, bob = ("alice@acme.test", PASSWORD), ("bob@acme.test", PASSWORD)
    uid = f"mn-{uuid.uuid4().hex}"
    first, second = cluster.nodes
    annas = default_collection(cluster, "alice", PASSWORD, CALENDAR) + f"{uid}.ics"
    invitation = event(uid, "Across nodes").replace(
        "END:VEVENT", "ORGANIZER:mailto:alice@acme.test\r\n"
        "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@acme.test\r\nEND:VEVENT")
    assert put(first, alice, annas, CALENDAR, invitation).status == 201
    inbox = second.request("PROPFIND", "/dav/caldav/schedule-inbox/", auth=bob,
                           body=LISTING, headers={"Depth": "1"})
    assert inbox.body.count(b"<D:response>") == 2  # the inbox and one message
    bobs = default_collection(cluster, "bob", PASSWORD, CALENDAR) + copy_name(uid)
    copy = second.request("GET", bobs, auth=bob)
    assert copy.status == 200 and b"PARTSTAT=NEEDS-ACTION" in copy.body
    accepted = copy.body.decode().replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
    assert put(second, bob, bobs, CALENDAR, accepted,
               **{"If-Schedule-Tag-Match": copy.header("Schedule-Tag")}).status == 204
    organizers = first.request("GET", annas, auth=alice)
    assert b"PARTSTAT=ACCEPTED" in organizers.body.replace(b"\r\n ", b"")
