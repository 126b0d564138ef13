"""Tenants are walls (DESIGN.md §2): every method the service serves, against every path
of one prepared tenant, as a user of another context (bob), as a colleague without
rights (carol) and as a colleague who may only read alice's calendar (dave). Nothing
of alice's may be readable beyond what each of them may read, lockable or changeable.

The rules are checked on every answer and collected into one report, one line per
(intruder, method, path, status, finding):

* no answer is 5xx, and none is 423: no intruder holds a lock (each lock one takes is
  released at once) and none may write alice's locked event;
* no answer carries a marker of alice's tenant the intruder may not read (bob: nothing
  of context A; carol and dave: the context's directory, dave also alice's calendar),
  unless the request itself carried it; and each marker shows up for those who may
  read it (alice, and the colleagues for the directory and the shared calendar);
* a user of context A changes or locks nothing of alice's: such a request never
  succeeds, and is never 412 (no condition counts for who may not write); dave's
  writes on the calendar he reads are 403 DAV:need-privileges;
* to a user of context A, a folder they cannot read answers every request exactly as
  a folder that exists nowhere (status, Allow, error elements, member statuses);
* bob's own PUT and LOCK at the path of alice's locked event succeed;
* afterwards alice's tenant is what it was (objects, ETags, folders, permissions,
  revisions and so sync tokens, dead properties, her lock, its token and expiry).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pytest_twisted
from lxml import etree

from oxdav.dav.dispatch import StoreAccess
from tests.integration.harness import Server, start_server
from tests.integration.tenant_walls import (
    Client,
    Tenant,
    User,
    prepare,
    put_own,
    snapshot,
)
from tests.integration.wall_probes import Probe, Recipes, Target, method_order, targets

D = "{DAV:}"
NEED_PRIVILEGES = b"need-privileges"
#: Lines of the report shown when the sweep finds something.
REPORT_LINES = 120
#: The first folder id the twins of invisible folders use (counting down).
FIRST_UNUSED = 9999
#: RFC 4791 §5.3.1, RFC 6352 §6.3.2.1: no calendar or address book can be made there.
LOCATION_OK = (b"calendar-collection-location-ok", b"addressbook-collection-location-ok")
#: Methods that make a collection (RFC 4918 §9.3, RFC 4791 §5.3.1).
MAKERS = ("MKCOL", "MKCALENDAR")


@dataclass
class Answer:
    """What one probe got (and, for a folder the user cannot read, the twin probe on a
    folder that exists nowhere)."""

    user: User
    probe: Probe
    status: int
    headers: dict[str, list[str]]
    body: bytes
    twin: Answer | None = None

    def text(self) -> str:
        """Headers and body, with folded iCalendar/vCard lines joined (RFC 5545 §3.1)."""
        headers = " ".join(f"{k}: {v}" for k, vs in self.headers.items() for v in vs)
        body = self.body.decode("utf-8", "replace")
        return headers + "\n" + body + "\n" + re.sub(r"\r?\n[ \t]", "", body)

    def line(self, finding: str) -> str:
        p = self.probe
        path = p.path if p.path == p.target.path else f"{p.path} onto {p.target.path}"
        return (f"{self.user.name:5} {p.method} ({p.variant}) {path} [{p.target.role}]"
                f" -> {self.status}: {finding}")


class Sweep:
    """Runs every probe of every intruder and keeps the answers."""

    def __init__(self, server: Server, client: Client, tenant: Tenant) -> None:
        env = server.service.dav.env
        self.client = client
        self.tenant = tenant
        self.writes = {name: env.methods.get(name).access is StoreAccess.WRITE
                       for name in env.methods.names}
        self.methods = method_order(env.methods.names, self.writes)
        self.recipes = Recipes(tenant, server.https, [p.name for p in env.properties],
                               [r.name for r in env.reports])
        self.targets = targets(tenant)
        self.readable: dict[str, set[int]] = {}
        self.moved = 0
        # Folder ids for the twins, each used once, far below what the context's
        # folder counter reaches (a twin MKCALENDAR takes its id, and the counter moves
        # past it: new folders get higher ids than these).
        self.unused = itertools.count(FIRST_UNUSED, -1)

    async def run(self, server: Server, users: Iterable[User], *,
                  reads_only: bool = False) -> list[Answer]:
        answers = []
        for user in users:
            self.readable[user.name] = await readable_folders(server, user)
            for method in self.methods:
                if reads_only and self.writes[method]:
                    continue
                for target in self.targets:
                    for probe in self.recipes.probes(user, method, target,
                                                     writes=self.writes[method]):
                        answers.append(await self._answer(user, probe))
        return answers

    def _invisible(self, user: User, target: Target) -> bool:
        return (user.context_id == self.tenant.alice.context_id
                and target.folder is not None
                and target.folder not in self.readable[user.name])

    async def _answer(self, user: User, probe: Probe) -> Answer:
        answer = await self._send(user, probe)
        if self._invisible(user, probe.target) and (
                twin := probe.absent_twin(next(self.unused))) is not None:
            answer.twin = await self._send(user, twin)
        return answer

    async def _send(self, user: User, probe: Probe) -> Answer:
        status, headers, body = await self.client.request(
            probe.method, probe.path, user.auth, probe.headers, probe.body)
        if probe.method == "LOCK" and status < 300 and "lock-token" in headers:
            # Released at once: an intruder's own lock must not stand in later probes.
            token = headers["lock-token"][0]
            released, _, _ = await self.client.request(
                "UNLOCK", probe.path, user.auth, {**probe.headers, "Lock-Token": token})
            assert released == 204, (user.name, probe.path, released)
        if probe.method == "MOVE" and status < 300 and probe.path == \
                self.recipes.own_source(user, probe.target.kind):
            self.moved += 1  # the source the next "into" moves
            kind = "carddav" if probe.target.kind == "carddav" else "caldav"
            await put_own(self.client, user, self.moved, (kind,))
        return Answer(user, probe, status, headers, body)


async def readable_folders(server: Server, user: User) -> set[int]:
    async with server.service.store.transaction("wall readable") as txn:
        home = await txn.home(user.context_id, user.id)
        return {f.id for f in await home.folders()}


def succeeded(answer: Answer) -> bool:
    """A 2xx that did something: a 207 counts when any of its statuses is 2xx."""
    if answer.status >= 300:
        return False
    if answer.status != 207:
        return True
    return any(" 2" in (s.text or "") for s in _statuses(answer.body))


def _statuses(body: bytes) -> list[etree._Element]:
    try:
        return list(etree.fromstring(body).iter(f"{D}status"))
    except etree.XMLSyntaxError:
        return []


def allowed(answer: Answer) -> list[str]:
    """The methods of the ``Allow`` header."""
    return sorted(m.strip() for v in answer.headers.get("allow", []) for m in v.split(","))


def shape(answer: Answer) -> tuple[object, ...]:
    """What a folder's existence could show through: status, Allow, the error elements,
    and the member statuses of a multistatus (the hrefs differ by design)."""
    allow = allowed(answer)
    errors: list[str] = []
    try:
        root = etree.fromstring(answer.body)
        if root.tag == f"{D}error":
            errors = sorted(str(child.tag) for child in root)
    except etree.XMLSyntaxError:
        pass
    return (answer.status, allow, errors, sorted(s.text or "" for s in _statuses(answer.body)))


def findings(tenant: Tenant, answers: list[Answer]) -> list[str]:
    """Every rule broken by an answer, one line each."""
    found = []
    context_a = tenant.alice.context_id
    calendar = tenant.folders["calendar"]
    for a in answers:
        user, probe = a.user, a.probe
        if a.status >= 500:
            found.append(a.line("server error"))
        if a.status == 423:
            found.append(a.line("423: a lock of someone else's shown to an intruder"))
        text, sent = a.text(), probe.sent()
        for marker in tenant.markers:
            if user.name not in marker.readers and marker.text in text \
                    and marker.text not in sent:
                found.append(a.line(f"leaks {marker.what}: {marker.text!r}"))
        if user.context_id != context_a or user is tenant.alice:
            continue
        if probe.target.alien and probe.changes:
            if succeeded(a):
                found.append(a.line("a write or lock succeeded on a path of alice's"))
            if a.status == 412:
                found.append(a.line("a condition evaluated for who may not write"))
            if probe.target.folder == calendar and user is tenant.dave \
                    and not refused_to_reader(a):
                found.append(a.line("a reader's write is not 403 DAV:need-privileges"))
        if a.twin is not None and shape(a) != shape(a.twin) and not taken_id(a):
            found.append(a.line(f"differs from a folder that exists nowhere: {shape(a)} "
                                f"vs {shape(a.twin)}"))
    return found


def taken_id(answer: Answer) -> bool:
    """A calendar or address book made under a folder id (a numeric name) the context
    has already given out is refused, where a free id is made: the one thing a
    colleague learns of a folder they cannot read. That is no secret: the context's
    folder ids come from one counter, so each new folder's id shows which are taken."""
    twin = answer.twin
    return (twin is not None and answer.probe.method in MAKERS and answer.status == 403
            and any(element in answer.body for element in LOCATION_OK)
            and twin.status == 201)


