"""Result pages and report downloads, each limited to the user's scope."""

import pytest

from models import Cycle
from reports import build
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def results(world, app):  # noqa: F811 - the fixture imported above
    from domain import computation
    from models import ImprovementAction

    ImprovementAction.update(description="<b>Overleg</b> & plannen").where(
        ImprovementAction.status == "open"
    ).execute()
    computation.recompute()
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    build.write_cycle_reports(cycle, app.config["REPORTS_DIR"])
    o = world["orgs"]
    world["users"] = {
        "manager_a": factories.user(("manager", o["A"])),
        "coordinator_2": factories.user(("regiocoordinator", world["r2"])),
        "gemeente_2": factories.user(("gemeente", world["g2"])),
        "beheerder": factories.user(("beheerder",)),
    }
    return world


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_organisation_page_has_charts_with_text_and_tables(client, results):
    a = results["orgs"]["A"]
    _login(client, results["users"]["manager_a"])
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    assert "<h1>Resultaten 2026-Q2 – A</h1>" in page
    assert page.count('role="img"') == page.count("<title id=") >= 10
    assert "<desc id=" in page
    assert "De cijfers staan in de tabel bij dit diagram." in page
    assert 'class="signal signal-groen">Groen<' in page  # MEAN 75,0 against norm 75
    assert "75,0" in page
    # Free text typed by people is escaped, never markup.
    assert "&lt;b&gt;Overleg&lt;/b&gt;" in page
    # The PDF of the organisation is offered and downloads.
    assert "Managementrapportage organisatie (PDF)" in page


def test_page_explains_each_rule_and_sets_both_partner_views_side_by_side(client, results):
    import html

    a = results["orgs"]["A"]
    _login(client, results["users"]["manager_a"])
    page = html.unescape(
        client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    )
    help_text = page[page.index('<details id="rekenregels">') : page.index("</details>")]
    assert '<dt>RESP <span class="hint">(code RESP)</span></dt>' in help_text
    assert "tot en met 23:59 uur Nederlandse tijd (Europe/Amsterdam)" in help_text
    assert "trede 0 (niet opgeschaald)" in help_text
    assert "Filter: niveau beleid." in help_text
    # A says 3 of itself on Y1; its partner B says 1 of A: one rating, difference 2.
    partners = page[page.index('<h2 id="partners">') :]
    assert '<th scope="col" class="num">Oordeel van partners</th>' in partners
    assert (
        '<th scope="row">Y1 – Y1</th><td class="num">3,00</td><td class="num">1,00</td>'
        '<td class="num">1</td><td class="num">2,00</td>' in partners
    )


def test_help_is_translated_for_english_users(client, results):
    from models import User

    user = results["users"]["manager_a"]
    User.update(locale="en").where(User.id == user.id).execute()
    _login(client, user)
    a = results["orgs"]["A"]
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    assert "How are these indicators computed?" in page
    assert "Europe/Amsterdam" in page


def test_pages_and_downloads_stay_in_scope(client, results):
    o, users = results["orgs"], results["users"]
    _login(client, users["manager_a"])
    assert client.get(f"/resultaten/organisatie/{o['C'].id}").status_code == 404
    assert client.get(f"/resultaten/regio/{results['r1'].id}").status_code == 404
    listing = client.get("/rapporten?ronde=2026-Q2").get_data(as_text=True)
    assert f"-{o['A'].id}-2026-Q2.pdf" in listing
    assert f"-{o['C'].id}-2026-Q2.pdf" not in listing
    from models import ReportFile

    own = ReportFile.get(ReportFile.kind == "pdf_organisation", ReportFile.scope_id == o["A"].id)
    other = ReportFile.get(ReportFile.kind == "pdf_organisation", ReportFile.scope_id == o["C"].id)
    with client.get(f"/rapporten/{own.id}") as response:
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF")
    assert client.get(f"/rapporten/{other.id}").status_code == 404


