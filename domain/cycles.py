"""Cycles (rondes): creating, opening, closing, and the mails that go with
them — invitations when a cycle opens, reminders before the due date, a
confirmation on submit. Every transition is audited."""

from __future__ import annotations

import datetime as dt
import logging
import re

from peewee import IntegrityError, ModelSelect, fn

from domain import norms, rules
from domain.assessment_access import organisation_people
from domain.assessment_agreements import applicable_agreements
from domain.assessment_completeness import progress
from domain.audit import record
from domain.inputs import parse_int
from domain.mail import queue_template
from models import (
    Agreement,
    AgreementKind,
    Answer,
    Assessment,
    Cycle,
    FrameworkVersion,
    Organisation,
    OutboxMessage,
    Region,
    Reminder,
    User,
    db,
    utcnow,
)
from models.choices import N_
from models.compiled import CompiledQuery

logger = logging.getLogger(__name__)

PERIOD_RE = re.compile(r"^[0-9]{4}-(Q[1-4]|H[12]|M(0[1-9]|1[0-2])|J)$")
PERIOD_MESSAGE = N_(
    "Schrijf de periode als jaar, streepje en deel van het jaar. Een kwartaal: "
    "2027-Q1 (eerste kwartaal). Een half jaar: 2027-H1. Een maand: 2027-M01 "
    "(januari). Een heel jaar: 2027-J."
)


class CycleError(ValueError):
    """A cycle change that cannot be made, with a Dutch message."""


def parse_reminder_days(text: str) -> list[int]:
    """'14, 7, 1' → [14, 7, 1]; days before the due date."""
    days = []
    for part in re.split(r"[,\s;]+", text.strip()):
        if not part:
            continue
        day = parse_int(part, 0, 90)
        if day is None:
            raise CycleError(N_("Herinneringsdagen zijn hele getallen van 0 tot en met 90."))
        days.append(day)
    return sorted(set(days), reverse=True)


def create_cycle(
    actor: User,
    period: str,
    framework: FrameworkVersion | None,
    opens_on: dt.date,
    due_on: dt.date,
    closes_on: dt.date,
    reminder_days: str = "14,7,1",
) -> Cycle:
    """A planned cycle; nothing happens until it is opened."""
    period = period.strip().upper()
    if not PERIOD_RE.match(period):
        raise CycleError(PERIOD_MESSAGE)
    if framework is None or framework.state != "gepubliceerd":
        raise CycleError(N_("Kies een gepubliceerde versie van het afsprakenkader."))
    if not opens_on <= due_on <= closes_on:
        raise CycleError(N_("De data moeten op volgorde liggen: open, uiterste datum, sluiting."))
    days = parse_reminder_days(reminder_days)
    try:
        with db.atomic():
            cycle = Cycle.create(
                period=period,
                framework=framework,
                opens_on=opens_on,
                due_on=due_on,
                closes_on=closes_on,
                reminder_days=",".join(str(d) for d in days),
            )
    except IntegrityError as exc:
        raise CycleError(N_("Er bestaat al een ronde voor deze periode.")) from exc
    record("cycle_created", user=actor, object_type="cycle", object_id=cycle.id, period=period)
    return cycle


def _organisations_to_open(cycle: Cycle):
    """Active organisations the framework covers that have no assessment yet."""
    covered = (
        AgreementKind.select(AgreementKind.kind)
        .join(Agreement)
        .where(Agreement.framework == cycle.framework_id, AgreementKind.side == "applies")
    )
    return (
        Organisation.select(Organisation.id)
        .where(Organisation.active == True, Organisation.kind.in_(covered))  # noqa: E712
        .where(
            ~fn.EXISTS(
                Assessment.select().where(
                    Assessment.organisation == Organisation.id, Assessment.cycle == cycle
                )
            )
        )
    )


