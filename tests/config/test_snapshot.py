"""Loading a config directory: values, defaults, and errors that name file and line."""

from pathlib import Path

import pytest

from oxdav.config import ConfigError, ConfigHolder, load_config, restart_required

REPO = Path(__file__).resolve().parents[2]


def test_defaults_apply_when_nothing_is_set(config_dir) -> None:
    snapshot = load_config(config_dir())
    assert snapshot.get("com.openexchange.caldav.interval.start") == "one_month"
    assert snapshot.get("com.openexchange.carddav.exposedCollections") == "0"
    assert snapshot.get("com.openexchange.dav.prefixPath") == "/dav"
    assert not snapshot.explicitly_set("oxdav.storage")


def test_values_from_properties_files_are_typed(config_dir) -> None:
    snapshot = load_config(config_dir(**{
        "a.properties": "com.openexchange.carddav.ignoreFolders = 6, 42\n"
                        "oxdav.http.maxBodySize: 2M\n"
                        "com.openexchange.caldav.interval.start=30\n",
    }))
    assert snapshot.get("com.openexchange.carddav.ignoreFolders") == (6, 42)
    assert snapshot.get("oxdav.http.maxBodySize") == 2 * 1024 * 1024
    assert snapshot.get("com.openexchange.caldav.interval.start") == 30
    assert snapshot.explicitly_set("oxdav.http.maxBodySize")


def test_wrong_value_names_file_line_property_and_what_is_allowed(config_dir) -> None:
    directory = config_dir(**{
        "caldav.properties": "# x\ncom.openexchange.caldav.interval.end=forever\n",
    })
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    message = str(caught.value)
    assert f"{directory / 'caldav.properties'}:2" in message
    assert "com.openexchange.caldav.interval.end" in message
    assert "one_year, two_years" in message


def test_every_problem_is_reported_at_once(config_dir) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir(**{
            "a.properties": "com.openexchange.caldav.enabled=maybe\noxdav.listen.https=nowhere\n",
        }))
    assert len(caught.value.problems) == 2


def test_unknown_property_in_an_owned_namespace_is_an_error(config_dir) -> None:
    with pytest.raises(ConfigError, match="unknown property"):
        load_config(config_dir(**{"a.properties": "com.openexchange.caldav.enabeld=true\n"}))


def test_foreign_property_is_ignored_with_a_warning(config_dir) -> None:
    snapshot = load_config(config_dir(**{"a.properties": "com.openexchange.mail.foo=1\n"}))
    assert any("com.openexchange.mail.foo" in w for w in snapshot.warnings)


def test_same_property_in_two_files_is_an_error_naming_both(config_dir) -> None:
    directory = config_dir(**{
        "a.properties": "oxdav.auth.realm=one\n",
        "b.properties": "\noxdav.auth.realm=two\n",
    })
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    assert f"{directory / 'a.properties'}:1" in str(caught.value)
    assert f"{directory / 'b.properties'}:2" in str(caught.value)


def test_malformed_escape_is_reported_with_its_line(config_dir) -> None:
    directory = config_dir(**{"a.properties": "\n\noxdav.auth.realm=\\uZZZZ\n"})
    with pytest.raises(ConfigError, match=r"a\.properties:3"):
        load_config(directory)


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        load_config(tmp_path / "nope")


def test_context_set_problems_name_file_and_line(config_dir) -> None:
    directory = config_dir(**{"contextSets__x.yml": (
        "good:\n  withTags: a\n  com.openexchange.caldav.enabled: true\n"
        "bad:\n  withTags: a &\n"
        "worse:\n  com.openexchange.caldav.enabled: true\n"
        "server_only:\n  withTags: a\n  oxdav.storage: 'sqlite:x'\n"
        "wrong_value:\n  withTags: a\n  com.openexchange.carddav.exposedCollections: 9\n"
    )})
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    text = str(caught.value)
    assert "x.yml:5: withTags" in text
    assert "'worse' has no withTags" in text
    assert "x.yml:10: oxdav.storage: is a server-wide property" in text
    assert "x.yml:13: com.openexchange.carddav.exposedCollections" in text
    assert "one of 0, 1, 2" in text


def test_yaml_syntax_error_is_a_problem_not_a_crash(config_dir) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(config_dir(**{"contextSets__x.yml": "a: [unclosed\n"}))


def test_yaml_is_loaded_safely(config_dir) -> None:
    # A python tag would construct an object with yaml.load; compose never does.
    directory = config_dir(**{"contextSets__x.yml": (
        "s:\n  withTags: a\n"
        "  com.openexchange.caldav.url: !!python/object/apply:os.system ['true']\n"
    )})
    with pytest.raises(ConfigError, match="needs a single value"):
        load_config(directory)


def test_holder_swaps_whole_snapshots(config_dir) -> None:
    first = load_config(config_dir(**{"a.properties": "oxdav.auth.realm=one\n"}))
    second = load_config(config_dir(**{"a.properties": "oxdav.auth.realm=two\n"}))
    holder = ConfigHolder(first)
    seen_by_request = holder.current
    assert holder.swap(second) is first
    assert seen_by_request.get("oxdav.auth.realm") == "one"
    assert holder.current.get("oxdav.auth.realm") == "two"


def test_restart_required_lists_changed_non_reloadable_properties(config_dir) -> None:
    old = load_config(config_dir(**{"a.properties": "oxdav.listen.https=127.0.0.1:8443\n"}))
    new = load_config(config_dir(**{"a.properties": "oxdav.listen.https=127.0.0.1:9443\n"
                                                     "oxdav.auth.realm=changed\n"}))
    assert restart_required(old, new) == ["oxdav.listen.https"]


@pytest.mark.parametrize("sample", ["etc/oxdav", "etc/oxdav-production"])
def test_shipped_samples_are_valid(sample: str) -> None:
    load_config(REPO / sample)
