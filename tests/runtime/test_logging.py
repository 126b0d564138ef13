"""oxdav.logging: output formats, journald priorities, runtime level changes."""

from __future__ import annotations

import io
import json
import sys

import pytest
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

from oxdav import logging as oxlog


class FakeStdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture(autouse=True)
def fresh_levels():
    oxlog.reset_log_levels("info")
    yield
    oxlog.reset_log_levels("info")


def _emit(observer, level=LogLevel.info, namespace="oxdav.test", text="hello {who}", **kw):
    Logger(namespace=namespace, observer=observer).emit(level, text, who="world", **kw)


def test_journald_lines_carry_syslog_priority(monkeypatch):
    out = FakeStdout(tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OXDAV_LOG_FORMAT", raising=False)
    observer = oxlog.observer()
    _emit(observer, LogLevel.warn)
    _emit(observer, LogLevel.error)
    assert out.getvalue() == "<4>[oxdav.test] hello world\n<3>[oxdav.test] hello world\n"


def test_every_traceback_line_gets_the_prefix(monkeypatch):
    out = FakeStdout(tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OXDAV_LOG_FORMAT", raising=False)
    try:
        raise ValueError("boom")
    except ValueError:
        failure = Failure()
    Logger(namespace="oxdav.test", observer=oxlog.observer()).failure("failed", failure)
    lines = out.getvalue().splitlines()
    assert len(lines) > 2
    assert all(line.startswith("<2>[oxdav.test] ") for line in lines)
    assert "ValueError: boom" in out.getvalue()


def test_tty_gets_plain_text_without_priority(monkeypatch):
    out = FakeStdout(tty=True)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OXDAV_LOG_FORMAT", raising=False)
    _emit(oxlog.observer())
    assert "hello world" in out.getvalue()
    assert not out.getvalue().startswith("<")


def test_json_format_writes_one_object_per_line(monkeypatch):
    out = FakeStdout(tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("OXDAV_LOG_FORMAT", "json")
    observer = oxlog.observer()
    _emit(observer)
    _emit(observer)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "\x1e" not in out.getvalue()
    event = json.loads(lines[0])
    assert (event["who"], event["log_text"]) == ("world", "hello world")


def test_debug_is_filtered_until_the_namespace_level_is_lowered(monkeypatch):
    out = FakeStdout(tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OXDAV_LOG_FORMAT", raising=False)
    observer = oxlog.observer()
    _emit(observer, LogLevel.debug, namespace="oxdav.store.sqlite")
    oxlog.set_log_level("oxdav.store", "debug")
    _emit(observer, LogLevel.debug, namespace="oxdav.store.sqlite")
    _emit(observer, LogLevel.debug, namespace="oxdav.web")
    assert out.getvalue() == "<7>[oxdav.store.sqlite] hello world\n"


def test_root_level_applies_to_every_namespace(monkeypatch):
    out = FakeStdout(tty=False)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OXDAV_LOG_FORMAT", raising=False)
    observer = oxlog.observer()
    oxlog.set_log_level("", "error")
    _emit(observer, LogLevel.warn)
    assert out.getvalue() == ""


def test_unknown_level_name_is_a_value_error():
    with pytest.raises(ValueError, match="verbose"):
        oxlog.set_log_level("oxdav", "verbose")


def test_warning_is_accepted_as_warn():
    assert oxlog.parse_log_level("WARNING") is LogLevel.warn
