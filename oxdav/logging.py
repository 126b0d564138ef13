"""Log output for twistd: ``twistd --logger=oxdav.logging.observer ... oxdav``.

:func:`observer` picks the format once, at start-up (OPS.md B5):

- ``OXDAV_LOG_FORMAT=json``: one JSON object per line (no RFC 7464 ``\\x1e``),
  Twisted's event plus the rendered message as ``log_text``;
- stdout is a terminal: Twisted's classic text with timestamps;
- otherwise (journald, pipes): one line per message line, each prefixed with the
  syslog priority ``<N>`` that journald parses (``SyslogLevelPrefix=`` is on by
  default), no timestamp (journald adds its own).

Every event passes :data:`level_predicate` first, so reload can change levels at
runtime with :func:`set_log_level`.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from twisted.logger import (
    FilteringLogObserver,
    ILogObserver,
    InvalidLogLevelError,
    LogLevel,
    LogLevelFilterPredicate,
    formatEvent,
    jsonFileLogObserver,
    textFileLogObserver,
)
from zope.interface import implementer

__all__ = [
    "JournaldTextObserver",
    "level_predicate",
    "observer",
    "parse_log_level",
    "reset_log_levels",
    "set_log_level",
]

#: The filter every event passes; module-level so reload can adjust it.
level_predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.info)

# syslog(3) priorities: LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG.
_SYSLOG_PRIORITY = {
    LogLevel.critical: 2,
    LogLevel.error: 3,
    LogLevel.warn: 4,
    LogLevel.info: 6,
    LogLevel.debug: 7,
}


def parse_log_level(name: str) -> LogLevel:
    """``"debug"``, ``"info"``, ``"warn"``/``"warning"``, ``"error"``, ``"critical"``.

    Raises:
        ValueError: for any other name.
    """
    key = name.strip().lower()
    if key == "warning":
        key = "warn"
    try:
        return LogLevel.levelWithName(key)
    except InvalidLogLevelError as e:
        raise ValueError(f"unknown log level {name!r}") from e


def set_log_level(namespace: str, level_name: str) -> None:
    """Set the minimum level for a namespace and its children (``""`` = root).

    Example: ``set_log_level("oxdav.store", "debug")``.

    Raises:
        ValueError: for an unknown level name.
    """
    level_predicate.setLogLevelForNamespace(namespace, parse_log_level(level_name))


def reset_log_levels(default: str = "info") -> None:
    """Forget every per-namespace level and set the root level (before re-applying config)."""
    level_predicate.defaultLogLevel = parse_log_level(default)
    level_predicate.clearLogLevels()


@implementer(ILogObserver)
class JournaldTextObserver:
    """Writes ``<N>[namespace] message`` lines with the syslog priority of the level.

    Multi-line messages and tracebacks get the prefix on every line, because
    journald turns each stdout line into its own entry.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def __call__(self, event: dict[str, Any]) -> None:
        text = formatEvent(event)
        failure = event.get("log_failure")
        if failure is not None:
            text = f"{text}\n{failure.getTraceback()}".strip("\n")
        if not text:
            return
        priority = _SYSLOG_PRIORITY.get(event.get("log_level", LogLevel.info), 6)
        namespace = event.get("log_namespace", "-")
        lines = text.splitlines() or [""]
        self._stream.write(
            "".join(f"<{priority}>[{namespace}] {line}\n" for line in lines)
        )
        self._stream.flush()


@implementer(ILogObserver)
class _JsonWithTextObserver:
    """Adds the rendered message as ``log_text``, so log shippers need no Twisted."""

    def __init__(self, json_observer: ILogObserver) -> None:
        self._json = json_observer

    def __call__(self, event: dict[str, Any]) -> None:
        self._json({**event, "log_text": formatEvent(event)})


def observer() -> ILogObserver:
    """The no-argument observer factory for ``twistd --logger``.

    Captures ``sys.stdout`` now, before twistd redirects standard I/O into the log.
    """
    stream = sys.stdout
    if os.environ.get("OXDAV_LOG_FORMAT", "").strip().lower() == "json":
        inner: ILogObserver = _JsonWithTextObserver(jsonFileLogObserver(stream, recordSeparator=""))
    elif stream.isatty():
        inner = textFileLogObserver(stream)
    else:
        inner = JournaldTextObserver(stream)
    return FilteringLogObserver(inner, [level_predicate])
