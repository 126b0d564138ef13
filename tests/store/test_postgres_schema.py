"""PostgreSQL schema specifics: the triggers that keep context versions, and the
indexes the time-range and sync queries use (EXPLAIN)."""

from __future__ import annotations

import psycopg
import pytest

from oxdav.store import FolderPermission
from oxdav.store.core.rows import instance_bounds
from oxdav.store.core.scope import Scope
from oxdav.store.postgres.content_rows import changes_query, list_query
from oxdav.store.postgres.instance_rows import EDGE_SPANS_QUERY, INNER_SPAN_QUERY
from oxdav.store.postgres.migrate import migrate

# -- context versions -----------------------------------------------------------------

#: Columns whose change must not move Context.version: the id counters, the version
#: itself, what object writes and tombstone pruning change, and the engine's folded
#: copies (they change with the column they copy).
UNVERSIONED = {("contexts", "version"), ("contexts", "next_user_id"),
               ("contexts", "next_group_id"), ("contexts", "next_folder_id"),
               ("folders", "revision"), ("folders", "pruned_revision")}

VERSIONED_ROWS = {  # one row each, inserted in this order
    "context_mappings": "INSERT INTO context_mappings VALUES ('acme.test', 1, 0)",
    "users": "INSERT INTO users (context_id, id, login, display_name, display_name_folded,"
             " created, modified) VALUES (1, 1, 'alice', 'Alice', 'alice', 0, 0)",
    "user_addresses": "INSERT INTO user_addresses VALUES ('alice@acme.test',"
                      " 'alice@acme.test', 1, 1)",
    "groups": "INSERT INTO groups VALUES (1, 1, 'team', 'Team', 'team', 0, 0)",
    "group_members": "INSERT INTO group_members VALUES (1, 1, 1)",
    "folders": "INSERT INTO folders (context_id, id, module, owner_id, name, created,"
               " modified) VALUES (1, 20, 'calendar', 1, 'Calendar', 0, 0)",
    "folder_permissions": "INSERT INTO folder_permissions VALUES (1, 20, 1, false, 2, 2, 2,"
                          " true, 0)",
}


def test_every_column_of_the_directory_tables_moves_the_context_version(postgres_database):
    # Raw SQL, as another process would write: the triggers keep the version, and a
    # column added later without one fails here.
    with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO contexts (id, name, created, modified)"
                     " VALUES (1, 'acme', 0, 0)")

        def version():
            return conn.execute("SELECT c.version, n.version FROM contexts c, login_names n"
                                " WHERE c.id = 1").fetchone()

        wrong = []
        for table, insert in VERSIONED_ROWS.items():
            before = version()
            conn.execute(insert)
            if version() == before:
                wrong.append(f"INSERT {table}")
        for table in ["contexts", *VERSIONED_ROWS]:
            columns = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                " AND table_schema = current_schema() ORDER BY ordinal_position", (table,))]
            assert columns, table
            for column in columns:
                before = version()
                conn.execute(f"UPDATE {table} SET {column} = {column}")
                if (version() != before) == ((table, column) in UNVERSIONED):
                    wrong.append(f"UPDATE {table}.{column}")
        for table in reversed(VERSIONED_ROWS):
            before = version()
            conn.execute(f"DELETE FROM {table}")
            if version() == before:
                wrong.append(f"DELETE {table}")
    assert wrong == []


def test_logins_that_may_name_someone_new_move_the_login_names_version(postgres_database):
    with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO contexts (id, name, created, modified)"
                     " VALUES (1, 'acme', 0, 0)")

        def names():
            return conn.execute("SELECT version FROM login_names").fetchone()[0]

        moved = {}
        for label, sql in [
                ("mapping", VERSIONED_ROWS["context_mappings"]),
                ("user", VERSIONED_ROWS["users"]),
                ("address", VERSIONED_ROWS["user_addresses"]),
                ("login", "UPDATE users SET login = 'alicia'"),
                ("display name", "UPDATE users SET display_name = 'Alicia'"),
                ("group", VERSIONED_ROWS["groups"]),
                ("address deleted", "DELETE FROM user_addresses")]:
            before = names()
            conn.execute(sql)
            moved[label] = names() != before
    assert moved == {"mapping": True, "user": True, "address": True, "login": True,
                     "display name": False, "group": False, "address deleted": False}


# -- query plans ----------------------------------------------------------------------


