"""Good practice beside the weakest agreements on the results pages and in
the PDFs, and the manager's page that decides whether the organisation may
be named elsewhere."""

from __future__ import annotations

import html

import pytest
from pypdf import PdfReader

from domain import practice
from models import Agreement, Answer, AuditEvent, PracticeSharing
from reports.data import CycleData, scope_report
from reports.pdf import write_pdf
from tests import factories

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def chain(app):
    """A JGZ in our region that does badly on AFS-04; JGZ organisations in
    another region that did well on it in both closed cycles, one of which
    agreed to be asked about it."""
    fw = factories.default_framework()
    ours, theirs = factories.region(name="Onze regio"), factories.region(name="Verre regio")
    gemeente = factories.gemeente(ours)
    cycles = [
        factories.cycle(fw, "2025-Q3", state="gesloten"),
        factories.cycle(fw, "2025-Q4", state="gesloten"),
    ]
    agreements = {
        a.code: a
        for a in Agreement.select().where(
            Agreement.framework == fw, Agreement.code.in_(["AFS-04", "VIS-01", "AFS-05"])
        )
    }
    own = factories.organisation(ours, "jgz", "Onze JGZ", serves=[gemeente])
    sharing = factories.organisation(theirs, "jgz", "JGZ Deelt Graag")
    silent = factories.organisation(theirs, "jgz", "JGZ Zegt Niets")
    scores = {
        own: {"AFS-04": 0, "VIS-01": 1, "AFS-05": 4},
        sharing: {"AFS-04": 4},
        silent: {"AFS-04": 4},
    }
    for cycle in cycles:
        for org, by_code in scores.items():
            assessment = factories.assessment(org, cycle, state="ingediend")
            for code, score in by_code.items():
                Answer.create(assessment=assessment, agreement=agreements[code], score=score)
    people = {
        "manager": factories.user(("manager", own)),
        "invuller": factories.user(("invuller", own)),
        "their_manager": factories.user(("manager", sharing)),
        "coordinator": factories.user(("regiocoordinator", ours)),
        "gemeente": factories.user(("gemeente", gemeente)),
        "beheerder": factories.user(("beheerder",)),
    }
    practice.save_sharing(
        people["their_manager"], sharing, enabled=True, contact="vragen@jgz-deelt.nl"
    )
    return {
        "cycle": cycles[-1],
        "own": own,
        "sharing": sharing,
        "silent": silent,
        "ours": ours,
        "gemeente": gemeente,
        "people": people,
    }


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def _practice_section(page: str) -> str:
    page = html.unescape(page)
    start = page.index('<section class="good-practice"')
    return page[start : page.index("</section>", start)]


def test_organisation_page_shows_good_practice_beside_weak_agreements(client, chain):
    _login(client, chain["people"]["manager"])
    response = client.get(f"/resultaten/organisatie/{chain['own'].id}?ronde=2025-Q4")
    assert response.status_code == 200
    section = _practice_section(response.get_data(as_text=True))
    assert "AFS-04 – Er zijn afspraken over gegevensuitwisseling en registratie" in section
    assert "Vastgelegde afspraken over kennisdeling en informatieoverdracht" in section
    assert "(Dordrecht)" in section
    assert "Bron: S003 – Thema 3" in section
    assert "Conferentie om de ketenpartners in kaart te brengen" in section  # VIS-01
    assert "Aanpak:</strong> Neem de voorwaarden en regels" in section
    # Wat werkt elders: the organisation that agreed, with its address; never the other.
    assert "JGZ Deelt Graag" in section
    assert 'href="mailto:vragen@jgz-deelt.nl">vragen@jgz-deelt.nl</a>' in section
    assert "JGZ Zegt Niets" not in response.get_data(as_text=True)


def test_withdrawn_consent_shows_at_once_on_a_page_kept_ready(client, chain):
    url = f"/resultaten/organisatie/{chain['own'].id}?ronde=2025-Q4"
    _login(client, chain["people"]["manager"])
    assert "JGZ Deelt Graag" in client.get(url).get_data(as_text=True)
    practice.save_sharing(
        chain["people"]["their_manager"],
        chain["sharing"],
        enabled=False,
        contact="vragen@jgz-deelt.nl",
    )
    page = client.get(url).get_data(as_text=True)
    assert "JGZ Deelt Graag" not in page
    assert "vragen@jgz-deelt.nl" not in page
    assert "Nog geen organisatie elders die hier goed op scoort" in html.unescape(page)


