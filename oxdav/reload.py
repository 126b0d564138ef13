"""SIGHUP reload: re-read everything, validate, then swap atomically (OPS.md §B3).

A reload builds a complete new :class:`ConfigSnapshot` and new TLS options *before*
anything changes. If any step fails (a broken properties file, a bad context set, a key
that does not match its certificate), the old configuration and certificate stay in
force and the error is logged. Non-reloadable properties (listeners, storage, prefix
path) keep their running values in the new snapshot; a change to one is logged as
"restart required".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from oxdav.config import ConfigError, ConfigHolder, ConfigSnapshot, load_config, restart_required

log = Logger()

#: Builds the TLS server options of a snapshot; raises on unusable files.
TLSLoader = Callable[[ConfigSnapshot], Any]


class ReloadCoordinator:
    """Performs reloads; one instance per running service.

    Args:
        holder: the config holder whose snapshot is swapped.
        load_tls: builds TLS options for a snapshot (None when there is no TLS listener).
        apply_tls: installs new TLS options (e.g. ``SwappableServerTLS.swap``).
        notify: ``sd_notify``-style callable taking the message fields.
        listeners: called with ``(old, new)`` after a successful swap (log level, metrics).
    """

    def __init__(
        self,
        holder: ConfigHolder,
        *,
        load_tls: TLSLoader | None = None,
        apply_tls: Callable[[Any], None] | None = None,
        notify: Callable[..., Any] = lambda **fields: None,
        listeners: list[Callable[[ConfigSnapshot, ConfigSnapshot], None]] | None = None,
    ) -> None:
        self.holder = holder
        self.load_tls = load_tls
        self.apply_tls = apply_tls
        self.notify = notify
        self.listeners = list(listeners or [])
        self.outcomes: list[Callable[[bool], None]] = []

    def reload(self) -> bool:
        """Reload now; True when the new configuration is in force."""
        self.notify(reloading=True)
        try:
            succeeded = self._reload()
        except Exception:  # noqa: BLE001 - a reload must never take the server down
            log.failure("reload failed unexpectedly; the old configuration stays in force")
            succeeded = False
        for outcome in self.outcomes:
            outcome(succeeded)
        self.notify(ready=True, status="serving" if succeeded else
                    "serving; the last reload failed, see the log")
        return succeeded

    def _reload(self) -> bool:
        old = self.holder.current
        try:
            new = load_config(old.directory)
        except ConfigError as error:
            log.error("reload refused, the old configuration stays in force: {error}",
                      error=error)
            return False
        pending = restart_required(old, new)
        if pending:
            log.warn("restart required for changed properties: {names} "
                     "(they keep their running values until then)", names=", ".join(pending))
            new = keep_running_values(new, old, pending)
        tls_options = None
        if self.load_tls is not None:
            try:
                tls_options = self.load_tls(new)
            except Exception as error:  # noqa: BLE001 - any unusable certificate/key
                log.error("reload refused, the old certificate and configuration stay in "
                          "force: {error}", error=error)
                return False
        if self.apply_tls is not None and tls_options is not None:
            self.apply_tls(tls_options)
        self.holder.swap(new)
        for listener in self.listeners:
            listener(old, new)
        log.info("configuration reloaded from {directory}", directory=new.directory)
        for warning in new.warnings:
            log.warn("{warning}", warning=warning)
        return True


def keep_running_values(new: ConfigSnapshot, old: ConfigSnapshot,
                        names: list[str]) -> ConfigSnapshot:
    """``new`` with the settings of ``names`` taken from ``old``."""
    settings = dict(new.settings)
    for name in names:
        settings[name] = old.settings[name]
    return dataclasses.replace(new, settings=settings, _views={})
