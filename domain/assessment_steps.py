"""Moving an assessment on: confirming copied answers, copying forward, submitting, reopening."""

from __future__ import annotations

import datetime as dt

from peewee import fn

from domain.assessment_access import EDITABLE_STATES, can_reopen
from domain.assessment_agreements import applicable_agreements
from domain.assessment_completeness import missing_items
from domain.assessment_form import MAX_SHORT
from domain.assessment_mail import queue_reopened
from domain.assessment_saving import ConflictError, StateError, change_row, changes_since
from domain.audit import record
from domain.inputs import line_problem, normalise_newlines
from models import (
    Agreement,
    Answer,
    Assessment,
    AssessmentChange,
    Cycle,
    NotWorkingTogether,
    PartnerRating,
    User,
    db,
    utcnow,
    writer_turn,
)
from models.choices import N_


def confirm_copied(
    actor: User,
    assessment: Assessment,
    agreement_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Confirm answers copied from the previous cycle as still true: those of
    the given agreements (None: all). Returns the agreements confirmed."""
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    now = now or utcnow()
    query = Answer.select(Answer.id, Answer.agreement).where(
        Answer.assessment == assessment,
        Answer.copied == True,  # noqa: E712
    )
    if agreement_ids is not None:
        query = query.where(Answer.agreement.in_(agreement_ids))
    found = list(query.tuples())
    if not found:
        return []
    with writer_turn(), db.atomic():
        version = (
            Assessment.select(Assessment.version).where(Assessment.id == assessment.id).scalar() + 1
        )
        Assessment.update(version=version, updated_at=now, updated_by=actor).where(
            Assessment.id == assessment.id
        ).execute()
        Answer.update(copied=False, updated_at=now, updated_by=actor).where(
            Answer.id.in_([answer_id for answer_id, _ in found])
        ).execute()
        AssessmentChange.insert_many(
            [
                change_row(assessment, actor, agreement_id, "confirmed", None, "ja", version, now)
                for _, agreement_id in found
            ]
        ).execute()
    assessment.version = version
    record(
        "assessment_copies_confirmed",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        answers=len(found),
    )
    return [agreement_id for _, agreement_id in found]


def submit(actor: User, assessment: Assessment, now: dt.datetime | None = None) -> list:
    """Submit when complete; returns what is missing otherwise (and changes nothing)."""
    now = now or utcnow()
    agreements = applicable_agreements(assessment)
    with db.atomic():
        missing = missing_items(assessment, agreements)
        if missing:
            return missing
        old_state = assessment.state
        version = assessment.version + 1
        claimed = (
            Assessment.update(
                state="ingediend",
                submitted_at=now,
                first_submitted_at=fn.COALESCE(Assessment.first_submitted_at, now),
                submitted_by=actor,
                version=version,
                updated_at=now,
                updated_by=actor,
            )
            .where(
                Assessment.id == assessment.id,
                Assessment.version == assessment.version,
                Assessment.state.in_(EDITABLE_STATES),
            )
            .execute()
        )
        if claimed != 1:
            raise ConflictError(
                Assessment.get_by_id(assessment.id).version,
                changes_since(assessment, assessment.version),
            )
        AssessmentChange.create(
            **change_row(assessment, actor, None, "state", old_state, "ingediend", version, now)
        )
    record("assessment_submitted", user=actor, object_type="assessment", object_id=assessment.id)
    assessment.state, assessment.version, assessment.submitted_at = "ingediend", version, now
    return []


def reopen(
    actor: User,
    assessment: Assessment,
    reason: str,
    now: dt.datetime | None = None,
    link_for=None,
):
    """Reopen a submitted assessment; the reason is shown to those filling it
    in and mailed to the managers and invullers (with a link by `link_for`)."""
    reason = normalise_newlines(reason).strip()
    if not reason:
        raise StateError(N_("Geef een reden om de zelfevaluatie te heropenen."))
    problem = line_problem(reason, MAX_SHORT, multiline=True)
    if problem:
        raise StateError(problem)
    if not can_reopen(actor, assessment):
        raise StateError(N_("Deze zelfevaluatie kan nu niet worden heropend."))
    now = now or utcnow()
    version = assessment.version + 1
    with db.atomic():
        Assessment.update(
            state="heropend",
            reopened_at=now,
            reopened_by=actor,
            reopen_reason=reason,
            ready_at=None,  # a "klaar voor controle" from before no longer holds
            ready_by=None,
            version=version,
            updated_at=now,
            updated_by=actor,
        ).where(Assessment.id == assessment.id).execute()
        AssessmentChange.create(
            **change_row(assessment, actor, None, "state", "ingediend", "heropend", version, now)
        )
        AssessmentChange.create(
            **change_row(assessment, actor, None, "reopen_reason", None, reason, version, now)
        )
        queue_reopened(assessment, actor, reason, version, now, link_for)
    record(
        "assessment_reopened",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        reason=reason,
    )
    assessment.state, assessment.version = "heropend", version
    assessment.reopened_at, assessment.reopen_reason = now, reason


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The organisation's most recent earlier assessment that has answers."""
    return (
        Assessment.select(Assessment, Cycle)
        .join(Cycle)
        .where(
            Assessment.organisation == assessment.organisation_id,
            Cycle.period < assessment.cycle.period,
            fn.EXISTS(Answer.select().where(Answer.assessment == Assessment.id)),
        )
        .order_by(Cycle.period.desc())
        .first()
    )


def copy_previous(actor: User, assessment: Assessment, now: dt.datetime | None = None) -> int:
    """Copy the previous cycle's answers (matched by agreement code) into
    agreements not answered yet, marked as copied until touched."""
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    source = previous_assessment(assessment)
    if source is None:
        return 0
    now = now or utcnow()
    target_ids = {a.code: a.id for a in applicable_agreements(assessment)}
    answered = {
        a.agreement_id
        for a in Answer.select(Answer.agreement).where(Answer.assessment == assessment)
    }
    rows = []
    previous = Answer.select(Answer, Agreement).join(Agreement).where(Answer.assessment == source)
    for old in previous:
        code = old.agreement.code
        target = target_ids.get(code)
        if target is None or target in answered:
            continue
        rows.append(
            {
                "assessment": assessment.id,
                "agreement": target,
                "score": old.score,
                "not_applicable": old.not_applicable,
                "not_applicable_reason": old.not_applicable_reason,
                "in_writing": old.in_writing,
                "last_evaluated_on": old.last_evaluated_on,
                "explanation": old.explanation,
                "copied": True,
                "updated_at": now,
                "updated_by": actor.id,
            }
        )
    with db.atomic():
        version = assessment.version + 1
        Assessment.update(
            version=version,
            updated_at=now,
            updated_by=actor,
            state="concept" if assessment.state == "niet_gestart" else assessment.state,
        ).where(Assessment.id == assessment.id).execute()
        if rows:
            Answer.insert_many(rows).execute()
            agreement_ids = [row["agreement"] for row in rows]
            allowed = _partners_allowed(assessment)
            _copy_ratings(source, assessment, agreement_ids, allowed, now)
            _copy_apart(source, assessment, agreement_ids, allowed, now)
        AssessmentChange.create(
            **change_row(
                assessment, actor, None, "copied_from", None, source.cycle.period, version, now
            )
        )
    assessment.version = version
    record(
        "assessment_copied_forward",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        source=source.cycle.period,
        answers=len(rows),
    )
    return len(rows)


def _partners_allowed(target: Assessment) -> dict[int, set[int]]:
    """Per bilateral agreement of the target, the partners it may rate."""
    return {a.id: {o.id for o in a.partners} for a in applicable_agreements(target) if a.bilateral}


def _copy_ratings(
    source: Assessment, target: Assessment, agreement_ids: list[int], allowed: dict, now
) -> None:
    """The previous cycle's partner ratings, onto the answers just copied
    (matched by agreement code), for partners the organisation may still rate."""
    new = Answer.alias()
    old_agreement, new_agreement = Agreement.alias(), Agreement.alias()
    pairs = (
        PartnerRating.select(new.id, PartnerRating.partner, PartnerRating.score, new_agreement.id)
        .join(Answer)
        .join(old_agreement, on=Answer.agreement == old_agreement.id)
        .join(new_agreement, on=new_agreement.code == old_agreement.code)
        .join(new, on=(new.agreement == new_agreement.id) & (new.assessment == target.id))
        .where(
            Answer.assessment == source.id,
            new.agreement.in_(agreement_ids),
            PartnerRating.partner.is_null(False),
        )
        .tuples()
    )
    rows = [
        {
            "answer": answer_id,
            "assessment": target.id,
            "agreement": agreement_id,
            "partner": partner_id,
            "score": score,
            "updated_at": now,
        }
        for answer_id, partner_id, score, agreement_id in pairs
        if partner_id in allowed.get(agreement_id, ())
    ]
    if rows:
        PartnerRating.insert_many(rows).execute()


def _copy_apart(
    source: Assessment, target: Assessment, agreement_ids: list[int], allowed: dict, now
) -> None:
    """The previous cycle's "werken niet samen", onto the answers just copied,
    for partners the organisation may still rate."""
    new = Answer.alias()
    old_agreement, new_agreement = Agreement.alias(), Agreement.alias()
    pairs = (
        NotWorkingTogether.select(new.id, NotWorkingTogether.partner, new_agreement.id)
        .join(Answer, on=NotWorkingTogether.answer == Answer.id)
        .join(old_agreement, on=Answer.agreement == old_agreement.id)
        .join(new_agreement, on=new_agreement.code == old_agreement.code)
        .join(new, on=(new.agreement == new_agreement.id) & (new.assessment == target.id))
        .where(Answer.assessment == source.id, new.agreement.in_(agreement_ids))
        .tuples()
    )
    pairs = list(pairs)
    if not pairs:
        return
    rows = [
        {
            "answer": answer_id,
            "assessment": target.id,
            "agreement": agreement_id,
            "partner": partner_id,
            "updated_at": now,
        }
        for answer_id, partner_id, agreement_id in pairs
        if partner_id in allowed.get(agreement_id, ())
    ]
    if rows:
        NotWorkingTogether.insert_many(rows).execute()
