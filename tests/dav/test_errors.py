"""DAVError, its rendering, and the error mapping (oxdav.dav.errors)."""

from __future__ import annotations

from lxml import etree

from oxdav.dav.errors import (
    DAVError,
    ErrorMapper,
    condition_with_hrefs,
    render_error,
)
from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark


def test_error_body_contains_the_precondition_element() -> None:
    status, headers, body = render_error(DAVError(403, clark(DAV_NS, "valid-sync-token")))
    assert status == 403
    assert headers["Content-Type"].startswith("application/xml")
    root = etree.fromstring(body)
    assert root.tag == "{DAV:}error"
    assert [c.tag for c in root] == ["{DAV:}valid-sync-token"]


def test_error_body_carries_description() -> None:
    _, _, body = render_error(DAVError(403, clark(DAV_NS, "supported-report"), "nope"))
    root = etree.fromstring(body)
    assert root.findtext("{DAV:}responsedescription") == "nope"


def test_a_description_quoting_characters_xml_cannot_carry_is_still_written() -> None:
    status, _, body = render_error(DAVError(415, clark(CALDAV_NS, "supported-calendar-data"),
                                            "charset \x01x\uffff is not UTF-8"))
    assert status == 415
    assert etree.fromstring(body).findtext("{DAV:}responsedescription") == (
        "charset \ufffdx\ufffd is not UTF-8")


def test_error_body_carries_child_content_for_no_uid_conflict() -> None:
    condition = condition_with_hrefs(clark(CALDAV_NS, "no-uid-conflict"), ["/dav/caldav/12/x.ics"])
    _, _, body = render_error(DAVError(409, condition))
    root = etree.fromstring(body)
    conflict = root.find(f"{{{CALDAV_NS}}}no-uid-conflict")
    assert conflict is not None
    assert conflict.findtext("{DAV:}href") == "/dav/caldav/12/x.ics"


def test_error_without_condition_is_plain_text() -> None:
    status, headers, body = render_error(DAVError(404, None, "no such thing"))
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert body == b"no such thing\n"


def test_error_without_description_uses_reason_phrase() -> None:
    _, _, body = render_error(DAVError(412))
    assert body == b"Precondition Failed\n"


def test_extra_headers_are_kept() -> None:
    _, headers, _ = render_error(DAVError(405, headers={"Allow": "GET"}))
    assert headers["Allow"] == "GET"


def test_precondition_name_for_element_condition() -> None:
    err = DAVError(409, condition_with_hrefs(clark(CALDAV_NS, "no-uid-conflict"), []))
    assert err.precondition_name == f"{{{CALDAV_NS}}}no-uid-conflict"


class _StoreMissing(Exception):
    pass


class _SpecificMissing(_StoreMissing):
    pass


def test_mapper_maps_registered_type_and_subclasses() -> None:
    mapper = ErrorMapper()
    mapper.register(_StoreMissing, lambda exc: DAVError(404))
    mapped = mapper.to_dav_error(_SpecificMissing())
    assert mapped is not None and mapped.status == 404


def test_mapper_answers_nothing_for_a_class_registered_without_a_factory() -> None:
    mapper = ErrorMapper()
    mapper.register(_StoreMissing, lambda exc: DAVError(404))
    mapper.register(_SpecificMissing, None)
    assert mapper.to_dav_error(_SpecificMissing()) is None


def test_mapper_returns_none_for_unmapped_errors() -> None:
    assert ErrorMapper().to_dav_error(KeyError("x")) is None


def test_mapper_passes_dav_errors_through() -> None:
    err = DAVError(400)
    assert ErrorMapper().to_dav_error(err) is err
