"""Personal access tokens for the open data feed, and their request counts."""

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


class ApiRate(BaseModel):
    """Requests per token per minute, in the database so the limit holds across
    workers and hosts."""

    token = ForeignKeyField(ApiToken, backref="+", on_delete="CASCADE")
    window = DateTimeField()  # the minute, UTC
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("token", "window"), True),)
