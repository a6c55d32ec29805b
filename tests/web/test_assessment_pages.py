"""The assessment form, the conflict path, the monitor and its exports."""

import csv
import datetime as dt
import html
import io

import pytest
from openpyxl import load_workbook

from benchmarks.htmlform import form_fields
from domain.mail import deliver_outbox
from models import Answer, Assessment, OutboxMessage, PartnerRating
from tests import factories, journey

TODAY = dt.date.today()


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _url(chain, suffix=""):
    return f"/zelfevaluaties/{chain['assessment'].id}{suffix}"


def _theme(chain, agreement) -> int:
    """The number of the theme page that shows the agreement."""
    themes = []
    for a in chain["agreements"]:
        if not themes or themes[-1] != a.theme_id:
            themes.append(a.theme_id)
    return themes.index(agreement.theme_id) + 1


def _theme_url(chain, agreement) -> str:
    return _url(chain, f"/thema/{_theme(chain, agreement)}")


def test_the_form_opens_on_its_task_list(client, chain):
    login(client, chain["invuller"])
    page = html.unescape(client.get(_url(chain)).get_data(as_text=True))
    total = len(chain["agreements"])
    assert f"0 van {total} afspraken beantwoord" in page
    assert "Samenwerking Veilig Thuis en JGZ" in page
    assert "Niet begonnen" in page
    assert "Ga verder met: 1." in page
    assert "KET-06" not in page  # huisarts–wijkteam: not for a JGZ
    assert " dagen (" in page  # the due date, counted down
    # The invuller is told who submits, and can say the form is ready.
    assert "een manager van uw organisatie controleert en dient in" in page
    assert f'action="/zelfevaluaties/{chain["assessment"].id}/klaar-voor-controle"' in page
    assert "Controleren en indienen" not in page
    client.post("/uitloggen")
    login(client, chain["manager"])
    page = client.get(_url(chain)).get_data(as_text=True)
    assert f'href="/zelfevaluaties/{chain["assessment"].id}/controleren"' in page
    assert "klaar-voor-controle" not in page


