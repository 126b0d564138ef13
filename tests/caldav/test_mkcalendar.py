"""MKCALENDAR / extended MKCOL bodies (RFC 4791 §5.3.1, RFC 5689 §3)."""

from __future__ import annotations

import pytest
from lxml import etree

from oxdav.caldav.mkcalendar import component_set, requested_properties
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


@pytest.mark.parametrize(("names", "module", "components"), [
    (("VEVENT",), "calendar", {"VEVENT"}), (("VTODO",), "tasks", {"VTODO"}),
    (("VEVENT", "VTIMEZONE"), "calendar", {"VEVENT"}),
    (("VEVENT", "VTODO"), "calendar", {"VEVENT", "VTODO"}),
    (("VJOURNAL",), "calendar", {"VJOURNAL"}),
    (("vtodo", "VJOURNAL"), "calendar", {"VTODO", "VJOURNAL"}),
])
def test_a_component_set_is_taken_as_asked(names: tuple[str, ...], module: str,
                                          components: set[str]) -> None:
    """RFC 4791 §5.3.1: the calendar takes exactly the types of the set; a task list is
    an OX tasks folder, the rest calendar folders."""
    assert component_set(comps(*names)) == (module, components)


def test_without_a_component_set_a_calendar_takes_every_type() -> None:
    """RFC 4791 §5.2.3: no supported-calendar-component-set, every type."""
    assert component_set({}) == ("calendar", {"VEVENT", "VTODO", "VJOURNAL"})


@pytest.mark.parametrize("names", [
    ("VFREEBUSY",), ("VEVENT", "VAVAILABILITY"), ("X-THING",), ("VTIMEZONE",), ()])
def test_sets_with_types_not_served_are_403_supported_calendar_component(
        names: tuple[str, ...]) -> None:
    with pytest.raises(DAVError) as caught:
        component_set(comps(*names))
    assert caught.value.status == 403
    assert caught.value.precondition_name == \
        "{urn:ietf:params:xml:ns:caldav}supported-calendar-component"
