"""DBExecutor: named pools off the reactor thread."""

from __future__ import annotations

import threading

import pytest
import pytest_twisted

from oxdav.store import StoreNotRunning
from oxdav.store.executor import DBExecutor


def reactor():
    from twisted.internet import reactor

    return reactor


@pytest_twisted.ensureDeferred
async def test_run_executes_on_a_thread_of_the_named_pool():
    executor = DBExecutor(reactor(), {"alpha": 1, "beta": 2}, prefix="test")
    executor.start()
    try:
        alpha = await executor.run("alpha", lambda: threading.current_thread().name)
        beta = await executor.run("beta", lambda: threading.current_thread().name)
    finally:
        executor.stop()
    assert alpha.startswith("PoolThread-test-alpha")
    assert beta.startswith("PoolThread-test-beta")


@pytest_twisted.ensureDeferred
async def test_run_passes_arguments_and_errors():
    executor = DBExecutor(reactor(), {"p": 1})
    executor.start()
    try:
        assert await executor.run("p", int, "ff", base=16) == 255
        assert await executor.run("p", pow, 2, 5) == 32
        with pytest.raises(ZeroDivisionError):
            await executor.run("p", divmod, 1, 0)
    finally:
        executor.stop()


def test_run_before_start_is_refused():
    executor = DBExecutor(reactor(), {"p": 1})
    with pytest.raises(StoreNotRunning):
        executor.run("p", int)


def test_stats_report_each_pool():
    executor = DBExecutor(reactor(), {"w": 1, "r": 3})
    executor.start()
    try:
        stats = {s.name: s for s in executor.stats()}
    finally:
        executor.stop()
    assert stats["w"].max_threads == 1 and stats["r"].max_threads == 3
    assert stats["r"].queued == 0
