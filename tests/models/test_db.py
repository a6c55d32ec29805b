"""The database set-up on each backend."""

import gc
import os

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from models import Region, db, init_database, make_database
from models.db import analyze
from models.migrate import upgrade


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


def test_postgres_is_pooled_unless_the_url_says_otherwise():
    pooled = make_database("postgresql://app@db.internal/monitor?pool_size=7")
    assert isinstance(pooled, PooledPostgresqlDatabase)
    assert pooled._max_connections == 7
    assert isinstance(
        make_database("postgresql://app@db.internal/monitor"), PooledPostgresqlDatabase
    )
    plain = make_database("postgresql://app@db.internal/monitor?pool_size=0")
    assert not isinstance(plain, PooledPostgresqlDatabase)
    with pytest.raises(ValueError, match="pool_size"):
        make_database("postgresql://app@db.internal/monitor?pool_size=veel")


def _backend_pid(database) -> int:
    return database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def test_pooled_connection_is_reused_between_requests(postgres):
    database = make_database(postgres.create())
    with database.connection_context():
        first = _backend_pid(database)
    with database.connection_context():
        assert _backend_pid(database) == first
    database.close_all()


def test_forked_child_never_shares_or_ends_the_parents_connection(postgres):
    """gunicorn forks after import: the child opens its own connection, and
    freeing what it inherited does not end the parent's session."""
    url = postgres.create()
    init_database(url)
    with db.connection_context():
        parent_pid = _backend_pid(db)  # now idle in the parent's pool
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read)
            with db.connection_context():
                os.write(write, str(_backend_pid(db)).encode())
            gc.collect()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        child_backend = int(pipe.read() or 0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_backend not in (0, parent_pid)
    with db.connection_context():
        # The same pooled connection, still alive after the child is gone.
        assert _backend_pid(db) == parent_pid
        assert db.execute_sql("SELECT 1").fetchone()[0] == 1
    db.obj.close_all()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_analyze_leaves_planner_statistics(backend, request, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.db'}"
    else:
        url = request.getfixturevalue("postgres").create()
    database = init_database(url)
    with database.connection_context():
        upgrade(database)
        Region.insert_many(
            [{"code": f"VR{i:02d}", "name": f"Regio {i}"} for i in range(1, 26)]
        ).execute()
        analyze(Region)
        if backend == "sqlite":
            rows = database.execute_sql(
                "SELECT tbl FROM sqlite_stat1 WHERE tbl = 'region'"
            ).fetchall()
            assert rows
        else:
            analysed = database.execute_sql(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'region'"
            ).fetchone()[0]
            assert analysed is not None
    database.close()
