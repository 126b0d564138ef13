"""The REPORT registry (oxdav.dav.reports)."""

from __future__ import annotations

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.reports import Report, ReportRegistry
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import parse_body

from .conftest import CALENDAR, FixtureResource

D = "{DAV:}"
QUERY = "{urn:ietf:params:xml:ns:caldav}calendar-query"


class EchoDepthReport(Report):
    name = QUERY
    resource_types = frozenset({CALENDAR})
    default_depth = Depth.ZERO

    async def run(
        self, ctx: RequestContext, resource: DAVResource, body: etree._Element, depth: Depth
    ) -> DAVResponse:
        return DAVResponse(200, {}, depth.value.encode())


@pytest.fixture
def reports() -> ReportRegistry:
    return ReportRegistry([EchoDepthReport()])


def _ctx(depth: str | None = None) -> RequestContext:
    headers = {"depth": depth} if depth is not None else {}
    return RequestContext(method="REPORT", path="/caldav/12", headers=headers)


QUERY_BODY = b"<C:calendar-query xmlns:C='urn:ietf:params:xml:ns:caldav'/>"


def test_supported_for_follows_resource_types(
    reports: ReportRegistry, calendar: FixtureResource
) -> None:
    assert reports.supported_for(calendar) == [QUERY]
    assert reports.supported_for(FixtureResource("/x")) == []


def test_registering_a_name_twice_fails(reports: ReportRegistry) -> None:
    with pytest.raises(ValueError):
        reports.register(EchoDepthReport())


@pytest_twisted.ensureDeferred
async def test_report_runs_with_depth_header(reports, calendar) -> None:  # type: ignore[no-untyped-def]
    response = await reports.run(_ctx("1"), calendar, parse_body(QUERY_BODY))
    assert response.body == b"1"


@pytest_twisted.ensureDeferred
async def test_report_without_depth_uses_its_default(reports, calendar) -> None:  # type: ignore[no-untyped-def]
    response = await reports.run(_ctx(), calendar, parse_body(QUERY_BODY))
    assert response.body == b"0"


@pytest_twisted.ensureDeferred
async def test_unknown_report_is_403_supported_report(reports, calendar) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DAVError) as info:
        await reports.run(_ctx(), calendar, parse_body(b"<x:mystery xmlns:x='urn:x'/>"))
    assert (info.value.status, info.value.precondition) == (403, D + "supported-report")


@pytest_twisted.ensureDeferred
async def test_report_on_unsupporting_resource_is_403(reports) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DAVError) as info:
        await reports.run(_ctx(), FixtureResource("/x"), parse_body(QUERY_BODY))
    assert info.value.precondition == D + "supported-report"


@pytest_twisted.ensureDeferred
async def test_report_without_body_is_400(reports, calendar) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DAVError) as info:
        await reports.run(_ctx(), calendar, None)
    assert info.value.status == 400
