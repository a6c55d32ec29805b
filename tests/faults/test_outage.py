"""While the database is unreachable, pages answer 503 with a clear Dutch
page and Retry-After, not 500; /health names what is down; the next request
after the database is back works (issue 25, item 6)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.faults.proxy import OutageProxy


def test_pages_answer_503_while_the_database_is_unreachable_and_recover(
    backend, postgres_template, tmp_path
):
    """The application reaches PostgreSQL through a proxy that the test cuts:
    sessions severed mid-use, new connections refused; then restored."""
    from urllib.parse import urlsplit, urlunsplit

    from models import db
    from web import create_app

    if backend != "postgresql":
        pytest.skip("an outage of the database server")
    parts = urlsplit(postgres_template)
    proxy = OutageProxy((parts.hostname, parts.port or 5432))
    try:
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}"
        url = urlunsplit(parts._replace(netloc=netloc))
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False,
                "SESSION_COOKIE_SECURE": False,
                "REPORTS_DIR": str(tmp_path / "reports"),
                "PROPAGATE_EXCEPTIONS": False,
            }
        )
        with app.app_context(), db.connection_context():
            _truncate(db)
            admin = factories.user(("beheerder",), email="beheer@example.nl")
        client = app.test_client()
        login = {"email": admin.email, "password": factories.PASSWORD}
        assert client.post("/inloggen", data=login).status_code in (302, 303)
        assert client.get("/").status_code == 200

        proxy.down()
        for path in ("/", "/beheer/status", "/inloggen"):
            response = client.get(path, headers={"Accept-Language": "nl"})
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "30"
            page = response.get_data(as_text=True)
            assert '<html lang="nl"' in page
            assert "Tijdelijk niet bereikbaar" in page
            assert "Wat u eerder heeft opgeslagen, is bewaard" in page
        with client.get("/static/style.css") as style:  # the page's stylesheet
            assert style.status_code == 200
        health = client.get("/health")
        assert (health.status_code, health.get_data(as_text=True)) == (
            503,
            "unavailable: database",
        )

        proxy.up()
        assert client.get("/").status_code == 200
        assert client.get("/beheer/status").status_code == 200
        assert client.get("/health").get_data(as_text=True) == "ok"
    finally:
        if db.obj is not None and not db.is_closed():
            db.close()
        proxy.down()


def _truncate(database) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(database)


def test_health_names_what_is_down(app, tmp_path):
    # The report store cannot be made: its parent is a file.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    app.config["REPORTS_DIR"] = str(blocker / "reports")
    response = app.test_client().get("/health")
    assert response.status_code == 200  # the pages still work
    assert response.get_data(as_text=True) == "degraded: report store"
