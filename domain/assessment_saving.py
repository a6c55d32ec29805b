"""Saving a draft of an assessment with optimistic locking, and the history of its changes."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field

from peewee import JOIN

from domain import rules
from domain.assessment_access import EDITABLE_STATES
from domain.assessment_agreements import partner_ratings, partners_apart
from domain.assessment_form import AnswerInput, ParsedForm
from models import (
    Agreement,
    Answer,
    Assessment,
    AssessmentChange,
    EscalationSignal,
    ImprovementAction,
    NotWorkingTogether,
    Organisation,
    PartnerRating,
    User,
    db,
    utcnow,
    writer_turn,
)
from models.choices import N_
from models.compiled import CompiledQuery

logger = logging.getLogger(__name__)


class ConflictError(Exception):
    """The save was based on an older version; carries what changed since."""

    def __init__(self, current_version: int, changes: list[AssessmentChange]):
        self.current_version = current_version
        self.changes = changes
        super().__init__(f"assessment changed since; now version {current_version}")


class StateError(ValueError):
    """The assessment cannot be changed in its current state."""


def _fmt(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def changes_since(assessment: Assessment, version: int) -> list[AssessmentChange]:
    """The recorded changes that made versions after `version`."""
    return list(
        AssessmentChange.select(AssessmentChange, User)
        .join(User, on=AssessmentChange.user == User.id, join_type=JOIN.LEFT_OUTER)
        .where(AssessmentChange.assessment == assessment, AssessmentChange.version > version)
        .order_by(AssessmentChange.id)
    )


# A save claims the next version: only if no one else did in between.
_CLAIM = CompiledQuery(
    lambda version, now, actor, assessment_id, base_version: Assessment.update(
        version=version, updated_at=now, updated_by=actor
    ).where(Assessment.id == assessment_id, Assessment.version == base_version)
)


def save_answers(
    actor: User,
    assessment: Assessment,
    base_version: int,
    parsed: ParsedForm,
    now: dt.datetime | None = None,
) -> int:
    """Store a draft. Refused with ConflictError when someone saved after
    `base_version` something this save could overwrite; a save meanwhile of
    other agreements only (another theme page) is no conflict: this one is
    stored beside it. Returns the number of fields that changed."""
    now = now or utcnow()
    try:
        return _save_once(actor, assessment, base_version, parsed, now)
    except ConflictError as conflict:
        # A version from the future is no page anyone was shown.
        if base_version >= conflict.current_version or not _apart_from(conflict.changes, parsed):
            raise
        logger.info(
            "assessment %s: saved by %s beside version %s (other agreements)",
            assessment.id,
            actor.email,
            conflict.current_version,
        )
        assessment.state = Assessment.get_by_id(assessment.id).state
        return _save_once(actor, assessment, conflict.current_version, parsed, now)


def _apart_from(changes: list[AssessmentChange], parsed: ParsedForm) -> bool:
    """Whether changes made meanwhile leave alone everything this save shows:
    only other agreements' answers, and escalations when it has none."""
    for change in changes:
        if change.agreement_id is None:
            # The draft being started is the only whole-assessment change
            # a save can stand beside (copying, submitting, reopening are not).
            if (change.field, change.new_value) != ("state", "concept"):
                return False
        elif change.field == "escalation":
            if parsed.escalations is not None:
                return False
        elif change.agreement_id in parsed.answers:
            return False
    return True


def _save_once(
    actor: User, assessment: Assessment, base_version: int, parsed: ParsedForm, now
) -> int:
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    new_version = base_version + 1
    # What is stored is read and compared before the write transaction, which
    # then holds only the writes: SQLite lets one writer at a time in, so every
    # other save waits for as long as it lasts. Reading first is safe because
    # every change to an assessment's answers raises its version: a save that
    # lands between these reads and the claim below makes the claim fail.
    stored = _Stored.read(assessment)
    changes, writes = _answer_writes(actor, assessment, parsed, stored, new_version, now)
    if parsed.escalations is not None:
        more, more_writes = _escalation_writes(actor, assessment, parsed, stored, new_version, now)
        changes += more
        writes += more_writes
    if assessment.state == "niet_gestart":
        changes.append(
            change_row(
                assessment, actor, None, "state", "niet_gestart", "concept", new_version, now
            )
        )
    # The history's rows are composed before the turn to write is taken, so
    # the turn lasts only as long as the database needs.
    history = AssessmentChange.insert_many(changes).sql() if changes else None
    with writer_turn(), db.atomic():
        claimed = _CLAIM.execute(new_version, now, actor, assessment.id, base_version)
        if claimed != 1:
            current = Assessment.get_by_id(assessment.id).version
            raise ConflictError(current, changes_since(assessment, base_version))
        for write in writes:
            write()
        if assessment.state == "niet_gestart":
            Assessment.update(state="concept", started_at=now).where(
                Assessment.id == assessment.id
            ).execute()
        if history:
            db.execute_sql(*history)
    assessment.version = new_version
    logger.info("assessment %s saved by %s: %d changes", assessment.id, actor.email, len(changes))
    return len(changes)


