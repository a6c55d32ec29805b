"""Deterministic demo data at three scales.

small     Zuid-Limburg (VR24) with its 16 gemeenten, about 30 organisations, 8 cycles
regional  the five southern regions (VR20–VR24), about 400 organisations, 12 cycles
national  all 25 regions, about 2,000 organisations and 6,000 users, 20 cycles
          (five years of quarters): 1.5 to 2 million answers, as on average about
          40 of the framework's agreements apply to an organisation's kind

The same scale, seed and last period give the same data. Answers are drawn
from a small model so that the data looks like a real chain: organisations
differ in quality, agreements differ in difficulty, most organisations improve
over time, people rate themselves higher than their partners rate them, and
some assessments come in late or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from peewee import Field

from domain.framework import current_framework
from models import (
    Agreement,
    AgreementKind,
    Answer,
    Assessment,
    AssessmentChange,
    AuditEvent,
    Cycle,
    EscalationSignal,
    Gemeente,
    ImprovementAction,
    NotWorkingTogether,
    Organisation,
    OrganisationGemeente,
    OutboxMessage,
    PartnerRating,
    Region,
    ReportFile,
    ReportRun,
    RoleAssignment,
    ScopeResult,
    User,
    db,
    is_postgres,
)
from models.base import utcnow
from models.db import analyze

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-afspraken-2026"  # noqa: S105 - printed for the demo accounts on purpose
DEMO_DOMAIN = "demo.afsprakenmonitor.nl"


@dataclass(frozen=True)
class Scale:
    regions: tuple[str, ...] | None  # None: all
    cycles: int
    per_region: str  # "small" or "full": how many organisations a region gets


SCALES = {
    "small": Scale(("VR24",), 8, "small"),
    "regional": Scale(("VR20", "VR21", "VR22", "VR23", "VR24"), 12, "full"),
    "national": Scale(None, 20, "full"),
}

# How many organisations of each kind a region with g gemeenten gets.
KIND_COUNTS: dict[str, dict[str, Callable[[int], int]]] = {
    "small": {
        "jgz": lambda g: 2,
        "veilig_thuis": lambda g: 1,
        "wijkteam": lambda g: g // 2 + 2,
        "cjg": lambda g: 4,
        "ivh": lambda g: 1,
        "rvdk": lambda g: 1,
        "gi": lambda g: 2,
        "politie": lambda g: 1,
        "om": lambda g: 1,
        "onderwijs": lambda g: 2,
        "huisarts": lambda g: 3,
        "verloskunde": lambda g: 2,
        "forensisch": lambda g: 1,
    },
    # JGZ, CJG and wijkteams work in local teams, each of which self-assesses.
    "full": {
        "jgz": lambda g: g + g // 6,
        "veilig_thuis": lambda g: 1 + g // 8,
        "wijkteam": lambda g: g + g // 2,
        "cjg": lambda g: g // 2 + 1,
        "ivh": lambda g: 1,
        "rvdk": lambda g: 1,
        "gi": lambda g: 3,
        "politie": lambda g: 2,
        "om": lambda g: 1,
        "onderwijs": lambda g: 4 + g // 3,
        "huisarts": lambda g: g,
        "verloskunde": lambda g: g // 2 + 1,
        "forensisch": lambda g: 1,
    },
}

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
NA_REASONS = [
    "Deze afspraak past niet bij onze werkwijze in deze regio.",
    "Geen casuïstiek in deze periode.",
    "Wordt regionaal door een andere partner uitgevoerd.",
    "Nog niet aan de orde: de samenwerking start volgend jaar.",
]
EXPLANATIONS = {
    0: ["Hier is nog niets over afgesproken.", "Afspraak is bij ons onbekend."],
    1: [
        "Afspraak bestaat op papier, maar wordt nauwelijks gebruikt.",
        "Door personeelstekort is dit het afgelopen kwartaal blijven liggen.",
    ],
    2: [
        "Werkt bij een deel van de teams; niet iedereen kent de afspraak.",
        "Wisselend: afhankelijk van de betrokken medewerker.",
    ],
    3: [
        "Gaat meestal goed; enkele keren te laat teruggekoppeld.",
        "Vast onderdeel van het werkoverleg.",
    ],
    4: ["Volledig geborgd en jaarlijks geëvalueerd.", "Loopt goed, ook volgens de partner."],
}
ACTIONS = [
    "Afspraak opnieuw bespreken in het teamoverleg",
    "Contactpersonen en bereikbaarheid actualiseren",
    "Gezamenlijke casusbespreking met de partner plannen",
    "Werkinstructie aanpassen en delen met alle medewerkers",
    "Evaluatiemoment met de ketenpartners inplannen",
    "Scholing aandachtsfunctionarissen organiseren",
]
OWNERS = ["teamleider", "aandachtsfunctionaris", "beleidsmedewerker", "manager", "stafarts"]
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


def quarter_periods(last: str, count: int) -> list[str]:
    """The `count` quarter labels ending with `last` ('2026-Q4'), oldest first."""
    year, q = int(last[:4]), int(last[-1])
    index = year * 4 + (q - 1)
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def current_period(today: dt.date) -> str:
    """The quarter label of a date."""
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def cycle_dates(period: str) -> tuple[dt.date, dt.date, dt.date]:
    """Open on the first day of the quarter's second month, due on the 15th of its
    last month, closed on the 15th of the month after the quarter."""
    year, q = int(period[:4]), int(period[-1])
    first_month = 3 * (q - 1) + 1
    opens = dt.date(year, first_month + 1, 1)
    due = dt.date(year, first_month + 2, 15)
    closes = dt.date(year + (q == 4), 1 if q == 4 else first_month + 3, 15)
    return opens, due, closes


def slug(text: str) -> str:
    """ASCII slug for e-mail addresses."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".")


