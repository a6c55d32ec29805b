"""Small factory functions for test data."""

from __future__ import annotations

import datetime as dt
import itertools

from domain import framework as framework_domain
from domain.passwords import hash_password
from models import (
    Assessment,
    Cycle,
    Gemeente,
    Organisation,
    OrganisationGemeente,
    Region,
    RoleAssignment,
    User,
)

PASSWORD = "een-goed-wachtwoord"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


def region(code: str | None = None, name: str | None = None) -> Region:
    n = next(_counter)
    return Region.create(code=code or f"VX{n:02d}", name=name or f"Regio {n}")


def gemeente(region_: Region, name: str | None = None) -> Gemeente:
    n = next(_counter)
    return Gemeente.create(code=f"GM9{n:03d}", name=name or f"Gemeente {n}", region=region_)


def organisation(
    region_: Region,
    kind: str = "jgz",
    name: str | None = None,
    serves: list[Gemeente] = (),
    active: bool = True,
) -> Organisation:
    org = Organisation.create(
        name=name or f"Organisatie {next(_counter)}", kind=kind, region=region_, active=active
    )
    for g in serves:
        OrganisationGemeente.create(organisation=org, gemeente=g)
    return org


def user(*roles: tuple, email: str | None = None, password: str = PASSWORD) -> User:
    """roles: ("beheerder",), ("manager", org), ("regiocoordinator", region), ("gemeente", g)."""
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    u = User.create(
        email=email or f"persoon{next(_counter)}@example.nl",
        name="Test Persoon",
        password_hash=_hash_cache[password],
    )
    for role, *scope in roles:
        target = scope[0] if scope else None
        RoleAssignment.create(
            user=u,
            role=role,
            region=target if isinstance(target, Region) else None,
            organisation=target if isinstance(target, Organisation) else None,
            gemeente=target if isinstance(target, Gemeente) else None,
        )
    return u


def default_framework(path=None):
    """The default framework, published (`path`: another framework file)."""
    fw, _ = framework_domain.import_framework(
        framework_domain.load_file(path or framework_domain.DEFAULT_FRAMEWORK), publish=True
    )
    return fw


# The framework before praktijkvoorbeelden: what a schema older than
# migration 0017 can hold.
FRAMEWORK_V1 = framework_domain.DATA_DIR / "framework" / "landelijk-v1.yaml"


def cycle(fw, period: str = "2026-Q1", state: str = "open") -> Cycle:
    year, q = int(period[:4]), int(period[-1])
    opens = dt.date(year, 3 * (q - 1) + 1, 1)
    return Cycle.create(
        period=period,
        framework=fw,
        opens_on=opens,
        due_on=opens + dt.timedelta(days=45),
        closes_on=opens + dt.timedelta(days=75),
        state=state,
    )


def assessment(org: Organisation, cycle_: Cycle, state: str = "niet_gestart") -> Assessment:
    return Assessment.create(organisation=org, cycle=cycle_, state=state)


def holder(org: Organisation, role: str) -> User:
    """The first person holding `role` at the organisation (the demo's)."""
    return (
        RoleAssignment.select()
        .where(RoleAssignment.organisation == org, RoleAssignment.role == role)
        .first()
        .user
    )
