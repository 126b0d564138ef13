"""Migration files: numbering and statement splitting."""

from __future__ import annotations

import pytest

from oxdav.store.sqlite_migrate import migrations, statements


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