def invitation_preview(cycle: Cycle) -> tuple[int, int]:
    """(organisations, people) that opening the cycle now would invite."""
    org_ids = [org_id for (org_id,) in _organisations_to_open(cycle).tuples()]
    people = organisation_people(org_ids)
    return len(org_ids), len({u.id for users in people.values() for u in users})


def opens_early(cycle: Cycle, today: dt.date) -> bool:
    """Opening now would come before the cycle's own open date."""
    return cycle.state == "gepland" and today < cycle.opens_on


def others_open(cycle: Cycle) -> list[Cycle]:
    """The other cycles open now, by due date."""
    return list(
        Cycle.select()
        .where(Cycle.state == "open", Cycle.id != cycle.id)
        .order_by(Cycle.due_on, Cycle.period)
    )


def opening_problems(
    cycle: Cycle, today: dt.date, early_confirmed: bool, second_confirmed: bool = False
) -> dict[str, str]:
    """The confirmations opening the cycle still needs, by what each confirms:
    "early" (before the open date), "second" (while another cycle is open)."""
    problems = {}
    if opens_early(cycle, today) and not early_confirmed:
        problems["early"] = N_(
            "Deze ronde opent volgens plan pas later. Bevestig dat u haar nu al wilt openen."
        )
    if cycle.state == "gepland" and others_open(cycle) and not second_confirmed:
        problems["second"] = N_(
            "Er is nog een ronde open. Bevestig dat u deze ronde ernaast wilt openen, "
            "of sluit eerst de open ronde."
        )
    return problems


def open_cycle(actor: User | None, cycle: Cycle, link_for, now: dt.datetime | None = None) -> int:
    """Open the cycle: an assessment for every active organisation whose kind
    the framework covers, and an invitation to its managers and invullers.
    Returns how many assessments were created."""
    if cycle.state != "gepland":
        raise CycleError(N_("Alleen een geplande ronde kan worden geopend."))
    now = now or utcnow()
    orgs = list(_organisations_to_open(cycle).tuples())
    with db.atomic():
        claimed = (
            Cycle.update(state="open", opened_at=now)
            .where(Cycle.id == cycle.id, Cycle.state == "gepland")
            .execute()
        )
        if claimed != 1:
            raise CycleError(N_("Alleen een geplande ronde kan worden geopend."))
        if orgs:
            Assessment.insert_many(
                [
                    {"organisation": org_id, "cycle": cycle.id, "updated_at": now}
                    for (org_id,) in orgs
                ]
            ).execute()
        _invite(cycle, link_for)
    record(
        "cycle_opened",
        user=actor,
        object_type="cycle",
        object_id=cycle.id,
        period=cycle.period,
        assessments=len(orgs),
    )
    cycle.state = "open"
    return len(orgs)


def _invite(cycle: Cycle, link_for) -> None:
    assessments = {
        a.organisation_id: a for a in Assessment.select().where(Assessment.cycle == cycle)
    }
    people = organisation_people(list(assessments))
    for org_id, users in people.items():
        assessment = assessments[org_id]
        for user in users:
            queue_template(
                f"cycle-invite:{cycle.id}:{assessment.id}:{user.id}",
                user,
                "cycle_invite",
                cycle=cycle,
                link=link_for(assessment.id),
                organisation=assessment.organisation,
            )


def close_cycle(actor: User | None, cycle: Cycle, now: dt.datetime | None = None) -> None:
    """Close the cycle: from now on nothing in it can be edited."""
    if cycle.state != "open":
        raise CycleError(N_("Alleen een open ronde kan worden gesloten."))
    now = now or utcnow()
    claimed = (
        Cycle.update(state="gesloten", closed_at=now)
        .where(Cycle.id == cycle.id, Cycle.state == "open")
        .execute()
    )
    if claimed != 1:
        raise CycleError(N_("Alleen een open ronde kan worden gesloten."))
    counts = dict(
        Assessment.select(Assessment.state, fn.COUNT(Assessment.id))
        .where(Assessment.cycle == cycle)
        .group_by(Assessment.state)
        .tuples()
    )
    record(
        "cycle_closed",
        user=actor,
        object_type="cycle",
        object_id=cycle.id,
        period=cycle.period,
        **counts,
    )
    cycle.state = "gesloten"
    norms.freeze(cycle)  # the definitions and norms in force when it closed


