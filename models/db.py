"""The deferred database: declared empty here, pointed at a real one by the app
factory, the CLI, the jobs and the tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

logger = logging.getLogger(__name__)

db = DatabaseProxy()

# The same text format sqlite3's default adapters write (deprecated since 3.12),
# declared here so bulk inserts that bypass peewee store dates the same way.
sqlite3.register_adapter(dt.datetime, lambda value: value.isoformat(" "))
sqlite3.register_adapter(dt.date, lambda value: value.isoformat())

# WAL lets the web server read while the batch writes; foreign keys are off by
# default in SQLite; the busy timeout makes concurrent writers wait instead of
# failing at once.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -64_000,
}


# Connections per process in the pool: at least the threads that
# may query at once (gunicorn threads, the batch's query and writer threads).
DEFAULT_POOL_SIZE = 16
# Idle pooled connections older than this are closed instead of reused.
POOL_STALE_SECONDS = 600
# How long a thread waits for a free pooled connection before failing.
POOL_WAIT_SECONDS = 30


class _ForkSafePool(PooledDatabase):
    """A connection pool that a forked child never shares.

    gunicorn forks its workers after importing the app; a child that reused a
    pooled connection of its parent would interleave its queries with the
    parent's on one socket (PostgreSQL) or corrupt SQLite's locks, and closing
    it would end the parent's session. The child therefore forgets what it
    inherited, without closing it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_pid = os.getpid()
        self._inherited: list = []

    def forget_inherited(self) -> None:
        """Drop the connections of the parent process, leaving them open for it."""
        if self._owner_pid == os.getpid():
            return
        self._owner_pid = os.getpid()
        # SQLite must never close, in the child, a connection the parent
        # opened (SQLite's "how to corrupt" list): they stay referenced here.
        # psycopg2 only says goodbye to the server from the process that
        # opened the connection, so for PostgreSQL this is merely harmless.
        self._inherited.extend(conn for _, _, conn in self._connections)
        self._inherited.extend(held.connection for held in self._in_use.values())
        # The lock may have been held by another thread of the parent at fork.
        self._pool_lock = threading.RLock()
        self._pool_available = threading.Condition(self._pool_lock)
        self._connections = []
        self._in_use = {}
        self._state.reset()

    def connect(self, reuse_if_open: bool = False):
        self.forget_inherited()
        return super().connect(reuse_if_open)


class ForkSafePooledPostgresqlDatabase(_ForkSafePool, PooledPostgresqlDatabase):
    """PostgreSQL: a connection costs the server a process and the client a
    round trip of several milliseconds to open."""


class ForkSafePooledSqliteDatabase(_ForkSafePool, PooledSqliteDatabase):
    """SQLite: opening a file with its pragmas, and closing the last
    connection (which checkpoints the log), cost a request about as much as
    its queries; a kept connection also keeps its prepared statements."""


def _forget_inherited_connections() -> None:
    database = db.obj
    if isinstance(database, _ForkSafePool):
        database.forget_inherited()


os.register_at_fork(after_in_child=_forget_inherited_connections)


