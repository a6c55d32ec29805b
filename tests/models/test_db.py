"""The database set-up on each backend."""

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from models import make_database


def test_sqlite_pragmas_are_in_effect(tmp_path):
    database = make_database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    assert isinstance(database, SqliteDatabase)
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_postgres_url_is_parsed():
    database = make_database("postgresql://app:geheim@db.internal:6543/monitor")
    assert isinstance(database, PostgresqlDatabase)
    assert database.database == "monitor"
    assert database.connect_params["host"] == "db.internal"
    assert database.connect_params["port"] == 6543
    assert database.connect_params["user"] == "app"


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="Unsupported"):
        make_database("mysql://x@y/z")
