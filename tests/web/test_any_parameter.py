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
    """(action, {field: default}, [text fields], {one-line text fields}) of
    each posting form on a page."""
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", text, re.S):
        if 'method="post"' not in attrs.lower():
            continue
        target = re.search(r'action="([^"]*)"', attrs)
        action = html.unescape(target.group(1)) if target else ""
        defaults, texts, one_line = {}, [], set()
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
                if kind != "textarea":
                    one_line.add(name)
        yield action, defaults, texts, one_line


# Text columns that hold one line: besides every CharField, the n.v.t. reason
# and the improvement action (one-line inputs on the assessment form).
ONE_LINE_TEXT = {("Answer", "not_applicable_reason"), ("ImprovementAction", "description")}


def _stored_problems() -> list[str]:
    """Text columns holding a control character, or longer than their limit;
    one-line columns holding a line break."""
    problems = []
    for model in ALL_MODELS:
        for field in model._meta.sorted_fields:
            if not isinstance(field, CharField | TextField) or field.name == "details":
                continue
            limit = field.max_length if isinstance(field, CharField) else LIMITS["text"]
            wrong = field.contains("\x07") | (fn.LENGTH(field) > limit)
            if isinstance(field, CharField) or (model.__name__, field.name) in ONE_LINE_TEXT:
                wrong = wrong | field.contains("\n")
            bad = model.select().where(wrong).count()
            if bad:
                problems.append(f"{model.__name__}.{field.name}: {bad}")
    return problems


BEL, PAST_EVERY_LIMIT, TWO_LINES = "Naam\x07met bel", "lang " * 1_001, "twee\nregels"


def _assessment_pages(chain) -> list[str]:
    """The assessment's own pages with a form: its task list, every theme page,
    the escalation signals, checking it."""
    base = f"/zelfevaluaties/{chain['assessment'].id}"
    themes = len({a.theme_id for a in chain["agreements"]})
    return [base, f"{base}/signalen", f"{base}/controleren"] + [
        f"{base}/thema/{n}" for n in range(1, themes + 1)
    ]


def _walk(who, pages, kinds: set, assessment=None) -> int:
    """Post every text field of every form on `pages` with a control
    character, text past every limit and (for a one-line input) a line break;
    on an assessment page also to its autosave, where the field must come back
    with its message. The number of posts."""
    seen = 0
    for page in pages:
        for action, defaults, texts, one_line in _forms(who.get(page).get_data(as_text=True)):
            if action in SKIP_POSTS:
                continue
            target = action or page
            for name in texts:
                # One field of each kind: the form repeats its fields per
                # agreement and per theme page.
                kind = (re.sub(r"[0-9]+", "N", target), re.sub(r"[0-9]+", "N", name))
                if kind in kinds:
                    continue
                kinds.add(kind)
                hostile = [BEL, PAST_EVERY_LIMIT] + ([TWO_LINES] if name in one_line else [])
                for value in hostile:
                    data = {**defaults, name: value}
                    if name.endswith("-reason"):  # a reason is read with n.v.t. only
                        data[name.removesuffix("reason") + "score"] = "nvt"
                    answers = assessment is not None and "version" in data
                    if answers:
                        data["version"] = str(type(assessment).get_by_id(assessment.id).version)
                    response = who.post(target, data=data)
                    assert response.status_code < 500, (target, name)
                    seen += 1
                    if not answers:
                        continue
                    # The message at the field, on the page and from autosave.
                    assert response.status_code == 400, (target, name, value[:12])
                    assert f'id="{name}-error"' in response.get_data(as_text=True), (name, value)
                    data["version"] = str(type(assessment).get_by_id(assessment.id).version)
                    auto = who.post(
                        f"/zelfevaluaties/{assessment.id}/automatisch-opslaan", data=data
                    )
                    assert auto.status_code == 200, (name, value[:12], auto.get_json())
                    assert name in {e["field"] for e in auto.get_json()["errors"]}, (name, value)
                    seen += 1
    return seen


def test_every_field_of_every_form_goes_through_the_text_check(app, chain):
    """Every text field of every form (as the pages render them) posted with a
    control character, then with text far past any limit (and a one-line field
    with a line break): nothing of it is stored, and no answer is a 5xx. The
    assessment's pages are walked as its manager (theme pages with autosave,
    then, once submitted, the coordinator's summary with its reopen reason)."""
    from domain import assessment_steps
    from models import Assessment

    admin = login(app.test_client(), chain["admin"])
    manager = login(app.test_client(), chain["manager"])
    coordinator = login(app.test_client(), chain["coordinator"])
    kinds: set = set()
    seen = _walk(admin, _pages(chain), kinds)
    assessment = chain["assessment"]
    answers = _walk(manager, _assessment_pages(chain), kinds, assessment)
    sharing = _walk(manager, [f"/organisaties/{chain['jgz'].id}/ervaringen-delen"], kinds)
    # Submitted, the coordinator's summary offers reopening with a reason.
    form = journey.complete_form(chain["agreements"])
    form["version"] = str(Assessment.get_by_id(assessment.id).version)
    assert manager.post(f"/zelfevaluaties/{assessment.id}", data=form).status_code == 302
    assert assessment_steps.submit(chain["manager"], Assessment.get_by_id(assessment.id)) == []
    summary = _walk(coordinator, [f"/zelfevaluaties/{assessment.id}/overzicht"], kinds)
    assert Assessment.get_by_id(assessment.id).state == "ingediend"  # never reopened
    assert seen > 40  # the walk found the forms
    kinds_of = {name for _, name in kinds}
    assert {"aN-explanation", "aN-reason", "aN-action", "aN-owner"} <= kinds_of
    assert answers >= 4 * 2 * 2 + 3 * 2  # four fields, page and autosave, a line break in three
    assert sharing >= 3
    assert summary >= 2
    assert {"contact", "reason"} <= kinds_of
    assert _stored_problems() == []


@pytest.mark.parametrize("digits", ["9" * 5_000, "9" * 25, "١٢", "１"])
def test_ids_in_posted_field_names_never_answer_a_server_error(app, chain, digits):
    """The assessment form reads agreement, partner and escalation ids out of
    its field names: a name with an id no row can hold (5,000 digits is past
    Python's int() limit), or other scripts' digits, is refused or ignored,
    never a 500, on the theme page, the escalation page and autosave."""
    from models import Assessment

    manager = login(app.test_client(), chain["manager"])
    base = f"/zelfevaluaties/{chain['assessment'].id}"
    agreement = chain["agreements"][0].id
    names = [f"a{digits}-score", f"a{agreement}-partner-{digits}", f"a{digits}-partner-1",
             f"esc-{digits}-agreement", f"esc-{digits}-times"]  # fmt: skip
    for name in names:
        for url in (f"{base}/thema/1", f"{base}/signalen", f"{base}/automatisch-opslaan", base):
            version = str(Assessment.get_by_id(chain["assessment"].id).version)
            data = {"version": version, name: "1", "esc-rows": "1"}
            response = manager.post(url, data=data)
            assert response.status_code < 500, (url, name[:20], response.status_code)