def send_reminders(today: dt.date, link_for) -> int:
    """On each configured day before the due date, remind the people of every
    organisation that has not submitted. Running it twice on a day sends nothing new."""
    queued = 0
    for cycle in Cycle.select().where(Cycle.state == "open"):
        days_left = (cycle.due_on - today).days
        if days_left not in parse_reminder_days(cycle.reminder_days):
            continue
        queued += _remind(
            cycle,
            Assessment.select().where(Assessment.cycle == cycle, Assessment.state != "ingediend"),
            f"reminder:{cycle.id}:{days_left}",
            link_for,
            days_left,
        )
    return queued


def remind_now(actor: User, assessment: Assessment, link_for, today: dt.date | None = None) -> int:
    """A coordinator's "send reminder now": at most once a day per assessment."""
    if assessment.state == "ingediend" or assessment.cycle.state != "open":
        raise CycleError(N_("Deze organisatie hoeft geen herinnering meer."))
    today = today or utcnow().date()
    cycle = assessment.cycle
    count = _remind(
        cycle,
        [assessment],
        _now_key(today),
        link_for,
        (cycle.due_on - today).days,
        actor=actor,
    )
    record(
        "reminder_sent",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        recipients=count,
    )
    return count


def _remind(
    cycle: Cycle,
    assessments,
    key: str,
    link_for,
    days_left: int,
    *,
    actor: User | None = None,
    progress_of: dict[int, tuple[int, int]] | None = None,
) -> int:
    """Queue the reminder to the people of each assessment's organisation
    (once per key) and record, per assessment reminded, when and by whom
    (None: the schedule). `progress_of`: answered and total per assessment,
    when the caller has them already."""
    assessments = list(assessments)
    people = organisation_people([a.organisation_id for a in assessments])
    queued = 0
    reminded = []
    for assessment in assessments:
        if progress_of is not None and assessment.id in progress_of:
            answered, total = progress_of[assessment.id]
        else:
            answered, total = progress(assessment, applicable_agreements(assessment))
        sent = 0
        for user in people.get(assessment.organisation_id, []):
            message = queue_template(
                f"{key}:{assessment.id}:{user.id}",
                user,
                "reminder",
                cycle=cycle,
                organisation=assessment.organisation,
                link=link_for(assessment.id),
                days_left=days_left,
                answered=answered,
                total=total,
            )
            sent += message is not None
        if sent:
            reminded.append((assessment.id, utcnow(), actor.id if actor else None, sent))
        queued += sent
    if reminded:
        Reminder.insert_many(
            reminded, fields=[Reminder.assessment, Reminder.at, Reminder.user, Reminder.recipients]
        ).execute()
    return queued


def _now_key(today: dt.date) -> str:
    """A coordinator's reminders of one day share a key: at most one a day
    per assessment and person, whether sent one by one or to all at once."""
    return f"reminder-now:{today.isoformat()}"


def reminder_plan(cycle: Cycle, assessments: list[Assessment], today: dt.date) -> dict:
    """Who "remind everyone who has not submitted" would mail today: the
    organisations and distinct people, and the organisations left out (no
    active person, or everyone already reminded today)."""
    open_ = [a for a in assessments if a.state != "ingediend"]
    people = organisation_people([a.organisation_id for a in open_])
    prefix = _now_key(today) + ":"
    already = {
        key
        for (key,) in OutboxMessage.select(OutboxMessage.dedupe_key)
        .where(OutboxMessage.dedupe_key.startswith(prefix))
        .tuples()
    }
    plan = {"assessments": [], "people": set(), "without_people": 0, "done_today": 0}
    for a in open_:
        users = people.get(a.organisation_id, [])
        todo = [u for u in users if f"{prefix}{a.id}:{u.id}" not in already]
        if not users:
            plan["without_people"] += 1
        elif not todo:
            plan["done_today"] += 1
        else:
            plan["assessments"].append(a)
            plan["people"].update(u.id for u in todo)
    return {**plan, "organisations": len(plan["assessments"]), "people": len(plan["people"])}


