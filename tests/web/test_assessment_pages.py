"""The assessment form, the conflict path, the monitor and its exports."""

import csv
import html
import io

import pytest
from openpyxl import load_workbook

from domain.mail import deliver_outbox
from models import Answer, Assessment, OutboxMessage
from tests import factories, journey


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _url(chain, suffix=""):
    return f"/zelfevaluaties/{chain['assessment'].id}{suffix}"


def test_form_shows_applicable_agreements_by_theme(client, chain):
    login(client, chain["invuller"])
    page = client.get(_url(chain)).get_data(as_text=True)
    total = len(chain["agreements"])
    assert f"<span data-total>{total}</span>" in page
    assert "Samenwerking Veilig Thuis en JGZ" in page
    assert "VTJ-01" in page
    assert "KET-06" not in page  # huisarts–wijkteam: not for a JGZ
    assert "Hoe goed leven uw partnerorganisaties deze afspraak na?" in page
    assert 'data-autosave="/zelfevaluaties/' in page


def test_form_names_each_partner_organisation_to_rate(client, chain):
    login(client, chain["invuller"])
    bilateral = next(a for a in chain["agreements"] if a.partners)
    key = f"a{bilateral.id}-partner-{chain['team'].id}"
    page = html.unescape(client.get(_url(chain)).get_data(as_text=True))
    assert f'<label for="{key}">{chain["team"].name}' in page
    assert f'<select id="{key}" name="{key}"' in page
    response = client.post(
        _url(chain),
        data={"version": "0", "action": "save", f"a{bilateral.id}-score": "3", key: "2"},
    )
    assert response.status_code == 302
    page = client.get(_url(chain)).get_data(as_text=True)
    assert '<option value="2" selected>' in page


def test_a_rating_from_before_partners_were_named_stays_visible(client, chain):
    from models import Answer, PartnerRating

    bilateral = next(a for a in chain["agreements"] if a.partners)
    answer = Answer.create(assessment=chain["assessment"], agreement=bilateral, score=3)
    PartnerRating.create(
        answer=answer, assessment=chain["assessment"], agreement=bilateral, partner=None, score=1
    )
    login(client, chain["invuller"])
    page = html.unescape(client.get(_url(chain)).get_data(as_text=True))
    assert "Eerder oordeel zonder genoemde partner: 1" in page


def test_bad_input_keeps_what_was_typed(client, chain):
    login(client, chain["invuller"])
    first, second = chain["agreements"][:2]
    long_text = "Lange toelichting " * 10_000
    response = client.post(
        _url(chain),
        data={
            "version": "0",
            "action": "save",
            f"a{first.id}-score": "nvt",
            f"a{second.id}-explanation": long_text,
            f"a{second.id}-evaluated": "2026-13-45",
        },
    )
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Er is niets opgeslagen" in page
    assert "Geef aan waarom deze afspraak niet van toepassing is." in page
    assert "Deze tekst is te lang." in page
    assert "Vul een geldige datum in" in page
    assert f'href="#a{first.id}-reason"' in page
    assert "2026-13-45" in page
    assert long_text.strip() in page
    assert Answer.select().count() == 0


def test_tampered_version_is_refused(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    response = client.post(_url(chain), data={"version": "abc", f"a{first.id}-score": "3"})
    assert response.status_code == 400
    assert Answer.select().count() == 0
    response = client.post(_url(chain), data={"version": "57", f"a{first.id}-score": "3"})
    assert response.status_code == 409
    assert Answer.select().count() == 0


def test_two_people_never_silently_overwrite(app, chain):
    first = chain["agreements"][0]
    manager = login(app.test_client(), chain["manager"])
    invuller = login(app.test_client(), chain["invuller"])
    manager.get(_url(chain))
    invuller.get(_url(chain))
    assert (
        manager.post(
            _url(chain),
            data={
                "version": "0",
                f"a{first.id}-score": "1",
                f"a{first.id}-explanation": "Van de manager",
            },
        ).status_code
        == 302
    )
    response = invuller.post(
        _url(chain),
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
            _url(chain),
            data={
                "version": "1",
                f"a{first.id}-score": "4",
                f"a{first.id}-explanation": "Van de invuller",
            },
        ).status_code
        == 302
    )
    assert Answer.get().explanation == "Van de invuller"


