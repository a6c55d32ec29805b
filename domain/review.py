"""Checking an assessment before it is submitted: what each answer says
beside the previous cycle's, and the invuller's "klaar voor controle"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import JOIN

from domain import (
    assessment_access,
    assessment_agreements,
    assessment_completeness,
    assessment_saving,
    assessment_steps,
)
from domain.assessment_mail import queue_ready
from domain.audit import record
from models import (
    Agreement,
    Answer,
    Assessment,
    EscalationSignal,
    ImprovementAction,
    Organisation,
    PartnerRating,
    Theme,
    User,
    db,
    utcnow,
)
from models.choices import N_


def is_ready(assessment: Assessment) -> bool:
    """Marked "klaar voor controle" and not submitted yet (a reopening clears the mark)."""
    return assessment.ready_at is not None and assessment.state in assessment_access.EDITABLE_STATES


def mark_ready(
    actor: User,
    assessment: Assessment,
    link_for: Callable[[int], str] | None = None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """An organisation's invuller (or manager) says the assessment is ready for
    the manager to check and submit; the managers get a mail, once per
    version of the answers. Returns (managers, mails queued now). The version
    does not change: nobody's open form is put out of date by it."""
    if not assessment_access.can_edit(actor, assessment):
        raise assessment_saving.StateError(
            N_("Deze zelfevaluatie kan niet (meer) worden gewijzigd.")
        )
    now = now or utcnow()
    with db.atomic():
        Assessment.update(ready_at=now, ready_by=actor).where(
            Assessment.id == assessment.id
        ).execute()
        managers, queued = queue_ready(assessment, actor, link_for)
    assessment.ready_at, assessment.ready_by = now, actor
    record(
        "assessment_ready",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        recipients=queued,
    )
    return managers, queued


@dataclass
class ReviewRow:
    """One agreement's answer as the check and the summary show it."""

    agreement: Agreement
    answer: Answer | None
    previous: Answer | None
    ratings: list[tuple[str, int | None]] = field(default_factory=list)
    action: ImprovementAction | None = None
    lacks: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """The score (or n.v.t.) differs from the previous cycle's."""
        if self.previous is None or self.answer is None:
            return False
        return (self.answer.score, bool(self.answer.not_applicable)) != (
            self.previous.score,
            bool(self.previous.not_applicable),
        )

    @property
    def new(self) -> bool:
        """Answered now, not in the previous cycle (which had answers)."""
        return self.answer is not None and self.previous is None


@dataclass
class ReviewTheme:
    theme: Theme
    number: int
    rows: list[ReviewRow]

    @property
    def missing(self) -> int:
        return sum(1 for r in self.rows if r.lacks)

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r.changed)


def review(assessment: Assessment) -> tuple[list[ReviewTheme], Assessment | None]:
    """Every applicable agreement per theme with its answer, the previous
    cycle's answer (matched by code), partner ratings, improvement action and
    what still blocks submitting; and the previous assessment."""
    agreements = assessment_agreements.applicable_agreements(assessment)
    missing = dict(
        (a.id, lacks) for a, lacks in assessment_completeness.missing_items(assessment, agreements)
    )
    answers = {a.agreement_id: a for a in Answer.select().where(Answer.assessment == assessment)}
    previous = assessment_steps.previous_assessment(assessment)
    earlier: dict[str, Answer] = {}
    if previous is not None:
        earlier = {
            code: answer
            for answer, code in (
                (a, a.agreement.code)
                for a in Answer.select(Answer, Agreement)
                .join(Agreement)
                .where(Answer.assessment == previous)
            )
        }
    ratings: dict[int, list[tuple[str, int | None]]] = {}
    for agreement_id, name, score in (
        PartnerRating.select(PartnerRating.agreement, Organisation.name, PartnerRating.score)
        .join(Organisation, on=PartnerRating.partner == Organisation.id, join_type=JOIN.LEFT_OUTER)
        .where(PartnerRating.assessment == assessment)
        .order_by(Organisation.name)
        .tuples()
    ):
        ratings.setdefault(agreement_id, []).append((name, score))
    actions: dict[int, ImprovementAction] = {}
    for action in (
        ImprovementAction.select(ImprovementAction, Answer.agreement)
        .join(Answer)
        .where(ImprovementAction.assessment == assessment)
        .order_by(ImprovementAction.id)
    ):
        actions.setdefault(action.answer.agreement_id, action)
    themes: list[ReviewTheme] = []
    for agreement in agreements:
        if not themes or themes[-1].theme.id != agreement.theme_id:
            themes.append(ReviewTheme(agreement.theme, len(themes) + 1, []))
        themes[-1].rows.append(
            ReviewRow(
                agreement=agreement,
                answer=answers.get(agreement.id),
                previous=earlier.get(agreement.code),
                ratings=ratings.get(agreement.id, []),
                action=actions.get(agreement.id),
                lacks=missing.get(agreement.id, []),
            )
        )
    return themes, previous


def escalations(assessment: Assessment) -> list[EscalationSignal]:
    """The assessment's escalation signals with their agreements, by code."""
    return list(
        EscalationSignal.select(EscalationSignal, Agreement)
        .join(Agreement)
        .where(EscalationSignal.assessment == assessment)
        .order_by(Agreement.code)
    )
