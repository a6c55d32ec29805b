"""The new-cycle form in Beheer follows the one error pattern: a summary at
the top whose links lead to the fields, the message at each field, the field
marked, and nothing typed lost."""

from __future__ import annotations

import html
import re

import pytest

from models import Cycle
from tests import factories, journey


@pytest.fixture
def chain(app):
    return journey.build()


def login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _form(chain, **changes) -> dict:
    data = {
        "period": "2027-Q1",
        "framework": str(chain["fw"].id),
        "opens_on": "2027-01-01",
        "due_on": "2027-02-15",
        "closes_on": "2027-03-15",
        "reminder_days": "14,7,1",
    }
    data.update(changes)
    return data


def _summary_links(body: str) -> list[tuple[str, str]]:
    summary = body.split('class="flash flash-error error-summary', 1)[1].split("</section>", 1)[0]
    return [
        (href, html.unescape(text))
        for href, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    ]


def _field(body: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|select)[^>]*\bid="{field_id}"[^>]*>', body)
    assert match, field_id
    return match.group(0)


def test_every_error_is_summarised_marked_and_shown_at_its_field(client, chain):
    login(client, chain["admin"])
    typed = _form(
        chain, period="volgend kwartaal", due_on="2026-12-01", closes_on="", reminder_days="veel"
    )
    response = client.post("/beheer/rondes", data=typed)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    links = _summary_links(body)
    assert [href for href, _text in links] == ["period", "due_on", "closes_on", "reminder_days"]
    assert links[0][1].startswith("Periode: Schrijf de periode als jaar, streepje")
    for field_id in ("period", "due_on", "closes_on", "reminder_days"):
        tag = _field(body, field_id)
        assert 'aria-invalid="true"' in tag, field_id
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
        assert f"{field_id}-error" in described
        assert (
            f'<span class="field-error utrecht-form-field-error-message" id="{field_id}-error">'
            in body
        )
    # The valid fields are not marked.
    assert "aria-invalid" not in _field(body, "opens_on")
    assert "aria-invalid" not in _field(body, "framework")
    # Nothing typed is lost.
    assert 'value="volgend kwartaal"' in body
    assert 'value="2027-01-01"' in body
    assert 'value="2026-12-01"' in body
    assert 'value="veel"' in body
    assert Cycle.select().where(Cycle.period == "2027-Q1").count() == 0


def test_the_old_codes_hint_is_replaced_by_plain_words(client, chain):
    login(client, chain["admin"])
    body = client.get("/beheer/rondes").get_data(as_text=True)
    assert "2026-M01 of 2026-J" not in body
    assert "Het jaar, een streepje en het kwartaal" in body
    assert 'aria-describedby="period-hint"' in body  # the hint is tied to its field
    assert "error-summary" not in body  # no errors before a post


def test_an_existing_period_is_reported_at_the_period_field(client, chain):
    login(client, chain["admin"])
    response = client.post("/beheer/rondes", data=_form(chain, period="2026-Q4"))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert _summary_links(body) == [
        ("period", "Periode: Er bestaat al een ronde voor deze periode.")
    ]
    assert 'aria-invalid="true"' in _field(body, "period")


def test_a_valid_form_creates_the_cycle(client, chain):
    login(client, chain["admin"])
    response = client.post("/beheer/rondes", data=_form(chain))
    assert response.status_code == 302
    cycle = Cycle.get(Cycle.period == "2027-Q1")
    assert response.headers["Location"].endswith(f"/beheer/rondes/{cycle.id}")
