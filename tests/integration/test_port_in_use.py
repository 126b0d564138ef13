"""A listener that cannot be bound stops ``twistd oxdav`` with one clear line and a
non-zero exit, not a traceback (a newcomer starting ``./dev run`` twice sees why)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.integration.harness import REPO, write_config


def test_port_in_use_exits_non_zero_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path / "etc")
        properties = config / "oxdav.properties"
        properties.write_text(properties.read_text().replace(
            "oxdav.listen.https = 127.0.0.1:0", f"oxdav.listen.https = 127.0.0.1:{port}"))
        twistd = Path(sys.executable).parent / "twistd"
        done = subprocess.run(
            [str(twistd), "-n", "--pidfile=", "oxdav", "-c", str(config)],
            capture_output=True, text=True, timeout=60, cwd=config,
            env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"cannot listen on tcp:port={port}:interface=127.0.0.1" in output
    assert "Address already in use" in output
    assert "Traceback" not in output
