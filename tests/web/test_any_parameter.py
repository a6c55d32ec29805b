"""Any text in any parameter (issue 26): the URL map walked with arbitrary
Unicode in path arguments, query strings and form fields answers no 5xx; a
number is ASCII digits or a 400/404; and every field of every form goes
through the one check of stored text (no control character and no text past
its limit is stored)."""

import html
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import CharField, TextField, fn

from domain import api_tokens
from domain.inputs import LIMITS
from models import ALL_MODELS
from tests import journey
from tests.web.test_assessment_pages import login

ODD_DIGITS = ["²", "١", "１", "٣٤", "１２", "0", "-1", str(2**63), " 1", "1e3", "1.0", "+1", ""]
VALUES = st.one_of(st.sampled_from(ODD_DIGITS), st.text(max_size=24))
SKIP_POSTS = {"/uitloggen"}  # would end the walking session


@pytest.fixture
def chain(app):
    return journey.build()


def _path(rule, draw) -> str:
    def value(match) -> str:
        converter = match.group(1) or ""
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" )'\"")
        return quote(draw(VALUES), safe="") or "x"

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule.rule)


def _form_fields(client, pages) -> set[str]:
    names = set()
    for page in pages:
        text = client.get(page).get_data(as_text=True)
        names |= set(re.findall(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', text))
    return names


def _pages(chain) -> list[str]:
    return [
        "/beheer/regios/nieuw", f"/beheer/regios/{chain['region'].id}",
        "/beheer/gemeenten/nieuw", f"/beheer/gemeenten/{chain['gemeente_obj'].id}",
        "/beheer/organisaties/nieuw", f"/beheer/organisaties/{chain['jgz'].id}",
        "/beheer/gebruikers/nieuw", f"/beheer/gebruikers/{chain['manager'].id}",
        "/beheer/rondes", "/beheer/import", "/account", "/account/api-tokens",
        f"/zelfevaluaties/{chain['assessment'].id}", "/beheer/indicatoren/1",
    ]  # fmt: skip


def test_no_parameter_anywhere_answers_a_server_error(app, chain):
    app.config["API_RATE_PER_MINUTE"] = 10**6
    admin = login(app.test_client(), chain["admin"])
    secret = api_tokens.create_token(chain["admin"], "walk", 30)[1]
    bearer = {"Authorization": f"Bearer {secret}"}
    fields = sorted(_form_fields(admin, _pages(chain)) | {"pagina", "page", "per_page", "cycle"})
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(st.data())
    def walk(data):
        draw = data.draw
        failures = []
        for rule in rules:
            path = _path(rule, draw)
            query = draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=3))
            form = draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=6))
            headers = bearer if rule.rule.startswith("/api/") else {}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "POST" and rule.rule in SKIP_POSTS:
                    continue
                response = admin.open(
                    path, method=method, query_string=query,
                    data=form if method == "POST" else None, headers=headers,
                )  # fmt: skip
                response.close()
                if response.status_code >= 500:
                    failures.append((method, path, query, form, response.status_code))
        assert failures == []

    walk()


@pytest.mark.parametrize("odd", ["²", "١", "１", "１２", "-1", "1.5", " 2"])
def test_odd_digits_are_400_or_404_in_the_feed_and_the_token_form(app, chain, odd):
    app.config["API_RATE_PER_MINUTE"] = 10**6
    client = app.test_client()
    secret = api_tokens.create_token(chain["admin"], "cijfers", 30)[1]
    bearer = {"Authorization": f"Bearer {secret}"}
    for name in ("page", "per_page"):
        response = client.get("/api/v1/scopes/regio", query_string={name: odd}, headers=bearer)
        assert response.status_code == 400, (name, odd)
    response = client.get(f"/api/v1/results/regio/{quote(odd)}", headers=bearer)
    assert response.status_code == 404
    login(client, chain["admin"])
    created = client.post("/account/api-tokens",
                          data={"action": "create", "name": "x", "days": odd})  # fmt: skip
    assert created.status_code == 400
    revoked = client.post("/account/api-tokens", data={"action": "revoke", "token_id": odd})
    assert revoked.status_code == 400
    assert client.get("/beheer/organisaties", query_string={"pagina": odd}).status_code == 400


def _forms(text: str):
    """(action, {field: default}, [text fields]) of each posting form on a page."""
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", text, re.S):
        if 'method="post"' not in attrs.lower():
            continue
        target = re.search(r'action="([^"]*)"', attrs)
        action = html.unescape(target.group(1)) if target else ""
        defaults, texts = {}, []
        for tag, name in re.findall(
            r'(<(?:input|textarea|select)[^>]*\bname="([^"]+)"[^>]*>)', body
        ):
            kind = re.search(r'type="([^"]+)"', tag)
            kind = (
                kind.group(1) if kind else ("textarea" if tag.startswith("<textarea") else "text")
            )
            value = re.search(r'value="([^"]*)"', tag)
            if kind in ("checkbox", "radio", "submit") and name in defaults:
                continue
            defaults[name] = html.unescape(value.group(1)) if value else ""
            if kind in ("text", "email", "search", "textarea") and not tag.startswith("<select"):
                texts.append(name)
        yield action, defaults, texts


def _stored_problems() -> list[str]:
    """Text columns holding a control character, or longer than their limit."""
    problems = []
    for model in ALL_MODELS:
        for field in model._meta.sorted_fields:
            if not isinstance(field, CharField | TextField) or field.name == "details":
                continue
            limit = field.max_length if isinstance(field, CharField) else LIMITS["text"]
            bad = model.select().where(field.contains("\x07") | (fn.LENGTH(field) > limit)).count()
            if bad:
                problems.append(f"{model.__name__}.{field.name}: {bad}")
    return problems


def test_every_field_of_every_form_goes_through_the_text_check(app, chain):
    """Every text field of every form (as the pages render them) posted with a
    control character, then with text far past any limit: nothing of it is
    stored, and no answer is a 5xx."""
    client = login(app.test_client(), chain["admin"])
    manager = login(app.test_client(), chain["manager"])
    seen, kinds = 0, set()
    for who, page in [(client, p) for p in _pages(chain)] + [
        (manager, f"/zelfevaluaties/{chain['assessment'].id}")
    ]:
        for action, defaults, texts in _forms(who.get(page).get_data(as_text=True)):
            if action in SKIP_POSTS:
                continue
            for name in texts:
                # One field of each kind: the form repeats its fields per agreement.
                kind = (action or page, re.sub(r"[0-9]+", "N", name))
                if kind in kinds:
                    continue
                kinds.add(kind)
                for hostile in ("Naam\x07met bel", "lang " * 1_001):  # past every limit
                    response = who.post(action or page, data={**defaults, name: hostile})
                    assert response.status_code < 500, (action, name)
                    seen += 1
    assert seen > 40  # the walk found the forms
    assert _stored_problems() == []
