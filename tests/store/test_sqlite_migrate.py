"""Migration files: numbering and statement splitting."""

from __future__ import annotations

import sqlite3

import pytest

from oxdav.store.sqlite.migrate import migrate, migrations, statements


def test_shipped_migrations_are_numbered_from_one():
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "0001_initial.sql"


def test_statements_split_on_complete_statements_only():
    sql = """-- comment
CREATE TABLE a (x TEXT DEFAULT ';');
CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET x = 'y';
END;
-- trailing comment
"""
    parts = statements(sql)
    assert len(parts) == 2
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")


def test_incomplete_statement_is_refused():
    with pytest.raises(RuntimeError):
        statements("CREATE TABLE a (x TEXT)")


def test_exact_spans_migration_keeps_objects_and_puts_data_last():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    older = [m for m in migrations() if m.version < 3]
    migrate(conn, older)
    conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'c', 0, 0)")
    conn.execute("INSERT INTO folders (context_id, id, module, name, created, modified)"
                 " VALUES (1, 20, 'calendar', 'f', 0, 0)")
    conn.execute("INSERT INTO objects (context_id, folder_id, name, uid, component, first_start,"
                 " last_end, recurring, etag, size, modseq, created_by, created, modified, data)"
                 " VALUES (1, 20, 'a.ics', 'u', 'VEVENT', 1, 2, 0, 'e', 1, 1, NULL, 0, 0, x'61')")
    assert migrate(conn, [m for m in migrations() if m.version <= 3]) == [
        "0003_object_exact_spans.sql"]
    row = conn.execute("SELECT name, first_start, last_end, exact_spans, floating_spans, data"
                       " FROM objects"
                       ).fetchone()
    assert row == ("a.ics", 1, 2, None, 0, b"a")
    columns = [r[1] for r in conn.execute("PRAGMA table_info(objects)")]
    assert columns[-1] == "data" and "exact_spans" in columns
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(objects)")}
    assert {"objects_uid", "objects_time", "objects_time_end"} <= indexes


def test_derived_migration_keeps_objects_without_an_derived():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn, [m for m in migrations() if m.version < 4])
    conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'c', 0, 0)")
    conn.execute("INSERT INTO folders (context_id, id, module, name, created, modified)"
                 " VALUES (1, 20, 'contacts', 'f', 0, 0)")
    conn.execute("INSERT INTO objects (context_id, folder_id, name, uid, component, first_start,"
                 " last_end, recurring, etag, size, modseq, created_by, created, modified, data)"
                 " VALUES (1, 20, 'a.vcf', 'u', 'VCARD', 1, 2, 0, 'e', 1, 1, NULL, 0, 0, x'61')")
    assert "0004_object_derived.sql" in migrate(conn)
    assert conn.execute("SELECT name, data, derived FROM objects").fetchone() == (
        "a.vcf", b"a", None)
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(objects)")}
    assert {"objects_uid", "objects_time", "objects_time_end"} <= indexes
