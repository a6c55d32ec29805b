"""The everyday defects of issue 11, each pinned by a page test: dashboards
with every open cycle, opening early, reopening from the monitor, local
times in exports, words instead of codes, copying forward, escalation rows,
the national monitor, the favicon and the English interface."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain import assessment_agreements, assessment_form, assessment_saving, assessment_steps
from domain import cycles as cycle_domain
from jobs.runs import claimed_run
from models import (
    Assessment,
    AuditEvent,
    Cycle,
    ReportRun,
    ReportRunEarlier,
    User,
)
from tests import factories, journey

TODAY = dt.date.today()


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _submit(chain):
    assessment = Assessment.get_by_id(chain["assessment"].id)
    parsed = assessment_form.parse_form(
        journey.complete_form(chain["agreements"]), chain["agreements"], TODAY
    )
    assessment_saving.save_answers(chain["manager"], assessment, assessment.version, parsed)
    assert assessment_steps.submit(chain["manager"], assessment) == []
    return Assessment.get_by_id(assessment.id)


def test_link_buttons_are_not_white_on_white(app):
    """'Herinnering sturen' and 'Uitloggen' are buttons drawn as links: they
    take the link colour of where they stand, the theme's dark blue on the
    page and white only inside the dark menu bar; a Beheer button marked
    `link` (no component class yet) takes the same link colour."""
    static = Path(app.static_folder)
    theme = (static / "theme.css").read_text()
    rules = (static / "style.css").read_text()
    assert "--utrecht-link-color: var(--am-color-primary);" in theme
    assert "--am-color-primary: #154273;" in theme
    menu = re.search(r"\n\.utrecht-nav-bar \{([^}]*)\}", rules).group(1)
    assert "--utrecht-link-color: #fff;" in menu
    plain = re.search(r"\n:where\(button\.link\) \{([^}]*)\}", rules).group(1)
    assert "color: var(--utrecht-link-color)" in plain


def test_dashboard_keeps_every_open_cycle(client, chain):
    """A newer cycle opening does not hide the reopened assessment of the older one."""
    assessment = _submit(chain)
    assessment_steps.reopen(chain["coordinator"], assessment, "Partnerscores nakijken")
    newer = cycle_domain.create_cycle(
        chain["admin"],
        "2027-Q1",
        chain["fw"],
        TODAY - dt.timedelta(days=1),
        TODAY + dt.timedelta(days=30),
        TODAY + dt.timedelta(days=45),
    )
    cycle_domain.open_cycle(chain["admin"], newer, journey.LINK)
    login(client, chain["invuller"])
    page = _page(client.get("/"))
    assert "Zelfevaluaties 2027-Q1" in page
    assert "Zelfevaluaties 2026-Q4" in page
    assert f'href="/zelfevaluaties/{assessment.id}"' in page
    assert "Reden: Partnerscores nakijken" in page


def test_dashboard_cycle_rows_are_links_for_the_beheerder(client, chain):
    login(client, chain["admin"])
    page = _page(client.get("/"))
    assert f'href="/beheer/rondes/{chain["cycle"].id}">2026-Q4</a>' in page


def test_opening_early_needs_a_confirmation_and_says_who_is_invited(client, app):
    people = journey.people()
    cycle = cycle_domain.create_cycle(
        people["admin"],
        "2027-Q1",
        people["fw"],
        TODAY + dt.timedelta(days=60),
        TODAY + dt.timedelta(days=90),
        TODAY + dt.timedelta(days=100),
    )
    login(client, people["admin"])
    page = _page(client.get(f"/beheer/rondes/{cycle.id}"))
    assert (
        "Bij openen krijgen 2 organisaties een zelfevaluatie en ontvangen 3 personen een "
        "uitnodiging." in page
    )
    assert "deze ronde opent volgens plan pas op" in page
    refused = _page(client.post(f"/beheer/rondes/{cycle.id}/openen", follow_redirects=True))
    assert "Bevestig dat u haar nu al wilt openen" in refused
    assert Cycle.get_by_id(cycle.id).state == "gepland"
    client.post(f"/beheer/rondes/{cycle.id}/openen", data={"early": "1"})
    assert Cycle.get_by_id(cycle.id).state == "open"


def test_reopen_from_the_monitor_with_a_reason(client, chain):
    assessment = _submit(chain)
    login(client, chain["coordinator"])
    monitor = _page(client.get(f"/rondes/{chain['cycle'].id}/voortgang"))
    # The form's address carries the page's region, to show it again after a problem.
    assert f'action="/rondes/{chain["cycle"].id}/heropenen/{assessment.id}?regio=' in monitor
    response = client.post(
        f"/rondes/{chain['cycle'].id}/heropenen/{assessment.id}",
        data={"reason": "Score VTJ-02 klopt niet met het overleg"},
        follow_redirects=True,
    )
    assert "is heropend" in _page(response)
    assert Assessment.get_by_id(assessment.id).state == "heropend"
    # A reason is required; the form page offers a way in from the top.
    client.post(f"/rondes/{chain['cycle'].id}/heropenen/{assessment.id}", data={"reason": " "})
    client.post("/uitloggen")
    login(client, chain["invuller"])
    assert "Reden: Score VTJ-02 klopt niet met het overleg" in _page(client.get("/"))
    form = _page(client.get(f"/zelfevaluaties/{assessment.id}"))
    assert "Heropend:</strong> Score VTJ-02 klopt niet met het overleg" in form


def test_monitor_export_shows_amsterdam_time(client, chain):
    # 09:00 UTC on a winter day is 10:00 in Amsterdam.
    Assessment.update(updated_at=dt.datetime(2026, 11, 20, 9, 0)).where(
        Assessment.id == chain["assessment"].id
    ).execute()
    login(client, chain["coordinator"])
    url = f"/rondes/{chain['cycle'].id}/voortgang?regio={chain['region'].code}"
    rows = list(
        csv.reader(
            io.StringIO(client.get(url + "&formaat=csv").get_data(as_text=True).lstrip("\ufeff")),
            delimiter=";",
        )
    )
    jgz = next(r for r in rows if r[0] == "JGZ Test")
    assert jgz[5] == "20-11-2026 10:00"
    sheet = load_workbook(io.BytesIO(client.get(url + "&formaat=xlsx").data)).active
    cell = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "JGZ Test")[5]
    assert cell.value == dt.datetime(2026, 11, 20, 10, 0)


def test_history_shows_labels_not_codes(client, chain):
    first = chain["agreements"][0]
    assessment = Assessment.get_by_id(chain["assessment"].id)
    parsed = assessment_form.parse_form(
        {f"a{first.id}-score": "3", f"a{first.id}-evaluated": "2026-10-01"},
        chain["agreements"],
        TODAY,
    )
    assessment_saving.save_answers(chain["invuller"], assessment, 0, parsed)
    login(client, chain["invuller"])
    page = _page(client.get(f"/zelfevaluaties/{assessment.id}/geschiedenis"))
    assert "<td>Niet gestart</td>\n  <td>Concept</td>" in page
    assert "3 – Grotendeels" in page
    assert "1 oktober 2026" in page
    assert "niet_gestart" not in page
    assert "2026-10-01" not in page


def test_audit_log_reads_as_words(client, chain):
    target = chain["team_manager"]
    login(client, chain["admin"])
    client.post(
        f"/beheer/gebruikers/{target.id}/rollen",
        data={"role": "invuller", "organisation": str(chain["team"].id)},
    )
    client.post(
        f"/beheer/gebruikers/{target.id}",
        data={"email": target.email, "name": "Nieuwe Naam", "locale": "nl", "active": "1"},
    )
    assert AuditEvent.select().where(AuditEvent.action == "role_granted").count() == 1
    page = _page(client.get("/beheer/audit"))
    body = page.split("<tbody>")[1]
    assert "Rol toegekend" in body
    assert "Gebruiker Nieuwe Naam (team@example.nl)" in body
    assert "rol: Invuller" in body
    assert "naam: Wijkteam" in body or "naam:" in body
    for code in ("role_granted", "user_changed", "user 1", "{", "'"):
        assert code not in body, code
    # The filter offers the actions by their label too.
    assert '<option value="role_granted" >Rol toegekend</option>' in page


def test_batch_log_keeps_every_run_of_the_day(client, chain):
    with claimed_run("nightly", "2026-11-24") as run:
        run.beat(reminders_queued=3, closed_cycles=[])
    with claimed_run("nightly", "2026-11-24", force=True) as run:
        run.beat(reminders_queued=0, closed_cycles=["2026-Q3"])
    assert ReportRun.select().count() == 1
    earlier = ReportRunEarlier.get()
    assert (earlier.state, earlier.summary["reminders_queued"]) == ("gereed", 3)
    login(client, chain["admin"])
    page = _page(client.get("/beheer/batch"))
    body = page.split("<tbody>")[1]
    assert "Nachtelijke verwerking" in body
    assert "24 november 2026" in body
    assert "Herinneringen klaargezet: 3" in body  # the first run, still there
    assert "Rondes gesloten: 2026-Q3" in body
    assert "Eerdere poging" in body
    for code in ("reminders_queued", "closed_cycles", "nightly", "gereed"):
        assert code not in body, code


def test_import_help_lists_roles_and_offers_example_files(client, chain):
    login(client, chain["admin"])
    page = _page(client.get("/beheer/import"))
    assert "<code>regiocoordinator</code> – Regiocoördinator: vul ook regio in" in page
    response = client.get("/beheer/import/voorbeeld/users")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    first = workbook.worksheets[0]
    assert [c.value for c in first[1]][:3] == ["e-mail", "naam", "rol"]
    allowed = {row[0] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert allowed == {"beheerder", "regiocoordinator", "manager", "invuller", "gemeente"}
    assert client.get("/beheer/import/voorbeeld/iets").status_code == 404


def test_import_is_audited_under_the_uploaded_name(client, chain):
    login(client, chain["admin"])
    data = b"e-mail;naam;rol;organisatie\nx@example.nl;X;invuller;JGZ Test\n"
    checked = client.post(
        "/beheer/import",
        data={"kind": "users", "file": (io.BytesIO(data), "nieuwe collega's.csv")},
        content_type="multipart/form-data",
    )
    token = re.search(r'name="token" value="([0-9a-f]{32})"', checked.get_data(as_text=True))
    client.post(
        "/beheer/import",
        data={"kind": "users", "token": token.group(1), "filename": "nieuwe collega's.csv"},
    )
    event = AuditEvent.get(AuditEvent.action == "import")
    assert event.details["file"] == "nieuwe collega's.csv"


def test_copy_previous_stays_offered_with_a_word(client, app):
    earlier = journey.build(period="2026-Q3")
    earlier_assessment = Assessment.get_by_id(earlier["assessment"].id)
    parsed = assessment_form.parse_form(
        journey.complete_form(earlier["agreements"]), earlier["agreements"], TODAY
    )
    assessment_saving.save_answers(earlier["manager"], earlier_assessment, 0, parsed)
    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    agreements = assessment_agreements.applicable_agreements(assessment)
    first = agreements[0]
    assessment_saving.save_answers(
        earlier["invuller"],
        assessment,
        0,
        assessment_form.parse_form({f"a{first.id}-score": "1"}, agreements, TODAY),
    )
    login(client, earlier["invuller"])
    page = _page(client.get(f"/zelfevaluaties/{assessment.id}"))
    assert "Antwoorden van 2026-Q3 overnemen als startpunt" in page
    assert f"Alleen de {len(agreements) - 1} afspraken die nog niet beantwoord zijn" in page


def test_a_fourth_escalation_row_can_be_added(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    page = _page(
        client.post(
            f"/zelfevaluaties/{chain['assessment'].id}/signalen",
            data={
                "version": "0",
                "action": "add_row",
                "esc-rows": "3",
                "esc-0-agreement": str(first.id),
                "esc-0-times": "27",
            },
        )
    )
    assert 'id="esc-3-agreement"' in page
    assert 'id="esc-4-agreement"' not in page
    assert 'name="esc-0-times" value="27"' in page  # what was typed stays


def test_national_monitor_has_a_row_per_region(client, chain):
    other_region = factories.region()
    other = factories.organisation(other_region, "jgz", "JGZ Elders")
    factories.assessment(other, chain["cycle"])
    login(client, chain["admin"])
    page = _page(client.get(f"/rondes/{chain['cycle'].id}/voortgang"))
    assert "alle regio’s" in page
    for region in (chain["region"], other_region):
        link = f'href="/rondes/{chain["cycle"].id}/voortgang?regio={region.code}"'
        assert link in page
    regional = _page(client.get(f"/rondes/{chain['cycle'].id}/voortgang?regio={other_region.code}"))
    assert "JGZ Elders" in regional
    assert "JGZ Test" not in regional


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    response.close()  # a file response holds its file open until closed


def test_english_interface_translates_units_reports_and_history(client, chain):
    from web.formatting import eenheid

    user = User.get_by_id(chain["invuller"].id)
    user.locale = "en"
    user.save()
    first = chain["agreements"][0]
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assessment_saving.save_answers(
        chain["invuller"],
        assessment,
        0,
        assessment_form.parse_form({f"a{first.id}-score": "3"}, chain["agreements"], TODAY),
    )
    login(client, chain["invuller"])
    history = _page(client.get(f"/zelfevaluaties/{assessment.id}/geschiedenis"))
    assert "<td>Not started</td>\n  <td>Draft</td>" in history
    assert "3 – Mostly" in history
    with client.application.test_request_context():
        from flask_babel import force_locale

        with force_locale("en"):
            assert eenheid("punten") == "points"
            from flask_babel import gettext

            assert gettext("Managementrapportage organisatie (PDF)") == (
                "Management report organisation (PDF)"
            )