def refused_to_reader(answer: Answer) -> bool:
    """How a write of someone who may read but not write is refused: 403
    DAV:need-privileges (RFC 3744 §7.1.1) before any lock or condition is looked at
    (RFC 9110 §13.2.1: conditions count only where the request could succeed), so
    never 412 or 423. Or as it is refused to everyone: 405 where the method applies
    to no such resource (not in Allow, RFC 9110 §15.5.6), 404 where no resource is
    (a name not taken), 409 (RFC 4918: a destination collection taking no members, a
    lock token not on the resource), 403 for a collection made where none can be
    (RFC 4918 §9.3.1, RFC 4791 §5.3.1)."""
    status, body = answer.status, answer.body
    if status == 403:
        return NEED_PRIVILEGES in body or answer.probe.method in MAKERS
    if status == 405:
        return answer.probe.method not in allowed(answer)
    if status == 404:
        return not answer.probe.target.mapped
    return status == 409


def unchanged(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Every part of the snapshot that differs."""
    return [f"alice's tenant changed: {key}: {before.get(key)!r} -> {after.get(key)!r}"
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def own_work(answers: list[Answer], tenant: Tenant) -> list[str]:
    """bob works on his own resources at alice's paths while she holds her lock."""
    event = tenant.objects["event"]
    found = []
    for method, variant in (("PUT", "bare"), ("LOCK", "new")):
        [a] = [a for a in answers if a.user is tenant.bob and a.probe.path == event
               and (a.probe.method, a.probe.variant) == (method, variant)]
        if not succeeded(a):
            found.append(a.line("bob's own write at his own path was refused"))
    return found


def unseen(tenant: Tenant, answers: list[Answer]) -> list[str]:
    """Every marker of alice's appears in the answers of each user allowed to read it:
    the markers are findable, and the sweep reached what each user may read (carol and
    dave see the directory, dave alice's calendar)."""
    texts: dict[str, list[str]] = {}
    for a in answers:
        texts.setdefault(a.user.name, []).append(a.text())
    return [f"{name} never saw {marker.what} {marker.text!r}"
            for marker in tenant.markers if "alice" in marker.readers
            for name in marker.readers
            if not any(marker.text in t for t in texts.get(name, []))]


@pytest_twisted.ensureDeferred
async def test_nothing_of_a_tenant_is_readable_lockable_or_changeable_by_others(
        tmp_path) -> None:
    server = await start_server(tmp_path, shipped={"carddav.properties": {
        "com.openexchange.carddav.enabled": "true"}})
    client = Client(server)
    try:
        tenant = await prepare(server, client)
        before = await snapshot(server, tenant)
        held = before[f"folder {tenant.folders['calendar']} locks"]
        assert [(lock.token, lock.creator_id) for lock in held] == [
            (tenant.lock_token, tenant.alice.id)]
        sweep = Sweep(server, client, tenant)
        control = await sweep.run(server, [tenant.alice], reads_only=True)
        answers = await sweep.run(server, tenant.intruders)
        after = await snapshot(server, tenant)
        report = [*unseen(tenant, control + answers),
                  *findings(tenant, control + answers),
                  *own_work(answers, tenant), *unchanged(before, after)]
        assert not report, (f"{len(report)} findings in {len(answers)} requests:\n"
                            + "\n".join(report[:REPORT_LINES]))
    finally:
        await client.close()
        await server.stop()
