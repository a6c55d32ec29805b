"""The demo's assessments and all they hold (answers, partner ratings,
improvement actions, escalation signals), drawn from a small model:
organisations differ in quality, agreements differ in difficulty, most
organisations improve over time, people rate themselves higher than their
partners rate them, and some assessments come in late or not at all."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from demo.organisations import Org
from demo.rows import bulk_insert, next_id
from models import (
    Agreement,
    AgreementKind,
    Answer,
    Assessment,
    AssessmentChange,
    Cycle,
    EscalationSignal,
    ImprovementAction,
    NotWorkingTogether,
    PartnerRating,
    User,
)

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


def _working_partners(rng: random.Random, orgs: list[Org], partner_kinds) -> Callable:
    """Who an organisation works with on a bilateral agreement: up to three
    organisations of the partner kinds (not its own) that share a gemeente
    with it, or else in its region; the same ones every cycle."""
    by_kind: dict[tuple[int, str], list[Org]] = {}
    for org in orgs:
        by_kind.setdefault((org.region_id, org.kind), []).append(org)
    chosen: dict[tuple[int, frozenset], list[Org]] = {}

    def partners(org: Org, agreement_id: int) -> list[Org]:
        kinds = partner_kinds.get(agreement_id, frozenset()) - {org.kind}
        key = (org.id, kinds)
        if key not in chosen:
            nearby = [o for k in sorted(kinds) for o in by_kind.get((org.region_id, k), [])]
            sharing = [o for o in nearby if o.serves & org.serves]
            pool = sharing or nearby
            chosen[key] = rng.sample(pool, min(3, len(pool)))
        return chosen[key]

    return partners


def add_assessments(
    rng: random.Random,
    framework,
    orgs: list[Org],
    cycles: list[Cycle],
    today: dt.date,
    say: Callable[[str], None],
) -> dict[str, int]:
    """Insert an assessment per organisation and open or closed cycle, with all
    it holds; returns the counts inserted."""
    applicable = _applicable(framework)
    difficulty = {a[0]: rng.gauss(0, 0.5) for items in applicable.values() for a in items}
    # Agreements that most organisations judge well but partners judge poorly.
    partner_bias = {
        a[0]: abs(rng.gauss(0.45, 0.35)) for items in applicable.values() for a in items if a[1]
    }
    partners_of = _working_partners(rng, orgs, _partner_kinds(framework))
    first_user = User.select(User.id).order_by(User.id).scalar()
    next_assessment = next_id(Assessment)
    next_answer = next_id(Answer)
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
        totals["assessments"] += bulk_insert(Assessment, assessment_fields, assessments)
        totals["answers"] += bulk_insert(Answer, answer_fields, answers)
        totals["partner_ratings"] += bulk_insert(PartnerRating, rating_fields, ratings)
        bulk_insert(NotWorkingTogether, apart_fields, apart)
        apart.clear()
        totals["improvement_actions"] += bulk_insert(ImprovementAction, action_fields, actions)
        totals["escalation_signals"] += bulk_insert(
            EscalationSignal, escalation_fields, escalations
        )
        bulk_insert(AssessmentChange, change_fields, changes)
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
