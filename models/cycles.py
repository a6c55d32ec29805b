"""Cycles, assessments, answers, improvement actions, escalation signals and the
change history of assessments."""

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.accounts import User
from models.base import BaseModel, utcnow
from models.framework import Agreement, FrameworkVersion
from models.geo import Organisation


class Cycle(BaseModel):
    """A self-assessment round (ronde) for one period."""

    period = CharField(max_length=16, unique=True)  # 2026-Q1
    framework = ForeignKeyField(FrameworkVersion, backref="cycles", on_delete="RESTRICT")
    opens_on = DateField()
    due_on = DateField()
    closes_on = DateField()
    state = CharField(max_length=12, default="gepland", index=True)
    reminder_days = CharField(max_length=64, default="14,7,1")  # days before due_on
    opened_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("opens_on <= due_on AND due_on <= closes_on")]

    def __str__(self) -> str:
        return self.period


class Assessment(BaseModel):
    """An organisation's self-assessment (zelfevaluatie) in one cycle."""

    organisation = ForeignKeyField(Organisation, backref="assessments", on_delete="RESTRICT")
    cycle = ForeignKeyField(Cycle, backref="assessments", on_delete="RESTRICT")
    state = CharField(max_length=16, default="niet_gestart")
    # Optimistic locking: every save must name the version it was based on.
    version = IntegerField(default=0)
    started_at = DateTimeField(null=True)
    submitted_at = DateTimeField(null=True)
    # The first submission, which a reopening never undoes: the response
    # rate asks whether the organisation responded in time.
    first_submitted_at = DateTimeField(null=True)
    submitted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    reopened_at = DateTimeField(null=True)
    reopened_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    reopen_reason = TextField(null=True)
    # An invuller's "klaar voor controle": the manager may check and submit.
    # Cleared by a submit or a reopening.
    ready_at = DateTimeField(null=True)
    ready_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = (
            (("organisation", "cycle"), True),
            (("cycle", "state"), False),
        )


class Answer(BaseModel):
    """One organisation's answer on one agreement in one assessment."""

    assessment = ForeignKeyField(Assessment, backref="answers", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, backref="answers", on_delete="RESTRICT")
    score = IntegerField(null=True)  # 0 niet … 4 volledig
    not_applicable = BooleanField(default=False)
    not_applicable_reason = TextField(null=True)
    in_writing = BooleanField(null=True)
    last_evaluated_on = DateField(null=True)
    explanation = TextField(null=True)
    copied = BooleanField(default=False)  # copied from the previous cycle, untouched
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = ((("assessment", "agreement"), True),)
        constraints = [
            Check("score IS NULL OR (score >= 0 AND score <= 4)"),
            Check("NOT (not_applicable AND score IS NOT NULL)"),
        ]


class PartnerRating(BaseModel):
    """On a bilateral agreement: how a named partner organisation follows it,
    0–4, in the eyes of the organisation that gave the answer. Set beside the
    partner's own score, it gives the partner view (PARTNER). `partner` is
    empty only for a rating given before partners were named (migration 0009
    kept those where the partner could not be told). `assessment` and
    `agreement` are the answer's (which never change), so the batch reads
    the ratings without reading the answers they belong to."""

    answer = ForeignKeyField(Answer, backref="partner_ratings", on_delete="CASCADE")
    assessment = ForeignKeyField(Assessment, backref="+", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, backref="+", on_delete="RESTRICT")
    partner = ForeignKeyField(Organisation, null=True, on_delete="SET NULL", backref="+")
    score = IntegerField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("answer", "partner"), True),)
        constraints = [Check("score >= 0 AND score <= 4")]


class ImprovementAction(BaseModel):
    """A verbeteractie attached to an answer. `assessment` is the answer's
    assessment (which never changes), kept here so the batch counts actions
    per organisation without reading every answer."""

    answer = ForeignKeyField(Answer, backref="actions", on_delete="CASCADE")
    # Indexed with the due date (below).
    assessment = ForeignKeyField(Assessment, backref="+", on_delete="CASCADE", index=False)
    description = TextField()
    owner = CharField(max_length=200, default="")
    due_on = DateField(null=True)
    status = CharField(max_length=16, default="open")
    completed_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        # The batch fingerprints the actions due in each cycle's window, and
        # counts them, from the first index alone; finds the due dates of an
        # assessment's actions from the second; and their last change from
        # the third.
        indexes = (
            (("due_on", "updated_at", "status", "completed_on", "assessment"), False),
            (("assessment", "due_on"), False),
            (("updated_at",), False),
        )


class EscalationSignal(BaseModel):
    """How often an agreement was not followed in the period and how far up
    the escalation ladder it went. Counts and references only, no client data."""

    assessment = ForeignKeyField(Assessment, backref="escalations", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, on_delete="RESTRICT", backref="+")
    times_not_followed = IntegerField(default=0)
    highest_step = IntegerField(default=0)  # see choices.ESCALATION_STEPS
    resolved = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("assessment", "agreement"), True),)
        constraints = [
            Check("times_not_followed >= 0"),
            Check("highest_step >= 0 AND highest_step <= 4"),
        ]


class AssessmentChange(BaseModel):
    """One recorded change to an assessment: a field of an answer, an action,
    an escalation signal or the state itself (who, when, old → new)."""

    assessment = ForeignKeyField(Assessment, backref="changes", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow)
    agreement = ForeignKeyField(Agreement, null=True, on_delete="RESTRICT", backref="+")
    field = CharField(max_length=64)
    old_value = TextField(null=True)
    new_value = TextField(null=True)
    version = IntegerField(default=0)  # the assessment version this change created

    class Meta:
        indexes = ((("assessment", "at"), False), (("assessment", "version"), False))


class Reminder(BaseModel):
    """A reminder that went out to the people of an assessment's organisation:
    by the schedule (no user) or by a coordinator. The monitor shows the last."""

    assessment = ForeignKeyField(Assessment, backref="reminders", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    recipients = IntegerField(default=0)

    class Meta:
        indexes = ((("assessment", "at"), False),)
