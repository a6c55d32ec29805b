"""The deferred database: declared empty here, pointed at a real one by the app
factory, the CLI, the jobs and the tests."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase

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


def make_database(url: str) -> Database:
    """Build an unconnected peewee database from a `sqlite:///path` or
    `postgresql://user@host:port/name` URL."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        # sqlite:///relative.db → "/relative.db" after the split; sqlite:////abs → "//abs".
        path = path[1:] if path.startswith("/") else path
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path or ":memory:", pragmas=SQLITE_PRAGMAS, timeout=10)
    if scheme in ("postgres", "postgresql"):
        return PostgresqlDatabase(
            (parsed.path or "/").lstrip("/") or "postgres",
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def init_database(url: str) -> Database:
    """Point the shared proxy at the database named by `url` and return it."""
    database = make_database(url)
    current = db.obj
    if current is not None and not current.is_closed():
        current.close()
    db.initialize(database)
    logger.debug("database initialised: %s", type(database).__name__)
    return database


def is_postgres() -> bool:
    """True when the proxy points at PostgreSQL."""
    return isinstance(db.obj, PostgresqlDatabase)
