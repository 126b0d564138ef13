"""The work pool: pure functions in worker processes, other work on threads."""

from __future__ import annotations

import os

import pytest
import pytest_twisted

from oxdav.work import WORKER_MEMORY_BYTES, WORKER_NICENESS, WorkerLost, WorkPool
from tests.work import die, power, refuse, worker_state


@pytest_twisted.async_yield_fixture
async def pool():
    from twisted.internet import reactor

    work = WorkPool(reactor, threads=1, processes=1)
    work.startService()
    yield work
    work.stopService()


@pytest_twisted.ensureDeferred
async def test_a_task_runs_in_a_worker_process_at_lower_priority_and_bounded(pool):
    assert await pool.process(power, 2, 10) == 1024
    pid, niceness, memory = await pool.process(worker_state)
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + WORKER_NICENESS or niceness == 19
    assert memory == WORKER_MEMORY_BYTES


@pytest_twisted.ensureDeferred
async def test_a_tasks_exception_reaches_the_caller(pool):
    with pytest.raises(ValueError, match="no such thing"):
        await pool.process(refuse, "no such thing")


@pytest_twisted.ensureDeferred
async def test_a_dead_worker_fails_its_task_and_the_next_task_gets_a_new_one(pool):
    with pytest.raises(WorkerLost):
        await pool.process(die)
    assert await pool.process(power, 3, 2) == 9


@pytest_twisted.ensureDeferred
async def test_small_inputs_stay_inline(pool):
    pid, _, _ = await pool.sized_process(10, worker_state)
    assert pid == os.getpid()
