"""A calendar client's sync session over the recorded-client player (replay.py): the
hrefs, ETags and sync tokens a client learns are substituted into its later requests,
and each sync-collection from a token is checked against the client's own changes.
Used by test_calendar_client_replays.py."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import unquote

from lxml import etree

from tests.integration.caldav_requests import ics, vevent
from tests.integration.harness import Server
from tests.integration.replay import NS, Replay, load

#: RFC 6578 §3.2 / RFC 3253 §3.6 error element for an unknown sync token.
VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"
#: An href element holding a placeholder, repeated once per href for a multiget.
HREF = re.compile(r"<((?:\w+:)?href)\b[^>]*>[^<]*\{[^<]*</\1>")


class Session(Replay):
    """One client's session: recorded steps sent in order, with the hrefs, ETags and
    sync tokens the client learned from earlier answers substituted into later ones."""

    def __init__(self, server: Server, name: str, calendar: str) -> None:
        super().__init__(server, load(name))
        self.name = name
        self.values["{calendar}"] = calendar
        self.values["/dav/caldav/{folderId}/"] = calendar
        # Keyed by decoded path: clients compare hrefs decoded (Thunderbird sends them
        # percent-encoded; the server may answer with '@' unencoded, RFC 3986 pchar).
        self.etags: dict[str, str] = {}   # href → ETag the client holds
        self.bodies: dict[str, bytes] = {}  # href → body the client last PUT
        # Per collection: what the client changed / removed since its last sync.
        self.changed: dict[str, set[str]] = defaultdict(set)
        self.removed: dict[str, set[str]] = defaultdict(set)

    async def run(self, step_id: str, expect: int, *, path: str | None = None,
                  headers: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                  body: str | bytes | None = None, authenticated: bool = True) -> Any:
        """Send a recorded step (with overrides); assert the status; return the parsed
        XML answer (or the raw bytes)."""
        step = self.step(step_id)
        if path is not None:
            step["path"] = path
        step["headers"] = {**{k: v for k, v in (step.get("headers") or {}).items()
                              if k not in drop}, **(headers or {})}
        if body is not None:
            step["body"] = body
        status, data = await self.send(step, authenticated=authenticated)
        assert status == expect, f"{self.name} {step_id}: {status} {data[:400]!r}"
        return etree.fromstring(data) if data.lstrip().startswith(b"<") else data

    def item(self, uid: str, calendar: str | None = None) -> str:
        """Point ``{uid}``/``{item}`` at ``uid``; returns its href."""
        href = (calendar or self.values["{calendar}"]) + uid + ".ics"
        self.values["{uid}"] = uid
        self.values["{item}"] = href
        return href

    async def put(self, step_id: str, uid: str, body: bytes, expect: int, *,
                  condition: dict[str, str] | None = None, calendar: str | None = None
                  ) -> str:
        """The recorded PUT of ``body``; ``condition`` (If-Match / If-None-Match with the
        ETag learned earlier) replaces the recorded conditional headers. On success records
        the ETag returned: RFC 4791 §5.3.4 allows omitting it only when the stored data
        differs from the body sent, and these bodies are stored as sent."""
        href = self.item(uid, calendar)
        drop = () if condition is None else ("If-Match", "If-None-Match",
                                             "If-Schedule-Tag-Match")
        await self.run(step_id, expect, path=href, body=body, headers=condition, drop=drop)
        if expect in (201, 204):
            etag = self.response.headers.getRawHeaders("etag", [None])[0]
            assert etag and etag.startswith('"'), f"{self.name} {step_id}: no strong ETag"
            key = unquote(href)
            assert etag != self.etags.get(key)
            self.etags[key], self.bodies[key] = etag, body
            self.changed[parent(key)].add(key)
            self.removed[parent(key)].discard(key)
        return href

    async def delete(self, step_id: str, href: str, expect: int = 204) -> None:
        await self.run(step_id, expect, path=href, headers={"If-Match": self.etags.get(
            unquote(href), '"gone"')})
        key = unquote(href)
        if expect == 204:
            self.etags.pop(key), self.bodies.pop(key)
            self.changed[parent(key)].discard(key)
            self.removed[parent(key)].add(key)

    async def sync(self, step_id: str, token: str, *, path: str | None = None
                   ) -> tuple[str, dict[str, Any]]:
        """The recorded sync-collection from ``token`` ("" = initial); returns the new
        token and the members by href (``404`` for removed ones, else their propstat).

        From a token, the report must list exactly what the client changed since that
        token, with the current ETags, and what it removed as 404 (RFC 6578 §3.5)."""
        step = self.steps[step_id]
        body = step["body"]
        if not token and "body_initial" in step:
            body = step["body_initial"]
        if token and "body_with_token" in step:
            body = step["body_with_token"]
        body = body.replace("%(sync-token)s", token).replace("{token}", token)
        doc = await self.run(step_id, 207, body=body, path=path)
        new = doc.findtext("D:sync-token", namespaces=NS)
        assert new and new != token, f"{self.name} {step_id}: no new sync-token"
        assert re.match(r"[a-z][a-z0-9+.-]*:", new), new  # a URI (RFC 6578 §6.2)
        found = members(doc)
        collection = self.fill(path or self.steps[step_id]["path"])
        if token:
            changed, removed = self.changed[collection], self.removed[collection]
            assert set(found) == changed | removed, (self.name, step_id, sorted(found))
            for href in removed:
                assert found[href] == 404, (self.name, href)
            for href in changed:
                assert etag_of(found[href]) == self.etags[href], (self.name, href)
        self.changed[collection], self.removed[collection] = set(), set()
        return new, found

    async def multiget(self, step_id: str, hrefs: list[str], path: str | None = None
                       ) -> dict[str, Any]:
        template = self.steps[step_id]["body"]
        match = HREF.search(template)
        element = match.group(0)
        head, tail = element[:element.index(">") + 1], element[element.rindex("<"):]
        body = (template[:match.start()] + "".join(head + h + tail for h in hrefs)
                + template[match.end():])
        return members(await self.run(step_id, 207, body=body, path=path))

    async def check_calendar(self, deleted: list[str]) -> None:
        """What the client believes is what the server holds."""
        for href, body in self.bodies.items():
            response, data = await self.server.request("GET", href, auth=self.server.demo)
            assert response.code == 200 and data == body, href
            assert response.headers.getRawHeaders("etag")[0] == self.etags[href]
        for href in deleted:
            response, _ = await self.server.request("GET", href, auth=self.server.demo)
            assert response.code == 404, href


def members(doc: Any) -> dict[str, Any]:
    """Decoded href → 404 for a removed member, else the element holding its 200
    properties."""
    found: dict[str, Any] = {}
    for response in doc.xpath("D:response", namespaces=NS):
        href = unquote(response.findtext("D:href", namespaces=NS))
        status = response.findtext("D:status", namespaces=NS)
        if status is not None:
            assert " 404 " in status, status
            found[href] = 404
            continue
        ok = response.xpath("D:propstat[contains(D:status, ' 200 ')]/D:prop", namespaces=NS)
        found[href] = ok[0] if ok else None
    return found


def parent(href: str) -> str:
    return href.rsplit("/", 1)[0] + "/"


def etag_of(member: Any) -> str:
    return member.findtext("D:getetag", namespaces=NS)


def event(uid: str, summary: str, start: str | None = None) -> bytes:
    return ics(vevent(uid, f"SUMMARY:{summary}", **({"start": start} if start else {})))
