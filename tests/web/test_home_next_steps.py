"""The home page says, per role, what to do next, with the link to do it."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from domain import assessment_form, assessment_saving, assessment_steps
from models import Assessment, Cycle, OutboxMessage, ReportRun
from tests import factories, journey
from web.formatting import local_today


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _steps(client) -> list[dict]:
    """The cards of "Wat u nu kunt doen", as heading, text, link and whether main."""
    body = client.get("/").get_data(as_text=True)
    section = body.split('class="next-steps"', 1)[1].split("</section>", 1)[0]
    cards = []
    for item in re.findall(r'<li class="step([^"]*)">(.*?)</li>', section, re.S):
        classes, inner = item
        cards.append(
            {
                "main": "step-main" in classes,
                "title": html.unescape(re.search(r"<h3>(.*?)</h3>", inner, re.S).group(1)),
                "detail": html.unescape(re.search(r"<p>(.*?)</p>", inner, re.S).group(1)),
                "href": re.search(r'href="([^"]+)"', inner).group(1),
                "action": html.unescape(re.search(r'href="[^"]+">([^<]+)<', inner).group(1)),
            }
        )
    return cards


@pytest.mark.parametrize("role", ["invuller", "manager"])
def test_organisation_roles_are_sent_to_their_assessment_with_the_days_left(client, chain, role):
    login(client, chain[role])
    cycle, assessment = chain["cycle"], chain["assessment"]
    days = (cycle.due_on - local_today()).days
    steps = _steps(client)
    first = steps[0]
    assert first["main"]
    assert first["title"] == "Zelfevaluatie 2026-Q4 – JGZ Test"
    assert first["detail"].startswith(f"nog {days} dagen (tot ")
    assert first["href"] == f"/zelfevaluaties/{assessment.id}"
    assert first["action"] == "Begin met invullen"
    # The link leads to a page the person may open.
    assert client.get(first["href"]).status_code == 200


def test_a_submitted_assessment_points_to_the_results(client, chain):
    assessment = Assessment.get_by_id(chain["assessment"].id)
    parsed = assessment_form.parse_form(
        journey.complete_form(chain["agreements"]), chain["agreements"], dt.date.today()
    )
    assessment_saving.save_answers(chain["manager"], assessment, assessment.version, parsed)
    assert assessment_steps.submit(chain["manager"], assessment) == []
    login(client, chain["manager"])
    first = _steps(client)[0]
    assert first["detail"].startswith("Ingediend op ")
    assert first["href"] == f"/resultaten/organisatie/{chain['jgz'].id}"


def test_coordinator_sees_the_progress_of_the_region_and_its_results(client, chain):
    login(client, chain["coordinator"])
    steps = _steps(client)
    progress = steps[0]
    assert progress["main"]
    assert progress["title"] == f"Voortgang 2026-Q4 – {chain['region'].name}"
    assert progress["detail"].startswith("0 van 2 zelfevaluaties ingediend")
    assert progress["href"] == f"/rondes/{chain['cycle'].id}/voortgang"
    assert client.get(progress["href"]).status_code == 200
    results = [s for s in steps if s["href"] == f"/resultaten/regio/{chain['region'].id}"]
    assert results
    assert results[0]["title"] == f"Resultaten van {chain['region'].name}"


def test_gemeente_is_sent_to_its_results_and_the_downloads(client, chain):
    login(client, chain["gemeente"])
    steps = _steps(client)
    gemeente = chain["gemeente_obj"]
    assert steps[0]["main"]
    assert steps[0]["href"] == f"/resultaten/gemeente/{gemeente.id}"
    assert steps[0]["title"] == f"Resultaten van {gemeente.name}"
    assert any(s["href"] == "/rapporten" for s in steps)


def test_beheerder_sees_what_needs_attention(client, chain):
    login(client, chain["admin"])
    titles = [s["title"] for s in _steps(client)]
    assert "Ronde 2026-Q4 loopt" in titles
    assert "Er is geen volgende ronde gepland" in titles
    assert not any(t.startswith("Berekeningen mislukt") for t in titles)

    Cycle.create(
        period="2027-Q1",
        framework=chain["fw"],
        opens_on=local_today() - dt.timedelta(days=1),
        due_on=local_today() + dt.timedelta(days=30),
        closes_on=local_today() + dt.timedelta(days=60),
        state="gepland",
    )
    ReportRun.create(job="nightly", period="2026-12-01", state="mislukt")
    OutboxMessage.create(
        dedupe_key="x", to_address="a@example.nl", subject="s", body_text="b", state="mislukt"
    )
    steps = {s["title"]: s for s in _steps(client)}
    assert steps["Ronde 2027-Q1 kan open"]["main"]
    assert steps["Berekeningen mislukt: 1"]["href"] == "/beheer/batch"
    assert steps["E-mails niet aangekomen: 1"]["href"] == "/beheer/status"
    assert "Er is geen volgende ronde gepland" not in steps


def test_without_an_open_cycle_the_invuller_hears_when_the_next_begins(client, app):
    chain = journey.people()
    factories.cycle(chain["fw"], "2026-Q3", state="gesloten")
    upcoming = factories.cycle(chain["fw"], "2027-Q1", state="gepland")
    login(client, chain["invuller"])
    first = _steps(client)[0]
    assert first["title"] == "Er loopt nu geen ronde"
    assert upcoming.opens_on.year == 2027
    assert "2027" in first["detail"]


def test_person_without_a_role_is_told_to_ask_for_one(client, app):
    nobody = factories.user()
    login(client, nobody)
    body = client.get("/").get_data(as_text=True)
    assert _steps(client) == []
    assert "U heeft nog geen rol" in body


def test_home_links_to_help_for_each_role_and_the_glossary(client, chain):
    login(client, chain["coordinator"])
    body = client.get("/").get_data(as_text=True)
    assert 'href="/hulp/regiocoordinator"' in body
    assert 'href="/begrippen#ronde"' in body
    assert 'href="/hulp"' in body
