"""Fixtures for the dav tests: a tiny in-memory resource tree (not a storage backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime

import pytest
from lxml import etree

from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark
from oxdav.dav.paths import PathMapper
from oxdav.dav.privileges import ALL, READ, Ace
from oxdav.dav.resource import COLLECTION, DAVResource, Principal, RequestContext

CALENDAR = clark(CALDAV_NS, "calendar")
ALICE = Principal("/principals/users/3", identity="alice")


class FixtureResource(DAVResource):
    """A resource whose metadata is whatever the test gives it."""

    def __init__(
        self,
        path: str,
        *,
        collection: bool = False,
        types: Sequence[str] = (),
        etag: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        displayname: str | None = None,
        sync_token: str | None = None,
        owner: str | None = None,
        granted: Mapping[object, frozenset[str]] | None = None,
        acl: Sequence[Ace] = (),
        dead: Mapping[str, etree._Element] | None = None,
        quota: tuple[int, int] | None = None,
        children: Sequence[DAVResource] = (),
    ) -> None:
        self._path = path
        self._collection = collection
        self._types = frozenset(types) | ({COLLECTION} if collection else frozenset())
        self._etag = etag
        self._content_type = content_type
        self._content_length = content_length
        self._displayname = displayname
        self._sync_token = sync_token
        self._owner = owner
        self._granted = dict(granted or {})
        self._acl = tuple(acl)
        self._dead = dict(dead or {})
        self._quota = quota
        self._children = list(children)
        self.dead_property_reads = 0

    @property
    def path(self) -> str:
        return self._path

    @property
    def is_collection(self) -> bool:
        return self._collection

    @property
    def resource_types(self) -> frozenset[str]:
        return self._types

    @property
    def etag(self) -> str | None:
        return self._etag

    @property
    def content_type(self) -> str | None:
        return self._content_type

    @property
    def content_length(self) -> int | None:
        return self._content_length

    @property
    def last_modified(self) -> datetime | None:
        return datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)

    @property
    def creation_date(self) -> datetime | None:
        return datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    @property
    def displayname(self) -> str | None:
        return self._displayname

    @property
    def sync_token(self) -> str | None:
        return self._sync_token

    @property
    def owner(self) -> str | None:
        return self._owner

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        identity = principal.identity if principal else None
        return self._granted.get(identity, frozenset())

    def acl(self) -> Sequence[Ace]:
        return self._acl

    async def children(self) -> AsyncIterator[DAVResource]:
        for child in self._children:
            yield child

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        self.dead_property_reads += 1
        return self._dead

    async def quota(self) -> tuple[int, int] | None:
        return self._quota


def dead_property(name: str, text: str) -> etree._Element:
    element = etree.Element(name)
    element.text = text
    return element


@pytest.fixture
def ctx() -> RequestContext:
    return RequestContext(
        method="PROPFIND", path="/caldav/12", paths=PathMapper("/dav", "/"), principal=ALICE
    )


@pytest.fixture
def calendar() -> FixtureResource:
    event = FixtureResource(
        "/caldav/12/a b.ics",
        etag='"e1"',
        content_type="text/calendar; charset=utf-8",
        content_length=321,
    )
    return FixtureResource(
        "/caldav/12",
        collection=True,
        types=[CALENDAR],
        displayname="Work",
        sync_token="http://oxdav.org/ns/sync/x",
        owner="/principals/users/3",
        granted={"alice": frozenset({ALL})},
        acl=[
            Ace("/principals/users/3", grant=frozenset({ALL})),
            Ace(clark(DAV_NS, "authenticated"), grant=frozenset({READ}), protected=False),
        ],
        dead={
            clark("http://apple.com/ns/ical/", "calendar-color"): dead_property(
                clark("http://apple.com/ns/ical/", "calendar-color"), "#ff0000"
            )
        },
        quota=(1000, 9000),
        children=[event],
    )
