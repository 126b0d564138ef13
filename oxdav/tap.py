"""``twistd oxdav``: command-line options and the composition root.

``Options`` parses ``-c DIR`` and validates the whole configuration, so a broken file
stops twistd before it daemonises, with exit code 1 and the problems listed (file,
line, property, what is allowed). ``--check-config`` validates, loads the TLS files
as the start would (so a key that does not match its certificate is refused), checks
the storage URL and that its password file can be read (without connecting), and
exits.
``makeService`` only composes: the work happens in :mod:`oxdav.service`.
"""

from __future__ import annotations

from pathlib import Path

from twisted.application.service import IService
from twisted.python import usage

from oxdav.config import DECLARATIONS, ConfigError, ConfigSnapshot, load_config


class Options(usage.Options):
    """Options of ``twistd oxdav``."""

    synopsis = "[-c DIR] [--check-config [-v]]"
    longdesc = (
        "Serve CalDAV and CardDAV. DIR holds *.properties files and contextSets/*.yml "
        "(the Open-Xchange configuration layout)."
    )
    optParameters = [
        ["config", "c", "/etc/oxdav", "Configuration directory."],
    ]
    optFlags = [
        ["check-config", None, "Validate the configuration, print a summary and exit."],
        ["verbose", "v", "With --check-config: list every property, its value and origin."],
    ]

    snapshot: ConfigSnapshot

    def postOptions(self) -> None:
        try:
            self.snapshot = load_config(Path(self["config"]))
        except ConfigError as error:
            raise usage.UsageError(str(error)) from None
        if self["check-config"]:
            from oxdav.service import check_tls
            from oxdav.storage import check_storage
            from oxdav.store.errors import StoreError
            from oxdav.tls import TLSConfigError

            try:
                tls = check_tls(self.snapshot)
                storage = check_storage(self.snapshot)
            except (TLSConfigError, StoreError) as error:
                raise usage.UsageError(str(error)) from None
            print(describe(self.snapshot, verbose=bool(self["verbose"]), tls=tls,
                           storage=storage))
            raise SystemExit(0)


def describe(snapshot: ConfigSnapshot, *, verbose: bool = False,
             tls: str | None = None, storage: str | None = None) -> str:
    """A human summary of a valid configuration, for ``--check-config``."""
    lines = [f"configuration OK: {snapshot.directory}"]
    if tls is not None:
        lines.append(tls)
    if storage is not None:
        lines.append(storage)
    lines += [f"warning: {warning}" for warning in snapshot.warnings]
    lines.append(f"context sets: {len(snapshot.context_sets)}")
    for context_set in snapshot.context_sets:
        lines.append(f"  {context_set.name} ({context_set.source}): "
                     f"withTags {context_set.with_tags.text!r}, "
                     f"sets {', '.join(sorted(context_set.settings)) or 'nothing'}")
    if verbose:
        for name, declaration in sorted(DECLARATIONS.items()):
            setting = snapshot.settings[name]
            origin = str(setting.source) if setting.source else "default"
            flags = ("cascade " if declaration.cascade else "") + (
                "" if declaration.reloadable else "restart-only")
            lines.append(f"{name} = {setting.text}   [{origin}] {flags.strip()}")
            lines.append(f"    {declaration.help} Allowed: {declaration.kind.allowed}.")
    return "\n".join(lines)


def makeService(options: Options) -> IService:
    """Compose the oxdav service from parsed options (called by twistd)."""
    from twisted.internet import reactor

    from oxdav.service import OxdavService, StartupError

    try:
        return OxdavService(options.snapshot, reactor)
    except StartupError as error:
        # Unusable TLS files: the message names them; a traceback would bury it.
        raise SystemExit(f"oxdav: {error}") from None