def _bulk_insert(model, fields: Sequence[Field], rows: Iterable[tuple], batch: int = 5000) -> int:
    """Insert plain tuples fast: executemany on SQLite, multi-row VALUES otherwise.
    Columns left out get their model default, evaluated once."""
    given = {f.name for f in fields}  # names: a Field's == builds SQL, not a bool
    extra = [
        f
        for f in model._meta.sorted_fields
        if f.name not in given and not f.primary_key and f.default is not None
    ]
    tail = tuple(f.db_value(f.default() if callable(f.default) else f.default) for f in extra)
    if extra:
        fields = [*fields, *extra]
        rows = (row + tail for row in rows)
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    table = model._meta.table_name
    count = 0
    if is_postgres():
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= 1000:
                model.insert_many(chunk, fields=list(fields)).execute()
                count += len(chunk)
                chunk = []
        if chunk:
            model.insert_many(chunk, fields=list(fields)).execute()
            count += len(chunk)
        return count
    placeholders = ", ".join("?" for _ in fields)
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})'  # noqa: S608
    cursor = db.cursor()
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            cursor.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


def _fix_sequences(models) -> None:
    """After inserting explicit ids on PostgreSQL, move each serial past them."""
    if not is_postgres():
        return
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


def _next_id(model) -> int:
    return (model.select(model.id).order_by(model.id.desc()).scalar() or 0) + 1


def has_demo_data() -> bool:
    """True when organisations exist already."""
    return Organisation.select().exists()


def clear_demo_data() -> None:
    """Remove organisations, users, cycles and everything hanging off them; the
    reference data, framework and indicator definitions stay."""
    with db.atomic():
        for model in (
            OutboxMessage,
            ReportFile,
            ReportRun,
            ScopeResult,
            AssessmentChange,
            EscalationSignal,
            ImprovementAction,
            NotWorkingTogether,
            PartnerRating,
            Answer,
            Assessment,
            Cycle,
            AuditEvent,
            RoleAssignment,
            User,
            OrganisationGemeente,
            Organisation,
        ):
            model.delete().execute()


