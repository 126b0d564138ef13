"""MKCALENDAR / extended MKCOL bodies (RFC 4791 §5.3.1, RFC 5689 §3)."""

from __future__ import annotations

import pytest
from lxml import etree

from oxdav.caldav.mkcalendar import module_for, requested_properties
from oxdav.dav.errors import DAVError

HEAD = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'


def body(text: str) -> etree._Element:
    return etree.fromstring(text)


def comps(*names: str) -> dict[str, etree._Element]:
    inner = "".join(f'<C:comp name="{n}"/>' for n in names)
    element = body(f"<C:supported-calendar-component-set {HEAD}>{inner}"
                   "</C:supported-calendar-component-set>")
    return {str(element.tag): element}


def test_mkcalendar_without_body_sets_nothing() -> None:
    assert requested_properties(None, "MKCALENDAR") == {}


def test_mkcalendar_body_gives_its_set_properties() -> None:
    found = requested_properties(body(
        f"<C:mkcalendar {HEAD}><D:set><D:prop><D:displayname>A</D:displayname></D:prop></D:set>"
        "</C:mkcalendar>"), "MKCALENDAR")
    assert [e.text for e in found.values()] == ["A"]


def test_plain_mkcol_is_403() -> None:
    with pytest.raises(DAVError) as caught:
        requested_properties(None, "MKCOL")
    assert caught.value.status == 403


def test_extended_mkcol_without_calendar_resourcetype_is_403_valid_resourcetype() -> None:
    with pytest.raises(DAVError) as caught:
        requested_properties(body(
            f"<D:mkcol {HEAD}><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype>"
            "</D:prop></D:set></D:mkcol>"), "MKCOL")
    assert caught.value.precondition_name == "{DAV:}valid-resourcetype"


def test_wrong_root_is_400() -> None:
    with pytest.raises(DAVError) as caught:
        requested_properties(body(f"<D:mkcol {HEAD}/>"), "MKCALENDAR")
    assert caught.value.status == 400


@pytest.mark.parametrize(("names", "module"), [
    ((), "calendar"), (("VEVENT",), "calendar"), (("VTODO",), "tasks"),
    (("VEVENT", "VTIMEZONE"), "calendar"), (("VEVENT", "VTODO"), "calendar"),
])
def test_module_follows_the_component_set(names: tuple[str, ...], module: str) -> None:
    assert module_for(comps(*names) if names else {}) == module


@pytest.mark.parametrize("names", [("VJOURNAL",), ("VTODO", "VJOURNAL")])
def test_other_component_sets_are_403_supported_calendar_component(names: tuple[str, ...]) -> None:
    with pytest.raises(DAVError) as caught:
        module_for(comps(*names))
    assert caught.value.precondition_name == \
        "{urn:ietf:params:xml:ns:caldav}supported-calendar-component"
