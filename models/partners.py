"""Partners an organisation says it does not work with on an agreement."""

from peewee import DateTimeField, ForeignKeyField

from models.base import BaseModel, utcnow
from models.cycles import Answer, Assessment
from models.framework import Agreement
from models.geo import Organisation


class NotWorkingTogether(BaseModel):
    """On a bilateral agreement: a listed partner organisation the answering
    organisation does not work with on it ("werken niet samen op deze
    afspraak"). An answer in its own right, apart from no rating yet; no
    score, so the partner view (PARTNER) never counts it."""

    answer = ForeignKeyField(Answer, backref="+", on_delete="CASCADE")
    assessment = ForeignKeyField(Assessment, backref="+", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, backref="+", on_delete="RESTRICT")
    partner = ForeignKeyField(Organisation, on_delete="CASCADE", backref="+")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "not_working_together"
        indexes = ((("answer", "partner"), True),)