def make_database(url: str) -> Database:
    """Build an unconnected peewee database from a `sqlite:///path` or
    `postgresql://user@host:port/name` URL (`?pool_size=N` sizes the
    connection pool; `pool_size=0` turns pooling off)."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        path = url.split("://", 1)[1].split("?", 1)[0]
        # sqlite:///relative.db → "/relative.db" after the split; sqlite:////abs → "//abs".
        path = path[1:] if path.startswith("/") else path
        if path in ("", ":memory:"):
            # Every connection to ":memory:" is a database of its own: no pool.
            return SqliteDatabase(":memory:", pragmas=SQLITE_PRAGMAS, timeout=10)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool_size = _pool_size(parsed.query)
        if pool_size == 0:
            return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
        return ForkSafePooledSqliteDatabase(
            path,
            pragmas=SQLITE_PRAGMAS,  # busy_timeout among them
            # A pooled connection serves one thread at a time, but not always
            # the thread that opened it.
            check_same_thread=False,
            max_connections=pool_size,
            stale_timeout=POOL_STALE_SECONDS,
            timeout=POOL_WAIT_SECONDS,  # for a free connection, in the pool
        )
    if scheme in ("postgres", "postgresql"):
        name = (parsed.path or "/").lstrip("/") or "postgres"
        connect = {
            "user": parsed.username,
            "password": parsed.password,
            "host": parsed.hostname,
            "port": parsed.port or 5432,
        }
        pool_size = _pool_size(parsed.query)
        if pool_size == 0:
            return PostgresqlDatabase(name, **connect)
        return ForkSafePooledPostgresqlDatabase(
            name,
            max_connections=pool_size,
            stale_timeout=POOL_STALE_SECONDS,
            timeout=POOL_WAIT_SECONDS,
            **connect,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def _pool_size(query: str) -> int:
    values = parse_qs(query).get("pool_size")
    if not values:
        return DEFAULT_POOL_SIZE
    try:
        size = int(values[-1])
    except ValueError:
        raise ValueError(f"pool_size must be a whole number, not {values[-1]!r}") from None
    if size < 0:
        raise ValueError("pool_size cannot be negative")
    return size


_current_url: str | None = None


def init_database(url: str) -> Database:
    """Point the shared proxy at the database named by `url` and return it."""
    global _current_url
    database = make_database(url)
    _current_url = url
    current = db.obj
    if current is not None:
        if not current.is_closed():
            current.close()
        if isinstance(current, PooledDatabase):
            # The pool's idle connections would otherwise stay open forever.
            current.close_all()
    db.initialize(database)
    logger.debug("database initialised: %s", type(database).__name__)
    return database


def reopen_in_child() -> None:
    """In a forked worker process: a database object of its own, so it never
    uses (or closes) a connection its parent opened. SQLite connections must
    not cross a fork at all."""
    if _current_url is None:
        return
    inherited = db.obj
    if isinstance(inherited, _ForkSafePool):
        inherited.forget_inherited()
    db.initialize(make_database(_current_url))


# Writers that come often (the form's saves) take their turn here rather than
# in SQLite's busy handler, which polls with sleeps of up to 100 ms: under
# load a save could sleep through many other saves while the lock stood free.
# Within a process a thread lock queues them; between processes (gunicorn's
# workers) an advisory lock on a file beside the database, which the kernel
# hands on the moment it is released. The busy timeout still covers writers
# that take no turn (the batch, the scheduler). PostgreSQL locks rows.
_WRITER_THREADS = threading.Lock()
_writer_files: dict[tuple[int, str], int] = {}


@contextlib.contextmanager
def writer_turn():
    """Hold the turn to write to SQLite (no-op on PostgreSQL) around a short
    write transaction."""
    database = db.obj
    if not isinstance(database, SqliteDatabase):
        yield
        return
    with _WRITER_THREADS:
        fd = _writer_file(database.database)
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _writer_file(path: str) -> int | None:
    """This process's descriptor of the database's lock file (a forked child
    opens its own: a shared descriptor would share the lock); None for an
    in-memory database. Called with _WRITER_THREADS held."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    key = (os.getpid(), path)
    fd = _writer_files.get(key)
    if fd is None:
        fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        _writer_files[key] = fd
    return fd


def is_postgres() -> bool:
    """True when the proxy points at PostgreSQL."""
    return isinstance(db.obj, PostgresqlDatabase)


def analyze(*models) -> None:
    """Refresh the query planner's statistics of these tables after a bulk load.

    PostgreSQL plans without statistics until autovacuum gets round to a new
    table (a fresh or test server may never), and then scans where an index
    would do; SQLite's planner uses the statistics ANALYZE leaves too."""
    if not models:
        return
    database = db.obj
    if database is None:
        raise RuntimeError("the database is not initialised")
    tables = [model._meta.table_name for model in models]
    if is_postgres():
        database.execute_sql("ANALYZE " + ", ".join(f'"{t}"' for t in tables))
        return
    # A sampled analysis: exact counts are not needed to choose an index, and
    # a full pass over millions of answers would take seconds.
    database.execute_sql("PRAGMA analysis_limit = 1000")
    for table in tables:
        database.execute_sql(f'ANALYZE "{table}"')


def reconnect() -> None:
    """After the connection broke (the server restarted, the network dropped):
    drop this thread's connection without returning it to the pool, and open
    a fresh one that answers. Raises when the database is still unreachable."""
    database = db.obj
    if database is None:
        raise RuntimeError("the database is not initialised")
    # A transaction that was open on the broken connection is gone with it.
    database._state.transactions.clear()
    if not database.is_closed():
        try:
            if isinstance(database, PooledDatabase):
                database.manual_close()
            else:
                database.close()
        except Exception:  # the driver may fail to say goodbye to a dead server
            logger.debug("closing the broken connection failed", exc_info=True)
            database._state.reset()
    database.connect()
    try:
        database.execute_sql("SELECT 1").fetchone()
    except Exception:
        with contextlib.suppress(Exception):
            if isinstance(database, PooledDatabase):
                database.manual_close()
            else:
                database.close()
        database._state.reset()
        raise
