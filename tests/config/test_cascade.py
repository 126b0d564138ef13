"""The config cascade: user beats context beats context set beats server."""

from oxdav.config import Scope, load_config

ENABLED = "com.openexchange.caldav.enabled"
START = "com.openexchange.caldav.interval.start"


def test_user_beats_context_beats_context_set_beats_server(config_dir) -> None:
    snapshot = load_config(config_dir(**{
        "caldav.properties": f"{START}=one_year\n",
        "contextSets__sets.yml": f"s:\n  withTags: gold\n  {START}: six_months\n",
    }))
    plain = Scope.of([])
    gold = Scope.of(["gold"])
    gold_context = Scope.of(["gold"], {START: "10"})
    gold_context_user = Scope.of(["gold"], {START: "10"}, {START: "20"})
    assert snapshot.for_scope(plain).get(START) == "one_year"
    assert snapshot.for_scope(gold).get(START) == "six_months"
    assert snapshot.for_scope(gold_context).get(START) == 10
    assert snapshot.for_scope(gold_context_user).get(START) == 20
    assert snapshot.for_scope(gold_context_user).origins[START] == "user"


def test_the_ox_sample_enables_caldav_only_for_infostore_users(config_dir) -> None:
    snapshot = load_config(config_dir(**{
        "caldav.properties": f"{ENABLED}=false\n",
        "contextSets__caldav.yml": f"premium:\n    {ENABLED}: true\n    withTags: ucInfostore\n",
    }))
    assert snapshot.for_scope(Scope.of(["ucInfostore", "ucCalendar"])).get(ENABLED) is True
    assert snapshot.for_scope(Scope.of(["ucCalendar"])).get(ENABLED) is False


def test_add_tags_reach_a_fixpoint(config_dir) -> None:
    snapshot = load_config(config_dir(**{"contextSets__s.yml": (
        "third:\n  withTags: level2\n  com.openexchange.caldav.interval.end: two_years\n"
        "first:\n  withTags: base\n  addTags: level1\n"
        "second:\n  withTags: level1\n  addTags: [level2]\n"
    )}))
    view = snapshot.for_scope(Scope.of(["base"]))
    assert {"base", "level1", "level2"} <= view.tags
    assert view.get("com.openexchange.caldav.interval.end") == "two_years"


def test_later_matching_set_wins(config_dir) -> None:
    snapshot = load_config(config_dir(**{
        "contextSets__a.yml": f"one:\n  withTags: x\n  {START}: six_months\n",
        "contextSets__b.yml": f"two:\n  withTags: x\n  {START}: one_year\n",
    }))
    assert snapshot.for_scope(Scope.of(["x"])).get(START) == "one_year"


def test_invalid_override_is_ignored_and_reported(config_dir) -> None:
    snapshot = load_config(config_dir())
    view = snapshot.for_scope(Scope.of([], user_config={START: "whenever"}))
    assert view.get(START) == "one_month"
    assert any("whenever" in w for w in view.warnings)


def test_server_wide_property_cannot_be_overridden_per_user(config_dir) -> None:
    snapshot = load_config(config_dir())
    view = snapshot.for_scope(Scope.of([], user_config={"oxdav.storage": "sqlite:/tmp/x"}))
    assert view.get("oxdav.storage") == "sqlite:oxdav.sqlite3"


def test_views_are_cached_per_scope(config_dir) -> None:
    snapshot = load_config(config_dir())
    assert snapshot.for_scope(Scope.of(["a"])) is snapshot.for_scope(Scope.of(["A"]))
