"""What the batch and the application did: report runs and files, the e-mail
outbox and the audit log."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.accounts import User
from models.base import BaseModel, JSONField, utcnow
from models.cycles import Cycle


class ReportRun(BaseModel):
    """One run of a batch job for one period. The unique (job, period) row is
    claimed before the work starts, so a job runs once across hosts."""

    job = CharField(max_length=64)
    period = CharField(max_length=32)  # a date (nightly) or a cycle period
    state = CharField(max_length=16, default="bezig")
    host = CharField(max_length=128, default="")
    pid = IntegerField(null=True)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    heartbeat_at = DateTimeField(null=True)
    summary = JSONField(default=dict)
    error = TextField(null=True)

    class Meta:
        indexes = (
            (("job", "period"), True),
            (("started_at",), False),
        )


class ReportRunEarlier(BaseModel):
    """An earlier attempt of a run (failed, crashed or forced again), kept when
    a later attempt takes the (job, period) row over."""

    run = ForeignKeyField(ReportRun, backref="earlier", on_delete="CASCADE")
    state = CharField(max_length=16)
    host = CharField(max_length=128, default="")
    pid = IntegerField(null=True)
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    summary = JSONField(default=dict)
    error = TextField(null=True)


class ReportFile(BaseModel):
    """A report the batch wrote into the report store."""

    run = ForeignKeyField(ReportRun, null=True, backref="files", on_delete="SET NULL")
    cycle = ForeignKeyField(Cycle, backref="report_files", on_delete="RESTRICT")
    kind = CharField(max_length=32)  # xlsx_regions, xlsx_gemeente, pdf_organisation, pdf_region
    scope_type = CharField(max_length=12)
    scope_id = IntegerField()
    path = CharField(max_length=500)
    checksum = CharField(max_length=64)  # sha256
    size = IntegerField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cycle", "kind", "scope_type", "scope_id", "created_at"), False),)


class OutboxMessage(BaseModel):
    """An e-mail to deliver. `dedupe_key` makes each message exist once (per
    recipient and report, per reminder day, …), so a rerun never mails twice."""

    dedupe_key = CharField(max_length=200, unique=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    to_address = CharField(max_length=254)
    subject = CharField(max_length=300)
    body_text = TextField()
    body_html = TextField(null=True)
    attachments = JSONField(default=list)  # report file paths
    # Carries a secret (a reset or invitation link): the body is removed once
    # the message is delivered or given up.
    secret = BooleanField(default=False)
    # One Message-ID for every attempt (set when queued), so a resend after a
    # crash is recognisable as the same message.
    message_id = CharField(max_length=255, null=True)
    state = CharField(max_length=12, default="wachtend")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False),)


class AuditEvent(BaseModel):
    """Who did what, when (UTC). Never holds secrets."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    actor = CharField(max_length=254, default="")  # e-mail or "systeem", kept if the user goes
    action = CharField(max_length=64, index=True)
    object_type = CharField(max_length=32, default="")
    object_id = CharField(max_length=64, default="")
    details = JSONField(default=dict)
    ip = CharField(max_length=64, default="")


class ServiceHeartbeat(BaseModel):
    """A process that says every minute that it is alive (the scheduler)."""

    service = CharField(max_length=32)
    host = CharField(max_length=128)
    pid = IntegerField()
    started_at = DateTimeField(default=utcnow)
    beat_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("service", "host", "pid"), True),
            (("beat_at",), False),
        )
