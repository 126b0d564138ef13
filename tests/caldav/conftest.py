"""Fixtures for CalDAV tests: the RFC 4791 Appendix B calendar collection."""

from __future__ import annotations

import pytest

from oxdav.caldav.ical import ParsedCalendarObject
from tests.caldav.ics import fixture_bytes, parse


@pytest.fixture(scope="session")
def appendix_b() -> dict[str, ParsedCalendarObject]:
    """abcd1.ics … abcd8.ics of RFC 4791 Appendix B, parsed, by resource name."""
    return {
        f"abcd{n}.ics": parse(fixture_bytes(f"rfc4791/abcd{n}.ics")) for n in range(1, 9)
    }