def test_a_theme_page_shows_its_agreements_only(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    same = [a for a in chain["agreements"] if a.theme_id == first.theme_id]
    other = next(a for a in chain["agreements"] if a.theme_id != first.theme_id)
    page = client.get(_url(chain, "/thema/1")).get_data(as_text=True)
    assert all(f'id="a{a.id}"' in page for a in same)
    assert f'id="a{other.id}"' not in page
    assert 'data-autosave="/zelfevaluaties/' in page
    # "nog niet ingevuld" is no choice of its own: nothing checked is unanswered.
    assert f'name="a{first.id}-score" value=""' not in page
    assert f'name="a{first.id}-writing" value=""' not in page
    assert "Volgende thema" in page
    assert "Volgende onvolledige" in page
    assert "Vorige thema" not in page  # the first theme
    assert client.get(_url(chain, "/thema/2")).status_code == 200
    assert "Vorige thema" in client.get(_url(chain, "/thema/2")).get_data(as_text=True)
    assert client.get(_url(chain, "/thema/99")).status_code == 404
    assert client.get(_url(chain, "/thema/0")).status_code == 404


def test_theme_buttons_save_and_go_on_without_javascript(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    response = client.post(
        _url(chain, "/thema/1"), data={"version": "0", "go": "volgende", f"a{first.id}-score": "3"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(chain, "/thema/2"))
    assert Answer.get(Answer.agreement == first.id).score == 3
    response = client.post(_url(chain, "/thema/2"), data={"version": "1", "go": "vorige"})
    assert response.headers["Location"].endswith(_url(chain, "/thema/1"))
    # Theme 1 is not done (no 'schriftelijk' yet): the next incomplete one
    # after the last theme wraps round to it.
    themes = len({a.theme_id for a in chain["agreements"]})
    response = client.post(
        _url(chain, f"/thema/{themes}"), data={"version": "2", "go": "onvolledig"}
    )
    assert response.headers["Location"].endswith(_url(chain, "/thema/1"))
    response = client.post(_url(chain, f"/thema/{themes}"), data={"version": "3", "go": "volgende"})
    assert response.headers["Location"].endswith(_url(chain, "/signalen"))
    # The posts of other theme pages left theme 1's answer alone.
    assert Answer.get(Answer.agreement == first.id).score == 3
    response = client.post(
        _url(chain, "/thema/1"),
        data={"version": "4", "go": "overzicht", f"a{first.id}-score": "2"},
    )
    assert response.headers["Location"].endswith(_url(chain))
    assert Answer.get(Answer.agreement == first.id).score == 2


def test_form_names_each_partner_organisation_to_rate(client, chain):
    login(client, chain["invuller"])
    bilateral = next(a for a in chain["agreements"] if a.partners)
    key = f"a{bilateral.id}-partner-{chain['team'].id}"
    url = _theme_url(chain, bilateral)
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert f'<label for="{key}" class="utrecht-form-label">{chain["team"].name}' in page
    assert f'<select id="{key}" name="{key}"' in page
    assert '<option value="">nog geen oordeel</option>' in page
    assert '<option value="samen-niet" >werken niet samen op deze afspraak</option>' in page
    # The instruction says what the field offers and the check asks.
    assert "‘werken niet samen op deze afspraak’" in page
    response = client.post(url, data={"version": "0", f"a{bilateral.id}-score": "3", key: "2"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert '<option value="2" selected>' in page
    client.post(url, data={"version": "1", f"a{bilateral.id}-score": "3", key: "samen-niet"})
    page = client.get(url).get_data(as_text=True)
    assert '<option value="samen-niet" selected>' in page


def test_a_missing_partner_rating_has_its_message_at_the_field(client, chain):
    login(client, chain["invuller"])
    bilateral = next(a for a in chain["agreements"] if a.partners)
    url = _theme_url(chain, bilateral)
    client.post(url, data={"version": "0", f"a{bilateral.id}-score": "3"})
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert (
        '<p class="field-error utrecht-form-field-error-message" '
        f'id="a{bilateral.id}-partner-error">Kies bij minstens één '
        "partnerorganisatie een oordeel of ‘werken niet samen op deze afspraak’.</p>"
    ) in page
    assert f'id="a{bilateral.id}-partner" aria-describedby="a{bilateral.id}-partner-error"' in page
    assert f'id="a{bilateral.id}-writing-error"' in page  # 'schriftelijk' is missing too
    task_list = client.get(_url(chain)).get_data(as_text=True)
    assert "Fouten" in task_list


def test_a_rating_from_before_partners_were_named_stays_visible(client, chain):
    bilateral = next(a for a in chain["agreements"] if a.partners)
    answer = Answer.create(assessment=chain["assessment"], agreement=bilateral, score=3)
    PartnerRating.create(
        answer=answer, assessment=chain["assessment"], agreement=bilateral, partner=None, score=1
    )
    login(client, chain["invuller"])
    page = html.unescape(client.get(_theme_url(chain, bilateral)).get_data(as_text=True))
    assert "Eerder oordeel zonder genoemde partner: 1" in page


def test_bad_input_keeps_what_was_typed_and_saves_the_rest(client, chain):
    login(client, chain["invuller"])
    first, second, third = chain["agreements"][:3]
    assert first.theme_id == second.theme_id == third.theme_id
    long_text = "Lange toelichting " * 10_000
    response = client.post(
        _url(chain, "/thema/1"),
        data={
            "version": "0",
            f"a{first.id}-score": "nvt",
            f"a{second.id}-score": "2",
            f"a{second.id}-explanation": long_text,
            f"a{second.id}-evaluated": "2026-13-45",
            f"a{third.id}-score": "4",
        },
    )
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Verbeter deze velden" in page
    assert "Al het andere is opgeslagen." in page
    # The summary names the agreement and links to the field; the limit is given.
    assert f"{second.code}: Deze tekst is te lang: hoogstens 5.000 tekens." in page
    assert f'href="#a{second.id}-explanation"' in page
    assert "Vul een geldige datum in" in page
    assert f'id="a{second.id}-evaluated" name="a{second.id}-evaluated" value="2026-13-45"' in page
    assert 'aria-invalid="true"' in page
    assert long_text.strip() in page
    # Everything valid was stored: the n.v.t., the other scores.
    stored = {a.agreement_id: a for a in Answer.select()}
    assert stored[first.id].not_applicable
    assert (stored[second.id].score, stored[second.id].explanation) == (2, None)
    assert stored[third.id].score == 4
    # The n.v.t. without a reason is marked at its field.
    assert (
        '<p class="field-error utrecht-form-field-error-message" '
        f'id="a{first.id}-reason-error">Geef aan waarom'
    ) in page


def test_tampered_version_is_refused(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    response = client.post(_url(chain), data={"version": "abc", f"a{first.id}-score": "3"})
    assert response.status_code == 400
    assert Answer.select().count() == 0
    response = client.post(_url(chain), data={"version": "57", f"a{first.id}-score": "3"})
    assert response.status_code == 409
    assert Answer.select().count() == 0
    response = client.post(
        _url(chain, "/thema/1"), data={"version": "57", f"a{first.id}-score": "3"}
    )
    assert response.status_code == 409
    assert Answer.select().count() == 0


def test_two_people_never_silently_overwrite(app, chain):
    first = chain["agreements"][0]
    url = _url(chain, "/thema/1")
    manager = login(app.test_client(), chain["manager"])
    invuller = login(app.test_client(), chain["invuller"])
    manager.get(url)
    invuller.get(url)
    assert (
        manager.post(
            url,
            data={
                "version": "0",
                f"a{first.id}-score": "1",
                f"a{first.id}-explanation": "Van de manager",
            },
        ).status_code
        == 302
    )
    response = invuller.post(
        url,
        data={
            "version": "0",
            f"a{first.id}-score": "4",
            f"a{first.id}-explanation": "Van de invuller",
        },
    )
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "iemand anders heeft intussen opgeslagen" in page
    assert "Van de manager" in page  # what changed meanwhile
    assert "Van de invuller" in page  # and what this person typed, still there
    assert 'name="version" id="version" value="1"' in page
    assert Answer.get().explanation == "Van de manager"
    # Saving again from the conflict page is a conscious overwrite.
    assert (
        invuller.post(
            url,
            data={
                "version": "1",
                f"a{first.id}-score": "4",
                f"a{first.id}-explanation": "Van de invuller",
            },
        ).status_code
        == 302
    )
    assert Answer.get().explanation == "Van de invuller"


def test_a_submitted_assessment_is_read_as_a_summary_and_never_changed(client, chain):
    from domain import assessment_steps

    login(client, chain["manager"])
    form = journey.complete_form(chain["agreements"])
    form.update(version="0")
    assert client.post(_url(chain), data=form).status_code == 302
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assert assessment_steps.submit(chain["manager"], assessment) == []
    summary = _url(chain, "/overzicht")
    for path in ("", "/thema/1", "/signalen", "/bevestigen"):
        response = client.get(_url(chain, path))
        assert response.status_code == 302
        assert response.headers["Location"].endswith(summary)
    first = chain["agreements"][0]
    form[f"a{first.id}-score"] = "0"
    form["version"] = str(assessment.version)
    client.post(_url(chain), data=form)
    client.post(_url(chain, "/thema/1"), data=form)
    client.post(_url(chain, "/automatisch-opslaan"), data=form)
    assert Answer.get(Answer.agreement == first.id).score == 3


def test_autosave_saves_the_valid_fields_and_answers_per_field(client, chain):
    login(client, chain["invuller"])
    first, second = chain["agreements"][:2]
    autosave = _url(chain, "/automatisch-opslaan")
    response = client.post(autosave, data={"version": "0", f"a{first.id}-score": "2"})
    assert response.status_code == 200
    assert response.json["ok"] is True
    assert response.json["version"] == 1
    assert response.json["answered"] == 1
    assert response.json["errors"] == []
    # 'schriftelijk vastgelegd' is still missing: said at that field.
    assert [f["field"] for f in response.json["faults"]] == [f"a{first.id}-writing"]
    stale = client.post(autosave, data={"version": "0", f"a{first.id}-score": "3"})
    assert stale.status_code == 409
    assert stale.json["conflict"] is True
    # An invalid score beside a valid one: the valid one is stored.
    mixed = client.post(
        autosave,
        data={
            "version": "1",
            f"a{first.id}-score": "9",
            f"a{second.id}-score": "nvt",
            "agreements": f"{first.id},{second.id}",
        },
    )
    assert mixed.status_code == 200
    assert mixed.json["ok"] is True
    assert [(e["field"], e["where"]) for e in mixed.json["errors"]] == [
        (f"a{first.id}-score", first.code)
    ]
    assert "score van 0" in mixed.json["errors"][0]["message"]
    assert [n["field"] for n in mixed.json["notices"]] == [f"a{second.id}-reason"]
    assert "1 veld niet opgeslagen" in mixed.json["message"]
    assert Answer.get(Answer.agreement == first.id).score == 2
    assert Answer.get(Answer.agreement == second.id).not_applicable
    bad_version = client.post(autosave, data={"version": "x", f"a{first.id}-score": "3"})
    assert bad_version.status_code == 400
    assert bad_version.json["ok"] is False


def test_copied_answers_are_confirmed_per_theme_and_all_at_once(client, database):
    from domain import (
        assessment_agreements,
        assessment_completeness,
        assessment_form,
        assessment_saving,
    )

    earlier = journey.build(period="2026-Q3")
    assessment = Assessment.get_by_id(earlier["assessment"].id)
    parsed = assessment_form.parse_form(
        journey.complete_form(earlier["agreements"], score=4), earlier["agreements"], TODAY
    )
    assessment_saving.save_answers(earlier["invuller"], assessment, 0, parsed)
    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    base = f"/zelfevaluaties/{assessment.id}"
    login(client, earlier["invuller"])
    page = client.get(base).get_data(as_text=True)
    assert "Antwoorden van 2026-Q3 overnemen als startpunt" in page
    client.post(f"{base}/vorige-overnemen")
    total = len(assessment_agreements.applicable_agreements(assessment))
    page = html.unescape(client.get(base).get_data(as_text=True))
    assert (
        f"0 van {total} afspraken beantwoord · overgenomen en nog niet bevestigd: {total}" in page
    )
    assert "Alles in één keer bevestigen" in page
    # One theme: "alles in dit thema klopt nog".
    theme_page = html.unescape(client.get(f"{base}/thema/1").get_data(as_text=True))
    assert "Alles in dit thema klopt nog" in theme_page
    # The page posts its fields as shown, with the button.
    fields = form_fields(theme_page)
    fields["go"] = "bevestigen"
    response = client.post(f"{base}/thema/1", data=fields)
    assert response.status_code == 302
    states = assessment_completeness.theme_states(
        assessment_agreements.applicable_agreements(assessment),
        assessment_completeness.agreement_states(
            assessment, assessment_agreements.applicable_agreements(assessment)
        ),
    )
    assert (states[0].state, states[0].copied) == ("klaar", 0)
    # The rest in one step, after a list of what is confirmed.
    confirm = html.unescape(client.get(f"{base}/bevestigen").get_data(as_text=True))
    rest = total - states[0].total
    assert f"nog niet bevestigd: {rest}." in confirm
    assert "Ja, alles hierboven klopt nog" in confirm
    assert states[1].agreements[0].code in confirm
    assert states[0].agreements[0].code not in confirm
    client.post(f"{base}/bevestigen")
    assert Answer.select().where(Answer.assessment == assessment, Answer.copied).count() == 0
    page = html.unescape(client.get(base).get_data(as_text=True))
    assert f"{total} van {total} afspraken beantwoord" in page
    assert (
        assessment_completeness.missing_items(
            assessment, assessment_agreements.applicable_agreements(assessment)
        )
        == []
    )


def test_an_agreement_link_lands_on_its_theme_page(client, chain):
    login(client, chain["invuller"])
    last = chain["agreements"][-1]
    response = client.get(_url(chain, f"/afspraak/{last.id}"))
    assert response.headers["Location"].endswith(f"{_theme_url(chain, last)}#a{last.id}")
    assert client.get(_url(chain, "/afspraak/999999")).headers["Location"].endswith(_url(chain))


def test_other_organisations_and_gemeente_users_get_404(app, chain):
    for user in (chain["team_manager"], chain["gemeente"]):
        client = login(app.test_client(), user)
        for path in ("", "/geschiedenis", "/thema/1", "/signalen", "/bevestigen"):
            assert client.get(_url(chain, path)).status_code == 404
        assert client.post(_url(chain), data={"version": "0"}).status_code == 404
        assert client.post(_url(chain, "/thema/1"), data={"version": "0"}).status_code == 404


def test_history_and_reopen(client, chain):
    from domain import assessment_steps

    login(client, chain["manager"])
    form = journey.complete_form(chain["agreements"])
    form.update(version="0")
    client.post(_url(chain), data=form)
    assert (
        assessment_steps.submit(chain["manager"], Assessment.get_by_id(chain["assessment"].id))
        == []
    )
    client.post("/uitloggen")
    login(client, chain["coordinator"])
    client.post(_url(chain, "/overzicht/heropenen"), data={"reason": "Graag de VT-scores nakijken"})
    assert Assessment.get_by_id(chain["assessment"].id).state == "heropend"
    history = html.unescape(client.get(_url(chain, "/geschiedenis")).get_data(as_text=True))
    assert "Graag de VT-scores nakijken" in history
    assert "manager@example.nl" not in history  # names, not addresses
    assert "Test Persoon" in history
    client.post("/uitloggen")
    login(client, chain["invuller"])
    page = html.unescape(client.get(_url(chain)).get_data(as_text=True))
    assert "<strong>Heropend:</strong> Graag de VT-scores nakijken" in page


def test_monitor_export_and_reminder(client, chain):
    login(client, chain["coordinator"])
    cycle_id = chain["cycle"].id
    page = client.get(f"/rondes/{cycle_id}/voortgang").get_data(as_text=True)
    assert "JGZ Test" in page
    assert "Wijkteam Test" in page
    xlsx = client.get(f"/rondes/{cycle_id}/voortgang?formaat=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in ws[1]][:3] == ["Organisatie", "Soort", "Status"]
    assert sorted(ws.cell(row=r, column=1).value for r in (2, 3)) == ["JGZ Test", "Wijkteam Test"]
    text = client.get(f"/rondes/{cycle_id}/voortgang?formaat=csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Organisatie"
    assert len(rows) == 3
    before = OutboxMessage.select().count()
    client.post(f"/rondes/{cycle_id}/herinnering/{chain['assessment'].id}")
    assert OutboxMessage.select().count() == before + 2


def test_monitor_is_limited_to_own_regions(app, chain):
    other_region = factories.region()
    client = login(app.test_client(), chain["coordinator"])
    assert (
        client.get(f"/rondes/{chain['cycle'].id}/voortgang?regio={other_region.code}").status_code
        == 404
    )
    manager = login(app.test_client(), chain["manager"])
    assert manager.get(f"/rondes/{chain['cycle'].id}/voortgang").status_code == 403


def test_invitations_reach_the_right_people_over_smtp(chain, smtp):
    assert deliver_outbox(smtp.settings())["sent"] == 3
    received = {m["To"]: m for m in smtp.messages}
    assert set(received) == {"manager@example.nl", "invuller@example.nl", "team@example.nl"}
    jgz_link = f"/zelfevaluaties/{chain['assessment'].id}"
    assert jgz_link in received["manager@example.nl"].get_body(("plain",)).get_content()
    assert jgz_link not in received["team@example.nl"].get_body(("plain",)).get_content()
