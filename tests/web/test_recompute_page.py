"""Beheer → Nu herberekenen: only the beheerder, a reason required, the
request audited and shown with its progress (the scheduler does the work)."""

import pytest

from models import AuditEvent, RecomputeRequest
from tests import factories


def _login(client, email):
    return client.post("/inloggen", data={"email": email, "password": factories.PASSWORD})


def test_a_beheerder_requests_a_recompute_with_a_reason(client, database):
    fw = factories.default_framework()
    cycle = factories.cycle(fw, "2026-Q1", state="gesloten")
    factories.user(("beheerder",), email="admin@example.nl")
    org = factories.organisation(factories.region())
    factories.user(("manager", org), email="manager@example.nl")
    _login(client, "manager@example.nl")
    assert client.get("/beheer/herberekenen").status_code == 403
    client.post("/uitloggen")
    _login(client, "admin@example.nl")
    page = client.get("/beheer/herberekenen").text
    assert "Er is nog geen herberekening aangevraagd." in page
    refused = client.post("/beheer/herberekenen", data={"ronde": cycle.id, "reden": ""})
    assert refused.status_code == 400
    assert "Geef een reden op" in refused.text
    assert not RecomputeRequest.select().exists()
    done = client.post(
        "/beheer/herberekenen", data={"ronde": cycle.id, "reden": "Norm gecorrigeerd"}
    )
    assert done.status_code == 302
    row = RecomputeRequest.get()
    assert (row.cycle_id, row.reason, row.state) == (cycle.id, "Norm gecorrigeerd", "gevraagd")
    event = AuditEvent.get(AuditEvent.action == "recompute_requested")
    assert event.actor == "admin@example.nl"
    page = client.get("/beheer/herberekenen").text
    assert "Norm gecorrigeerd" in page
    assert "Wacht op zijn beurt" in page
    status = client.get("/beheer/status").text
    assert "ronde 2026-Q1: wacht op zijn beurt" in status


@pytest.mark.parametrize("reason", ["Norm\x00 gecorrigeerd", "Norm\x07 gecorrigeerd",
                                    "Norm \u202egecorrigeerd", "x" * 501])  # fmt: skip
def test_the_reason_goes_through_the_one_text_check(client, database, reason):
    """Control characters that are no whitespace, and a reason past its limit,
    are refused at the field; nothing is requested (issue 26)."""
    fw = factories.default_framework()
    cycle = factories.cycle(fw, "2026-Q1", state="gesloten")
    factories.user(("beheerder",), email="admin@example.nl")
    _login(client, "admin@example.nl")
    refused = client.post("/beheer/herberekenen", data={"ronde": cycle.id, "reden": reason})
    assert refused.status_code == 400
    assert 'id="reden-error"' in refused.text
    assert not RecomputeRequest.select().exists()
