"""twistd finds the oxdav plugin; --check-config validates; a broken config stops it."""

import os
import subprocess
import sys
from pathlib import Path

from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins

from oxdav.devcert import generate_dev_certificate

REPO = Path(__file__).resolve().parents[2]
TWISTD = Path(sys.executable).parent / "twistd"


def twistd(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([str(TWISTD), *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60, check=False)


def test_plugin_is_discovered() -> None:
    names = [maker.tapname for maker in getPlugins(IServiceMaker)]
    assert "oxdav" in names


def test_twistd_help_lists_oxdav() -> None:
    assert "oxdav" in twistd("--help").stdout


def test_check_config_accepts_the_sample() -> None:
    result = twistd("oxdav", "-c", "etc/oxdav", "--check-config", "-v")
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert "com.openexchange.caldav.enabled = false" in result.stdout


def test_broken_config_stops_twistd_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "caldav.properties").write_text("\ncom.openexchange.caldav.enabled = perhaps\n")
    result = twistd("-n", "--pidfile=", "oxdav", "-c", str(tmp_path))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"{tmp_path / 'caldav.properties'}:2" in output
    assert "com.openexchange.caldav.enabled" in output
    assert "true or false" in output


def tls_config(directory: Path, *, matching: bool) -> tuple[Path, Path]:
    """A config directory whose TLS files are a certificate and its key, or a key of
    another certificate."""
    certificate, key = generate_dev_certificate(["localhost"])
    if not matching:
        key = generate_dev_certificate(["localhost"])[1]
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate)
    key_path.write_bytes(key)
    (directory / "oxdav.properties").write_text(
        "oxdav.listen.https = 127.0.0.1:8443\n"
        f"oxdav.tls.certificate = {cert_path}\noxdav.tls.key = {key_path}\n")
    return cert_path, key_path


def test_check_config_loads_the_tls_files(tmp_path: Path) -> None:
    cert_path, key_path = tls_config(tmp_path, matching=True)
    result = twistd("oxdav", "-c", str(tmp_path), "--check-config")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"TLS: {cert_path} with key {key_path}, valid until " in result.stdout


def test_check_config_refuses_a_key_that_does_not_match_its_certificate(tmp_path: Path) -> None:
    cert_path, key_path = tls_config(tmp_path, matching=False)
    result = twistd("oxdav", "-c", str(tmp_path), "--check-config")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"TLS key '{key_path}' does not match certificate '{cert_path}'" in output
    assert "configuration OK" not in output


def test_check_config_refuses_a_missing_key_naming_it(tmp_path: Path) -> None:
    _, key_path = tls_config(tmp_path, matching=True)
    key_path.unlink()
    result = twistd("oxdav", "-c", str(tmp_path), "--check-config")
    assert result.returncode != 0
    assert f"cannot read TLS key '{key_path}'" in result.stdout + result.stderr


def test_wheel_package_list_keeps_the_plugin_and_never_twisted_itself() -> None:
    import configparser

    import setuptools

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    include = config["options.packages.find"]["include"].split()
    packages = setuptools.find_namespace_packages(where=str(REPO), include=include)
    assert "twisted.plugins" in packages
    assert "oxdav.store" in packages
    assert "twisted" not in packages
    assert not (REPO / "twisted" / "__init__.py").exists()
    assert not (REPO / "twisted" / "plugins" / "__init__.py").exists()