def generate(
    scale: str = "small",
    seed: int = 1,
    last_period: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Build demo organisations, users, cycles, assessments and answers."""
    if scale not in SCALES:
        raise ValueError(f"onbekende schaal {scale!r}; kies uit {', '.join(SCALES)}")
    spec = SCALES[scale]
    today = today or dt.date.today()
    last_period = last_period or current_period(today)
    say = progress or (lambda message: None)
    framework = current_framework()
    if framework is None:
        raise RuntimeError("er is geen gepubliceerd afsprakenkader; laad eerst het standaardkader")
    rng = random.Random(seed)
    started = time.monotonic()
    with db.atomic():
        orgs = _organisations(rng, spec)
        say(f"{len(orgs)} organisaties")
        users = _users(rng, orgs, spec)
        say(f"{users} gebruikers")
        periods = quarter_periods(last_period, spec.cycles)
        cycles = _cycles(framework, periods, today)
        say(f"{len(cycles)} rondes")
        counts = _assessments(rng, framework, orgs, cycles, today, say)
    loaded = [
        Assessment,
        Answer,
        ImprovementAction,
        EscalationSignal,
        PartnerRating,
        AssessmentChange,
        Organisation,
        OrganisationGemeente,
        User,
        RoleAssignment,
    ]
    _fix_sequences(loaded)
    analyze(*loaded)
    counts.update(organisations=len(orgs), users=users, cycles=len(cycles))
    logger.info(
        "demo data %s (seed %s) in %.1fs: %s", scale, seed, time.monotonic() - started, counts
    )
    return counts


@dataclass
class _Org:
    id: int
    name: str
    kind: str
    region_code: str
    quality: float  # how well this organisation follows agreements
    trend: float  # improvement per cycle
    diligence: float  # chance to submit on time
    region_id: int = 0
    serves: frozenset[int] = frozenset()  # gemeente ids


def _organisations(rng: random.Random, spec: Scale) -> list[_Org]:
    regions = list(Region.select().order_by(Region.code))
    if spec.regions is not None:
        regions = [r for r in regions if r.code in spec.regions]
    gemeenten_by_region: dict[int, list[Gemeente]] = {}
    for g in Gemeente.select().order_by(Gemeente.code):
        gemeenten_by_region.setdefault(g.region_id, []).append(g)
    next_org = _next_id(Organisation)
    org_rows: list[tuple] = []
    served: list[tuple] = []
    out: list[_Org] = []
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
                org = _Org(
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
    _bulk_insert(
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
    _bulk_insert(
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


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _users(rng: random.Random, orgs: list[_Org], spec: Scale) -> int:
    """Demo accounts: one beheerder, a coordinator per region, a manager and one
    or two invullers per organisation, a gemeente user per gemeente."""
    from domain.passwords import hash_password  # argon2 once for every demo account

    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    next_user = _next_id(User)
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
    _bulk_insert(
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
    _bulk_insert(
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


def _cycles(framework, periods: list[str], today: dt.date) -> list[Cycle]:
    cycles = []
    for period in periods:
        opens, due, closes = cycle_dates(period)
        if closes < today:
            state = "gesloten"
        elif opens <= today:
            state = "open"
        else:
            state = "gepland"
        cycle, _ = Cycle.get_or_create(
            period=period,
            defaults={
                "framework": framework,
                "opens_on": opens,
                "due_on": due,
                "closes_on": closes,
                "state": state,
            },
        )
        if state != "gepland":
            stamp = dt.datetime.combine(opens, dt.time(6, 0))
            Cycle.update(
                opened_at=stamp,
                closed_at=dt.datetime.combine(closes, dt.time(3, 30))
                if state == "gesloten"
                else None,
            ).where(Cycle.id == cycle.id).execute()
        cycles.append(Cycle.get_by_id(cycle.id))
    return cycles


def _applicable(framework) -> dict[str, list[tuple[int, bool]]]:
    """Per organisation kind: (agreement id, bilateral) in framework order."""
    rows = (
        AgreementKind.select(AgreementKind.kind, Agreement.id, Agreement.bilateral)
        .join(Agreement)
        .where(Agreement.framework == framework, AgreementKind.side == "applies")
        .order_by(AgreementKind.kind, Agreement.position)
        .tuples()
    )
    out: dict[str, list[tuple[int, bool]]] = {}
    for kind, agreement_id, bilateral in rows:
        out.setdefault(kind, []).append((agreement_id, bilateral))
    return out


def _partner_kinds(framework) -> dict[int, frozenset[str]]:
    """Per bilateral agreement, its partner kinds."""
    out: dict[int, set[str]] = {}
    for agreement_id, kind in (
        AgreementKind.select(AgreementKind.agreement, AgreementKind.kind)
        .join(Agreement)
        .where(Agreement.framework == framework, AgreementKind.side == "partner")
        .tuples()
    ):
        out.setdefault(agreement_id, set()).add(kind)
    return {k: frozenset(v) for k, v in out.items()}


def _working_partners(rng: random.Random, orgs: list[_Org], partner_kinds) -> Callable:
    """Who an organisation works with on a bilateral agreement: up to three
    organisations of the partner kinds (not its own) that share a gemeente
    with it, or else in its region; the same ones every cycle."""
    by_kind: dict[tuple[int, str], list[_Org]] = {}
    for org in orgs:
        by_kind.setdefault((org.region_id, org.kind), []).append(org)
    chosen: dict[tuple[int, frozenset], list[_Org]] = {}

    def partners(org: _Org, agreement_id: int) -> list[_Org]:
        kinds = partner_kinds.get(agreement_id, frozenset()) - {org.kind}
        key = (org.id, kinds)
        if key not in chosen:
            nearby = [o for k in sorted(kinds) for o in by_kind.get((org.region_id, k), [])]
            sharing = [o for o in nearby if o.serves & org.serves]
            pool = sharing or nearby
            chosen[key] = rng.sample(pool, min(3, len(pool)))
        return chosen[key]

    return partners


def _assessments(
    rng: random.Random,
    framework,
    orgs: list[_Org],
    cycles: list[Cycle],
    today: dt.date,
    say: Callable[[str], None],
) -> dict[str, int]:
    applicable = _applicable(framework)
    difficulty = {a[0]: rng.gauss(0, 0.5) for items in applicable.values() for a in items}
    # Agreements that most organisations judge well but partners judge poorly.
    partner_bias = {
        a[0]: abs(rng.gauss(0.45, 0.35)) for items in applicable.values() for a in items if a[1]
    }
    partners_of = _working_partners(rng, orgs, _partner_kinds(framework))
    first_user = User.select(User.id).order_by(User.id).scalar()
    next_assessment = _next_id(Assessment)
    next_answer = _next_id(Answer)
    assessments: list[tuple] = []
    answers: list[tuple] = []
    actions: list[tuple] = []
    escalations: list[tuple] = []
    ratings: list[tuple] = []
    apart: list[tuple] = []  # partners not worked with on an agreement
    changes: list[tuple] = []
    totals = dict.fromkeys(
        ("assessments", "answers", "partner_ratings", "improvement_actions", "escalation_signals"),
        0,
    )
    assessment_fields = [
        Assessment.id,
        Assessment.organisation,
        Assessment.cycle,
        Assessment.state,
        Assessment.version,
        Assessment.started_at,
        Assessment.submitted_at,
        Assessment.first_submitted_at,
        Assessment.submitted_by,
        Assessment.reopened_at,
        Assessment.reopened_by,
        Assessment.reopen_reason,
        Assessment.updated_at,
    ]
    answer_fields = [
        Answer.id,
        Answer.assessment,
        Answer.agreement,
        Answer.score,
        Answer.not_applicable,
        Answer.not_applicable_reason,
        Answer.in_writing,
        Answer.last_evaluated_on,
        Answer.explanation,
        Answer.updated_at,
    ]
    rating_fields = [
        PartnerRating.answer,
        PartnerRating.assessment,
        PartnerRating.agreement,
        PartnerRating.partner,
        PartnerRating.score,
        PartnerRating.updated_at,
    ]
    apart_fields = [
        NotWorkingTogether.answer,
        NotWorkingTogether.assessment,
        NotWorkingTogether.agreement,
        NotWorkingTogether.partner,
        NotWorkingTogether.updated_at,
    ]
    action_fields = [
        ImprovementAction.answer,
        ImprovementAction.assessment,
        ImprovementAction.description,
        ImprovementAction.owner,
        ImprovementAction.due_on,
        ImprovementAction.status,
        ImprovementAction.completed_on,
        ImprovementAction.created_at,
        ImprovementAction.updated_at,
    ]
    escalation_fields = [
        EscalationSignal.assessment,
        EscalationSignal.agreement,
        EscalationSignal.times_not_followed,
        EscalationSignal.highest_step,
        EscalationSignal.resolved,
        EscalationSignal.updated_at,
    ]
    change_fields = [
        AssessmentChange.assessment,
        AssessmentChange.user,
        AssessmentChange.at,
        AssessmentChange.field,
        AssessmentChange.old_value,
        AssessmentChange.new_value,
    ]

    def flush(force: bool = False) -> None:
        nonlocal assessments, answers, ratings, actions, escalations, changes
        if not force and len(answers) < 200_000:
            return
        totals["assessments"] += _bulk_insert(Assessment, assessment_fields, assessments)
        totals["answers"] += _bulk_insert(Answer, answer_fields, answers)
        totals["partner_ratings"] += _bulk_insert(PartnerRating, rating_fields, ratings)
        _bulk_insert(NotWorkingTogether, apart_fields, apart)
        apart.clear()
        totals["improvement_actions"] += _bulk_insert(ImprovementAction, action_fields, actions)
        totals["escalation_signals"] += _bulk_insert(
            EscalationSignal, escalation_fields, escalations
        )
        _bulk_insert(AssessmentChange, change_fields, changes)
        assessments, answers, ratings, actions, escalations, changes = [], [], [], [], [], []
        say(f"{totals['answers']:,} antwoorden".replace(",", "."))

    for ci, cycle in enumerate(cycles):
        if cycle.state == "gepland":
            continue
        is_open = cycle.state == "open"
        for org in orgs:
            items = applicable.get(org.kind, [])
            roll = rng.random()
            if is_open:
                # The open cycle is under way: some done, many busy, some not started.
                state = "ingediend" if roll < 0.3 else "concept" if roll < 0.75 else "niet_gestart"
            else:
                on_time = org.diligence
                if roll < on_time:
                    state = "ingediend"
                elif roll < on_time + (1 - on_time) * 0.55:
                    state = "laat"
                elif roll < on_time + (1 - on_time) * 0.8:
                    state = "concept"
                else:
                    state = "niet_gestart"
            aid = next_assessment
            next_assessment += 1
            opened = dt.datetime.combine(cycle.opens_on, dt.time(8, 0))
            started = opened + dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 9))
            submitted = None
            if state == "ingediend":
                limit = max(1, (cycle.due_on - cycle.opens_on).days - 1)
                if is_open:
                    limit = max(1, min(limit, (today - cycle.opens_on).days))
                submitted = opened + dt.timedelta(
                    days=rng.randint(max(1, limit // 3), limit), hours=rng.randint(0, 8)
                )
            elif state == "laat":
                late_days = rng.randint(1, max(1, (cycle.closes_on - cycle.due_on).days - 1))
                submitted = dt.datetime.combine(cycle.due_on, dt.time(16, 0)) + dt.timedelta(
                    days=late_days
                )
                state = "ingediend"
            if is_open and started.date() > today:
                started = dt.datetime.combine(today, dt.time(8, 0))
            reopened = None
            if state == "ingediend" and rng.random() < 0.02:
                reopened = submitted - dt.timedelta(days=2)
            updated = submitted or started
            assessments.append(
                (
                    aid,
                    org.id,
                    cycle.id,
                    state,
                    0 if state == "niet_gestart" else rng.randint(1, 9),
                    None if state == "niet_gestart" else started,
                    submitted,
                    # A reopened one was first submitted a day before it was reopened.
                    reopened - dt.timedelta(days=1) if reopened else submitted,
                    first_user if submitted else None,
                    reopened,
                    first_user if reopened else None,
                    "Scores op de VT–JGZ-afspraken na overleg met de partner herzien."
                    if reopened
                    else None,
                    updated if state != "niet_gestart" else opened,
                )
            )
            if state == "niet_gestart":
                continue
            if submitted:
                changes.append((aid, first_user, submitted, "state", "concept", "ingediend"))
            share = 1.0 if state == "ingediend" else rng.uniform(0.3, 0.9)
            level_now = 2.15 + org.quality + org.trend * ci
            eval_bias = rng.random()
            for agreement_id, bilateral in items:
                if share < 1.0 and rng.random() > share:
                    continue
                answer_id = next_answer
                next_answer += 1
                if rng.random() < 0.03:
                    answers.append(
                        (
                            answer_id,
                            aid,
                            agreement_id,
                            None,
                            True,
                            rng.choice(NA_REASONS),
                            None,
                            None,
                            None,
                            updated,
                        )
                    )
                    continue
                latent = level_now - difficulty[agreement_id] + rng.gauss(0, 0.65)
                score = min(4, max(0, round(latent)))
                in_writing = rng.random() < 0.25 + 0.17 * score
                months_ago = int(abs(rng.gauss(6 - score + (1 - eval_bias) * 6, 5)))
                evaluated = None
                if rng.random() < 0.5 + 0.1 * score:
                    # Counted back from the due date, or from today while the
                    # cycle is still open: an evaluation never lies in the future.
                    evaluated = min(cycle.due_on, today) - dt.timedelta(
                        days=30 * months_ago + rng.randint(0, 29)
                    )
                    # Never in the future: the form refuses that (an open cycle).
                    evaluated = min(evaluated, today)
                explanation = rng.choice(EXPLANATIONS[score]) if rng.random() < 0.12 else None
                if bilateral:
                    # How each partner it works with follows the agreement, as
                    # this organisation sees it: the partner's own level, a
                    # little lower than the partner rates itself.
                    for partner in partners_of(org, agreement_id):
                        if rng.random() < 0.1:
                            # Not worked with on this agreement this time.
                            apart.append((answer_id, aid, agreement_id, partner.id, updated))
                            continue
                        seen = (
                            2.15
                            + partner.quality
                            + partner.trend * ci
                            - difficulty[agreement_id]
                            - partner_bias[agreement_id]
                            + rng.gauss(0, 0.6)
                        )
                        ratings.append(
                            (
                                answer_id,
                                aid,
                                agreement_id,
                                partner.id,
                                min(4, max(0, round(seen))),
                                updated,
                            )
                        )
                answers.append(
                    (
                        answer_id,
                        aid,
                        agreement_id,
                        score,
                        False,
                        None,
                        in_writing,
                        evaluated,
                        explanation,
                        updated,
                    )
                )
                if score <= 2 and rng.random() < 0.35:
                    due = cycle.due_on + dt.timedelta(days=rng.choice((30, 60, 90, 120)))
                    status_roll = rng.random()
                    completed = None
                    if due < today and status_roll < 0.65:
                        status = "gereed"
                        completed = due + dt.timedelta(days=rng.randint(-45, 30))
                    elif status_roll < 0.8:
                        status = "in_uitvoering"
                    elif status_roll < 0.95:
                        status = "open"
                    else:
                        status = "vervallen"
                    actions.append(
                        (
                            answer_id,
                            aid,
                            rng.choice(ACTIONS),
                            rng.choice(OWNERS),
                            due,
                            status,
                            completed,
                            updated,
                            updated,
                        )
                    )
            n_escalations = rng.choices((0, 1, 2, 3), weights=(55, 25, 14, 6))[0]
            picked = rng.sample(items, min(n_escalations, len(items)))
            for agreement_id, _bilateral in picked:
                step = rng.choices((1, 2, 3, 4), weights=(45, 35, 15, 5))[0]
                escalations.append(
                    (
                        aid,
                        agreement_id,
                        rng.randint(1, 6),
                        step,
                        rng.random() < 0.55 + 0.1 * org.quality,
                        updated,
                    )
                )
            flush()
    flush(force=True)
    return totals
