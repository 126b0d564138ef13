"""TLS files the daemon cannot use stop ``twistd oxdav`` with a non-zero exit and one
line naming the file, not a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from oxdav.devcert import generate_dev_certificate
from tests.integration.daemon import start_until_ready_or_exit
from tests.integration.harness import write_config


def missing_key(cert: Path, key: Path) -> None:
    key.unlink()


def unreadable_key(cert: Path, key: Path) -> None:
    key.chmod(0)


def key_of_another_certificate(cert: Path, key: Path) -> None:
    key.write_bytes(generate_dev_certificate(["localhost"])[1])


#: case → (what is done to the files, the message expected for certificate C, key K)
CASES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "missing key": (missing_key, "cannot read TLS key '{key}': No such file or directory"),
    "unreadable key": (unreadable_key, "cannot read TLS key '{key}': Permission denied"),
    "key of another certificate": (
        key_of_another_certificate, "TLS key '{key}' does not match certificate '{cert}'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_tls_files_exit_non_zero_naming_them(tmp_path: Path, case: str) -> None:
    spoil, message = CASES[case]
    config = write_config(tmp_path / "etc")
    cert, key = config / "data" / "tls" / "fullchain.pem", config / "data" / "tls" / "privkey.pem"
    cert.parent.mkdir(parents=True)
    certificate, private_key = generate_dev_certificate(["localhost"])
    cert.write_bytes(certificate)
    key.write_bytes(private_key)
    spoil(cert, key)
    status, output = start_until_ready_or_exit(config)
    assert status is not None, f"the daemon started:\n{output[-3000:]}"
    assert status != 0
    assert message.format(cert=cert, key=key) in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
