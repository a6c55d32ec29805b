"""Check your answers, submit, the confirmation, the summary, "klaar voor
controle", reopening from the summary; scope and CSRF on every new route."""

import datetime as dt
import html
import re

import pytest

from domain import assessment_form, assessment_saving, assessment_steps
from models import Assessment, Cycle, OutboxMessage
from tests import factories, journey

TODAY = dt.date.today()
MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _url(chain, suffix=""):
    return f"/zelfevaluaties/{chain['assessment'].id}{suffix}"


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(chain) -> Assessment:
    return Assessment.get_by_id(chain["assessment"].id)


def _complete(chain, user=None, leave_out=0):
    """Answer everything (but the first `leave_out` agreements' scores)."""
    form = journey.complete_form(chain["agreements"])
    for agreement in chain["agreements"][:leave_out]:
        del form[f"a{agreement.id}-score"]
    assessment = _fresh(chain)
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    assessment_saving.save_answers(user or chain["manager"], assessment, assessment.version, parsed)


def _theme_number(chain, agreement) -> int:
    themes = []
    for a in chain["agreements"]:
        if not themes or themes[-1] != a.theme_id:
            themes.append(a.theme_id)
    return themes.index(agreement.theme_id) + 1


def test_check_lists_every_answer_and_links_what_is_missing(client, chain):
    _complete(chain, leave_out=2)
    login(client, chain["manager"])
    page = _page(client.get(_url(chain, "/controleren")))
    assert "Controleer uw antwoorden" in page
    first, second = chain["agreements"][:2]
    # What is missing, each with a link to the field on its theme page.
    assert "Afspraken die nog niet compleet zijn: 2." in page
    for agreement in (first, second):
        number = _theme_number(chain, agreement)
        link = f"/zelfevaluaties/{chain['assessment'].id}/thema/{number}#a{agreement.id}"
        assert f'href="{link}"' in page
    # Every agreement is listed, answered ones with their score in words.
    for agreement in chain["agreements"]:
        assert agreement.code in page
    assert "Grotendeels (3)" in page
    # Not complete: no submit button yet.
    assert 'action="' + _url(chain, "/indienen") + '"' not in page
    assert "U kunt indienen zodra alles compleet is." in page


