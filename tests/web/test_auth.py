"""Login, throttling, sessions, password reset, invitations, CSRF, cookies and language."""

import re

import pytest

from domain import accounts
from domain.passwords import needs_rehash
from models import OutboxMessage, User
from tests import factories


def login(client, email, password=factories.PASSWORD):
    return client.post("/inloggen", data={"email": email, "password": password})


def _mail_reset_requests(app) -> int:
    """What the outbox job does before delivering: turn reset requests into mails."""
    from web.links import reset_link

    return accounts.process_reset_requests(reset_link(app))


def _link(message: OutboxMessage) -> str:
    return re.search(r"https?://\S+", message.body_text).group(0)


def test_throttled_login_answers_429_in_dutch(client):
    user = factories.user()
    for _ in range(accounts.FREE_FAILURES["account"]):
        assert login(client, user.email, "fout").status_code == 401
    response = login(client, user.email)
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_rehashes_an_old_hash(client):
    from argon2 import PasswordHasher

    user = factories.user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(factories.PASSWORD)
    User.update(password_hash=weak).where(User.id == user.id).execute()
    assert login(client, user.email).status_code == 302
    assert not needs_rehash(User.get_by_id(user.id).password_hash)


def test_password_change_ends_other_sessions(app):
    user = factories.user()
    mine, copied = app.test_client(), app.test_client()
    login(mine, user.email)
    copied.set_cookie("session", mine.get_cookie("session").value)
    assert copied.get("/").status_code == 200
    response = mine.post(
        "/account",
        data={
            "action": "password",
            "current": factories.PASSWORD,
            "password": "een heel nieuw wachtwoord",
            "repeat": "een heel nieuw wachtwoord",
        },
    )
    assert response.status_code == 302
    assert mine.get("/").status_code == 200  # this session goes on
    assert copied.get("/").status_code == 302  # the copy is dead


def test_password_change_refuses_bad_input(client):
    user = factories.user()
    login(client, user.email)
    page = client.post(
        "/account",
        data={
            "action": "password",
            "current": "fout",
            "password": "iets nieuws hier",
            "repeat": "iets nieuws hier",
        },
    )
    assert "Uw huidige wachtwoord klopt niet." in page.get_data(as_text=True)
    page = client.post(
        "/account",
        data={
            "action": "password",
            "current": factories.PASSWORD,
            "password": "password1",
            "repeat": "password1",
        },
    )
    assert "komt veel voor" in page.get_data(as_text=True)


def test_deactivation_ends_the_session(app):
    admin = factories.user(("beheerder",))
    user = factories.user()
    theirs = app.test_client()
    login(theirs, user.email)
    accounts.update_user(
        admin, User.get_by_id(user.id), name=user.name, email=user.email, locale="nl", active=False
    )
    assert theirs.get("/").status_code == 302
    assert login(theirs, user.email).status_code == 401


def test_reset_answer_does_not_reveal_accounts(app, client):
    user = factories.user()
    known = client.post("/wachtwoord-vergeten", data={"email": user.email}, follow_redirects=True)
    unknown = client.post(
        "/wachtwoord-vergeten", data={"email": "niemand@example.nl"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200

    # The CSRF token carries a timestamp, so the two pages differ there when a second passes.
    def strip(response):
        page = response.get_data(as_text=True).replace(user.email, "")
        return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)

    assert 'name="csrf_token" value="' in known.get_data(as_text=True)
    assert strip(known) == strip(unknown)
    assert _mail_reset_requests(app) == 1
    (message,) = OutboxMessage.select()
    assert message.to_address == user.email


def test_reset_link_works_once(app, client):
    user = factories.user()
    other = app.test_client()
    login(other, user.email)
    client.post("/wachtwoord-vergeten", data={"email": user.email})
    _mail_reset_requests(app)
    link = _link(OutboxMessage.get())
    path = link.split("127.0.0.1:5000", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "mijn nieuwe zin", "repeat": "mijn nieuwe zin"})
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert (
        client.post(
            path, data={"password": "nog een andere zin", "repeat": "nog een andere zin"}
        ).status_code
        == 404
    )
    assert login(client, user.email, "mijn nieuwe zin").status_code == 302
    assert other.get("/").status_code == 302  # the reset ended the old session


def test_expired_reset_link(client):
    from models import UserToken, utcnow

    user = factories.user()
    token = accounts.issue_token(user, "reset")
    UserToken.update(expires_at=utcnow()).execute()
    response = client.get(f"/wachtwoord-herstellen/{token}")
    assert response.status_code == 404
    assert "werkt niet meer" in response.get_data(as_text=True)


def test_invitation_sets_first_password(client):
    admin = factories.user(("beheerder",))
    login(client, admin.email)
    response = client.post(
        "/beheer/gebruikers/nieuw",
        data={"email": "Nieuw@Example.nl", "name": "Nieuwe Collega", "locale": "nl"},
    )
    assert response.status_code == 302
    new = User.get(User.email == "nieuw@example.nl")
    assert new.password_hash is None
    message = OutboxMessage.get(OutboxMessage.to_address == "nieuw@example.nl")
    assert message.subject == "Uitnodiging voor de Afsprakenmonitor"
    path = _link(message).split("127.0.0.1:5000", 1)[1]
    client.post("/uitloggen")
    assert (
        client.post(
            path, data={"password": "welkom in de keten", "repeat": "welkom in de keten"}
        ).status_code
        == 302
    )
    assert login(client, "nieuw@example.nl", "welkom in de keten").status_code == 302


@pytest.fixture
def csrf_app(database_url, tmp_path):
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "WTF_CSRF_ENABLED": True,
            "SESSION_COOKIE_SECURE": False,
        }
    )


def test_csrf_rejects_a_post_without_token_kindly(csrf_app):
    user = factories.user()
    client = csrf_app.test_client()
    response = client.post("/inloggen", data={"email": user.email, "password": "geheim-ding"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Uw formulier kon niet worden verwerkt" in page
    assert user.email in page  # what was typed comes back
    assert "geheim-ding" not in page  # but never a password
    form = client.get("/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    ok = client.post(
        "/inloggen", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302


def test_session_cookie_flags(database_url):
    from web import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "WTF_CSRF_ENABLED": False,
        }
    )
    user = factories.user()
    response = app.test_client().post(
        "/inloggen",
        data={"email": user.email, "password": factories.PASSWORD},
        base_url="https://localhost",
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "remember_token" not in str(response.headers)
    hsts = app.test_client().get("/inloggen", base_url="https://localhost")
    assert "max-age" in hsts.headers["Strict-Transport-Security"]


def test_english_for_users_who_choose_it(client):
    user = factories.user()
    assert "Wachtwoord vergeten?" in client.get("/inloggen").get_data(as_text=True)
    english = client.get("/inloggen", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Forgotten your password?" in english
    login(client, user.email)
    client.post("/account", data={"action": "language", "locale": "en"})
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, " in page
    assert '<html lang="en"' in page
