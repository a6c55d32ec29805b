"""The information pages (about, privacy, contact, help per role, glossary),
the footer on every role's pages, the owner in the header, and `term()`."""

from __future__ import annotations

import html
import re

import pytest

from tests import factories, journey
from web.info import GLOSSARY, ROLE_ORDER

FOOTER = {
    "/contact": "Contact",
    "/privacyverklaring": "Privacyverklaring",
    "/toegankelijkheid": "Toegankelijkheidsverklaring",
    "/over-deze-monitor": "Over deze monitor",
}
PAGES = ["/over-deze-monitor", "/privacyverklaring", "/contact", "/begrippen", "/hulp"] + [
    f"/hulp/{role}" for role in ROLE_ORDER
]


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _footer(body: str) -> dict[str, str]:
    foot = body.split('<footer class="foot', 1)[1]
    return {
        href: html.unescape(text) for href, text in re.findall(r'href="([^"]+)">([^<]+)<', foot)
    }


@pytest.mark.parametrize("path", PAGES)
def test_information_pages_are_public_and_carry_the_footer(client, app, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _footer(body).items() >= FOOTER.items()


@pytest.mark.parametrize(
    "role", ["beheerder", "regiocoordinator", "manager", "invuller", "gemeente"]
)
def test_footer_links_on_the_home_page_of_every_role(client, chain, role):
    user = {
        "beheerder": chain["admin"],
        "regiocoordinator": chain["coordinator"],
        "manager": chain["manager"],
        "invuller": chain["invuller"],
        "gemeente": chain["gemeente"],
    }[role]
    login(client, user)
    for path in ("/", "/resultaten", f"/hulp/{role}"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        footer = _footer(response.get_data(as_text=True))
        assert footer.items() >= FOOTER.items(), path
        for href in footer:
            assert client.get(href).status_code == 200, href


def test_login_page_has_the_footer_too(client, app):
    assert _footer(client.get("/inloggen").get_data(as_text=True)).items() >= FOOTER.items()


def test_header_names_a_neutral_owner_by_default_and_no_logo(client, app):
    body = client.get("/inloggen").get_data(as_text=True)
    assert "Samenwerking in de jeugdketen" in body
    assert "owner-logo" not in body
    assert client.get("/logo").status_code == 404


def test_owner_name_logo_and_contact_come_from_the_configuration(
    client, app, tmp_path, monkeypatch
):
    # An instance folder of the test's own (never the checkout's instance/).
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    )
    app.config.update(
        OWNER_NAME="GGD Voorbeeldregio",
        OWNER_LOGO="logo.svg",
        CONTACT_EMAIL="monitor@voorbeeld.invalid",
        CONTACT_URL="https://voorbeeld.invalid/contact",
        CONTACT_TEXT="Bel ons op werkdagen.",
    )
    # The logo is looked up once, when the application starts.
    from web import create_app

    fresh = create_app(dict(app.config))
    client = fresh.test_client()
    body = client.get("/inloggen").get_data(as_text=True)
    assert "GGD Voorbeeldregio" in body
    assert 'src="/logo"' in body
    logo_response = client.get("/logo")
    assert logo_response.status_code == 200
    assert logo_response.mimetype == "image/svg+xml"
    contact = client.get("/contact").get_data(as_text=True)
    assert 'href="mailto:monitor@voorbeeld.invalid"' in contact
    assert 'href="https://voorbeeld.invalid/contact"' in contact
    assert "Bel ons op werkdagen." in contact
    assert "GGD Voorbeeldregio" in client.get("/over-deze-monitor").get_data(as_text=True)


def test_a_logo_outside_the_image_types_is_not_served(client, app, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    (tmp_path / "secret_key.txt").write_text("geheim")
    from web import create_app

    fresh = create_app(dict(app.config, OWNER_LOGO="secret_key.txt"))
    assert fresh.test_client().get("/logo").status_code == 404


def test_privacy_statement_states_the_configured_retention(client, app):
    app.config["RETAIN_LOGIN_DAYS"] = 123
    body = html.unescape(client.get("/privacyverklaring").get_data(as_text=True))
    assert "Inloggen en uitloggen: 123 dagen." in body
    assert "geen namen, geboortedata of andere gegevens van kinderen" in body


def test_glossary_has_an_anchor_per_term_and_the_required_terms(client, app):
    body = client.get("/begrippen").get_data(as_text=True)
    anchors = set(re.findall(r'<dt id="([^"]+)"', body))
    assert anchors == {anchor for anchor, _label, _text in GLOSSARY}
    for required in (
        "ronde",
        "succesindicator",
        "norm",
        "signaal",
        "nvt",
        "voorlopig",
        "peildatum",
        "partneroordeel",
        "escalatieladder",
        "verbeteractie",
        "zelfevaluatie",
        "regionorm",
    ):
        assert required in anchors, required


def test_help_pages_link_their_terms_to_the_glossary(client, app):
    anchors = {anchor for anchor, _label, _text in GLOSSARY}
    for role in ROLE_ORDER:
        body = client.get(f"/hulp/{role}").get_data(as_text=True)
        linked = set(re.findall(r'href="/begrippen#([^"]+)"', body))
        assert linked, role
        assert linked <= anchors, role  # no link to a term that is not explained


def test_help_marks_the_roles_the_person_holds(client, chain):
    login(client, chain["coordinator"])
    body = client.get("/hulp").get_data(as_text=True)
    assert re.search(
        r'href="/hulp/regiocoordinator">Regiocoördinator</a> <span class="tag[^"]*">uw rol', body
    )
    assert not re.search(r'href="/hulp/manager">Manager</a> <span class="tag', body)


def test_term_helper_links_and_escapes(app):
    from web.info import term

    with app.test_request_context():
        assert str(term("peildatum")) == '<a class="term" href="/begrippen#peildatum">peildatum</a>'
        assert "&lt;b&gt;" in str(term("norm", "<b>"))
        with pytest.raises(KeyError):
            term("bestaat-niet")


def test_english_interface_translates_the_new_pages(client, chain):
    login(client, chain["manager"])
    client.post("/account", data={"action": "language", "locale": "en"})
    body = client.get("/").get_data(as_text=True)
    assert "What you can do now" in body
    assert "Privacy statement" in body
    assert "How it works" in client.get("/hulp/manager").get_data(as_text=True)
