"""The progress monitor acts on the region: remind everyone who has not
submitted (after a confirmation with the numbers), the last reminder per
row, coloured status tags, filter by status and sort by any column."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from domain import cycles as cycles_domain
from models import Assessment, AuditEvent, OutboxMessage, Reminder
from tests import factories

pytestmark = pytest.mark.usefixtures("app")
LINK = lambda assessment_id: f"http://test/zelfevaluaties/{assessment_id}"  # noqa: E731


@pytest.fixture
def region_monitor(app):
    """One region with five organisations in every state (one without
    people), another region, and an open cycle."""
    fw = factories.default_framework()
    region = factories.region(name="Onze regio")
    elsewhere = factories.region(name="Andere regio")
    cycle = factories.cycle(fw, "2026-Q4", state="open")
    cycle.due_on = dt.date.today() + dt.timedelta(days=10)
    cycle.closes_on = dt.date.today() + dt.timedelta(days=40)
    cycle.save()
    orgs, assessments = {}, {}
    for name, state in (
        ("Bravo Wijkteam", "concept"),
        ("Alfa JGZ", "niet_gestart"),
        ("Charlie CJG", "heropend"),
        ("Delta VT", "ingediend"),
        ("Echo Zonder Mensen", "niet_gestart"),
    ):
        orgs[name] = factories.organisation(region, "jgz", name)
        assessments[name] = factories.assessment(orgs[name], cycle, state=state)
    Assessment.update(first_submitted_at=dt.datetime(2026, 10, 1, 12)).where(
        Assessment.id == assessments["Delta VT"].id
    ).execute()
    people = {
        "coordinator": factories.user(("regiocoordinator", region)),
        "other_coordinator": factories.user(("regiocoordinator", elsewhere)),
    }
    for name in ("Alfa JGZ", "Bravo Wijkteam", "Charlie CJG", "Delta VT"):
        people[f"manager {name}"] = factories.user(("manager", orgs[name]))
    # One person who fills in for two organisations: one person, two reminders.
    people["both"] = factories.user(
        ("invuller", orgs["Alfa JGZ"]), ("invuller", orgs["Bravo Wijkteam"])
    )
    other_org = factories.organisation(elsewhere, "jgz", "Foxtrot Elders")
    factories.assessment(other_org, cycle, state="concept")
    factories.user(("manager", other_org))
    return {
        "cycle": cycle,
        "region": region,
        "orgs": orgs,
        "assessments": assessments,
        "people": people,
    }


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def _monitor(client, world, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"regio": world["region"].code, **params}.items())
    response = client.get(f"/rondes/{world['cycle'].id}/voortgang?{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _names(page: str) -> list[str]:
    body = page[page.index('<table class="monitor') :]
    return re.findall(r'<th scope="row"><a [^>]*href="[^"]+">([^<]+)</a>', body)


def test_remind_all_confirms_the_numbers_then_sends(client, region_monitor):
    world = region_monitor
    _login(client, world["people"]["coordinator"])
    page = _monitor(client, world)
    assert "Herinner iedereen die nog niet heeft ingediend" in page
    url = f"/rondes/{world['cycle'].id}/herinner-iedereen?regio={world['region'].code}"
    before = OutboxMessage.select().count()
    confirm = html.unescape(client.get(url).get_data(as_text=True))
    # Alfa (manager + both), Bravo (manager + both), Charlie (manager): 4
    # people of 3 organisations; Echo has nobody to mail; Delta submitted.
    assert "U stuurt nu een herinnering aan 4 personen van 3 organisaties." in confirm
    assert (
        "Zonder manager of invuller met een actief account (geen herinnering mogelijk): 1"
        in confirm
    )
    assert "Nog niet ingediend: 4" in confirm
    assert f'action="/rondes/{world["cycle"].id}/herinner-iedereen?regio=' in confirm
    assert OutboxMessage.select().count() == before  # looking sends nothing

    response = client.post(url)
    assert response.status_code == 302
    assert f"regio={world['region'].code}" in response.headers["Location"]
    sent = list(OutboxMessage.select().order_by(OutboxMessage.id).offset(before))
    assert len(sent) == 5  # one per organisation and person
    assert {m.to_address for m in sent} == {
        world["people"][p].email
        for p in ("manager Alfa JGZ", "manager Bravo Wijkteam", "manager Charlie CJG", "both")
    }
    assert all("herinnering" in m.subject.lower() for m in sent)
    reminded = {r.assessment_id for r in Reminder.select()}
    assert reminded == {
        world["assessments"][n].id for n in ("Alfa JGZ", "Bravo Wijkteam", "Charlie CJG")
    }
    event = AuditEvent.get(AuditEvent.action == "reminders_sent")
    assert event.details == {"organisations": 3, "people": 4, "messages": 5}
    flash = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Herinnering verstuurd naar 4 personen van 3 organisaties." in flash

    # The same day again: nobody left, nothing sent.
    again = html.unescape(client.get(url).get_data(as_text=True))
    assert "Er is niemand om vandaag aan te herinneren." in again
    assert "Kregen vandaag al een herinnering (en krijgen er geen tweede): 3" in again
    client.post(url)
    assert OutboxMessage.select().count() == before + 5


def test_each_row_says_when_the_last_reminder_went_out(client, region_monitor):
    world = region_monitor
    coordinator = world["people"]["coordinator"]
    alfa = world["assessments"]["Alfa JGZ"]
    assert cycles_domain.remind_now(coordinator, alfa, LINK) == 2
    Reminder.update(at=dt.datetime(2026, 11, 20, 9, 0)).execute()  # 10:00 in Amsterdam
    # The schedule's reminders are recorded too, without a person.
    days_left = (world["cycle"].due_on - dt.date.today()).days
    world["cycle"].reminder_days = str(days_left)
    world["cycle"].save()
    # Five people in our region, Foxtrot's manager in the other.
    assert cycles_domain.send_reminders(dt.date.today(), LINK) == 6
    scheduled = Reminder.select().where(Reminder.user.is_null()).count()
    assert scheduled == 4
    Reminder.update(at=dt.datetime(2026, 11, 21, 9, 0)).where(Reminder.user.is_null()).execute()
    _login(client, coordinator)
    page = _monitor(client, world)
    rows = page[page.index('<table class="monitor') :]
    alfa_row = rows[rows.index("Alfa JGZ") : rows.index("</tr>", rows.index("Alfa JGZ"))]
    assert '<td data-label="Laatste herinnering">21 november 2026 10:00</td>' in alfa_row
    delta_row = rows[rows.index("Delta VT") : rows.index("</tr>", rows.index("Delta VT"))]
    assert '<td data-label="Laatste herinnering">nog geen</td>' in delta_row
    from io import BytesIO

    from openpyxl import load_workbook

    url = f"/rondes/{world['cycle'].id}/voortgang?regio={world['region'].code}&formaat=xlsx"
    sheet = load_workbook(BytesIO(client.get(url).data)).active
    assert sheet.cell(row=1, column=9).value == "Laatste herinnering"
    alfa_cells = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Alfa JGZ")
    assert alfa_cells[8].value == dt.datetime(2026, 11, 21, 10, 0)


def test_status_tags_filter_and_sort(client, region_monitor):
    world = region_monitor
    _login(client, world["people"]["coordinator"])
    page = _monitor(client, world)
    # The five states are status badges, each in its own colour; "concept" reads "Bezig".
    assert (
        '<span class="status-tag status-concept utrecht-status-badge '
        'utrecht-status-badge--neutral">Bezig</span>' in page
    )
    assert (
        '<span class="status-tag status-ingediend utrecht-status-badge '
        'utrecht-status-badge--success">Ingediend</span>' in page
    )
    assert _names(page) == [
        "Alfa JGZ",
        "Bravo Wijkteam",
        "Charlie CJG",
        "Delta VT",
        "Echo Zonder Mensen",
    ]
    assert "Foxtrot Elders" not in page
    assert "Alle (5)" in page
    assert "Nog niet ingediend (4)" in page
    # Filter by a state, and everyone who has not submitted.
    assert _names(_monitor(client, world, status="ingediend")) == ["Delta VT"]
    assert _names(_monitor(client, world, status="niet_gestart")) == [
        "Alfa JGZ",
        "Echo Zonder Mensen",
    ]
    assert "Delta VT" not in _names(_monitor(client, world, status="niet_ingediend"))
    # Sort by status, descending: ingediend, heropend, concept, niet gestart.
    page = _monitor(client, world, sorteer="status", volgorde="af")
    assert _names(page) == [
        "Delta VT",
        "Charlie CJG",
        "Bravo Wijkteam",
        "Alfa JGZ",
        "Echo Zonder Mensen",
    ]
    assert 'aria-sort="descending"' in page
    # The header links keep the filter and offer the other direction.
    page = _monitor(client, world, status="niet_ingediend", sorteer="organisatie")
    assert "status=niet_ingediend&sorteer=organisatie&volgorde=af" in page
    assert _names(_monitor(client, world, sorteer="organisatie", volgorde="af"))[0] == (
        "Echo Zonder Mensen"
    )
    # Sort by the last reminder: those never reminded last, either way.
    cycles_domain.remind_now(
        world["people"]["coordinator"], world["assessments"]["Charlie CJG"], LINK
    )
    assert _names(_monitor(client, world, sorteer="herinnerd"))[0] == "Charlie CJG"
    assert _names(_monitor(client, world, sorteer="herinnerd", volgorde="af"))[0] == "Charlie CJG"
    # Unknown parameters fall back to everything by name.
    assert len(_names(_monitor(client, world, status="x", sorteer="'; drop"))) == 5


def test_remind_all_stays_in_the_coordinators_region(client, region_monitor):
    world = region_monitor
    _login(client, world["people"]["other_coordinator"])
    url = f"/rondes/{world['cycle'].id}/herinner-iedereen?regio={world['region'].code}"
    before = OutboxMessage.select().count()
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert OutboxMessage.select().count() == before
    # Their own region only: Foxtrot's one manager.
    own = f"/rondes/{world['cycle'].id}/herinner-iedereen"
    confirm = html.unescape(client.get(own).get_data(as_text=True))
    assert "U stuurt nu een herinnering aan 1 personen van 1 organisaties." in confirm
    client.post(own)
    assert OutboxMessage.select().count() == before + 1


def test_no_reminders_once_the_cycle_is_closed(client, region_monitor):
    world = region_monitor
    world["cycle"].state = "gesloten"
    world["cycle"].save()
    _login(client, world["people"]["coordinator"])
    assert "Herinner iedereen" not in _monitor(client, world)
    before = OutboxMessage.select().count()
    url = f"/rondes/{world['cycle'].id}/herinner-iedereen?regio={world['region'].code}"
    assert client.post(url).status_code == 302
    assert OutboxMessage.select().count() == before
