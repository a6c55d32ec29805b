"""People and what they may see: users and their role assignments."""

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from models.base import BaseModel, utcnow
from models.geo import Gemeente, Organisation, Region


class User(BaseModel):
    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=200)
    password_hash = CharField(max_length=255, null=True)
    active = BooleanField(default=True)
    locale = CharField(max_length=5, default="nl")
    # Bumped on logout and password change: sessions carrying an older
    # number are refused, so a copied cookie stops working.
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        table_name = "app_user"  # "user" is reserved in PostgreSQL

    def __str__(self) -> str:
        return self.name


class RoleAssignment(BaseModel):
    """A role held by a user, scoped to one region, organisation or gemeente
    (or to everything, for the beheerder)."""

    user = ForeignKeyField(User, backref="roles", on_delete="CASCADE")
    role = CharField(max_length=20)
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, null=True, on_delete="CASCADE")
    gemeente = ForeignKeyField(Gemeente, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [
            Check(
                "(role = 'beheerder' AND region_id IS NULL AND organisation_id IS NULL"
                " AND gemeente_id IS NULL)"
                " OR (role = 'regiocoordinator' AND region_id IS NOT NULL"
                " AND organisation_id IS NULL AND gemeente_id IS NULL)"
                " OR (role IN ('manager', 'invuller') AND organisation_id IS NOT NULL"
                " AND region_id IS NULL AND gemeente_id IS NULL)"
                " OR (role = 'gemeente' AND gemeente_id IS NOT NULL"
                " AND region_id IS NULL AND organisation_id IS NULL)"
            )
        ]
        indexes = ((("user", "role"), False),)


class LoginThrottle(BaseModel):
    """Failed logins per account (e-mail as typed) and per client address, so
    throttling holds across workers and hosts."""

    scope = CharField(max_length=8)  # "account" or "address"
    key = CharField(max_length=254)
    failures = IntegerField(default=0)
    last_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)

    class Meta:
        indexes = ((("scope", "key"), True),)


class UserToken(BaseModel):
    """A single-use token mailed to a user: a password reset or an invitation.
    Only its SHA-256 is stored."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    purpose = CharField(max_length=12)  # "reset" or "invite"
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class PasswordResetRequest(BaseModel):
    """A "wachtwoord vergeten" request as typed, waiting for the outbox job to
    mail a link when the address belongs to an active user. Queuing it is the
    same work for every address, so the answer's timing reveals nothing."""

    email = CharField(max_length=254)
    ip = CharField(max_length=64, default="")
    requested_at = DateTimeField(default=utcnow)
