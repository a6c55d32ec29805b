"""Status tells one story: opening a second cycle while one is open needs an
explicit confirmation, and dashboards order open cycles by due date."""

import datetime as dt
import html
import re

from domain import cycles as cycle_domain
from models import Cycle
from tests import factories, journey

TODAY = dt.date.today()


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_a_second_open_cycle_needs_a_confirmation_and_comes_after_by_due_date(client, app):
    chain = journey.build()  # 2026-Q4 open
    # A later cycle, opened beside the open one.
    newer = cycle_domain.create_cycle(
        chain["admin"],
        "2027-Q1",
        chain["fw"],
        TODAY - dt.timedelta(days=1),
        TODAY + dt.timedelta(days=300),
        TODAY + dt.timedelta(days=320),
    )
    _login(client, chain["admin"])
    page = html.unescape(client.get(f"/beheer/rondes/{newer.id}").text)
    assert "ronde 2026-Q4 is nog open" in page
    refused = html.unescape(
        client.post(f"/beheer/rondes/{newer.id}/openen", follow_redirects=True).text
    )
    assert "Er is nog een ronde open" in refused
    assert Cycle.get_by_id(newer.id).state == "gepland"
    client.post(f"/beheer/rondes/{newer.id}/openen", data={"second": "1"})
    assert Cycle.get_by_id(newer.id).state == "open"
    client.post("/uitloggen")
    # The invuller sees both, the one due first first (by due date, not period).
    Cycle.update(
        due_on=TODAY + dt.timedelta(days=400), closes_on=TODAY + dt.timedelta(days=410)
    ).where(Cycle.id == chain["cycle"].id).execute()
    _login(client, chain["invuller"])
    page = html.unescape(client.get("/").text)
    order = re.findall(r"Zelfevaluaties (\d{4}-Q\d)", page)
    assert order[:2] == ["2027-Q1", "2026-Q4"]
