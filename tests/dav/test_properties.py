"""The live-property registry and the generic properties (oxdav.dav.properties & co)."""

from __future__ import annotations

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import TextResponse, render_multistatus
from oxdav.dav.properties import LiveProperty, PropertyRegistry
from oxdav.dav.property_results import PropertyValue, PropFindRequest, PropFindResult
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.dav.webdav_properties import generic_properties

from .conftest import CALENDAR, FixtureResource

D = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"
ICAL = "{http://apple.com/ns/ical/}"


class SyncReport(Report):
    name = D + "sync-collection"

    def supported_by(self, resource: DAVResource) -> bool:
        return resource.sync_token is not None


class ExpandReport(Report):
    name = D + "expand-property"


@pytest.fixture
def registry() -> PropertyRegistry:
    return PropertyRegistry(generic_properties(ReportRegistry([ExpandReport(), SyncReport()])))


class Counted(LiveProperty):
    """A text property that records the path of every resource it is computed for."""

    name = "{urn:x}counted"

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        self.calls.append(resource.path)
        return "v"


async def _props(
    registry: PropertyRegistry, ctx: RequestContext, resource: DAVResource, *names: str
) -> PropFindResult:
    return await registry.evaluate(ctx, resource, PropFindRequest.prop(names))


def test_registering_a_name_twice_fails(registry: PropertyRegistry) -> None:
    with pytest.raises(ValueError):
        registry.register(generic_properties(ReportRegistry())[0])


def test_supported_for_depends_on_the_resource(
    registry: PropertyRegistry, calendar: FixtureResource
) -> None:
    event = FixtureResource("/caldav/12/a.ics", etag='"e"')
    calendar_names = {p.name for p in registry.supported_for(calendar)}
    event_names = {p.name for p in registry.supported_for(event)}
    assert {D + "sync-token", CS + "getctag", D + "owner"} <= calendar_names
    assert D + "sync-token" not in event_names and D + "owner" not in event_names


@pytest_twisted.ensureDeferred
async def test_resourcetype_lists_collection_first(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "resourcetype")
    value = result.value_of(D + "resourcetype")
    assert value is not None
    assert [c.tag for c in value] == [D + "collection", CALENDAR]