def remind_all(
    actor: User,
    cycle: Cycle,
    assessments: list[Assessment],
    link_for,
    progress_of: dict[int, tuple[int, int]] | None = None,
    today: dt.date | None = None,
) -> dict:
    """A coordinator's "remind everyone who has not submitted": the reminder
    a single one sends, to every organisation of `assessments` that has not
    submitted, at most once a day per person; audited once."""
    if cycle.state != "open":
        raise CycleError(N_("Deze ronde is niet open: er gaan geen herinneringen meer uit."))
    today = today or utcnow().date()
    plan = reminder_plan(cycle, assessments, today)
    with db.atomic():
        messages = _remind(
            cycle,
            plan["assessments"],
            _now_key(today),
            link_for,
            (cycle.due_on - today).days,
            actor=actor,
            progress_of=progress_of,
        )
        record(
            "reminders_sent",
            user=actor,
            object_type="cycle",
            object_id=cycle.id,
            organisations=plan["organisations"],
            people=plan["people"],
            messages=messages,
        )
    return {**plan, "messages": messages}


def confirm_submission(assessment: Assessment, link_for, submitter: User | None = None) -> int:
    """A confirmation to the organisation's people after a submit, naming who
    submitted it (`submitter`, else as stored) and when."""
    if submitter is None and assessment.submitted_by_id:
        submitter = User.get_or_none(User.id == assessment.submitted_by_id)
    people = organisation_people([assessment.organisation_id])
    key = f"submitted:{assessment.id}:{assessment.version}"
    queued = 0
    for user in people.get(assessment.organisation_id, []):
        queued += (
            queue_template(
                f"{key}:{user.id}",
                user,
                "submitted",
                cycle=assessment.cycle,
                organisation=assessment.organisation,
                link=link_for(assessment.id),
                submitted_by=submitter,
                submitted_at=assessment.submitted_at,
            )
            is not None
        )
    return queued


def due_to_close(today: dt.date) -> list[Cycle]:
    """Open cycles whose close date has passed."""
    return list(Cycle.select().where(Cycle.state == "open", Cycle.closes_on < today))


_APPLICABLE_BY_KIND = CompiledQuery(
    lambda framework_id: (
        AgreementKind.select(AgreementKind.kind, fn.COUNT(AgreementKind.id))
        .join(Agreement)
        .where(Agreement.framework == framework_id, AgreementKind.side == "applies")
        .group_by(AgreementKind.kind)
        .tuples()
    )
)


def _monitor_assessments(cycle) -> ModelSelect:
    # Only the columns the monitor shows: a region has a hundred rows, and
    # every column of three models costs each of them.
    return (
        Assessment.select(
            Assessment.id,
            Assessment.state,
            Assessment.reopen_reason,
            Assessment.reopened_at,
            Assessment.ready_at,
            Assessment.updated_at,
            Assessment.submitted_at,
            Assessment.first_submitted_at,
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Region.id,
            Region.code,
            Region.name,
        )
        .join(Organisation)
        .join(Region)
        .where(Assessment.cycle == cycle)
        .order_by(Region.name, Organisation.name)
    )


def _monitor_answered(cycle, organisation_ids) -> ModelSelect:
    """Per assessment of the cycle (of these organisations), the agreements
    answered with a score or n.v.t."""
    query = (
        Answer.select(Answer.assessment, fn.COUNT(Answer.id))
        .join(Assessment)
        .where(Assessment.cycle == cycle, Answer.score.is_null(False) | Answer.not_applicable)
        .group_by(Answer.assessment)
    )
    if organisation_ids is not None:
        query = query.where(Assessment.organisation.in_(organisation_ids))
    return query.tuples()


