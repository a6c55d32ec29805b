"""The demo's organisations: per region so many of each kind (`demo.scales`),
named after the gemeenten they serve, each with its own quality, trend and
diligence for the answers to follow."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from demo.rows import bulk_insert, next_id
from demo.scales import KIND_COUNTS, Scale
from models import Gemeente, Organisation, OrganisationGemeente, Region
from models.base import utcnow

GI_NAMES = ["Jeugdbescherming", "William Schrikker Stichting", "Leger des Heils Jeugdbescherming"]
HUISARTS_NAMES = [
    "De Linde",
    "Het Kastanjehof",
    "De Bron",
    "Maasoever",
    "De Akker",
    "Centrum",
    "Zonnehof",
    "De Wilgen",
    "Op de Berg",
    "Het Plein",
    "De Brink",
    "Ter Hoeve",
    "Molenveld",
    "De Esch",
]
WIJK_SUFFIX = ["Noord", "Zuid", "Oost", "West", "Centrum"]


@dataclass
class Org:
    """An organisation as the generator sees it: its row plus the traits its
    answers are drawn from."""

    id: int
    name: str
    kind: str
    region_code: str
    quality: float  # how well this organisation follows agreements
    trend: float  # improvement per cycle
    diligence: float  # chance to submit on time
    region_id: int = 0
    serves: frozenset[int] = frozenset()  # gemeente ids


def add_organisations(rng: random.Random, spec: Scale) -> list[Org]:
    """Insert the organisations of the scale's regions and the gemeenten they
    serve; returns the active ones."""
    regions = list(Region.select().order_by(Region.code))
    if spec.regions is not None:
        regions = [r for r in regions if r.code in spec.regions]
    gemeenten_by_region: dict[int, list[Gemeente]] = {}
    for g in Gemeente.select().order_by(Gemeente.code):
        gemeenten_by_region.setdefault(g.region_id, []).append(g)
    next_org = next_id(Organisation)
    org_rows: list[tuple] = []
    served: list[tuple] = []
    out: list[Org] = []
    now = utcnow()
    for region in regions:
        gems = gemeenten_by_region.get(region.id, [])
        by_size = sorted(gems, key=lambda g: g.name)  # stable order
        region_effect = rng.gauss(0, 0.3)
        names_used: set[str] = set()
        for kind, count_of in KIND_COUNTS[spec.per_region].items():
            count = count_of(len(gems))
            for n in range(count):
                name, serves = _name_and_gemeenten(rng, kind, n, count, region, by_size)
                base = name
                k = 2
                while name in names_used:
                    name = f"{base} ({k})"
                    k += 1
                names_used.add(name)
                org = Org(
                    next_org,
                    name,
                    kind,
                    region.code,
                    quality=region_effect + rng.gauss(0, 0.55),
                    trend=rng.gauss(0.04, 0.04),
                    diligence=min(0.98, max(0.4, rng.gauss(0.82, 0.12))),
                    region_id=region.id,
                    serves=frozenset(g.id for g in serves),
                )
                # A few organisations have stopped taking part.
                active = rng.random() > 0.02
                org_rows.append((org.id, name, kind, region.id, active, now))
                served += [(org.id, g.id) for g in serves]
                if active:
                    out.append(org)
                next_org += 1
    bulk_insert(
        Organisation,
        [
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Organisation.region,
            Organisation.active,
            Organisation.created_at,
        ],
        org_rows,
    )
    bulk_insert(
        OrganisationGemeente,
        [OrganisationGemeente.organisation, OrganisationGemeente.gemeente],
        served,
    )
    return out


def _name_and_gemeenten(rng, kind: str, n: int, count: int, region: Region, gems: list[Gemeente]):
    rname = region.name
    if not gems:
        return f"{kind} {rname} {n + 1}", []
    if kind in ("jgz", "veilig_thuis"):
        label = "JGZ" if kind == "jgz" else "Veilig Thuis"
        if count == 1:
            return f"{label} {rname}", gems
        if count >= len(gems):
            g = gems[n % len(gems)]
            suffix = f" {WIJK_SUFFIX[(n // len(gems)) % 5]}" if n >= len(gems) else ""
            return f"{label}-team {g.name}{suffix}", [g]
        # Contiguous parts of the region, one team each.
        size = math.ceil(len(gems) / count)
        part = gems[n * size : (n + 1) * size] or gems[-1:]
        return f"{label} {rname}, team {WIJK_SUFFIX[n % 5]}", part
    if kind == "wijkteam":
        g = gems[n % len(gems)]
        prefix = ["Sociaal wijkteam", "Jeugdteam", "Buurtteam Jeugd en Gezin"][n % 3]
        suffix = f" {WIJK_SUFFIX[(n // len(gems)) % 5]}" if n >= len(gems) else ""
        return f"{prefix} {g.name}{suffix}", [g]
    if kind == "cjg":
        first = (n * 2) % len(gems)
        share = [gems[first]] + ([gems[(first + 1) % len(gems)]] if rng.random() < 0.5 else [])
        return f"CJG {share[0].name}", share
    if kind == "ivh":
        return f"Integrale Vroeghulp {rname}", gems
    if kind == "rvdk":
        return f"Raad voor de Kinderbescherming, locatie {rname}", gems
    if kind == "gi":
        return f"{GI_NAMES[n % len(GI_NAMES)]} {rname}", gems
    if kind == "politie":
        return f"Politie, district {rname}" + (f" {WIJK_SUFFIX[n]}" if n else ""), gems
    if kind == "om":
        return f"Openbaar Ministerie, parket {rname}", gems
    if kind == "onderwijs":
        size = min(len(gems), rng.randint(2, 6))
        start = rng.randrange(len(gems))
        share = [gems[(start + i) % len(gems)] for i in range(size)]
        level = ["PO", "VO"][n % 2]
        return f"Samenwerkingsverband {level} {rname} {n // 2 + 1}", share
    if kind == "huisarts":
        g = gems[rng.randrange(len(gems))]
        return f"Huisartsenpraktijk {HUISARTS_NAMES[n % len(HUISARTS_NAMES)]} {g.name}", [g]
    if kind == "verloskunde":
        g = gems[n % len(gems)]
        return f"Verloskundigenpraktijk {g.name}", [g]
    return f"Forensisch Medisch Team {rname}", gems
