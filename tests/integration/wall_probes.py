"""What the tenant-wall sweep sends: every path of alice's tenant (:func:`targets`) and, for
every method the service serves, realistic requests against one path (:func:`probes`).

Methods, reports and live properties come from the running service's registries, so one
added later is swept too (a method without a recipe here is sent without a body).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from oxdav.dav.namespaces import CALDAV_NS, CARDDAV_NS, DAV_NS
from tests.integration.tenant_walls import (
    ALIAS,
    MACOS_CONTACTS,
    PROBE_NS,
    Tenant,
    User,
    ics,
    put_uid,
    vcf,
)

NAMESPACES = f'xmlns:D="{DAV_NS}" xmlns:C="{CALDAV_NS}" xmlns:CR="{CARDDAV_NS}" ' \
             f'xmlns:P="{PROBE_NS}"'
#: Methods that remove what they act on: sent after every other method of a sweep.
REMOVING = ("MOVE", "DELETE")


@dataclass(frozen=True)
class Target:
    """One path of alice's tenant.

    Attributes:
        path: the DAV path (as alice reaches it).
        role: what it is to alice, for reports.
        kind: ``caldav``, ``carddav`` or ``other``: which bodies fit.
        folder: the folder of alice's it shows; a context-A intruder who cannot read
            it must get what a path that exists nowhere gets.
        alien: to a user of alice's context the path names alice's resource (not a
            name in their own home), so no write or lock by them may succeed.
        absent: (part of the path, what replaces it, with ``{n}`` for a number never
            used before) giving a path that exists nowhere, for the comparison above.
        mapped: whether a resource is there (for alice).
        user_agent: sent with every request (the aggregated book is Apple's).
    """

    path: str
    role: str
    kind: str
    folder: int | None = None
    alien: bool = False
    absent: tuple[str, str] | None = None
    mapped: bool = True
    user_agent: str | None = None


@dataclass(frozen=True)
class Probe:
    """One request of an intruder.

    Attributes:
        method: the HTTP method.
        variant: which request of the method (``allprop``, ``into``...).
        target: the path probed.
        path: the request path.
        headers: request headers.
        body: request body.
        changes: paths of alice's tenant the request would change if it succeeded.
    """

    method: str
    variant: str
    target: Target
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    changes: tuple[str, ...] = ()

    def absent_twin(self, n: int) -> Probe | None:
        """The same request with the target's folder (or name) replaced by one that
        exists nowhere (made with the number ``n``, used once: a twin that made a
        collection leaves nothing for the next); None when the target has no twin."""
        if self.target.absent is None:
            return None
        old, new = self.target.absent[0], self.target.absent[1].format(n=n)
        headers = {k: v.replace(old, new) for k, v in self.headers.items()}
        body = None if self.body is None else self.body.replace(old.encode(), new.encode())
        return replace(self, path=self.path.replace(old, new), headers=headers, body=body)

    def sent(self) -> str:
        """Everything the request carried (a marker echoed from it is no leak)."""
        return " ".join([self.path, *self.headers.values(),
                         (self.body or b"").decode("utf-8", "replace")])


def targets(tenant: Tenant) -> list[Target]:
    """Every path of alice's tenant: the DAV root, principals, homes and schedule boxes,
    each folder with its object and a name not taken yet, the calendar she made by its
    own name, the global address list with her card, her aggregated address book."""
    f, o = tenant.folders, tenant.objects
    found = [Target("/dav/", "root", "other"),
             Target("/dav/principals/", "principals", "other"),
             Target("/dav/principals/users/", "user principals", "other"),
             Target(f"/dav/principals/users/{tenant.alice.id}/", "alice's principal",
                    "other", alien=True),
             Target("/dav/caldav/", "calendar home", "caldav"),
             Target("/dav/caldav/schedule-inbox/", "schedule inbox", "caldav"),
             Target("/dav/caldav/schedule-outbox/", "schedule outbox", "caldav"),
             Target("/dav/carddav/", "address book home", "carddav")]
    members = {"calendar": o["event"], "tasks": o["todo"], "made": o["made-event"],
               "contacts": o["card"], "gal": o["gal-card"]}
    for role, member in members.items():
        kind = "carddav" if member.endswith(".vcf") else "caldav"
        collection = member.rsplit("/", 1)[0] + "/"
        new = collection + ("wall-new.vcf" if kind == "carddav" else "wall-new.ics")
        absent = (f"/{f[role]}/", "/{n}/")
        for path, what in ((collection, role), (member, f"{role} member"),
                           (new, f"{role} new name")):
            found.append(Target(path, what, kind, f[role], alien=True, absent=absent,
                                mapped=path != new))
    alias = f"/dav/caldav/{ALIAS}/"
    for path, what in ((alias, "made calendar by name"),
                       (alias + o["made-event"].rsplit("/", 1)[1], "made member by name")):
        found.append(Target(path, what, "caldav", f["made"],
                            absent=(ALIAS, "wall-never-made")))
    # The aggregated book has one URL for every user, like a home: to an intruder it is
    # their own (what they may do there is their business); only leaks are looked for.
    for path, what in ((tenant.aggregated, "aggregated book"),
                       (o["aggregated-card"], "aggregated member"),
                       (o["aggregated-gal-card"], "aggregated GAL member"),
                       (tenant.aggregated + "wall-new.vcf", "aggregated new name")):
        found.append(Target(path, what, "carddav", mapped=not path.endswith("wall-new.vcf"),
                            user_agent=MACOS_CONTACTS))
    return found


@dataclass
class Recipes:
    """Builds the requests of each method against a target for one intruder."""

    tenant: Tenant
    base: str  # https://host:port, for Destination
    properties: list[str]  # Clark names of every live property
    reports: list[str]  # Clark names of every report
    counter: Iterator[int] = field(default_factory=itertools.count)

    def _n(self) -> int:
        return next(self.counter)

    def own_source(self, user: User, kind: str) -> str:
        """The intruder's own object copied or moved onto alice's paths."""
        if kind == "carddav":
            return f"/dav/carddav/{user.contacts}/own.vcf"
        return f"/dav/caldav/{user.calendar}/own.ics"

    def _own_new(self, user: User, kind: str) -> str:
        n = self._n()
        if kind == "carddav":
            return f"/dav/carddav/{user.contacts}/wall-copy-{n}.vcf"
        return f"/dav/caldav/{user.calendar}/wall-copy-{n}.ics"

    def probes(self, user: User, method: str, target: Target, *, writes: bool
               ) -> list[Probe]:
        """The requests of ``method`` against ``target``; a method without a recipe
        here is sent bare (``writes``: whether the service says it writes)."""
        ua = {"User-Agent": target.user_agent} if target.user_agent else {}
        recipe = {"PROPFIND": self._propfind, "REPORT": self._report,
                  "PROPPATCH": self._proppatch, "PUT": self._put, "DELETE": self._delete,
                  "MKCOL": self._mkcol, "MKCALENDAR": self._mkcalendar,
                  "COPY": self._copy, "MOVE": self._move, "LOCK": self._lock,
                  "UNLOCK": self._unlock, "POST": self._post, "ACL": self._acl}.get(method)
        if recipe is None:  # OPTIONS, GET, HEAD, and what comes later
            changes = (target.path,) if writes else ()
            return [Probe(method, "bare", target, target.path, ua, None, changes)]
        return [replace(p, headers={**ua, **p.headers}) for p in recipe(user, target)]

    # -- reads ---------------------------------------------------------------------------

    def _propfind(self, user: User, t: Target) -> list[Probe]:
        names = "".join(_element(name) for name in self.properties)
        bodies = {"allprop": "<D:allprop/>", "propname": "<D:propname/>",
                  "every property": f"<D:prop>{names}<P:note/></D:prop>"}
        return [Probe("PROPFIND", variant, t, t.path, {"Depth": "1"},
                      f"<D:propfind {NAMESPACES}>{inner}</D:propfind>".encode())
                for variant, inner in bodies.items()]

    def _report(self, user: User, t: Target) -> list[Probe]:
        found = []
        for name in self.reports:
            for variant, body, depth in self._report_bodies(name, t):
                found.append(Probe("REPORT", variant, t, t.path,
                                   {"Depth": depth, "Content-Type": "application/xml"},
                                   body.encode()))
        return found

    def _report_bodies(self, name: str, t: Target) -> list[tuple[str, str, str]]:
        now = datetime.now(UTC)
        start = (now - timedelta(days=1)).strftime("%Y%m%dT%H%M%SZ")
        end = (now + timedelta(days=60)).strftime("%Y%m%dT%H%M%SZ")
        o = self.tenant.objects
        calendar_hrefs = "".join(f"<D:href>{o[r]}</D:href>" for r in
                                 ("event", "todo", "made-event"))
        card_hrefs = "".join(f"<D:href>{o[r]}</D:href>" for r in
                             ("card", "gal-card", "aggregated-card", "aggregated-gal-card"))
        local = name.split("}", 1)[1]
        if local == "sync-collection":
            token = self.tenant.sync_tokens.get(t.path) or next(
                iter(self.tenant.sync_tokens.values()))
            return [(f"{local} from {which}",
                     f"<D:sync-collection {NAMESPACES}><D:sync-token>{value}</D:sync-token>"
                     "<D:sync-level>1</D:sync-level><D:prop><D:getetag/>"
                     "<C:calendar-data/><CR:address-data/></D:prop></D:sync-collection>", "0")
                    for which, value in (("scratch", ""), ("alice's token", token))]
        bodies = {
            "calendar-query": '<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter>'
                              '<C:comp-filter name="VCALENDAR"/></C:filter>',
            "calendar-multiget": f"<D:prop><D:getetag/><C:calendar-data/></D:prop>"
                                 f"{calendar_hrefs}",
            "free-busy-query": f'<C:time-range start="{start}" end="{end}"/>',
            "addressbook-query": "<D:prop><D:getetag/><CR:address-data/></D:prop>"
                                 "<CR:filter/>",
            "addressbook-multiget": f"<D:prop><D:getetag/><CR:address-data/></D:prop>"
                                    f"{card_hrefs}",
            "principal-property-search": (
                "<D:property-search><D:prop><D:displayname/></D:prop><D:match>Wall7"
                "</D:match></D:property-search><D:property-search><D:prop>"
                "<C:calendar-user-address-set/></D:prop><D:match>wall7</D:match>"
                "</D:property-search><D:prop><D:displayname/>"
                "<C:calendar-user-address-set/></D:prop>"),
            "principal-search-property-set": "",
            "expand-property": "".join(
                f'<D:property name="{p}"{ns}><D:property name="displayname"/>'
                '<D:property name="calendar-user-address-set" namespace='
                f'"{CALDAV_NS}"/><D:property name="owner"/></D:property>'
                for p, ns in (("owner", ""), ("current-user-principal", ""),
                              ("principal-URL", ""), ("group-membership", ""),
                              ("calendar-home-set", f' namespace="{CALDAV_NS}"'),
                              ("addressbook-home-set", f' namespace="{CARDDAV_NS}"'))),
        }
        inner = bodies.get(local, "<D:prop><D:getetag/></D:prop>")
        prefix = {CALDAV_NS: "C", CARDDAV_NS: "CR", DAV_NS: "D"}.get(
            name[1:].split("}", 1)[0])
        if prefix is None:
            namespace = name[1:].split("}", 1)[0]
            return [(local, f'<X:{local} xmlns:X="{namespace}" {NAMESPACES}>{inner}'
                            f"</X:{local}>", "1")]
        depth = "0" if local.startswith(("principal", "expand")) else "1"
        return [(local, f"<{prefix}:{local} {NAMESPACES}>{inner}</{prefix}:{local}>", depth)]

    # -- writes --------------------------------------------------------------------------

    def _if_alice(self) -> dict[str, str]:
        return {"If": f"(<{self.tenant.lock_token}>)"}

    def _proppatch(self, user: User, t: Target) -> list[Probe]:
        update = (f"<D:set><D:prop><P:note>{user.name} was here</P:note>"
                  f"<D:displayname>{user.name} was here</D:displayname></D:prop></D:set>")
        remove = "<D:remove><D:prop><P:note/></D:prop></D:remove>"
        return [Probe("PROPPATCH", variant, t, t.path, {},
                      f"<D:propertyupdate {NAMESPACES}>{inner}</D:propertyupdate>".encode(),
                      (t.path,))
                for variant, inner in (("set", update), ("remove alice's", remove))]

    def _put(self, user: User, t: Target) -> list[Probe]:
        found = []
        for variant, extra in (("bare", {}), ("with alice's token", self._if_alice())):
            body, media = content(user, t)
            found.append(Probe("PUT", variant, t, t.path, {"Content-Type": media, **extra},
                               body, (t.path,)))
        return found

    def _delete(self, user: User, t: Target) -> list[Probe]:
        return [Probe("DELETE", variant, t, t.path, extra, None, (t.path,))
                for variant, extra in (("bare", {}), ("with alice's token", self._if_alice()))]

    def _mkcol(self, user: User, t: Target) -> list[Probe]:
        body = None
        if t.kind == "carddav":
            body = (f"<D:mkcol {NAMESPACES}><D:set><D:prop><D:resourcetype><D:collection/>"
                    "<CR:addressbook/></D:resourcetype><D:displayname>wall made</D:displayname>"
                    "</D:prop></D:set></D:mkcol>").encode()
        return [Probe("MKCOL", "extended" if body else "bare", t, t.path, {}, body, (t.path,))]

    def _mkcalendar(self, user: User, t: Target) -> list[Probe]:
        body = (f"<C:mkcalendar {NAMESPACES}><D:set><D:prop><D:displayname>wall made"
                "</D:displayname></D:prop></D:set></C:mkcalendar>").encode()
        return [Probe("MKCALENDAR", "displayname", t, t.path, {}, body, (t.path,))]

    def _copy(self, user: User, t: Target) -> list[Probe]:
        return self._copy_move("COPY", user, t)

    def _move(self, user: User, t: Target) -> list[Probe]:
        return self._copy_move("MOVE", user, t)

    def _copy_move(self, method: str, user: User, t: Target) -> list[Probe]:
        out = self._own_new(user, t.kind)
        source = self.own_source(user, t.kind)
        # Out of alice's path into the intruder's own folder: a MOVE also removes it.
        found = [Probe(method, "out of", t, t.path,
                       {"Destination": self.base + out, "Overwrite": "T"}, None,
                       (t.path,) if method == "MOVE" else ())]
        for variant, extra in (("into", {}), ("into with alice's token", self._if_alice())):
            found.append(Probe(method, variant, t, source,
                               {"Destination": self.base + t.path, "Overwrite": "T", **extra},
                               None, (t.path,)))
        return found

    def _lock(self, user: User, t: Target) -> list[Probe]:
        body = (f"<D:lockinfo {NAMESPACES}><D:lockscope><D:exclusive/></D:lockscope>"
                f"<D:locktype><D:write/></D:locktype><D:owner>{user.name}</D:owner>"
                "</D:lockinfo>").encode()
        return [Probe("LOCK", "new", t, t.path, {"Timeout": "Second-60"}, body, (t.path,)),
                Probe("LOCK", "refresh alice's", t, t.path,
                      {**self._if_alice(), "Timeout": "Second-86400"}, None, (t.path,))]

    def _unlock(self, user: User, t: Target) -> list[Probe]:
        return [Probe("UNLOCK", "alice's token", t, t.path,
                      {"Lock-Token": f"<{self.tenant.lock_token}>"}, None, (t.path,))]

    def _post(self, user: User, t: Target) -> list[Probe]:
        # WebDAV-Push registration: the requester's own subscription, no change of
        # alice's (a reader may register). The endpoint is in TEST-NET-1, which the
        # server refuses to send to, so nothing leaves the machine.
        key = "B" + "A" * 86
        body = ('<push-register xmlns="https://bitfire.at/webdav-push"><subscription>'
                "<web-push-subscription><push-resource>https://192.0.2.1/wall"
                f'</push-resource><subscription-public-key type="p256dh">{key}'
                "</subscription-public-key><auth-secret>AAAAAAAAAAAAAAAAAAAAAA"
                "</auth-secret></web-push-subscription></subscription></push-register>")
        return [Probe("POST", "push-register", t, t.path,
                      {"Content-Type": "application/xml"}, body.encode(), ())]


    # -- sharing ---------------------------------------------------------------------

    def _post(self, user: User, t: Target) -> list[Probe]:
        """Share the target with oneself (both vocabularies), and answer an invitation
        to it as if one had one."""
        cs = 'xmlns:CS="http://calendarserver.org/ns/"'
        me = f"mailto:{user.email}"
        share = (f"<CS:share {NAMESPACES} {cs}><CS:set><D:href>{me}</D:href>"
                 "<CS:read-write/></CS:set></CS:share>")
        resource = (f"<D:share-resource {NAMESPACES}><D:sharee><D:href>{me}</D:href>"
                    "<D:share-access><D:read-write/></D:share-access></D:sharee>"
                    "</D:share-resource>")
        reply = (f"<CS:invite-reply {NAMESPACES} {cs}><D:href>{me}</D:href>"
                 f"<CS:invite-accepted/><CS:hosturl><D:href>{self.base}{t.path}</D:href>"
                 "</CS:hosturl></CS:invite-reply>")
        xml = {"Content-Type": "text/xml; charset=utf-8"}
        return [Probe("POST", "CS:share", t, t.path, xml, share.encode(), (t.path,)),
                Probe("POST", "DAV:share-resource", t, t.path, xml, resource.encode(),
                      (t.path,)),
                Probe("POST", "CS:invite-reply", t, t.path, xml, reply.encode(), ())]

    def _acl(self, user: User, t: Target) -> list[Probe]:
        """Grant oneself everything on the target."""
        body = (f'<D:acl {NAMESPACES}><D:ace><D:principal><D:href>/dav/principals/users/'
                f"{user.id}/</D:href></D:principal><D:grant><D:privilege><D:all/>"
                "</D:privilege></D:grant></D:ace></D:acl>")
        return [Probe("ACL", "grant self all", t, t.path, {}, body.encode(), (t.path,))]


def content(user: User, target: Target) -> tuple[bytes, str]:
    """What ``user`` PUTs at ``target``: what its folder takes."""
    uid = put_uid(user, target.path)
    if target.kind == "carddav":
        return vcf(uid, f"{user.name} put"), "text/vcard"
    component = "VTODO" if target.role.startswith("tasks") else "VEVENT"
    return ics(uid, f"{user.name} put", component=component), "text/calendar"


def _element(clark: str) -> str:
    namespace, local = clark[1:].split("}", 1)
    return f'<X:{local} xmlns:X="{namespace}"/>'


def method_order(names: Iterable[str], writes: dict[str, bool]) -> list[str]:
    """Reads first, then writes, then what removes its target (so that a path an intruder
    may write, his own, keeps its object for the other methods)."""
    return sorted(names, key=lambda m: (m in REMOVING, writes[m]))
