"""exposedCollections, the User-Agent pattern and the aggregated folder set (DESIGN.md §5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from oxdav.carddav.exposure import (
    AGGREGATED_NAME,
    Exposure,
    aggregated_set,
    exposure_for,
    ignored_folders,
    names_aggregated,
)
from oxdav.config.declarations import DEFAULT_AGGREGATED_UA
from oxdav.store.models import GAL_FOLDER_ID, Folder

NOW = datetime(2026, 1, 1, tzinfo=UTC)

#: (User-Agent, matches OX's default pattern), from tests/data/clients/user-agents.txt.
AGENTS = [
    ("Mac OS X/10.8.2 (12C60) AddressBook/1167", True),
    ("Mac OS X/10.13.1 (17B48) AddressBook/1806", True),
    ("AddressBook/6.1.3 (1091) CardDAVPlugin/200 CFNetwork/520.5.3 Mac_OS_X/10.7.5 (11G63)",
     True),
    ("Mac+OS+X/10.15.5 (19F101) CalendarAgent/930.5.1", False),
    ("iOS/12.1.4 (16D57) dataaccessd/1.0", False),
    ("DAVx5/4.5.9-ose (dav4jvm; okhttp/5.3.2) Android/15", False),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 Thunderbird/52.6.0 "
     "Lightning/5.4", False),
    ("vdirsyncer/0.19.3", False),
]


class Settings(dict):
    """A configuration view: ``get(name)``."""


def settings(**values: object) -> Settings:
    pattern = re.compile(DEFAULT_AGGREGATED_UA, re.IGNORECASE)
    base = {"com.openexchange.carddav.exposedCollections": "0",
            "com.openexchange.carddav.userAgentForAggregatedCollection": pattern,
            "com.openexchange.carddav.ignoreFolders": (),
            "com.openexchange.carddav.reducedAggregatedCollection": False}
    base.update({f"com.openexchange.carddav.{k}": v for k, v in values.items()})
    return Settings(base)


def folder(folder_id: int, *, owner: int | None = 3, default: bool = False) -> Folder:
    return Folder(context_id=1, id=folder_id, module="contacts", owner_id=owner,
                  name=f"f{folder_id}", color=None, description=None, is_default=default,
                  revision=1, permissions=(), created=NOW, modified=NOW)


@pytest.mark.parametrize(("agent", "aggregated"), AGENTS)
def test_mode_0_follows_the_default_user_agent_pattern(agent: str, aggregated: bool) -> None:
    expected = Exposure.AGGREGATED if aggregated else Exposure.PER_FOLDER
    assert exposure_for(settings(), agent) is expected


def test_mode_0_without_user_agent_is_per_folder() -> None:
    assert exposure_for(settings(), None) is Exposure.PER_FOLDER


def test_user_agent_pattern_is_a_case_insensitive_search() -> None:
    view = settings(userAgentForAggregatedCollection=re.compile("thunderbird", re.I))
    assert exposure_for(view, "Gecko Thunderbird/52") is Exposure.AGGREGATED


@pytest.mark.parametrize(("mode", "expected"),
                         [("1", Exposure.PER_FOLDER), ("2", Exposure.AGGREGATED)])
def test_modes_1_and_2_ignore_the_user_agent(mode: str, expected: Exposure) -> None:
    for agent, _ in AGENTS:
        assert exposure_for(settings(exposedCollections=mode), agent) is expected


def test_ignored_folders_are_read_from_the_setting() -> None:
    assert ignored_folders(settings(ignoreFolders=(6, 30))) == {6, 30}


def test_aggregated_set_puts_the_default_folder_first() -> None:
    readable = [folder(GAL_FOLDER_ID, owner=None), folder(40), folder(25, default=True)]
    chosen = aggregated_set(settings(), 3, readable)
    assert chosen.ids == (25, 6, 40)
    assert chosen.default is not None and chosen.default.id == 25


def test_reduced_set_is_every_owned_folder_and_the_gal_but_no_shared_one() -> None:
    readable = [folder(GAL_FOLDER_ID, owner=None), folder(40), folder(25, default=True),
                folder(30, owner=9), folder(31, owner=9, default=True)]
    chosen = aggregated_set(settings(reducedAggregatedCollection=True), 3, readable)
    assert chosen.ids == (25, 6, 40)


def test_a_shared_default_folder_of_another_user_is_not_the_default() -> None:
    chosen = aggregated_set(settings(), 3, [folder(25, owner=9, default=True)])
    assert chosen.default is None


def test_the_aggregated_collection_is_named_contacts_as_in_ox() -> None:
    assert AGGREGATED_NAME == "Contacts" and names_aggregated("Contacts")


@pytest.mark.parametrize("segment", ["Contacts0123456789ab", "Contactsdeadbeef0042"])
def test_names_earlier_versions_gave_it_still_name_it(segment: str) -> None:
    assert names_aggregated(segment)


@pytest.mark.parametrize("segment", ["ContactsWork", "contacts", "Contacts0123456789AB",
                                     "Contacts0123456789abc", "25", "Contacts/"])
def test_other_names_are_folders(segment: str) -> None:
    assert not names_aggregated(segment)