def test_gemeente_user_sees_the_gemeente_without_free_text(client, results):
    _login(client, results["users"]["gemeente_2"])
    page = client.get(f"/resultaten/gemeente/{results['g2'].id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Overleg" not in text  # improvement action text stays with the organisation
    assert client.get(f"/resultaten/gemeente/{results['g1'].id}").status_code == 404
    assert client.get(f"/resultaten/organisatie/{results['orgs']['A'].id}").status_code == 404


def test_coordinator_sees_only_their_region(client, results):
    _login(client, results["users"]["coordinator_2"])
    assert client.get(f"/resultaten/regio/{results['r2'].id}").status_code == 200
    assert client.get(f"/resultaten/regio/{results['r1'].id}").status_code == 404
    assert client.get(f"/resultaten/organisatie/{results['orgs']['C'].id}").status_code == 200


def test_scorecard_formats_units_names_the_norm_and_says_when(client, results, app):
    from models import IndicatorDefinition, RegionalNorm, User

    a, r1 = results["orgs"]["A"], results["r1"]
    gap = IndicatorDefinition.get(IndicatorDefinition.code == "GAP")
    RegionalNorm.create(indicator=gap, region=r1, norm=1.5, green_threshold=1.5, orange_threshold=2)
    manager = results["users"]["manager_a"]
    _login(client, manager)
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    # One rule per unit: A's MEAN went from 50,0% to 75,0%: a change in procentpunten.
    assert '<td class="num">75,0%</td>' in page
    assert "+25,0 procentpunt" in page
    # PARTNER in punten with two decimals, judged against the region's own norm, named.
    assert '<td class="num">2,00 punten</td>' in page
    assert '1,50 punten <span class="hint">(regio)</span>' in page
    assert '75,0% <span class="hint">(landelijk)</span>' in page
    # When the figures were computed and when the next run is; still open: voorlopig.
    assert "Cijfers berekend op " in page
    assert "Volgende berekening: " in page
    assert "Zolang de ronde open is, tellen nieuwe indieningen binnen enkele minuten mee" in page
    assert (
        "<strong>Voorlopige cijfers.</strong> Ronde 2026-Q2 loopt nog tot 15 juli 2026. "
        "Peildatum: " in page
    )
    User.update(locale="en").where(User.id == manager.id).execute()
    english = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    assert "+25.0 percentage points" in english
    assert '<td class="num">2.00 points</td>' in english


def test_next_run_follows_the_schedule(app):
    import datetime as dt

    from jobs.status import next_nightly

    config = {"TIMEZONE": "Europe/Amsterdam", "SCHEDULE_NIGHTLY": "30 3 * * *"}
    # 28 November 2026 12:00 UTC: next 03:30 Amsterdam (CET, UTC+1) is 29 November 02:30 UTC.
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert next_nightly(config, now) == dt.datetime(2026, 11, 29, 2, 30)
    # Summer time: UTC+2.
    now = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)
    assert next_nightly(config, now) == dt.datetime(2026, 7, 1, 1, 30)


def test_a_new_cycle_without_submissions_says_so_and_is_not_the_default(client, results):
    from models import Organisation

    q2 = Cycle.get(Cycle.period == "2026-Q2")
    q3 = factories.cycle(q2.framework, "2026-Q3", state="open")
    for org in Organisation.select():
        factories.assessment(org, q3, "concept")
    _login(client, results["users"]["beheerder"])
    listing = client.get("/rapporten").get_data(as_text=True)
    assert '<option value="2026-Q2" selected>' in listing  # the cycle with figures
    assert "de rapporten zijn voorlopig en noemen hun peildatum" in listing
    empty = client.get("/rapporten?ronde=2026-Q3").get_data(as_text=True)
    assert "In ronde 2026-Q3 is nog geen zelfevaluatie ingediend" in empty
    page = client.get(f"/resultaten/regio/{results['r1'].id}").get_data(as_text=True)
    assert "<h1>Resultaten 2026-Q2 – " in page
