"""A small chain for the assessment journey: one region, a JGZ with a manager
and an invuller, a wijkteam with a manager, a coordinator, a gemeente user and
a beheerder, the default framework and an open cycle."""

from __future__ import annotations

import datetime as dt

from domain import assessment_agreements, cycles
from models import Assessment, Cycle
from tests import factories

LINK = "https://monitor.example/zelfevaluaties/{}".format


def build(period: str = "2026-Q4", today: dt.date | None = None) -> dict:
    today = today or dt.date.today()
    chain = people()
    admin, fw, jgz = chain["admin"], chain["fw"], chain["jgz"]
    cycle = cycles.create_cycle(
        admin,
        period,
        fw,
        today - dt.timedelta(days=10),
        today + dt.timedelta(days=20),
        today + dt.timedelta(days=40),
    )
    cycles.open_cycle(admin, cycle, LINK)
    chain["cycle"] = cycle
    chain["assessment"] = Assessment.get(Assessment.organisation == jgz, Assessment.cycle == cycle)
    chain["agreements"] = assessment_agreements.applicable_agreements(chain["assessment"])
    return chain


def people() -> dict:
    """The organisations and people of the chain, before any cycle."""
    fw = factories.default_framework()
    region = factories.region()
    gemeente = factories.gemeente(region)
    jgz = factories.organisation(region, "jgz", "JGZ Test", serves=[gemeente])
    team = factories.organisation(region, "wijkteam", "Wijkteam Test", serves=[gemeente])
    admin = factories.user(("beheerder",), email="beheerder@example.nl")
    chain = {
        "fw": fw,
        "region": region,
        "gemeente_obj": gemeente,
        "jgz": jgz,
        "team": team,
        "admin": admin,
        "manager": factories.user(("manager", jgz), email="manager@example.nl"),
        "invuller": factories.user(("invuller", jgz), email="invuller@example.nl"),
        "team_manager": factories.user(("manager", team), email="team@example.nl"),
        "coordinator": factories.user(("regiocoordinator", region), email="coord@example.nl"),
        "gemeente": factories.user(("gemeente", gemeente), email="gemeente@example.nl"),
    }
    return chain


def next_cycle(chain: dict, period: str, today: dt.date) -> Assessment:
    """Close the chain's cycle, open the next one; the JGZ's new assessment."""
    cycles.close_cycle(chain["admin"], Cycle.get_by_id(chain["cycle"].id))
    later = cycles.create_cycle(
        chain["admin"],
        period,
        chain["fw"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=5),
        today + dt.timedelta(days=9),
    )
    cycles.open_cycle(chain["admin"], later, LINK)
    return Assessment.get(Assessment.organisation == chain["jgz"], Assessment.cycle == later)


def complete_form(agreements, score: int = 3, partner: int = 2) -> dict[str, str]:
    """A form answering every agreement, rating every partner organisation."""
    form = {}
    for a in agreements:
        form[f"a{a.id}-score"] = str(score)
        form[f"a{a.id}-writing"] = "ja"
        for organisation in getattr(a, "partners", []):
            form[f"a{a.id}-partner-{organisation.id}"] = str(partner)
    return form
