"""An organisation's consent to be asked about what works there."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from models.accounts import User
from models.base import BaseModel, utcnow
from models.geo import Organisation


class PracticeSharing(BaseModel):
    """ "Wat werkt elders": the organisation's manager lets organisations of
    the same kind in other regions see on which agreements it does well, and
    ask it about them at this address. Without a row, or with `enabled`
    false, nothing of the organisation is shown outside its own scope."""

    organisation = ForeignKeyField(
        Organisation, backref="practice_sharing", unique=True, on_delete="CASCADE"
    )
    enabled = BooleanField(default=False)
    contact = CharField(max_length=254, default="")
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