ANSWERS = CompiledQuery(lambda assessment: Answer.select().where(Answer.assessment == assessment))
_ESCALATIONS = CompiledQuery(
    lambda assessment: EscalationSignal.select().where(EscalationSignal.assessment == assessment)
)
_ACTIONS = CompiledQuery(
    lambda assessment: (
        ImprovementAction.select()
        .join(Answer)
        .where(Answer.assessment == assessment)
        .order_by(ImprovementAction.id)
    )
)


@dataclass
class _Stored:
    """What a save compares the posted form with, read in a few queries."""

    answers: dict[int, Answer]
    actions: dict[int, ImprovementAction]
    ratings: dict[int, dict[int, int]]
    escalations: dict[int, EscalationSignal]
    apart: dict[int, set[int]] = field(default_factory=dict)
    _names: dict[int, str] | None = None

    @classmethod
    def read(cls, assessment: Assessment) -> _Stored:
        answers = {a.agreement_id: a for a in ANSWERS(assessment)}
        escalations = {e.agreement_id: e for e in _ESCALATIONS(assessment)}
        return cls(
            answers,
            _actions_by_answer(assessment),
            partner_ratings(assessment),
            escalations,
            partners_apart(assessment),
        )

    def partner_names(self, parsed: ParsedForm) -> dict[int, str]:
        """The names of the partners rated before or now, read once, when a
        rating changed (the history names them)."""
        if self._names is None:
            partner_ids = {o for new in parsed.answers.values() for o in new.partners}
            partner_ids |= {o for new in parsed.answers.values() for o in new.apart}
            partner_ids |= {o for rated in self.ratings.values() for o in rated}
            partner_ids |= {o for apart in self.apart.values() for o in apart}
            self._names = dict(
                Organisation.select(Organisation.id, Organisation.name)
                .where(Organisation.id.in_(sorted(partner_ids)))
                .tuples()
            )
        return self._names


def change_row(assessment, actor, agreement_id, name, old, new, version, now) -> dict:
    """One change as a row of the assessment's history (AssessmentChange)."""
    return {
        "assessment": assessment.id,
        "user": actor.id,
        "at": now,
        "agreement": agreement_id,
        "field": name,
        "old_value": _fmt(old),
        "new_value": _fmt(new),
        "version": version,
    }


def _actions_by_answer(assessment: Assessment) -> dict[int, ImprovementAction]:
    """The (first) improvement action of each answer: the one the form edits."""
    actions: dict[int, ImprovementAction] = {}
    for action in _ACTIONS(assessment):
        actions.setdefault(action.answer_id, action)
    return actions


def _partner_diff(before: dict[int, int], after: dict[int, int], names: dict[int, str]) -> list:
    """One change per partner whose rating changed: "name: score"."""
    return [
        (
            "partner_score",
            f"{names.get(o, o)}: {before[o]}" if o in before else None,
            f"{names.get(o, o)}: {after[o]}" if o in after else None,
        )
        for o in sorted(set(before) | set(after))
        if before.get(o) != after.get(o)
    ]


def _write_ratings(answer: Answer, before: dict[int, int], after: dict[int, int], now) -> None:
    answer_id = answer.id
    gone = [o for o in before if o not in after]
    if gone:
        PartnerRating.delete().where(
            PartnerRating.answer == answer_id, PartnerRating.partner.in_(gone)
        ).execute()
    added = [
        {
            "answer": answer_id,
            "assessment": answer.assessment_id,
            "agreement": answer.agreement_id,
            "partner": partner_id,
            "score": score,
            "updated_at": now,
        }
        for partner_id, score in after.items()
        if partner_id not in before
    ]
    if added:
        PartnerRating.insert_many(added).execute()
    for partner_id, score in after.items():
        if partner_id in before and before[partner_id] != score:
            PartnerRating.update(score=score, updated_at=now).where(
                PartnerRating.answer == answer_id, PartnerRating.partner == partner_id
            ).execute()


