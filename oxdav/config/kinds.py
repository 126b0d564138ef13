"""Value kinds of configuration properties: how a text value is checked and converted.

Each kind turns the text of a property (from a ``.properties`` file, a context set or
a context/user override) into a Python value, or raises ``ValueError`` with a message
that says what is allowed. ``allowed`` is the short description shown in errors and in
``--check-config`` output.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Kind(Generic[T]):
    """A named converter from property text to a value."""

    allowed: str
    convert: Callable[[str], T]

    def parse(self, text: str) -> T:
        """Convert ``text`` (surrounding whitespace ignored) or raise ``ValueError``."""
        return self.convert(text.strip())


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"{text!r} is not a boolean")


BOOLEAN: Kind[bool] = Kind("true or false", _boolean)
TEXT: Kind[str] = Kind("any text", lambda text: text)


def integer(minimum: int | None = None, maximum: int | None = None) -> Kind[int]:
    """An integer within optional bounds."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValueError(f"{value} is out of range")
        return value

    bounds = [f">= {minimum}"] if minimum is not None else []
    bounds += [f"<= {maximum}"] if maximum is not None else []
    return Kind(" ".join(["an integer", " and ".join(bounds)]).strip(), convert)


def choice(*values: str) -> Kind[str]:
    """One of a fixed set of words (compared case-sensitively, as OX does)."""

    def convert(text: str) -> str:
        if text not in values:
            raise ValueError(f"{text!r} is not allowed")
        return text

    return Kind("one of " + ", ".join(values), convert)


def choice_or_days(*values: str) -> Kind[str | int]:
    """One of the named spans, or a number of days (``0`` = no limit)."""

    def convert(text: str) -> str | int:
        if text in values:
            return text
        if text.isdigit():
            return int(text)
        raise ValueError(f"{text!r} is neither a named span nor a number of days")

    return Kind("one of " + ", ".join(values) + ", or a number of days >= 0", convert)


def _regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"invalid regular expression: {error}") from None


REGEX: Kind[re.Pattern[str]] = Kind("a regular expression (matched case-insensitively)", _regex)


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _integer_list(text: str) -> tuple[int, ...]:
    items = _comma_list(text)
    if not all(item.isdigit() for item in items):
        raise ValueError(f"{text!r} is not a comma-separated list of numbers")
    return tuple(int(item) for item in items)


INTEGER_LIST: Kind[tuple[int, ...]] = Kind("a comma-separated list of numeric ids", _integer_list)


def _url_path(text: str) -> str:
    if not text.startswith("/"):
        raise ValueError(f"{text!r} does not start with '/'")
    return "/" + text.strip("/") if text.strip("/") else "/"


URL_PATH: Kind[str] = Kind("an absolute URL path such as /dav", _url_path)


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([kKmMgG]?)[bB]?", text)
    if not match:
        raise ValueError(f"{text!r} is not a size")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(match.group(1)) * factor


SIZE: Kind[int] = Kind("a size in bytes, optionally with k, M or G (e.g. 10M)", _size)


def _seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?", text)
    if not match:
        raise ValueError(f"{text!r} is not a duration")
    factor = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0,
              "d": 86400.0}[match.group(2)]
    return float(match.group(1)) * factor


DURATION: Kind[float] = Kind("a duration: seconds, or a number with ms, s, m, h or d",
                             _seconds)


@dataclass(frozen=True)
class ListenAddress:
    """A TCP listen address, or a socket handed over by systemd (``systemd:NAME``)."""

    host: str
    port: int
    systemd_name: str | None = None

    def __str__(self) -> str:
        if self.systemd_name:
            return f"systemd:{self.systemd_name}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _listen_address(item: str) -> ListenAddress:
    if item.startswith("systemd:"):
        name = item[len("systemd:") :]
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"{item!r}: invalid systemd socket name")
        return ListenAddress("", 0, name)
    match = re.fullmatch(r"(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]*)):(\d{1,5})", item)
    if not match:
        raise ValueError(f"{item!r} is not HOST:PORT, [IPv6]:PORT or systemd:NAME")
    host = match.group(1) or match.group(2) or "0.0.0.0"
    port = int(match.group(3))
    if not 0 <= port <= 65535:
        raise ValueError(f"{item!r}: port out of range")
    return ListenAddress(host, port)


def _listen_list(text: str) -> tuple[ListenAddress, ...]:
    return tuple(_listen_address(item) for item in _comma_list(text))


LISTEN: Kind[tuple[ListenAddress, ...]] = Kind(
    "comma-separated HOST:PORT, [IPv6]:PORT or systemd:NAME (empty = off)", _listen_list
)


def _networks(text: str) -> tuple[Any, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _comma_list(text))
    except ValueError as error:
        raise ValueError(str(error)) from None


NETWORKS: Kind[tuple[Any, ...]] = Kind("comma-separated IP addresses or CIDR networks", _networks)


def _log_level(text: str) -> str:
    levels = ("debug", "info", "warn", "error", "critical")
    if text.lower() not in levels:
        raise ValueError(f"{text!r} is not a log level")
    return text.lower()


LOG_LEVEL: Kind[str] = Kind("one of debug, info, warn, error, critical", _log_level)
