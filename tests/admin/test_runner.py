"""tests/admin/runner.py: a run forked from the warm interpreter answers as a cold
``python -m oxdav.admin.main`` does (exit code, stdout, stderr), stdin included."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.admin.conftest import REPO, Admin
from tests.admin.runner import run_admin


def test_a_forked_run_answers_as_a_cold_python_does(acme: Admin) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for args, stdin in ((["context", "list", "--json"], None),
                        (["user", "create", "acme", "alice", "--password-stdin"], "pw\n"),
                        (["user", "list", "acme", "--format", "yaml"], None),
                        (["no-such-command"], None)):
        argv = ["-c", str(acme.config), *args]
        cold = subprocess.run([sys.executable, "-m", "oxdav.admin.main", *argv], input=stdin,
                              capture_output=True, text=True, env=env, timeout=60,
                              check=False)
        warm = run_admin(argv, input=stdin, env=env)
        assert (warm.returncode, warm.stdout, warm.stderr) == \
            (cold.returncode, cold.stdout, cold.stderr), args