def _answer_writes(
    actor, assessment, parsed: ParsedForm, stored: _Stored, version: int, now
) -> tuple[list[dict], list]:
    """The changes to record and the writes to make (functions, run in the
    write transaction) for the posted answers, compared with what is stored."""
    changes: list[dict] = []
    writes = []
    for agreement_id, new in parsed.answers.items():
        old = stored.answers.get(agreement_id)
        if old is None and new.is_empty():
            continue
        before = {
            "score": old.score if old else None,
            "not_applicable": old.not_applicable if old else False,
            "not_applicable_reason": (old.not_applicable_reason if old else None) or None,
            "in_writing": old.in_writing if old else None,
            "last_evaluated_on": old.last_evaluated_on if old else None,
            "explanation": (old.explanation if old else None) or None,
        }
        after = {
            "score": new.score,
            "not_applicable": new.not_applicable,
            "not_applicable_reason": new.reason or None,
            "in_writing": new.in_writing,
            "last_evaluated_on": new.evaluated,
            "explanation": new.explanation or None,
        }
        diff = [(k, before[k], after[k]) for k in after if before[k] != after[k]]
        rated = stored.ratings.get(agreement_id, {})
        apart = stored.apart.get(agreement_id, set())
        if rated != new.partners or apart != new.apart:
            # "werken niet samen" is an answer of its own: in the history as such.
            names = stored.partner_names(parsed)
            before_seen = {**dict.fromkeys(apart, "werken niet samen"), **rated}
            after_seen = {**dict.fromkeys(new.apart, "werken niet samen"), **new.partners}
            diff += _partner_diff(before_seen, after_seen, names)
        copied = bool(old and old.copied) and not (diff or new.confirm)
        action = stored.actions.get(old.id) if old else None
        action_diff = _action_diff(action, new)
        changes += [
            change_row(assessment, actor, agreement_id, k, b, a, version, now) for k, b, a in diff
        ]
        changes += [
            change_row(assessment, actor, agreement_id, k, b, a, version, now)
            for k, b, a in action_diff
        ]
        write_answer = old is None or bool(diff) or (old.copied and not copied)
        if write_answer or rated != new.partners or apart != new.apart or action_diff:
            writes.append(
                functools.partial(
                    _write_answer,
                    actor,
                    assessment,
                    agreement_id,
                    old,
                    after,
                    copied if write_answer else None,
                    rated,
                    apart,
                    new,
                    action if action_diff else False,
                    now,
                )
            )
    return changes, writes


def _update_answer(
    answer_id, now, actor, copied, score, not_applicable, reason, in_writing, evaluated, text
):
    return Answer.update(
        updated_at=now,
        updated_by=actor,
        copied=copied,
        score=score,
        not_applicable=not_applicable,
        not_applicable_reason=reason,
        in_writing=in_writing,
        last_evaluated_on=evaluated,
        explanation=text,
    ).where(Answer.id == answer_id)


_UPDATE_ANSWER = CompiledQuery(_update_answer)


def _write_answer(
    actor, assessment, agreement_id, old, after, copied, rated, apart, new: AnswerInput, action, now
) -> None:
    """One answer's writes: the answer (`copied` None: unchanged), its
    partner ratings, its improvement action (`action` False: unchanged)."""
    if old is None:
        old = Answer.create(
            assessment=assessment,
            agreement=agreement_id,
            updated_at=now,
            updated_by=actor,
            **after,
        )
    elif copied is not None:
        _UPDATE_ANSWER.execute(
            old.id,
            now,
            actor,
            copied,
            after["score"],
            after["not_applicable"],
            after["not_applicable_reason"],
            after["in_writing"],
            after["last_evaluated_on"],
            after["explanation"],
        )
    if rated != new.partners:
        _write_ratings(old, rated, new.partners, now)
    if apart != new.apart:
        _write_apart(old, apart, new.apart, now)
    if action is not False:
        _write_action(assessment, old, action, new, now)


