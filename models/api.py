"""Personal access tokens for the open data feed, and request counts."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from models.accounts import User
from models.base import BaseModel, utcnow


class ApiToken(BaseModel):
    """A personal, read-only token for /api/v1. Only its SHA-256 is stored; the
    token reads what its owner may read, until it expires or is revoked."""

    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=100)
    prefix = CharField(max_length=12)  # shown in lists, so the owner can tell tokens apart
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)


class RequestCount(BaseModel):
    """Requests per scope, key and window (the API per user and minute; failed
    API authentications, locked logins and reset requests per client address
    and hour), in the database so a limit holds across workers and hosts.
    `event_id` is the audit event that records the window in aggregate."""

    scope = CharField(max_length=16)
    key = CharField(max_length=64)
    window = DateTimeField()
    count = IntegerField(default=0)
    event_id = IntegerField(null=True)

    class Meta:
        indexes = ((("scope", "key", "window"), True),)
