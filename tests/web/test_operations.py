"""Operations in the web app: behind a reverse proxy, the 500 page with its
reference, /health and the beheerder's status page, the request log lines."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest

from models import AuditEvent, LoginThrottle, OutboxMessage, ReportRun, db, utcnow
from tests import factories
from tests.conftest import _free_port

SPOOFED = "198.51.100.66"


def _make_app(database_url, tmp_path, **config):
    from web import create_app

    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": True,
        "REPORTS_DIR": str(tmp_path / "reports"),
        "BASE_URL": "https://monitor.example.nl",
    }
    settings.update(config)
    return create_app(settings)


def _login(client, email, password=factories.PASSWORD, **headers):
    return client.post("/inloggen", data={"email": email, "password": password}, headers=headers)


def _mail_reset_requests(app) -> None:
    """What the outbox job does before it delivers: reset requests become mails."""
    from domain.accounts import process_reset_requests
    from web.links import reset_link

    with app.app_context(), db.connection_context():
        process_reset_requests(reset_link(app))


# --- behind a proxy ------------------------------------------------------------


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(database_url, tmp_path):
    app = _make_app(database_url, tmp_path, PROXY_HOPS=0)
    client = app.test_client()
    with app.app_context(), db.connection_context():
        user = factories.user(("beheerder",), email="a@example.nl")
    spoof = {"X-Forwarded-For": SPOOFED, "X-Forwarded-Proto": "https"}
    _login(client, "a@example.nl", "fout-wachtwoord", **spoof)
    response = _login(client, "a@example.nl", **spoof)
    assert response.status_code == 302
    # Plain HTTP as far as the app can tell: no HSTS.
    assert "Strict-Transport-Security" not in response.headers
    with db.connection_context():
        login = AuditEvent.get(AuditEvent.action == "login", AuditEvent.user == user)
        failed = AuditEvent.get(AuditEvent.action == "login_failed")
        addresses = {t.key for t in LoginThrottle.select().where(LoginThrottle.scope == "address")}
    assert login.ip == failed.ip == "127.0.0.1"
    assert addresses == {"127.0.0.1"}


def test_one_trusted_proxy_passes_the_client_address_and_scheme(database_url, tmp_path):
    app = _make_app(database_url, tmp_path, PROXY_HOPS=1)
    client = app.test_client()
    with app.app_context(), db.connection_context():
        user = factories.user(("beheerder",), email="a@example.nl")
    # The client made up the first address; the proxy appended the real one.
    real = "203.0.113.7"
    headers = {
        "X-Forwarded-For": f"{SPOOFED}, {real}",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example.com",
    }
    _login(client, "a@example.nl", "fout-wachtwoord", **headers)
    response = _login(client, "a@example.nl", **headers)
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    client.post("/wachtwoord-vergeten", data={"email": "a@example.nl"}, headers=headers)
    _mail_reset_requests(app)
    with db.connection_context():
        login = AuditEvent.get(AuditEvent.action == "login", AuditEvent.user == user)
        failed = AuditEvent.get(AuditEvent.action == "login_failed")
        addresses = {t.key for t in LoginThrottle.select().where(LoginThrottle.scope == "address")}
        mail = OutboxMessage.get(OutboxMessage.to_address == "a@example.nl")
    assert login.ip == failed.ip == real
    assert addresses == {real}
    # Links in mail: https on the configured host, never a forwarded one.
    links = re.findall(r"https?://\S+", mail.body_text)
    assert links
    assert all(link.startswith("https://monitor.example.nl/") for link in links)


def test_a_proxy_with_an_http_base_url_is_warned_about(database_url, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        _make_app(database_url, tmp_path, PROXY_HOPS=1, BASE_URL="http://monitor.example.nl")
    assert any("BASE_URL is http" in r.getMessage() for r in caplog.records)


def test_two_hops_believe_two_addresses_from_the_right(database_url, tmp_path):
    app = _make_app(database_url, tmp_path, PROXY_HOPS=2)
    with app.app_context(), db.connection_context():
        factories.user(("beheerder",), email="a@example.nl")
    headers = {"X-Forwarded-For": f"{SPOOFED}, 203.0.113.7, 10.0.0.2"}
    _login(app.test_client(), "a@example.nl", **headers)
    with db.connection_context():
        assert AuditEvent.get(AuditEvent.action == "login").ip == "203.0.113.7"


# --- the 500 page --------------------------------------------------------------


def _failing_app(database_url, tmp_path):
    app = _make_app(database_url, tmp_path, SESSION_COOKIE_SECURE=False)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/kapot")
    def broken():
        raise RuntimeError("kapot gegaan")

    return app


def _reference(page: str) -> str:
    return re.search(r'<strong class="reference">([^<]+)</strong>', page).group(1)


def test_an_error_shows_a_dutch_page_with_the_reference_of_its_log_line(
    database_url, tmp_path, caplog
):
    app = _failing_app(database_url, tmp_path)
    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/kapot")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in page
    assert 'lang="nl"' in page
    reference = _reference(page)
    assert reference == response.headers["X-Request-Id"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert reference in errors[0].getMessage()
    assert errors[0].exc_info[0] is RuntimeError
    assert "Traceback" not in page
    assert "kapot gegaan" not in page
    # The request line of the same request carries the same id and the 500.
    lines = [r for r in caplog.records if r.name == "afsprakenmonitor.request"]
    assert [(r.request_id, r.status, r.route) for r in lines] == [(reference, 500, "/kapot")]


def test_when_even_the_error_page_fails_a_plain_one_keeps_the_reference(
    database_url, tmp_path, caplog
):
    app = _failing_app(database_url, tmp_path)

    @app.context_processor
    def _broken() -> dict:
        raise RuntimeError("templates broken")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/kapot")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in page
    reference = response.headers["X-Request-Id"]
    assert f"<strong>{reference}</strong>" in page
    assert sum(reference in r.getMessage() for r in caplog.records) == 2  # error, page


def test_the_error_page_is_english_in_the_english_interface(database_url, tmp_path):
    app = _failing_app(database_url, tmp_path)
    with app.app_context(), db.connection_context():
        user = factories.user(("beheerder",), email="en@example.nl")
        user.locale = "en"
        user.save()
    client = app.test_client()
    _login(client, "en@example.nl")
    response = client.get("/kapot")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "Er ging iets mis" not in page
    assert _reference(page) == response.headers["X-Request-Id"]


def test_a_database_outage_gives_a_503_page_and_a_503_health(tmp_path, caplog):
    url = f"postgresql://nobody@127.0.0.1:{_free_port()}/none"
    app = _make_app(url, tmp_path, SESSION_COOKIE_SECURE=False)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/inloggen", headers={"Accept-Language": "nl"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Tijdelijk niet bereikbaar" in page
    assert "Er ging iets mis" not in page
    assert any("database unreachable" in r.getMessage() for r in caplog.records)
    english = client.get("/inloggen", headers={"Accept-Language": "en"})
    assert english.status_code == 503
    assert "Temporarily unavailable" in english.get_data(as_text=True)
    assert client.get("/health").status_code == 503


# --- health and status ---------------------------------------------------------


def test_health_answers_without_login_and_without_details(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    url = f"postgresql://nobody@127.0.0.1:{_free_port()}/none"
    app = _make_app(url, tmp_path, SESSION_COOKIE_SECURE=False)
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "unavailable: database"


def _status(client):
    response = client.get("/beheer/status")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(page: str, label: str) -> str:
    match = re.search(rf"<th scope=\"row\">{label}<br>(.*?)</tr>", page, re.S)
    assert match, f"no row {label}"
    return match.group(1)


def test_status_page_for_the_beheerder_only(client, database):
    factories.user(("beheerder",), email="admin@example.nl")
    org = factories.organisation(factories.region())
    factories.user(("manager", org), email="manager@example.nl")
    _login(client, "manager@example.nl")
    assert client.get("/beheer/status").status_code == 403
    client.post("/uitloggen")
    _login(client, "admin@example.nl")
    page = _status(client)
    assert "in orde" in _row(page, "Database")
    assert "alle migraties toegepast" in _row(page, "Databaseschema")
    # A new installation: no scheduler has ever beaten, so no night is missing yet.
    assert "aandacht nodig" in _row(page, "Geplande taken")
    assert "nog nooit gestart" in page
    assert "in orde" in _row(page, "Nachtelijke verwerking")
    # Not run yet, and when it will: the same moment Batchlog and the results pages give.
    from jobs.status import next_nightly
    from web.formatting import datum

    row = _row(page, "Nachtelijke verwerking")
    assert "nog niet gedraaid" in row
    with client.application.test_request_context():
        moment = datum(next_nightly(client.application.config))
    assert f"volgende keer: {moment}" in row
    assert f"Volgende nachtelijke verwerking: {moment}." in client.get("/beheer/batch").text
    assert "GB vrij" in _row(page, "Schijfruimte rapportopslag")


def test_status_page_shows_heartbeat_nightly_outbox(client, database, app):
    from jobs import status

    factories.user(("beheerder",), email="admin@example.nl")
    status.beat("scheduler")
    now = utcnow()
    zone = __import__("zoneinfo").ZoneInfo(app.config["TIMEZONE"])
    due = status.last_due(app.config["SCHEDULE_NIGHTLY"], zone, now)
    period = due.astimezone(zone).date().isoformat()
    ReportRun.create(job="nightly", period=period, state="mislukt", started_at=now, finished_at=now)
    OutboxMessage.create(
        dedupe_key="x",
        to_address="x@example.nl",
        subject="s",
        body_text="t",
        created_at=now - dt.timedelta(hours=3),
    )
    _login(client, "admin@example.nl")
    page = _status(client)
    assert "in orde" in _row(page, "Geplande taken")
    nightly = _row(page, "Nachtelijke verwerking")
    assert "aandacht nodig" in nightly
    assert f"nacht van {period}: mislukt" in nightly
    outbox = _row(page, "E-mail \\(verzendwachtrij\\)")
    # The login above queued nothing; the one waiting for 3 hours is late.
    assert "aandacht nodig" in outbox
    assert "1 wachtend" in outbox
    ReportRun.update(state="gereed").execute()
    OutboxMessage.update(state="verzonden").execute()
    page = _status(client)
    assert "in orde" in _row(page, "Nachtelijke verwerking")
    assert "in orde" in _row(page, "E-mail \\(verzendwachtrij\\)")


# --- request logs --------------------------------------------------------------


def test_one_line_per_request_with_route_user_and_id_never_the_token(client, database, caplog):
    user = factories.user(("beheerder",), email="admin@example.nl")
    token = "geheim-token-0123456789abcdef"
    with caplog.at_level(logging.INFO):
        client.get(f"/wachtwoord-herstellen/{token}?next=/{token}")
        _login(client, "admin@example.nl")
        client.get("/beheer/")
    lines = [r for r in caplog.records if r.name == "afsprakenmonitor.request"]
    assert [(r.method, r.route, r.status) for r in lines] == [
        ("GET", "/wachtwoord-herstellen/<token>", 404),
        ("POST", "/inloggen", 302),
        ("GET", "/beheer/", 200),
    ]
    assert [r.user_id for r in lines] == [None, user.id, user.id]  # logged in by the POST
    assert all(isinstance(r.duration_ms, float) and len(r.request_id) == 16 for r in lines)
    assert len({r.request_id for r in lines}) == 3
    everything = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    assert token not in everything


def test_reset_and_invitation_tokens_never_reach_the_log(client, database, caplog):
    factories.user(("beheerder",), email="admin@example.nl")
    with caplog.at_level(logging.DEBUG):
        client.post("/wachtwoord-vergeten", data={"email": "admin@example.nl"})
        _mail_reset_requests(client.application)
        body = OutboxMessage.get(OutboxMessage.to_address == "admin@example.nl").body_text
        link = re.search(r"https?://\S+", body).group(0)
        token = link.rstrip("/").rsplit("/", 1)[-1].split("=")[-1]
        assert len(token) >= 20
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        client.get(path)
        client.post(
            path,
            data={"password": "een-nieuw-lang-wachtwoord", "repeat": "een-nieuw-lang-wachtwoord"},
        )
    everything = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    assert token not in everything
    assert "afsprakenmonitor.request" in everything


def test_log_format_json_gives_json_lines(database_url, tmp_path, capsys):
    app = _make_app(database_url, tmp_path, LOG_FORMAT="json", SESSION_COOKIE_SECURE=False)
    try:
        app.test_client().get("/inloggen")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        from web import logs

        logs.configure("text")
    request_lines = [e for e in lines if e["logger"] == "afsprakenmonitor.request"]
    assert len(request_lines) == 1
    entry = request_lines[0]
    assert entry["method"] == "GET"
    assert entry["route"] == "/inloggen"
    assert entry["status"] == 200
    assert {"time", "level", "message", "duration_ms", "user_id", "request_id"} <= set(entry)


def test_a_trusted_proxy_may_hand_in_the_request_id(database_url, tmp_path):
    trusted = _make_app(database_url, tmp_path, PROXY_HOPS=1).test_client()
    untrusted = _make_app(database_url, tmp_path, PROXY_HOPS=0).test_client()
    header = {"X-Request-Id": "proxy-1234abcd"}
    assert trusted.get("/health", headers=header).headers["X-Request-Id"] == "proxy-1234abcd"
    assert untrusted.get("/health", headers=header).headers["X-Request-Id"] != "proxy-1234abcd"
    bad = {"X-Request-Id": "a b forged=line;<script>"}
    assert trusted.get("/health", headers=bad).headers["X-Request-Id"] != bad["X-Request-Id"]


@pytest.fixture(autouse=True)
def _text_logs():
    yield
    from web import logs

    logs.configure("text")
