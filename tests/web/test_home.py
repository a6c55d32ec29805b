"""Logging in and the home page, limited to what the person may see."""

import pytest

from domain.reference import load_reference_data
from models import Gemeente, Region, User
from tests import factories


@pytest.fixture
def world(app):
    """Two regions with an organisation each, serving one gemeente each."""
    load_reference_data()
    fw = factories.default_framework()
    zl = Region.get(Region.code == "VR24")
    ln = Region.get(Region.code == "VR23")
    maastricht = Gemeente.get(Gemeente.code == "GM0935")
    venlo = Gemeente.get(Gemeente.code == "GM0983")
    ours = factories.organisation(zl, "jgz", "JGZ Zuid-Limburg", serves=[maastricht])
    theirs = factories.organisation(ln, "wijkteam", "Wijkteam Venlo", serves=[venlo])
    cycle = factories.cycle(fw, "2026-Q4")
    factories.assessment(ours, cycle, "concept")
    factories.assessment(theirs, cycle, "ingediend")
    return {"zl": zl, "ln": ln, "maastricht": maastricht, "ours": ours, "theirs": theirs}


def login(client, email, password=factories.PASSWORD, next_url=None):
    url = "/inloggen" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def test_home_requires_login(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]


def test_wrong_password_is_refused_in_dutch(client, world):
    u = factories.user(("beheerder",))
    response = login(client, u.email, "fout-wachtwoord")
    assert response.status_code == 401
    assert "onjuist wachtwoord" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("role", "sees_ours", "sees_theirs"),
    [
        ("beheerder", True, True),
        ("regiocoordinator", True, False),
        ("manager", True, False),
        ("invuller", True, False),
        ("gemeente", True, False),
    ],
)
def test_home_shows_only_what_is_in_scope(client, world, role, sees_ours, sees_theirs):
    scope = {
        "beheerder": (),
        "regiocoordinator": (world["zl"],),
        "manager": (world["ours"],),
        "invuller": (world["ours"],),
        "gemeente": (world["maastricht"],),
    }[role]
    u = factories.user((role, *scope))
    assert login(client, u.email).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert ("JGZ Zuid-Limburg" in page) is sees_ours
    assert ("Wijkteam Venlo" in page) is sees_theirs
    assert "2026-Q4" in page


def test_next_redirect_only_to_local_paths(client, world):
    u = factories.user(("beheerder",))
    response = login(client, u.email, next_url="https://evil.example/")
    assert response.headers["Location"] == "/"
    client.post("/uitloggen")
    response = login(client, u.email, next_url="//evil.example/")
    assert response.headers["Location"] == "/"
    client.post("/uitloggen")
    response = login(client, u.email, next_url="/?x=1")
    assert response.headers["Location"] == "/?x=1"


def test_logout_ends_copied_sessions(app, world):
    u = factories.user(("beheerder",))
    first = app.test_client()
    assert login(first, u.email).status_code == 302
    cookie = first.get_cookie("session")
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/").status_code == 200
    first.post("/uitloggen")
    assert copy.get("/").status_code == 302
    assert User.get_by_id(u.id).session_version == 2


def test_security_headers(client, world):
    response = client.get("/inloggen")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_and_logout_are_audited(client, world):
    from models import AuditEvent

    u = factories.user(("beheerder",))
    login(client, u.email, "fout")
    login(client, u.email)
    client.post("/uitloggen")
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions == ["login_failed", "login", "logout"]
