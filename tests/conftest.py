"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres_cluster import PostgresCluster, PostgresDatabase


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster (tests/postgres_cluster.py), started on first use
    and stopped at the end of the session. Missing server binaries are an error, never a
    skip."""
    cluster = PostgresCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_database(postgres_cluster: PostgresCluster) -> Iterator[PostgresDatabase]:
    """A fresh, empty database owned by the ``oxdav`` role, dropped after the test."""
    database = postgres_cluster.new_database()
    yield database
    postgres_cluster.drop_database(database.name)
