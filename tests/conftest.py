"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is used when TEST_DATABASE_URL names a server; each test run makes
its own scratch database there and drops it at the end. With CI set, a missing
or unreachable PostgreSQL fails the run instead of skipping."""

from __future__ import annotations

import os
import shutil
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from models import db, init_database
from models.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = bool(os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not PG_URL.startswith(("postgres://", "postgresql://")):
        raise pytest.UsageError(
            "CI is set but TEST_DATABASE_URL does not name a PostgreSQL server: "
            "the PostgreSQL tests are required in CI."
        )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str):
    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=parts.path.lstrip("/") or "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
        connect_timeout=5,
    )
    conn.autocommit = True
    return conn


class PostgresServer:
    """Makes and drops scratch databases on the test server."""

    def __init__(self, url: str):
        self.url = url
        self.created: list[str] = []

    def create(self, prefix: str = "am_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        conn = _admin(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        self.created.append(name)
        return _with_database(self.url, name)

    def drop_all(self) -> None:
        conn = _admin(self.url)
        try:
            with conn.cursor() as cur:
                for name in self.created:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    try:
        _admin(PG_URL).close()
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(PG_URL)
    yield server
    if not db.is_closed():
        db.close()
    server.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = init_database(f"sqlite:///{path}")
    with database.connection_context():
        upgrade(database)
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return str(path)


@pytest.fixture(scope="session")
def postgres_template(postgres) -> str:
    """A migrated PostgreSQL database that tests empty and reuse."""
    url = postgres.create()
    database = init_database(url)
    with database.connection_context():
        upgrade(database)
    database.close()
    return url


def _truncate_all(database) -> None:
    tables = [t for t in database.get_tables() if t != "schema_migration"]
    database.execute_sql(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    """A migrated, empty database on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_template")
    database = init_database(url)
    with database.connection_context():
        _truncate_all(database)
    return url


@pytest.fixture
def empty_database_url(backend, request, tmp_path) -> str:
    """A database with no tables at all, on the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres").create("am_empty")


@pytest.fixture
def database(database_url):
    """The shared database proxy pointed at a fresh, migrated database."""
    database = init_database(database_url)
    database.connect()
    yield database
    if not database.is_closed():
        database.close()


@pytest.fixture
def app(database_url, tmp_path):
    from web import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REPORTS_DIR": str(tmp_path / "reports"),
        }
    )
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Inbox:
    """Messages received by the test SMTP server."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again on
    the same port, to play an outage."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        return self.inbox.messages

    def settings(self):
        from domain.mail import MailSettings

        return MailSettings(host="127.0.0.1", port=self.port, timeout=5)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