def _in_region(region):
    return Organisation.select(Organisation.id).where(Organisation.region == region)


# One region's monitor, the page coordinators open most: composed once.
_REGION_ASSESSMENTS = CompiledQuery(
    lambda cycle, region: _monitor_assessments(cycle).where(Organisation.region == region)
)
_REGION_ANSWERED = CompiledQuery(lambda cycle, region: _monitor_answered(cycle, _in_region(region)))


def _monitor_reminded(cycle, organisation_ids) -> ModelSelect:
    """Per assessment of the cycle (of these organisations): when the last
    reminder went out."""
    query = (
        Reminder.select(Reminder.assessment, fn.MAX(Reminder.at))
        .join(Assessment)
        .where(Assessment.cycle == cycle)
        .group_by(Reminder.assessment)
    )
    if organisation_ids is not None:
        query = query.where(Assessment.organisation.in_(organisation_ids))
    return query.tuples()


_REGION_REMINDED = CompiledQuery(lambda cycle, region: _monitor_reminded(cycle, _in_region(region)))


def monitor_rows(cycle: Cycle, organisation_ids=None, *, region=None) -> list[dict]:
    """Per organisation: state, last change, on time or late, progress; of
    the organisations `organisation_ids` selects, or of one region."""
    if region is not None:
        assessments = list(_REGION_ASSESSMENTS(cycle, region))
        answered = dict(_REGION_ANSWERED(cycle, region))
        reminded = dict(_REGION_REMINDED(cycle, region))
    else:
        query = _monitor_assessments(cycle)
        if organisation_ids is not None:
            query = query.where(Organisation.id.in_(organisation_ids))
        assessments = list(query)
        answered = dict(_monitor_answered(cycle, organisation_ids))
        reminded = dict(_monitor_reminded(cycle, organisation_ids))
    applicable = dict(_APPLICABLE_BY_KIND(cycle.framework_id))
    deadline = rules.deadline(cycle.due_on)  # the end of the due date in Amsterdam
    today = utcnow()
    rows = []
    for a in assessments:
        if cycle.state == "gesloten" and a.first_submitted_at and a.state != "ingediend":
            timing = N_("niet opnieuw ingediend")  # still reopened when the cycle closed
        elif a.first_submitted_at is not None:
            # As the response rate counts it: by the first submission.
            timing = (
                N_("op tijd")
                if rules.on_time(a.first_submitted_at, cycle.due_on)
                else N_("te laat")
            )
        else:
            timing = N_("te laat") if today >= deadline else N_("nog niet ingediend")
        rows.append(
            {
                "assessment": a,
                "organisation": a.organisation,
                "region": a.organisation.region,
                "state": a.state,
                "updated_at": a.updated_at,
                "submitted_at": a.submitted_at,
                "timing": timing,
                "answered": answered.get(a.id, 0),
                "total": applicable.get(a.organisation.kind, 0),
                "last_reminder": reminded.get(a.id),
            }
        )
    return rows


def monitor_by_region(rows: list[dict]) -> list[dict]:
    """The monitor rows summed per region: how many, per state, late, answered."""
    regions: dict[int, dict] = {}
    for row in rows:
        region = row["region"]
        entry = regions.setdefault(
            region.id,
            {"region": region, "total": 0, "states": {}, "late": 0, "answered": 0, "questions": 0},
        )
        entry["total"] += 1
        entry["states"][row["state"]] = entry["states"].get(row["state"], 0) + 1
        entry["late"] += row["timing"] == "te laat"
        entry["answered"] += row["answered"]
        entry["questions"] += row["total"]
    return sorted(regions.values(), key=lambda e: e["region"].name)
