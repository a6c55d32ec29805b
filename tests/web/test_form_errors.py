"""One error pattern on every form (issue 27): a post with problems shows the
same page again (400, or 401/429 at login) with a summary at the top whose
links lead to the fields, the message at each field, the field marked
(aria-invalid, aria-describedby) and everything typed still in it. No form
answers a problem with a flash message only. Passwords are never sent back."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from flask import message_flashed

from domain import accounts
from domain.inputs import LIMITS
from models import Assessment, Cycle
from tests import factories, journey

# --- reading the page ---------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    order: int
    text: str = ""


class Page(HTMLParser):
    """The elements of a page in order, with their attributes and text; and
    the links inside role="alert"."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self, body: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.by_id: dict[str, Element] = {}
        self.alert_links: list[tuple[Element, str, str]] = []  # (alert, href, text)
        self._stack: list[Element] = []
        self._link: list | None = None
        self.feed(body)
        self.close()

    def _alert(self) -> Element | None:
        return next((e for e in self._stack if e.attrs.get("role") == "alert"), None)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, len(self.elements))
        self.elements.append(element)
        if "id" in element.attrs:
            self.by_id[element.attrs["id"]] = element
        alert = self._alert()
        if tag == "a" and alert is not None:
            self._link = [alert, element.attrs.get("href", ""), ""]
        if tag not in self.VOID:
            self._stack.append(element)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            alert, href, text = self._link
            self.alert_links.append((alert, href, " ".join(text.split())))
            self._link = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        for element in self._stack:
            element.text += data
        if self._link is not None:
            self._link[2] += data


def _described_by(element: Element) -> list[str]:
    return element.attrs.get("aria-describedby", "").split()


# --- the forms ----------------------------------------------------------------------


@dataclass
class Case:
    """A post with problems to one form, and what the page must show after it."""

    endpoint: str  # the route, to check every form of the app has a case
    who: str | None  # a key of the chain, or None: not logged in
    url: object  # str or chain → str
    data: object  # dict or chain → dict
    fields: object  # the ids of the fields with a problem (or chain → ids)
    typed: object = ()  # text that must still be on the page (or chain → texts)
    absent: tuple = ()  # text that must not come back (passwords)
    status: int = 400
    method: str = "POST"
    setup: object = None  # chain → None, before logging in


def _value(thing, chain):
    return thing(chain) if callable(thing) else thing


def _with_indicators(chain):
    from domain import indicators
    from domain.reference import load_reference_data

    load_reference_data()
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))


def _indicator_url(chain) -> str:
    from models import IndicatorDefinition

    definition = IndicatorDefinition.select().order_by(IndicatorDefinition.id).first()
    return f"/beheer/indicatoren/{definition.id}"


def _indicator_form(chain) -> dict:
    from models import IndicatorDefinition

    definition = IndicatorDefinition.select().order_by(IndicatorDefinition.id).first()
    return {
        "name": "Nieuwe naam voor de indicator",
        "description": definition.description,
        "computation": definition.computation,
        "unit": definition.unit,
        "direction": "hoger_beter",
        "norm": "heel veel",
        "green": "75",
        "orange": "80",
        "min_score": "3",
        "months": "12",
    }


def _planned_cycle(chain):
    """A cycle that opens next month, while the chain's cycle is still open."""
    today = dt.date.today()
    chain["planned"] = Cycle.create(
        period="2027-Q3",
        framework=chain["fw"],
        opens_on=today + dt.timedelta(days=30),
        due_on=today + dt.timedelta(days=60),
        closes_on=today + dt.timedelta(days=90),
        state="gepland",
    )


def _submitted(chain):
    Assessment.update(state="ingediend", submitted_at=dt.datetime.now(dt.UTC)).where(
        Assessment.id == chain["assessment"].id
    ).execute()


def _reset_token(chain):
    chain["token"] = accounts.issue_token(chain["invuller"], "reset")