def test_submit_shows_missing_items_with_links(client, chain):
    login(client, chain["manager"])
    first = chain["agreements"][0]
    response = client.post(
        _url(chain), data={"version": "0", "action": "submit", f"a{first.id}-score": "3"}
    )
    page = response.get_data(as_text=True)
    assert "Nog niet compleet" in page
    second = chain["agreements"][1]
    assert f'href="#a{second.id}"' in page
    assert Assessment.get_by_id(chain["assessment"].id).state == "concept"
    form = journey.complete_form(chain["agreements"])
    form.update(version="1", action="submit")
    response = client.post(_url(chain), data=form, follow_redirects=True)
    assert "De zelfevaluatie is ingediend" in response.get_data(as_text=True)
    assert Assessment.get_by_id(chain["assessment"].id).state == "ingediend"
    # Read-only now: a post changes nothing.
    form[f"a{first.id}-score"] = "0"
    form["version"] = "2"
    client.post(_url(chain), data=form)
    assert Answer.get(Answer.agreement == first.id).score == 3


def test_invuller_may_not_submit_by_default(client, chain):
    login(client, chain["invuller"])
    form = journey.complete_form(chain["agreements"])
    form.update(version="0", action="submit")
    page = client.post(_url(chain), data=form, follow_redirects=True).get_data(as_text=True)
    assert "Alleen een manager kan indienen" in page
    assert Assessment.get_by_id(chain["assessment"].id).state == "concept"


def test_autosave_answers_json(client, chain):
    login(client, chain["invuller"])
    first = chain["agreements"][0]
    response = client.post(
        _url(chain, "/automatisch-opslaan"), data={"version": "0", f"a{first.id}-score": "2"}
    )
    assert response.status_code == 200
    assert response.json["ok"] is True
    assert response.json["version"] == 1
    assert response.json["answered"] == 1
    stale = client.post(
        _url(chain, "/automatisch-opslaan"), data={"version": "0", f"a{first.id}-score": "3"}
    )
    assert stale.status_code == 409
    assert stale.json["conflict"] is True
    bad = client.post(
        _url(chain, "/automatisch-opslaan"), data={"version": "1", f"a{first.id}-score": "9"}
    )
    assert bad.status_code == 400
    assert f"a{first.id}-score" in bad.json["errors"]
    assert Answer.get().score == 2


def test_other_organisations_and_gemeente_users_get_404(app, chain):
    for user in (chain["team_manager"], chain["gemeente"]):
        client = login(app.test_client(), user)
        assert client.get(_url(chain)).status_code == 404
        assert client.get(_url(chain, "/geschiedenis")).status_code == 404
        assert client.post(_url(chain), data={"version": "0"}).status_code == 404


def test_history_and_reopen_pages(client, chain):
    login(client, chain["manager"])
    form = journey.complete_form(chain["agreements"])
    form.update(version="0", action="submit")
    client.post(_url(chain), data=form)
    client.post("/uitloggen")
    login(client, chain["coordinator"])
    page = client.get(_url(chain)).get_data(as_text=True)
    assert "Heropenen" in page
    client.post(_url(chain, "/heropenen"), data={"reason": "Graag de VT-scores nakijken"})
    assert Assessment.get_by_id(chain["assessment"].id).state == "heropend"
    history = html.unescape(client.get(_url(chain, "/geschiedenis")).get_data(as_text=True))
    assert "Graag de VT-scores nakijken" in history
    assert "manager@example.nl" not in history  # names, not addresses
    assert "Test Persoon" in history


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