@pytest_twisted.ensureDeferred
async def test_getetag_contenttype_length_and_dates(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    event = calendar._children[0]
    result = await _props(
        registry,
        ctx,
        event,
        D + "getetag",
        D + "getcontenttype",
        D + "getcontentlength",
        D + "getlastmodified",
        D + "creationdate",
    )
    texts = {name: result.value_of(name).text for name in result.request.names}  # type: ignore[union-attr]
    assert texts == {
        D + "getetag": '"e1"',
        D + "getcontenttype": "text/calendar; charset=utf-8",
        D + "getcontentlength": "321",
        D + "getlastmodified": "Fri, 01 Mar 2024 12:30:05 GMT",
        D + "creationdate": "2024-01-02T03:04:05Z",
    }


@pytest_twisted.ensureDeferred
async def test_missing_values_and_unknown_properties_are_404(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "getetag", "{urn:x}nothing")
    assert result.status_of(D + "getetag") == 404
    assert result.status_of("{urn:x}nothing") == 404


@pytest_twisted.ensureDeferred
async def test_dead_properties_are_served(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, ICAL + "calendar-color")
    assert result.value_of(ICAL + "calendar-color").text == "#ff0000"  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_dead_properties_are_not_read_when_only_live_ones_are_asked(
    registry, ctx, calendar
) -> None:  # type: ignore[no-untyped-def]
    await _props(registry, ctx, calendar, D + "displayname", CS + "getctag")
    assert calendar.dead_property_reads == 0


@pytest_twisted.ensureDeferred
async def test_only_requested_live_properties_are_computed(ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    counted = Counted()
    calls = counted.calls
    registry = PropertyRegistry([counted])
    await _props(registry, ctx, calendar, D + "displayname")
    assert calls == []
    await _props(registry, ctx, calendar, "{urn:x}counted")
    assert calls == ["/caldav/12"]


@pytest_twisted.ensureDeferred
async def test_allprop_returns_rfc4918_and_dead_properties_only(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await registry.evaluate(ctx, calendar, PropFindRequest.allprop())
    names = {p.tag for ps in result.propstats() for p in ps.properties}
    assert {
        D + "resourcetype",
        D + "displayname",
        D + "getlastmodified",
        ICAL + "calendar-color",
    } <= names
    assert not names & {D + "sync-token", CS + "getctag", D + "current-user-principal", D + "acl"}
    assert D + "getetag" not in names  # the calendar has no ETag: left out, not 404
    assert {ps.status for ps in result.propstats()} == {200}


@pytest_twisted.ensureDeferred
async def test_allprop_include_adds_non_allprop_properties(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await registry.evaluate(ctx, calendar, PropFindRequest.allprop([D + "sync-token"]))
    assert result.value_of(D + "sync-token").text == "http://oxdav.org/ns/sync/x"  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_propname_lists_live_and_dead_names(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await registry.evaluate(ctx, calendar, PropFindRequest.propname())
    [propstat] = result.propstats()
    names = [p.tag for p in propstat.properties]
    assert D + "sync-token" in names and ICAL + "calendar-color" in names
    assert all(len(p) == 0 and p.text is None for p in propstat.properties)


@pytest_twisted.ensureDeferred
async def test_supported_report_set_is_derived_from_the_report_registry(
    registry, ctx, calendar
) -> None:  # type: ignore[no-untyped-def]
    event = calendar._children[0]
    on_calendar = await _props(registry, ctx, calendar, D + "supported-report-set")
    on_event = await _props(registry, ctx, event, D + "supported-report-set")

    def reports(result: PropFindResult) -> list[str]:
        value = result.value_of(D + "supported-report-set")
        assert value is not None
        return [r[0].tag for r in value.iter(D + "report")]

    assert reports(on_calendar) == [D + "expand-property", D + "sync-collection"]
    assert reports(on_event) == [D + "expand-property"]


@pytest_twisted.ensureDeferred
async def test_current_user_principal_is_an_href(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "current-user-principal")
    assert (
        result.value_of(D + "current-user-principal").findtext(D + "href")
        == "/dav/principals/users/3/"
    )  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_current_user_principal_unauthenticated(registry, calendar) -> None:  # type: ignore[no-untyped-def]
    anonymous = RequestContext(method="PROPFIND", path="/")
    result = await _props(registry, anonymous, calendar, D + "current-user-principal")
    assert result.value_of(D + "current-user-principal")[0].tag == D + "unauthenticated"  # type: ignore[index]


@pytest_twisted.ensureDeferred
async def test_owner_and_quota(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(
        registry, ctx, calendar, D + "owner", D + "quota-used-bytes", D + "quota-available-bytes"
    )
    assert result.value_of(D + "owner").findtext(D + "href") == "/dav/principals/users/3/"  # type: ignore[union-attr]
    assert result.value_of(D + "quota-used-bytes").text == "1000"  # type: ignore[union-attr]
    assert result.value_of(D + "quota-available-bytes").text == "9000"  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_current_user_privilege_set_expands_aggregates(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "current-user-privilege-set")
    value = result.value_of(D + "current-user-privilege-set")
    assert value is not None
    names = {p[0].tag for p in value}
    assert {D + "all", D + "read", D + "write", D + "write-content", D + "read-acl"} <= names


@pytest_twisted.ensureDeferred
async def test_supported_privilege_set_is_a_tree(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "supported-privilege-set")
    value = result.value_of(D + "supported-privilege-set")
    assert value is not None
    top = value.find(D + "supported-privilege")
    assert top is not None and top.find(f"{D}privilege/{D}all") is not None
    assert top.find(f"{D}supported-privilege/{D}privilege/{D}read") is not None


@pytest_twisted.ensureDeferred
async def test_acl_is_readable_with_read_acl(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "acl")
    value = result.value_of(D + "acl")
    assert value is not None
    first, second = value.findall(D + "ace")
    assert first.findtext(f"{D}principal/{D}href") == "/dav/principals/users/3/"
    assert first.find(D + "protected") is not None
    assert second.find(f"{D}principal/{D}authenticated") is not None
    assert second.find(f"{D}grant/{D}privilege/{D}read") is not None


@pytest_twisted.ensureDeferred
async def test_acl_without_read_acl_is_403_need_privileges(registry, calendar) -> None:  # type: ignore[no-untyped-def]
    stranger = RequestContext(method="PROPFIND", path="/")
    result = await _props(registry, stranger, calendar, D + "acl", D + "displayname")
    assert result.status_of(D + "acl") == 403
    assert result.status_of(D + "displayname") == 200
    body = etree.fromstring(render_multistatus([result.to_entry()]))
    assert body.find(f".//{D}propstat/{D}error/{D}need-privileges") is not None


@pytest_twisted.ensureDeferred
async def test_protected_property_refuses_set(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    prop = registry.get(D + "getetag")
    assert prop is not None and prop.protected
    with pytest.raises(DAVError) as info:
        await prop.set(ctx, calendar, etree.Element(D + "getetag"))
    assert info.value.precondition == D + "cannot-modify-protected-property"


@pytest_twisted.ensureDeferred
async def test_evaluate_uses_collection_href(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    result = await _props(registry, ctx, calendar, D + "displayname")
    assert result.href == "/dav/caldav/12/"


@pytest_twisted.ensureDeferred
async def test_inapplicable_live_property_does_not_read_dead_storage(
    registry, ctx, calendar
) -> None:  # type: ignore[no-untyped-def]
    event = calendar._children[0]
    result = await _props(registry, ctx, event, D + "getetag", CS + "getctag")
    assert result.status_of(CS + "getctag") == 404
    assert event.dead_property_reads == 0


@pytest_twisted.ensureDeferred
async def test_dead_property_cannot_shadow_a_live_name(registry, ctx) -> None:  # type: ignore[no-untyped-def]
    from .conftest import dead_property

    resource = FixtureResource("/x", dead={D + "getetag": dead_property(D + "getetag", "forged")})
    result = await registry.evaluate(ctx, resource, PropFindRequest.allprop())
    assert result.status_of(D + "getetag") is None


@pytest.mark.parametrize("names", [
    (D + "getetag", D + "getcontenttype"),
    (D + "resourcetype", D + "getcontenttype", D + "getetag", D + "sync-token"),
    (D + "getetag", D + "displayname", D + "getcontentlength", D + "getlastmodified"),
    (D + "getetag", ICAL + "calendar-color"),  # a dead name: the general way
    (D + "getetag", D + "current-user-privilege-set"),  # an element value: the general way
    (D + "acl", D + "getetag"),  # 403 need-privileges: the general way
    (),
])
@pytest_twisted.ensureDeferred
async def test_respond_answers_as_evaluate_does(registry, ctx, calendar, names) -> None:  # type: ignore[no-untyped-def]
    request = PropFindRequest.prop(names)
    for resource in (calendar, calendar._children[0]):
        expected = (await registry.evaluate(ctx, resource, request)).to_entry()
        response = await registry.respond(ctx, resource, request)
        assert render_multistatus([response]) == render_multistatus([expected])
        assert render_multistatus([response], minimal=True) == render_multistatus(
            [expected], minimal=True)


@pytest_twisted.ensureDeferred
async def test_respond_writes_a_text_member_from_one_pass(registry, ctx, calendar) -> None:  # type: ignore[no-untyped-def]
    counted = Counted()
    registry.register(counted)
    event = calendar._children[0]
    response = await registry.respond(
        ctx, event, PropFindRequest.prop([D + "getetag", "{urn:x}counted", D + "resourcetype"]))
    assert isinstance(response, TextResponse)
    assert (response.kinds, response.texts) == ("tte", ('"e1"', "v"))
    assert counted.calls == [event.path]
