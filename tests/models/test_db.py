"""The database set-up on each backend."""

import gc
import os
import threading

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from models import Region, db, init_database, make_database, writer_turn
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


def _in_forked_child(work) -> str:
    """What `work()` returns, run in a forked child inside a connection of its
    own pool, which the child then frees (as a gunicorn worker would on exit)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read)
            with db.connection_context():
                os.write(write, work().encode())
            gc.collect()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return answer


def test_forked_child_never_shares_or_ends_the_parents_connection(postgres):
    """gunicorn forks after import: the child opens its own connection, and
    freeing what it inherited does not end the parent's session."""
    url = postgres.create()
    init_database(url)
    with db.connection_context():
        parent_pid = _backend_pid(db)  # now idle in the parent's pool
    child_backend = int(_in_forked_child(lambda: str(_backend_pid(db))) or 0)
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


def test_sqlite_file_is_pooled_but_memory_and_pool_size_0_are_not(tmp_path):
    pooled = make_database(f"sqlite:///{tmp_path / 'p.db'}")
    assert isinstance(pooled, PooledSqliteDatabase)
    with pooled.connection_context():
        first = pooled.connection()
        assert pooled.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pooled.connection_context():
        assert pooled.connection() is first  # kept, with its pragmas and statements
    pooled.close_all()
    assert not isinstance(make_database("sqlite:///:memory:"), PooledSqliteDatabase)
    plain = make_database(f"sqlite:///{tmp_path / 'q.db'}?pool_size=0")
    assert not isinstance(plain, PooledSqliteDatabase)
    assert plain.database == str(tmp_path / "q.db")


def test_a_pooled_sqlite_connection_sees_what_others_wrote(tmp_path):
    """A connection back in the pool holds no old snapshot of the database."""
    url = f"sqlite:///{tmp_path / 'seen.db'}"
    database = init_database(url)
    with database.connection_context():
        upgrade(database)
        # A transaction left open (a request that failed half-way) would keep
        # this connection on today's snapshot: the pool rolls it back.
        database.execute_sql("BEGIN")
        assert Region.select().count() == 0
    other = make_database(url)
    with other.connection_context():
        other.execute_sql("INSERT INTO region (code, name) VALUES ('VR01', 'Een')")
    other.close_all()
    with database.connection_context():
        assert Region.select().count() == 1
    database.close_all()


def test_forked_child_never_uses_the_parents_sqlite_connection(tmp_path):
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    init_database(url)
    with db.connection_context():
        upgrade(db.obj)
        parent_connection = db.connection()  # now idle in the parent's pool

    def in_child() -> str:
        Region.create(code="VR02", name="Twee")
        return "own" if db.connection() is not parent_connection else "parent's"

    assert _in_forked_child(in_child) == "own"
    with db.connection_context():
        assert db.connection() is parent_connection
        assert [r.code for r in Region.select()] == ["VR02"]
    db.obj.close_all()


def test_writers_in_two_processes_take_turns(tmp_path):
    """A save's turn is held across processes (gunicorn's workers), not only
    between the threads of one."""
    init_database(f"sqlite:///{tmp_path / 'turns.db'}")
    held, release = os.pipe(), os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            with writer_turn():
                os.write(held[1], b"1")
                os.read(release[0], 1)
            code = 0
        finally:
            os._exit(code)
    assert os.read(held[0], 1) == b"1"  # the child has the turn
    entered = threading.Event()

    def take_turn():
        with writer_turn():
            entered.set()

    waiting = threading.Thread(target=take_turn)
    waiting.start()
    assert not entered.wait(0.5)
    os.write(release[1], b"1")
    assert entered.wait(30)
    waiting.join()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