LONG_REASON = "Te lang " * (LIMITS["short_text"] // 8 + 1)

CASES = {
    "regio": Case(
        "admin.region_edit",
        "admin",
        "/beheer/regios/nieuw",
        {"code": "", "name": "Regio Zuidoost" + "x" * LIMITS["region_name"]},
        ["code", "name"],
        typed=["Regio Zuidoost"],
    ),
    "gemeente": Case(
        "admin.gemeente_edit",
        "admin",
        "/beheer/gemeenten/nieuw",
        {"code": "GM12", "name": "Nieuwdorp", "region": ""},
        ["code", "region"],
        typed=['value="GM12"', 'value="Nieuwdorp"'],
    ),
    "organisatie": Case(
        "admin.organisation_edit",
        "admin",
        "/beheer/organisaties/nieuw",
        {"name": "JGZ Nieuwdorp", "kind": "", "region": "", "active": "1"},
        ["kind", "region"],
        typed=['value="JGZ Nieuwdorp"'],
    ),
    "organisatie-gemeenten": Case(
        "admin.organisation_edit",
        "admin",
        lambda c: f"/beheer/organisaties/{c['jgz'].id}",
        lambda c: {
            "name": "JGZ Hernoemd",
            "kind": "jgz",
            "region": str(c["region"].id),
            "gemeenten": ["999999"],
        },
        ["gemeenten"],
        typed=['value="JGZ Hernoemd"', 'value="jgz" selected'],
    ),
    "gebruiker-nieuw": Case(
        "admin.user_new",
        "admin",
        "/beheer/gebruikers/nieuw",
        {"email": "geen-adres", "name": "", "locale": "en"},
        ["email", "name"],
        typed=['value="geen-adres"', 'value="en" selected'],
    ),
    "gebruiker": Case(
        "admin.user_edit",
        "admin",
        lambda c: f"/beheer/gebruikers/{c['manager'].id}",
        {"email": "manager-example.nl", "name": "Nieuwe Naam", "locale": "nl", "active": "1"},
        ["email"],
        typed=['value="manager-example.nl"', 'value="Nieuwe Naam"'],
    ),
    "gebruiker-eigen-account": Case(
        "admin.user_edit",
        "admin",
        lambda c: f"/beheer/gebruikers/{c['admin'].id}",
        {"email": "beheerder@example.nl", "name": "Beheerder Hernoemd", "locale": "nl"},
        ["active"],
        typed=['value="Beheerder Hernoemd"'],
    ),
    "rol": Case(
        "admin.role_add",
        "admin",
        lambda c: f"/beheer/gebruikers/{c['manager'].id}/rollen",
        lambda c: {"role": "regiocoordinator", "region": "", "gemeente": str(c["gemeente_obj"].id)},
        ["region"],
        typed=lambda c: [
            'value="regiocoordinator" selected',
            f'value="{c["gemeente_obj"].id}" selected',
        ],
    ),
    "import": Case(
        "admin.bulk_import",
        "admin",
        "/beheer/import",
        {"kind": "users"},
        ["file"],
        typed=['value="users" checked'],
    ),
    "indicator": Case(
        "admin.indicator_edit",
        "admin",
        _indicator_url,
        _indicator_form,
        ["norm", "orange"],
        typed=['value="heel veel"', 'value="Nieuwe naam voor de indicator"'],
        setup=_with_indicators,
    ),
    "auditlog": Case(
        "admin.audit",
        "admin",
        "/beheer/audit?van=gisteren&tot=2026-13-45&wie=iemand",
        {},
        ["van", "tot"],
        typed=['value="gisteren"', 'value="2026-13-45"', 'value="iemand"'],
        method="GET",
    ),
    "herberekenen": Case(
        "recompute_admin.recompute_page",
        "admin",
        "/beheer/herberekenen",
        {"ronde": "", "reden": "kort"},
        ["ronde", "reden"],
        typed=[">kort</textarea>"],
    ),
    "ronde": Case(
        "cycles.index",
        "admin",
        "/beheer/rondes",
        lambda c: {
            "period": "volgend jaar",
            "framework": str(c["fw"].id),
            "opens_on": "2027-01-01",
            "due_on": "2026-12-01",
            "closes_on": "2027-03-01",
            "reminder_days": "14,7,1",
        },
        ["period", "due_on"],
        typed=['value="volgend jaar"', 'value="2027-01-01"', 'value="2026-12-01"'],
    ),
    "ronde-openen": Case(
        "cycles.open_",
        "admin",
        lambda c: f"/beheer/rondes/{c['planned'].id}/openen",
        {"second": "1"},
        ["early"],
        typed=['name="second" value="1" required checked'],
        setup=_planned_cycle,
    ),
    "heropenen-overzicht": Case(
        "assessment_review.reopen",
        "coordinator",
        lambda c: f"/zelfevaluaties/{c['assessment'].id}/overzicht/heropenen",
        {"reason": LONG_REASON},
        ["reason"],
        typed=[html.escape(LONG_REASON)],
        setup=_submitted,
    ),
    "heropenen-voortgang": Case(
        "cycles.reopen",
        "coordinator",
        lambda c: (
            f"/rondes/{c['cycle'].id}/heropenen/{c['assessment'].id}"
            f"?regio={c['region'].code}&status=ingediend"
        ),
        {"reason": LONG_REASON},
        lambda c: [f"reason-{c['assessment'].id}"],
        typed=[html.escape(LONG_REASON)],
        setup=_submitted,
    ),
    "ervaringen-delen": Case(
        "practice.sharing",
        "manager",
        lambda c: f"/organisaties/{c['jgz'].id}/ervaringen-delen",
        {"enabled": "1", "contact": "team jgz"},
        ["contact"],
        typed=['value="team jgz"'],
    ),
    "inloggen-leeg": Case(
        "auth.login",
        None,
        "/inloggen",
        {"email": "manager@example.nl", "password": ""},
        ["password"],
        typed=['value="manager@example.nl"'],
    ),
    "inloggen-onjuist": Case(
        "auth.login",
        None,
        "/inloggen",
        {"email": "manager@example.nl", "password": "geheim-fout-1"},
        ["email"],
        typed=['value="manager@example.nl"'],
        absent=("geheim-fout-1",),
        status=401,
    ),
    "wachtwoord-vergeten": Case(
        "auth.forgot",
        None,
        "/wachtwoord-vergeten",
        {"email": "manager-example.nl"},
        ["email"],
        typed=['value="manager-example.nl"'],
    ),
    "wachtwoord-herstellen": Case(
        "auth.reset",
        None,
        lambda c: f"/wachtwoord-herstellen/{c['token']}",
        {"password": "Zx9!kort", "repeat": "Zx9!anders"},
        ["repeat"],
        absent=("Zx9!kort", "Zx9!anders"),
        setup=_reset_token,
    ),
    "uitnodiging": Case(
        "auth.invitation",
        None,
        lambda c: f"/uitnodiging/{accounts.issue_token(c['invuller'], 'invite')}",
        {"password": "kort", "repeat": "kort"},
        ["password"],
    ),
    "account-wachtwoord": Case(
        "auth.account",
        "invuller",
        "/account",
        {"action": "password", "current": "niet-mijn-wachtwoord", "password": "x", "repeat": "x"},
        ["current"],
        absent=("niet-mijn-wachtwoord",),
    ),
    "account-taal": Case(
        "auth.account",
        "invuller",
        "/account",
        {"action": "language", "locale": "fr"},
        ["locale"],
    ),
    "sleutels": Case(
        "api_tokens.manage",
        "coordinator",
        "/account/api-tokens",
        {"action": "create", "name": "", "days": "30"},
        ["token-name"],
        typed=['value="30"'],
    ),
    "sleutel-intrekken": Case(
        "api_tokens.manage",
        "coordinator",
        "/account/api-tokens",
        {"action": "revoke", "token_id": "999999"},
        ["sleutels"],
    ),
}

# POST routes without fields of their own: a confirmation button, or a save
# with only hidden values. They report a refusal (nothing was typed) by a message.
WITHOUT_FIELDS = {
    "auth.logout",
    "admin.role_remove",
    "admin.user_invite",
    "cycles.close",
    "cycles.remind",
    "cycles.bulk_remind",
    "assessment_review.submit",
    "assessment_review.ready",
    "assessments.copy_previous",
    "assessments.confirm",
    "assessments.autosave",  # answers JSON to the page's script
}
# The assessment form, whose pattern (with its own summary of themes and
# agreements) is tested in test_assessment_pages.
OWN_TESTS = {"assessments.form", "assessments.theme", "assessments.escalations"}


@pytest.fixture
def chain(app):
    return journey.build()


@pytest.fixture
def error_flashes(app):
    """The error messages flashed while the test runs (there should be none)."""
    seen = []

    def note(sender, message, category, **extra):
        if category == "error":
            seen.append(message)

    message_flashed.connect(note, app)
    yield seen
    message_flashed.disconnect(note, app)


def _login(client, user) -> None:
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_form_with_problems_shows_them_at_the_fields_and_keeps_the_input(
    app, client, chain, error_flashes, name
):
    case = CASES[name]
    if case.setup:
        case.setup(chain)
    if case.who:
        _login(client, chain[case.who])
    url, data = _value(case.url, chain), _value(case.data, chain)
    response = client.get(url) if case.method == "GET" else client.post(url, data=data)
    assert response.status_code == case.status, name
    body = response.get_data(as_text=True)
    page = Page(body)
    fields = _value(case.fields, chain)

    # A summary at the top: role="alert", a link to each field with a problem.
    linked = [href for _alert, href, _text in page.alert_links if href.startswith("#")]
    assert sorted(linked) == sorted(f"#{f}" for f in fields), name
    summary = page.alert_links[0][0]
    assert all(alert is summary for alert, _href, _text in page.alert_links), name
    for field_id in fields:
        target = page.by_id.get(field_id)
        assert target is not None, f"{name}: the summary links to #{field_id}, not on the page"
        assert summary.order < target.order, f"{name}: the summary is not above #{field_id}"
        # The message at the field, tied to it.
        message = page.by_id.get(f"{field_id}-error")
        assert message is not None, f"{name}: no message at {field_id}"
        assert message.text.strip(), f"{name}: an empty message at {field_id}"
        assert f"{field_id}-error" in _described_by(target), f"{name}: {field_id} not described"
        # The field marked (a group of choices as a whole). A problem about no
        # field (a key that no longer exists) is at its list's heading.
        if target.tag in ("input", "select", "textarea", "fieldset"):
            assert target.attrs.get("aria-invalid") == "true", f"{name}: {field_id} not marked"
        else:
            assert name == "sleutel-intrekken", f"{name}: #{field_id} is no field"
    # Fields without a problem are not marked.
    marked = {
        e.attrs["id"]
        for e in page.elements
        if e.attrs.get("aria-invalid") == "true" and "id" in e.attrs
    }
    unexpected = marked - set(fields)
    if name == "inloggen-onjuist":
        unexpected -= {"password"}  # which of the two was wrong is not said
    assert not unexpected, f"{name}: marked without a problem: {unexpected}"

    # Nothing typed is lost; a password never comes back.
    for text in _value(case.typed, chain):
        assert text in body, f"{name}: {text!r} is no longer on the page"
    for text in case.absent:
        assert text not in body, f"{name}: a password came back"
    # No message in a flash only.
    assert error_flashes == [], f"{name}: flashed {error_flashes}"


def test_every_form_of_the_app_has_a_case(app):
    """A new form (a route that takes a POST) is added to CASES above, or
    named as one without fields: so none goes back to a flash message."""
    posted = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api.")
    }
    covered = {case.endpoint for case in CASES.values()}
    unknown = posted - covered - WITHOUT_FIELDS - OWN_TESTS
    assert unknown == set(), f"forms without an error-pattern case: {sorted(unknown)}"
    assert covered <= posted | {"admin.audit"}, "a case names a route that takes no POST"


def test_the_error_message_link_names_the_field_by_its_label(client, chain):
    _login(client, chain["admin"])
    body = client.post(
        "/beheer/gemeenten/nieuw", data={"code": "GM1", "name": "", "region": ""}
    ).get_data(as_text=True)
    links = {href: text for _alert, href, text in Page(body).alert_links}
    assert links["#code"].startswith("CBS-code: Een gemeentecode is")
    assert links["#name"] == "Naam: Vul een naam in."
    assert links["#region"] == "Regio: Kies een regio."


def test_a_good_post_still_saves_and_moves_on(client, chain):
    _login(client, chain["admin"])
    response = client.post(
        "/beheer/gemeenten/nieuw",
        data={"code": "GM9999", "name": "Nieuwdorp", "region": str(chain["region"].id)},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gemeente Nieuwdorp is opgeslagen." in page