def _write_apart(answer: Answer, before: set[int], after: set[int], now) -> None:
    gone = before - after
    if gone:
        NotWorkingTogether.delete().where(
            NotWorkingTogether.answer == answer.id, NotWorkingTogether.partner.in_(sorted(gone))
        ).execute()
    added = [
        {
            "answer": answer.id,
            "assessment": answer.assessment_id,
            "agreement": answer.agreement_id,
            "partner": partner_id,
            "updated_at": now,
        }
        for partner_id in sorted(after - before)
    ]
    if added:
        NotWorkingTogether.insert_many(added).execute()


def _action_diff(action: ImprovementAction | None, new: AnswerInput) -> list[tuple]:
    before = {
        "action": action.description if action else None,
        "action_owner": (action.owner if action else None) or None,
        "action_due": action.due_on if action else None,
        "action_status": action.status if action else None,
    }
    after = {
        "action": new.action or None,
        "action_owner": (new.owner or None) if new.action else None,
        "action_due": new.due if new.action else None,
        "action_status": new.status if new.action else None,
    }
    return [(k, before[k], after[k]) for k in after if before[k] != after[k]]


def _write_action(assessment, answer, action, new: AnswerInput, now) -> None:
    if not new.action:
        action.delete_instance()
        return
    # The day it was reported done, in Amsterdam (not the UTC date).
    completed = rules.local_date(now) if new.status == "gereed" else None
    values = {
        "description": new.action,
        "owner": new.owner,
        "due_on": new.due,
        "status": new.status,
        "updated_at": now,
    }
    if action is None:
        ImprovementAction.create(
            answer=answer.id,
            assessment=assessment.id,
            completed_on=completed,
            created_at=now,
            **values,
        )
    else:
        if new.status == "gereed" and action.status != "gereed":
            values["completed_on"] = completed
        elif new.status != "gereed":
            values["completed_on"] = None
        ImprovementAction.update(**values).where(ImprovementAction.id == action.id).execute()


def _escalation_writes(
    actor, assessment, parsed: ParsedForm, stored: _Stored, version: int, now
) -> tuple[list[dict], list]:
    """The changes to record and the writes to make for the escalation rows."""
    existing = stored.escalations
    changes = []
    writes = []
    for agreement_id, old in existing.items():
        if agreement_id not in parsed.escalations:
            writes.append(old.delete_instance)
            changes.append(
                change_row(
                    assessment,
                    actor,
                    agreement_id,
                    "escalation",
                    f"{old.times_not_followed}×, trede {old.highest_step}",
                    None,
                    version,
                    now,
                )
            )
    for agreement_id, (times, step, resolved) in parsed.escalations.items():
        old = existing.get(agreement_id)
        text = f"{times}×, trede {step}" + (", opgelost" if resolved else "")
        if old is None:
            writes.append(
                functools.partial(
                    EscalationSignal.create,
                    assessment=assessment,
                    agreement=agreement_id,
                    times_not_followed=times,
                    highest_step=step,
                    resolved=resolved,
                    updated_at=now,
                )
            )
            changes.append(
                change_row(assessment, actor, agreement_id, "escalation", None, text, version, now)
            )
        elif (old.times_not_followed, old.highest_step, old.resolved) != (times, step, resolved):
            before = f"{old.times_not_followed}×, trede {old.highest_step}" + (
                ", opgelost" if old.resolved else ""
            )
            writes.append(
                EscalationSignal.update(
                    times_not_followed=times, highest_step=step, resolved=resolved, updated_at=now
                )
                .where(EscalationSignal.id == old.id)
                .execute
            )
            changes.append(
                change_row(
                    assessment, actor, agreement_id, "escalation", before, text, version, now
                )
            )
    return changes, writes


def history(assessment: Assessment) -> list[AssessmentChange]:
    """Every recorded change, newest first, with who made it and on which agreement."""
    return list(
        AssessmentChange.select(AssessmentChange, User, Agreement)
        .join(User, on=AssessmentChange.user == User.id, join_type=JOIN.LEFT_OUTER)
        .switch(AssessmentChange)
        .join(Agreement, on=AssessmentChange.agreement == Agreement.id, join_type=JOIN.LEFT_OUTER)
        .where(AssessmentChange.assessment == assessment)
        .order_by(AssessmentChange.id.desc())
    )
