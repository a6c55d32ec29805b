"""The demo's accounts: a beheerder, a coordinator per region, a manager and
invullers per organisation, a user per gemeente, all with the one demo password."""

from __future__ import annotations

import random
import re
import unicodedata

from demo.organisations import Org
from demo.rows import bulk_insert, next_id
from demo.scales import Scale
from models import Gemeente, Region, RoleAssignment, User
from models.base import utcnow

DEMO_PASSWORD = "demo-afspraken-2026"  # noqa: S105 - printed for the demo accounts on purpose
DEMO_DOMAIN = "demo.afsprakenmonitor.nl"
FIRST_NAMES = [
    "Anna",
    "Bram",
    "Charlotte",
    "Daan",
    "Emma",
    "Fleur",
    "Guus",
    "Hanneke",
    "Ilse",
    "Joris",
    "Karin",
    "Lars",
    "Marieke",
    "Niels",
    "Olga",
    "Pieter",
    "Roos",
    "Sanne",
    "Tim",
    "Ursula",
    "Vera",
    "Willem",
    "Yara",
    "Zoë",
    "Ömer",
    "Fatima",
    "Mohammed",
    "Sophie",
    "Luuk",
    "Eva",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwers",
    "Dijkstra",
    "Janssen",
    "Willems",
    "Claessens",
    "Ramdin",
    "Yılmaz",
    "El Amrani",
    "van den Berg",
]


def slug(text: str) -> str:
    """ASCII slug for e-mail addresses."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def add_users(rng: random.Random, orgs: list[Org], spec: Scale) -> int:
    """Demo accounts: one beheerder, a coordinator per region, a manager and one
    or two invullers per organisation, a gemeente user per gemeente."""
    from domain.passwords import hash_password  # argon2 once for every demo account

    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    next_user = next_id(User)
    users: list[tuple] = []
    roles: list[tuple] = []
    emails: set[str] = set()

    def add(email: str, name: str, role: str, region=None, organisation=None, gemeente=None):
        nonlocal next_user
        base, k = email, 2
        while email in emails:
            email = base.replace("@", f".{k}@")
            k += 1
        emails.add(email)
        users.append((next_user, email, name, password_hash, True, "nl", 1, now))
        roles.append((next_user, role, region, organisation, gemeente, now))
        next_user += 1

    add(f"beheerder@{DEMO_DOMAIN}", "Demo Beheerder", "beheerder")
    regions = {r.code: r for r in Region.select()}
    region_codes = sorted({o.region_code for o in orgs})
    for code in region_codes:
        add(
            f"coordinator.{code.lower()}@{DEMO_DOMAIN}",
            _person(rng),
            "regiocoordinator",
            region=regions[code].id,
        )
    for org in orgs:
        handle = slug(org.name)
        add(f"manager.{handle}@{DEMO_DOMAIN}", _person(rng), "manager", organisation=org.id)
        for i in range(rng.choices((1, 2, 3), weights=(40, 40, 20))[0]):
            add(
                f"invuller{i + 1}.{handle}@{DEMO_DOMAIN}",
                _person(rng),
                "invuller",
                organisation=org.id,
            )
    region_ids = [regions[c].id for c in region_codes]
    for g in Gemeente.select().where(Gemeente.region.in_(region_ids)).order_by(Gemeente.code):
        add(f"gemeente.{slug(g.name)}@{DEMO_DOMAIN}", _person(rng), "gemeente", gemeente=g.id)
    bulk_insert(
        User,
        [
            User.id,
            User.email,
            User.name,
            User.password_hash,
            User.active,
            User.locale,
            User.session_version,
            User.created_at,
        ],
        users,
    )
    bulk_insert(
        RoleAssignment,
        [
            RoleAssignment.user,
            RoleAssignment.role,
            RoleAssignment.region,
            RoleAssignment.organisation,
            RoleAssignment.gemeente,
            RoleAssignment.created_at,
        ],
        roles,
    )
    return len(users)
