"""The reload coordinator: all-or-nothing swaps, restart-required properties kept."""

from pathlib import Path

import pytest

from oxdav.config import ConfigHolder, load_config
from oxdav.reload import ReloadCoordinator


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "oxdav.properties").write_text(
        "oxdav.auth.realm=first\noxdav.listen.https=127.0.0.1:8443\n")
    return tmp_path


def test_reload_swaps_in_the_new_values(config: Path) -> None:
    holder = ConfigHolder(load_config(config))
    (config / "oxdav.properties").write_text(
        "oxdav.auth.realm=second\noxdav.listen.https=127.0.0.1:8443\n")
    assert ReloadCoordinator(holder).reload()
    assert holder.current.get("oxdav.auth.realm") == "second"


def test_broken_file_changes_nothing(config: Path) -> None:
    holder = ConfigHolder(load_config(config))
    before = holder.current
    (config / "oxdav.properties").write_text(
        "oxdav.auth.realm=second\noxdav.http.maxBodySize=lots\n")
    assert not ReloadCoordinator(holder).reload()
    assert holder.current is before


def test_bad_tls_changes_nothing(config: Path) -> None:
    holder = ConfigHolder(load_config(config))
    before = holder.current
    applied = []

    def load_tls(snapshot):
        raise ValueError("Certificate public and private keys do not match")

    (config / "oxdav.properties").write_text("oxdav.auth.realm=second\n")
    coordinator = ReloadCoordinator(holder, load_tls=load_tls, apply_tls=applied.append)
    assert not coordinator.reload()
    assert holder.current is before
    assert applied == []


def test_restart_only_property_keeps_its_running_value(config: Path) -> None:
    holder = ConfigHolder(load_config(config))
    (config / "oxdav.properties").write_text(
        "oxdav.auth.realm=second\noxdav.listen.https=127.0.0.1:9999\n")
    assert ReloadCoordinator(holder).reload()
    assert holder.current.get("oxdav.auth.realm") == "second"
    assert str(holder.current.get("oxdav.listen.https")[0]) == "127.0.0.1:8443"


def test_systemd_is_told_reloading_then_ready(config: Path) -> None:
    messages = []
    ReloadCoordinator(ConfigHolder(load_config(config)),
                      notify=lambda **fields: messages.append(fields)).reload()
    assert messages[0] == {"reloading": True}
    assert messages[-1]["ready"] is True