def test_manager_submits_through_the_check_to_the_confirmation(client, chain):
    _complete(chain)
    OutboxMessage.delete().execute()
    login(client, chain["manager"])
    page = _page(client.get(_url(chain, "/controleren")))
    assert f'action="{_url(chain, "/indienen")}"' in page
    assert "Nog niet compleet" not in page
    response = client.post(_url(chain, "/indienen"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(chain, "/ingediend"))
    assessment = _fresh(chain)
    assert assessment.state == "ingediend"
    assert assessment.submitted_by_id == chain["manager"].id
    page = _page(client.get(_url(chain, "/ingediend")))
    cycle = Cycle.get_by_id(chain["cycle"].id)
    assert "Zelfevaluatie ingediend" in page
    assert f"2026-Q4-{assessment.id:05d}" in page  # the reference
    assert chain["manager"].name in page
    assert "Wat gebeurt er nu?" in page
    months = (
        "januari februari maart april mei juni juli augustus september oktober november december"
    )
    month = months.split()[cycle.closes_on.month - 1]
    assert f"De ronde sluit op {cycle.closes_on.day} {month} {cycle.closes_on.year}" in page
    assert "managementrapportage (PDF)" in page
    # The confirmation mail to everyone of the organisation names who submitted.
    mails = list(OutboxMessage.select())
    assert sorted(m.to_address for m in mails) == sorted(
        [chain["manager"].email, chain["invuller"].email]
    )
    assert all(f"door {chain['manager'].name} op " in m.body_text for m in mails)
    # Submitted: the check page sends on to the summary, submitting again does nothing.
    response = client.get(_url(chain, "/controleren"))
    assert response.headers["Location"].endswith(_url(chain, "/overzicht"))
    assert client.post(_url(chain, "/indienen")).status_code == 302
    assert _fresh(chain).version == assessment.version


def test_summary_is_text_not_a_form(client, chain):
    _complete(chain)
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    login(client, chain["invuller"])
    page = _page(client.get(_url(chain, "/overzicht")))
    assert "Ingediende antwoorden" in page
    assert "Grotendeels (3)" in page
    assert "schriftelijk vastgelegd: ja" in page
    for control in ('<input type="radio"', "<select", "<textarea", "disabled"):
        assert control not in page
    main = page[page.index("<main") :]
    assert "<form" not in main  # nothing to change or reopen for an invuller
    assert 'media="print"' in page


def test_invuller_marks_ready_and_the_manager_is_mailed(client, chain):
    _complete(chain, user=chain["invuller"])
    OutboxMessage.delete().execute()
    login(client, chain["invuller"])
    page = _page(client.get(_url(chain, "/controleren")))
    assert "De manager van uw organisatie dient de zelfevaluatie in." in page
    assert f'action="{_url(chain, "/indienen")}"' not in page
    assert f'action="{_url(chain, "/klaar-voor-controle")}"' in page
    # Posting to submit anyway does not submit.
    client.post(_url(chain, "/indienen"))
    assert _fresh(chain).state != "ingediend"
    response = client.post(_url(chain, "/klaar-voor-controle"), follow_redirects=True)
    page = _page(response)
    assert "De managers krijgen hiervan een e-mail" in page
    assert "Klaar voor controle" in page
    assert f"Gemeld door {chain['invuller'].name}" in page
    mails = list(OutboxMessage.select())
    assert [m.to_address for m in mails] == [chain["manager"].email]
    assert mails[0].subject.endswith("is klaar voor controle")
    # The state shows where states show: the home page and the coordinator's monitor.
    home = _page(client.get("/"))
    assert "Klaar voor controle" in home
    assert "klaar voor controle (nog niet ingediend): 1" in home
    client.post("/uitloggen")
    login(client, chain["coordinator"])
    monitor = _page(client.get(f"/rondes/{chain['cycle'].id}/voortgang"))
    assert "Klaar voor controle" in monitor
    assert "klaar voor controle (nog niet ingediend): 1" in monitor


def test_coordinator_reopens_from_the_summary_with_a_reason(client, chain):
    _complete(chain)
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    OutboxMessage.delete().execute()
    login(client, chain["coordinator"])
    page = _page(client.get(_url(chain, "/overzicht")))
    assert f'action="{_url(chain, "/overzicht/heropenen")}"' in page
    response = client.post(_url(chain, "/overzicht/heropenen"), data={"reason": "  "})
    assert response.status_code == 400  # the summary again, the problem at the reason
    assert '<a href="#reason">' in _page(response)
    assert _fresh(chain).state == "ingediend"
    reason = "De toelichting bij VIS-02 ontbreekt."
    client.post(_url(chain, "/overzicht/heropenen"), data={"reason": reason})
    assert _fresh(chain).state == "heropend"
    mails = list(OutboxMessage.select())
    assert len(mails) == 2
    assert all(reason in m.body_text for m in mails)
    assert all("http://" in m.body_text or "https://" in m.body_text for m in mails)
    # The monitor's reopening mails too.
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    client.post(
        f"/rondes/{chain['cycle'].id}/heropenen/{chain['assessment'].id}",
        data={"reason": "Nog een keer"},
    )
    assert _fresh(chain).state == "heropend"
    assert OutboxMessage.select().count() == 4


@pytest.mark.parametrize("who", ["team_manager", "gemeente"])
def test_other_organisations_find_nothing(client, chain, who):
    login(client, chain[who])
    for suffix in ("/controleren", "/ingediend", "/overzicht"):
        assert client.get(_url(chain, suffix)).status_code == 404
    for suffix in ("/indienen", "/klaar-voor-controle"):
        assert client.post(_url(chain, suffix)).status_code == 404
    assert client.post(_url(chain, "/overzicht/heropenen"), data={"reason": "x"}).status_code in (
        403,
        404,
    )
    assert _fresh(chain).ready_at is None
    assert _fresh(chain).state != "ingediend"


def test_posts_need_the_csrf_token(app, chain):
    _complete(chain)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/inloggen",
        data={"email": chain["manager"].email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert client.post(_url(chain, "/indienen")).status_code == 400
    assert client.post(_url(chain, "/klaar-voor-controle")).status_code == 400
    assert _fresh(chain).state != "ingediend"
    page = client.get(_url(chain, "/controleren")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(_url(chain, "/indienen"), data={"csrf_token": token})
    assert response.status_code == 302
    assert _fresh(chain).state == "ingediend"


def test_check_names_copied_answers_per_theme_with_one_link_to_confirm_all(client, app):
    """Copied and not confirmed: per theme one line with the codes (each linked
    to its agreement), a link to confirm all; what else is missing is said per
    agreement."""
    earlier = journey.build(period="2026-Q3")
    parsed = assessment_form.parse_form(
        journey.complete_form(earlier["agreements"]), earlier["agreements"], TODAY
    )
    assessment_saving.save_answers(
        earlier["invuller"], _fresh(earlier), _fresh(earlier).version, parsed
    )
    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    assessment_steps.copy_previous(earlier["invuller"], assessment)
    base = f"/zelfevaluaties/{assessment.id}"
    login(client, earlier["manager"])
    page = _page(client.get(f"{base}/controleren"))
    missing = page[page.index('id="missing-title"') : page.index("</section>")]
    total = Assessment.get_by_id(assessment.id).answers.count()
    assert f"Overgenomen uit de vorige ronde en nog niet bevestigd: {total}." in missing
    assert f'href="{base}/bevestigen"' in missing
    themes = missing.count('class="missing-theme')
    assert themes > 1
    # One line per theme says it, not one per agreement.
    assert missing.count("overgenomen uit de vorige ronde en nog niet bevestigd:") == themes
    for agreement_id in (a.agreement_id for a in Assessment.get_by_id(assessment.id).answers):
        assert re.search(rf'href="{base}/thema/\d+#a{agreement_id}"', missing)
