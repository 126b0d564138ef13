"""The PostgreSQL engine, for several nodes on one database: connections
(:mod:`.engine`), rows (:mod:`.rows`), numbered schema migrations (:mod:`.migrate`,
``schema/``), events between the nodes (:mod:`.notify`)."""

from .engine import PostgresEngine, PostgresStore
from .target import DatabaseTarget

__all__ = ["DatabaseTarget", "PostgresEngine", "PostgresStore"]
