"""Result pages kept ready between batch runs (web/prepared.py): served again
while nothing behind them changed, built anew as soon as something did, and
never shared between people whose roles differ."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from domain import (
    assessment_agreements,
    assessment_form,
    assessment_saving,
    assessment_steps,
    computation,
    indicators,
    reference,
)
from models import Assessment, Organisation
from tests import factories, journey

pytestmark = pytest.mark.usefixtures("app")

TODAY = dt.date.today()


@pytest.fixture
def chain(app):
    """The journey chain with the JGZ's assessment submitted and the figures computed."""
    chain = journey.build()
    reference.load_reference_data()  # the regions the default indicators name
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    form = journey.complete_form(chain["agreements"], score=3)
    _save(chain["manager"], chain["assessment"], chain["agreements"], form)
    assert (
        assessment_steps.submit(chain["manager"], Assessment.get_by_id(chain["assessment"].id))
        == []
    )
    computation.recompute()
    return chain


def _save(user, assessment, agreements, form):
    assessment = Assessment.get_by_id(assessment.id)
    parsed = assessment_form.parse_form(form, agreements, TODAY)
    assert parsed.errors == {}
    assessment_saving.save_answers(user, assessment, assessment.version, parsed)


def _team_action(chain, text: str) -> None:
    """The wijkteam's draft gets an improvement action with this text."""
    team = Assessment.get(
        Assessment.organisation == chain["team"], Assessment.cycle == chain["cycle"]
    )
    agreements = assessment_agreements.applicable_agreements(team)
    first = agreements[0]
    form = {f"a{first.id}-score": "1", f"a{first.id}-action": text}
    _save(chain["team_manager"], team, agreements, form)


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _without_token(page: str) -> str:
    """The page without its CSRF token, which carries the time."""
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', page)


def _mean_compliance(page: str) -> str:
    """The organisation's own value of NAL-GEM (by its name) on the scorecard."""
    table = page.split('id="scorekaart"', 1)[1].split("</table>", 1)[0]
    row = table.split('<th scope="row">Gemiddelde naleving', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row)[0]


def _pages(app):
    return app.extensions["prepared_pages"]


def test_a_page_is_built_once_and_served_again_while_nothing_changes(app, client, chain):
    _login(client, chain["coordinator"])
    path = f"/resultaten/regio/{chain['region'].id}"
    _page(client, path)  # after logging in: with its welcome
    first = _without_token(_page(client, path))
    second = _without_token(_page(client, path))
    assert (_pages(app).misses, _pages(app).hits) == (1, 2)
    assert first == second
    # Another map indicator is another page.
    _page(client, f"{path}?kaart=RESP")
    assert _pages(app).misses == 2
    # Logging in (audited too) changes nothing on the page.
    _login(app.test_client(), chain["manager"])
    _page(client, path)
    assert _pages(app).misses == 2


def test_a_saved_draft_shows_at_once(app, client, chain):
    """A wijkteam's improvement action in its draft appears on the region page
    without waiting for the batch (the page lists open actions of drafts too)."""
    _login(client, chain["coordinator"])
    path = f"/resultaten/regio/{chain['region'].id}"
    assert "Casusoverleg elke maand" not in _page(client, path)
    _team_action(chain, "Casusoverleg elke maand")
    assert "Casusoverleg elke maand" in _page(client, path)


def test_a_batch_run_shows_at_once(app, client, chain):
    """New figures appear the moment the batch has written them."""
    _login(client, chain["manager"])
    path = f"/resultaten/organisatie/{chain['jgz'].id}"
    assert _mean_compliance(_page(client, path)) == "75,0%"  # every agreement scored 3 of 4
    reason = "Scores herzien na overleg"
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assessment_steps.reopen(chain["coordinator"], assessment, reason)
    form = journey.complete_form(chain["agreements"], score=4)
    _save(chain["manager"], assessment, chain["agreements"], form)
    assert assessment_steps.submit(chain["manager"], Assessment.get_by_id(assessment.id)) == []
    # Until the batch has run, the page shows the figures it computed before.
    assert _mean_compliance(_page(client, path)) == "75,0%"
    computation.recompute()
    assert _mean_compliance(_page(client, path)) == "100,0%"


def test_an_admins_rename_shows_at_once(app, client, chain):
    admin = chain["admin"]
    _login(client, admin)
    path = f"/resultaten/organisatie/{chain['jgz'].id}"
    assert "JGZ Test" in _page(client, path)
    assert _pages(app).misses == 1
    jgz = Organisation.get_by_id(chain["jgz"].id)
    form = {
        "name": "JGZ Hernoemd",
        "kind": jgz.kind,
        "region": str(jgz.region_id),
        "gemeenten": [str(chain["gemeente_obj"].id)],
        "active": "1",
    }
    response = client.post(f"/beheer/organisaties/{jgz.id}", data=form)
    assert response.status_code in (200, 302)
    assert Organisation.get_by_id(jgz.id).name == "JGZ Hernoemd"
    period = chain["cycle"].period
    assert f"<h1>Resultaten {period} – JGZ Hernoemd</h1>" in _page(client, path)


def test_people_with_other_roles_never_share_a_page(app, chain):
    """The beheerder's gemeente page shows the improvement actions' text; the
    gemeente user's never does, even right after the beheerder's was built."""
    _team_action(chain, "Tekst van de organisatie")
    path = f"/resultaten/gemeente/{chain['gemeente_obj'].id}"
    admin_client, gemeente_client = app.test_client(), app.test_client()
    _login(admin_client, chain["admin"])
    _login(gemeente_client, chain["gemeente"])
    assert "Tekst van de organisatie" in _page(admin_client, path)
    gemeente_page = _page(gemeente_client, path)
    assert "Tekst van de organisatie" not in gemeente_page
    assert _pages(app).misses == 2
    # The same person gets their own page again, without the free text.
    assert "Tekst van de organisatie" not in _page(gemeente_client, path)
    assert _pages(app).hits == 1


def test_keeping_pages_can_be_switched_off(app, client, chain):
    app.config["RESULT_PAGES"] = 0
    app.extensions.pop("prepared_pages", None)
    _login(client, chain["manager"])
    path = f"/resultaten/organisatie/{chain['jgz'].id}"
    _page(client, path)  # after logging in: with its welcome
    # Built anew each time: the charts get new ids, the rest is the same.
    first, second = (
        re.sub(r"chart\d+", "chart", _without_token(_page(client, path))) for _ in range(2)
    )
    assert first == second
    assert (_pages(app).misses, _pages(app).hits) == (0, 0)


def test_closing_the_cycle_shows_at_once(app, client, chain):
    """An open cycle's figures are voorlopig; once it closes they are not."""
    from domain import cycles
    from models import Cycle

    _login(client, chain["manager"])
    path = f"/resultaten/organisatie/{chain['jgz'].id}"
    assert "Voorlopige cijfers" in _page(client, path)
    cycles.close_cycle(chain["admin"], Cycle.get_by_id(chain["cycle"].id))
    assert "Voorlopige cijfers" not in _page(client, path)
