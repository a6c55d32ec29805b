"""Personal access tokens for the open data feed: created and revoked by
their owner, shown once, stored only as a SHA-256, with an expiry, reading
only what the owner may read, and a per-minute rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from domain import limits
from domain.audit import record
from domain.inputs import LIMITS, line_problem
from domain.mail import queue_template
from models import ApiToken, User, utcnow
from models.choices import N_

logger = logging.getLogger(__name__)

PREFIX = "amt_"
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_ACTIVE = 10


class TokenError(ValueError):
    """A request about tokens that cannot be honoured (the message is Dutch, for
    N_), and what it is about: "name", "days", or "" for the user's tokens."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, days: int, *, ip: str = "") -> tuple[ApiToken, str]:
    """A new token for the user; returns it with its secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise TokenError(N_("Geef de sleutel een naam, zodat u hem later herkent."), "name")
    # The one check of single-line text every form and import uses.
    problem = line_problem(name, LIMITS["token_name"])
    if problem:
        raise TokenError(problem, "name")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(N_("Een sleutel is 1 tot 365 dagen geldig."), "days")
    if len(active_tokens(user)) >= MAX_ACTIVE:
        raise TokenError(N_("U heeft al 10 geldige sleutels; trek er eerst een in."))
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken.create(
        user=user,
        name=name,
        prefix=secret[: len(PREFIX) + 6],
        token_hash=_hash(secret),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    record("api_token_created", user=user, object_type="api_token", object_id=token.id, ip=ip,
           name=name, expires_at=token.expires_at.isoformat(timespec="seconds"))  # fmt: skip
    return token, secret


def active_tokens(user: User, now: dt.datetime | None = None) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = now or utcnow()
    return list(
        ApiToken.select()
        .where(ApiToken.user == user, ApiToken.revoked_at.is_null(), ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def tokens_of(user: User) -> list[ApiToken]:
    """All the user's tokens, newest first (expired and revoked ones too)."""
    return list(
        ApiToken.select()
        .where(ApiToken.user == user)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def revoke_token(user: User, token_id: int, *, ip: str = "") -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs."""
    updated = (
        ApiToken.update(revoked_at=utcnow())
        .where(ApiToken.id == token_id, ApiToken.user == user, ApiToken.revoked_at.is_null())
        .execute()
    )
    if updated:
        record("api_token_revoked", user=user, object_type="api_token", object_id=token_id, ip=ip)
    return bool(updated)


# Why a user's tokens end, as the mail to the owner says it.
REVOKE_REASONS = {
    "password": "Het wachtwoord van uw account is gewijzigd of opnieuw ingesteld.",
    "deactivated": "Uw account is gedeactiveerd.",
    "role": "Een van uw rollen is verwijderd.",
}


def revoke_all(user: User, reason: str, *, actor: User | None = None, ip: str = "") -> int:
    """End every working token of the user (a password change or reset, a
    deactivation, a role taken away): each revocation is audited and the owner
    is told by mail. Reactivating the account brings none back. Returns how
    many were revoked."""
    now = utcnow()
    tokens = active_tokens(user, now)
    if not tokens:
        return 0
    ids = [t.id for t in tokens]
    ApiToken.update(revoked_at=now).where(
        ApiToken.id.in_(ids), ApiToken.revoked_at.is_null()
    ).execute()
    for token in tokens:
        record("api_token_revoked", user=actor or user, object_type="api_token",
               object_id=token.id, ip=ip, owner=user.email, reason=reason)  # fmt: skip
    queue_template(
        f"api-tokens-revoked:{user.id}:{min(ids)}:{max(ids)}:{now.isoformat()}",
        user,
        "api_tokens_revoked",
        reason=REVOKE_REASONS[reason],
        why=reason,  # the English mail says the reason in its own words
        count=len(tokens),
        names=", ".join(t.name for t in tokens),
    )
    logger.info("%s api tokens of %s revoked (%s)", len(tokens), user.email, reason)
    return len(tokens)


def authenticate(secret: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The token with this secret if it is valid now (not expired, not revoked,
    owner active); None otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    token = (
        ApiToken.select(ApiToken, User)
        .join(User)
        .where(ApiToken.token_hash == _hash(secret))
        .first()
    )
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    return token


def within_rate(token: ApiToken, limit: int, now: dt.datetime | None = None) -> tuple[bool, int]:
    """Count a request against the minute of the token's owner: the budget
    belongs to the user, all their tokens together, so new tokens bring no
    new budget. Returns (allowed, seconds until the next minute)."""
    now = now or utcnow()
    allowed, wait = limits.within_budget("api", str(token.user_id), limit, now)
    ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return allowed, wait
