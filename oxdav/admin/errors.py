"""Exit codes of ``oxdav-admin`` and the error that carries one.

Scripts rely on these numbers; they are listed in ``oxdav-admin --help``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NOT_FOUND = 2
EXIT_EXISTS = 3
EXIT_OTHER = 4

EXIT_CODES_HELP = """\
exit codes:
  0  success
  1  usage or validation error (bad option, invalid value, invalid configuration)
  2  not found (unknown context, user, group, folder or object)
  3  already exists (duplicate name, login, mapping, address or id)
  4  any other error (e.g. storage failure)
"""


class AdminError(Exception):
    """A failure to report on stderr with its exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def not_found(message: str) -> AdminError:
    """An ``AdminError`` with exit code 2."""
    return AdminError(message, EXIT_NOT_FOUND)