@pytest.fixture
def filled(postgres_database):
    """A migrated database with 20,000 objects over 20 folders (one a year of daily
    events each), analysed: a connection to it."""
    conn = psycopg.connect(postgres_database.dsn, autocommit=True)
    migrate(conn)
    conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'a', 0, 0)")
    conn.execute("INSERT INTO folders (context_id, id, module, name, created, modified)"
                 " SELECT 1, f, 'calendar', 'f', 0, 0 FROM generate_series(20, 39) f")
    conn.execute(
        "INSERT INTO objects (context_id, folder_id, name, uid, component, first_start,"
        " last_end, recurring, etag, size, modseq, created, modified, data)"
        " SELECT 1, f, n || '.ics', 'u' || n, 'VEVENT', 1700000000 + n * 86400,"
        " 1700000000 + n * 86400 + 3600, false, 'e', 1, n, 0, 0, '\\x00'"
        " FROM generate_series(20, 39) f, generate_series(1, 1000) n")
    conn.execute("INSERT INTO changes (context_id, folder_id, name, modseq, deleted, changed)"
                 " SELECT context_id, folder_id, name, modseq, false, 0 FROM objects")
    conn.execute("ANALYZE")
    yield conn
    conn.close()


def plan(conn, sql: str, params) -> str:
    return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))


def scope(read: str = "all") -> Scope:
    return Scope(1, 20, 3, FolderPermission(entity=3, read=read))  # type: ignore[arg-type]


DAY = 86400
START = 1700000000


@pytest.mark.parametrize("time_range, bound", [
    ((START + 500 * DAY, START + 510 * DAY), "last_end >="),
    ((START + 990 * DAY, None), "last_end >="),
    ((None, START + 10 * DAY), "first_start <="),
])
def test_time_range_listing_is_an_index_range_scan(filled, time_range, bound):
    text = plan(filled, *list_query(scope(), time_range, None))
    assert "Seq Scan" not in text, text
    assert "objects_time" in text and bound in text.split("Index Cond:")[1], text


def test_instance_spans_are_index_scans_of_the_time_index(filled):
    filled.execute(
        "INSERT INTO object_instances (context_id, folder_id, name, is_long, span_start,"
        " span_end) SELECT 1, f, n || '.ics', false, 1700000000 + d * 86400,"
        " 1700000000 + d * 86400 + 3600 FROM generate_series(20, 39) f,"
        " generate_series(1, 50) n, generate_series(1, 200) d")
    filled.execute("ANALYZE object_instances")
    params = {"c": 1, "f": 20, **instance_bounds(START + 99 * DAY, START + 131 * DAY,
                                                  (START + 101 * DAY, START + 129 * DAY))}
    for sql in (INNER_SPAN_QUERY, EDGE_SPANS_QUERY):
        text = plan(filled, sql, params)
        assert "Seq Scan" not in text and "object_instances_time" in text, text


def test_an_initial_sync_finds_each_object_by_its_key_before_any_analyze(postgres_database):
    """A folder filled since the last ANALYZE: its objects are read once, never once per
    change."""
    conn = psycopg.connect(postgres_database.dsn, autocommit=True)
    try:
        migrate(conn)
        conn.execute("ALTER TABLE objects SET (autovacuum_enabled = false)")
        conn.execute("ALTER TABLE changes SET (autovacuum_enabled = false)")
        conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'a', 0, 0)")
        conn.execute("INSERT INTO folders (context_id, id, module, name, created, modified)"
                     " VALUES (1, 20, 'calendar', 'f', 0, 0)")
        conn.execute(
            "INSERT INTO objects (context_id, folder_id, name, uid, component, first_start,"
            " last_end, recurring, etag, size, modseq, created, modified, data)"
            " SELECT 1, 20, n || '.ics', 'u' || n, 'VEVENT', 0, 1, false, 'e', 1, n, 0, 0,"
            " '\\x00' FROM generate_series(1, 500) n")
        conn.execute("INSERT INTO changes (context_id, folder_id, name, modseq, deleted,"
                     " changed) SELECT context_id, folder_id, name, modseq, false, 0"
                     " FROM objects")
        text = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN ANALYZE " + changes_query(scope(), None, None)[0],
            changes_query(scope(), None, None)[1]))
        assert "Rows Removed by" not in text and "loops=500" not in text, text
        assert "rows=500 loops=1" in text.splitlines()[0], text
    finally:
        conn.close()


def test_changes_are_an_index_range_scan(filled):
    text = plan(filled, *changes_query(scope(), 995, 10))
    assert "Seq Scan on changes" not in text, text
    assert "changes_modseq" in text and "modseq >" in text, text