def test_region_page_names_organisations_elsewhere_gemeente_page_names_none(client, chain):
    _login(client, chain["people"]["coordinator"])
    page = client.get(f"/resultaten/regio/{chain['ours'].id}?ronde=2025-Q4").get_data(as_text=True)
    assert "JGZ Deelt Graag" in _practice_section(page)
    client.post("/uitloggen")
    _login(client, chain["people"]["gemeente"])
    page = client.get(f"/resultaten/gemeente/{chain['gemeente'].id}?ronde=2025-Q4").get_data(
        as_text=True
    )
    section = _practice_section(page)
    assert "Vastgelegde afspraken over kennisdeling" in section
    assert "Wat werkt elders" not in section
    assert "JGZ Deelt Graag" not in page


@pytest.mark.parametrize("scope_type", ["organisatie", "regio"])
def test_pdf_has_good_practice_beside_the_weakest_agreements(chain, tmp_path, scope_type):
    scope_id = chain["own"].id if scope_type == "organisatie" else chain["ours"].id
    data = CycleData.load(chain["cycle"])
    path = tmp_path / "rapport.pdf"
    write_pdf(scope_report(data, scope_type, scope_id), path)
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)
    assert "Wat helpt bij deze afspraken" in text
    assert "Vastgelegde afspraken over kennisdeling en informatieoverdracht" in text
    assert "Bron: S003" in text
    assert "Wat werkt elders" in text
    assert "JGZ Deelt Graag (Verre regio) – vragen@jgz-deelt.nl" in text
    assert "JGZ Zegt Niets" not in text


def test_batch_reads_good_practice_once_for_every_pdf(chain, tmp_path, monkeypatch):
    from reports import build
    from reports import practice as practice_reports

    loads = []
    real = practice_reports.GoodPractice.load

    def counted(*args, **kwargs):
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(practice_reports.GoodPractice, "load", counted)
    written = build.write_cycle_reports(chain["cycle"], tmp_path, processes=1)
    assert written.files["pdf_organisation"] == 3
    assert len(loads) == 1  # the whole cycle, before rendering
    assert practice_reports._PRELOADED == {}  # forgotten afterwards


def test_manager_sets_sharing_with_a_valid_address(client, chain):
    own = chain["own"]
    url = f"/organisaties/{own.id}/ervaringen-delen"
    _login(client, chain["people"]["manager"])
    home = client.get("/").get_data(as_text=True)
    assert url in home
    page = client.get(url).get_data(as_text=True)
    assert 'id="enabled-no" name="enabled" type="radio" value="0" checked' in page  # off by default
    response = client.post(url, data={"enabled": "1", "contact": "geen adres"})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert 'aria-invalid="true"' in page
    assert "Vul een geldig e-mailadres in" in page
    assert 'value="geen adres"' in page  # what was typed stays
    assert practice.sharing_of(own) is None
    response = client.post(url, data={"enabled": "1", "contact": "team@onze-jgz.nl"})
    assert response.status_code == 302
    setting = PracticeSharing.get(PracticeSharing.organisation == own)
    assert (setting.enabled, setting.contact) == (True, "team@onze-jgz.nl")
    assert AuditEvent.select().where(AuditEvent.action == "practice_sharing_saved").count() == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("beheerder", 200),
        ("invuller", 404),
        ("coordinator", 404),
        ("their_manager", 404),
    ],
)
def test_only_the_organisations_manager_and_the_beheerder_reach_the_setting(
    client, chain, who, status
):
    _login(client, chain["people"][who])
    url = f"/organisaties/{chain['own'].id}/ervaringen-delen"
    assert client.get(url).status_code == status
    response = client.post(url, data={"enabled": "1", "contact": "x@voorbeeld.nl"})
    assert response.status_code == (302 if status == 200 else 404)
    if status == 404:
        assert practice.sharing_of(chain["own"]) is None
