"""Accounts: password policy, login throttling, single-use mail tokens, users
and their role assignments."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from functools import cache
from pathlib import Path

from peewee import IntegrityError

from domain import api_tokens, inputs, limits
from domain.audit import record
from domain.inputs import LIMITS, MSG_CONTROL, line_problem, printable
from domain.mail import queue_template
from domain.passwords import hash_password, verify_password
from domain.scope import forget_roles
from models import (
    Gemeente,
    LoginThrottle,
    Organisation,
    PasswordResetRequest,
    Region,
    RoleAssignment,
    User,
    UserToken,
    db,
    utcnow,
)
from models.choices import N_, ROLE_SCOPE, ROLES

logger = logging.getLogger(__name__)

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

# Throttling: this many failures are free; after that each further failure
# doubles the lock, from 30 seconds up to an hour. Failures older than the
# window are forgotten.
FREE_FAILURES = {"account": 5, "address": 20, "password": 5}
FIRST_LOCK = dt.timedelta(seconds=30)
MAX_LOCK = dt.timedelta(hours=1)
FAILURE_WINDOW = dt.timedelta(minutes=15)

TOKEN_LIFETIME = {"reset": dt.timedelta(hours=2), "invite": dt.timedelta(days=14)}

MSG_TOO_SHORT = N_("Kies een wachtwoord van minstens 8 tekens.")
MSG_TOO_LONG = N_("Een wachtwoord mag hoogstens 256 tekens lang zijn.")
MSG_COMMON = N_("Dit wachtwoord komt veel voor en is makkelijk te raden. Kies een ander.")
MSG_PERSONAL = N_("Het wachtwoord lijkt te veel op uw e-mailadres of naam.")
MSG_WRONG_CURRENT = N_("Uw huidige wachtwoord klopt niet.")
MSG_MISMATCH = N_("De twee nieuwe wachtwoorden zijn niet gelijk.")
MAX_NAME = LIMITS["name"]
MSG_NAME_TOO_LONG = N_("Een naam is hoogstens 200 tekens lang.")
MSG_NO_EMAIL = N_("Vul een e-mailadres in.")
MSG_BAD_EMAIL = N_("Vul een geldig e-mailadres in, zoals naam@organisatie.nl.")
MSG_CHANGE_LOCKED = N_(
    "Te vaak een onjuist huidig wachtwoord. Wacht een paar minuten en probeer het dan opnieuw."
)


@cache
def _common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS.open(encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip() and line[0] != "#")


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a new password (empty when it is fine). Length and
    commonness only: no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [MSG_TOO_SHORT]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [MSG_TOO_LONG]
    lowered = password.lower()
    if lowered in _common_passwords():
        return [MSG_COMMON]
    personal = {email.lower(), email.lower().split("@")[0], name.lower().replace(" ", "")}
    if lowered.replace(" ", "") in personal - {""}:
        return [MSG_PERSONAL]
    return []


# --- throttling --------------------------------------------------------------


def _lock_for(failures: int, scope: str) -> dt.timedelta | None:
    over = failures - FREE_FAILURES[scope]
    if over < 0:
        return None
    return min(FIRST_LOCK * (2**over), MAX_LOCK)


def throttle_wait(email: str, address: str, now: dt.datetime | None = None) -> int:
    """Seconds until this account or address may try again (0: now)."""
    now = now or utcnow()
    locked = (
        LoginThrottle.select(LoginThrottle.locked_until)
        .where(
            ((LoginThrottle.scope == "account") & (LoginThrottle.key == email.lower()))
            | ((LoginThrottle.scope == "address") & (LoginThrottle.key == address)),
            LoginThrottle.locked_until > now,
        )
        .tuples()
    )
    waits = [(until - now).total_seconds() for (until,) in locked]
    return int(max(waits, default=0) + 0.999)


def _count_failure(scope: str, key: str, now: dt.datetime) -> None:
    row, _ = LoginThrottle.get_or_create(scope=scope, key=key[:254])
    recent = row.last_failure_at and now - row.last_failure_at < FAILURE_WINDOW
    failures = (row.failures if recent or row.locked_until else 0) + 1
    lock = _lock_for(failures, scope)
    LoginThrottle.update(
        failures=failures,
        last_failure_at=now,
        locked_until=now + lock if lock else None,
    ).where(LoginThrottle.id == row.id).execute()


def register_failure(email: str, address: str, now: dt.datetime | None = None) -> None:
    """Count a failed login against the account and the address."""
    now = now or utcnow()
    with db.atomic():
        for scope, key in (("account", email.lower()), ("address", address)):
            _count_failure(scope, key, now)


def register_success(email: str) -> None:
    """A correct password clears the account's failures (not the address's)."""
    LoginThrottle.delete().where(
        LoginThrottle.scope == "account", LoginThrottle.key == email.lower()
    ).execute()


def authenticate(
    email: str, password: str, address: str, now: dt.datetime | None = None
) -> tuple[User | None, int]:
    """Check a login. Returns (user, 0) on success, (None, 0) on a wrong email
    or password, and (None, seconds) while throttled; the password is not even
    checked then."""
    # Text the database cannot hold (NUL, surrogates) never names an account anyway.
    email = printable(email.strip().lower())[:254]
    address = printable(address)[:64]
    wait = throttle_wait(email, address, now)
    if wait:
        # Counted per address; past a few an hour, in one aggregate audit event.
        limits.anonymous_event(
            "login_locked", "login_throttled", address, now, actor=email, wait_seconds=wait
        )
        return None, wait
    user = User.get_or_none(User.email == email, User.active == True)  # noqa: E712
    if not verify_password(user.password_hash if user else None, password):
        register_failure(email, address, now)
        record("login_failed", actor=email, ip=address)
        return None, 0
    register_success(email)
    return user, 0


# --- passwords ---------------------------------------------------------------


def set_password(user: User, password: str) -> None:
    """Store a new password and end every session and API token of the user."""
    User.update(
        password_hash=hash_password(password), session_version=User.session_version + 1
    ).where(User.id == user.id).execute()
    user.session_version += 1
    api_tokens.revoke_all(user, "password")


def change_password(
    user: User, current: str, new: str, repeat: str, now: dt.datetime | None = None
) -> list[str]:
    """Change the user's own password; returns the problems (empty on success).
    Wrong current passwords are throttled like logins: after a few, the
    current password is not even checked until the lock has passed."""
    now = now or utcnow()
    key = str(user.id)
    locked = LoginThrottle.get_or_none(
        LoginThrottle.scope == "password",
        LoginThrottle.key == key,
        LoginThrottle.locked_until > now,
    )
    if locked is not None:
        record("password_change_throttled", user=user)
        return [MSG_CHANGE_LOCKED]
    if not verify_password(user.password_hash, current):
        with db.atomic():
            _count_failure("password", key, now)
        record("password_change_failed", user=user)
        return [MSG_WRONG_CURRENT]
    LoginThrottle.delete().where(
        LoginThrottle.scope == "password", LoginThrottle.key == key
    ).execute()
    if new != repeat:
        return [MSG_MISMATCH]
    problems = password_problems(new, email=user.email, name=user.name)
    if not problems:
        set_password(user, new)
        record("password_changed", user=user)
    return problems


# --- tokens ------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: str, now: dt.datetime | None = None) -> str:
    """A new single-use token for the user; earlier unused ones of the same
    purpose stop working. Returns the token itself (only its hash is kept)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with db.atomic():
        UserToken.update(used_at=now).where(
            UserToken.user == user, UserToken.purpose == purpose, UserToken.used_at.is_null()
        ).execute()
        UserToken.create(
            user=user,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME[purpose],
        )
    return token


def token_user(token: str, purpose: str, now: dt.datetime | None = None) -> User | None:
    """The active user a valid, unused, unexpired token belongs to, without using it."""
    now = now or utcnow()
    row = (
        UserToken.select(UserToken, User)
        .join(User)
        .where(
            UserToken.token_hash == _digest(token),
            UserToken.purpose == purpose,
            UserToken.used_at.is_null(),
            UserToken.expires_at > now,
            User.active == True,  # noqa: E712
        )
        .first()
    )
    return row.user if row else None


def redeem_token(
    token: str, purpose: str, password: str, repeat: str, now: dt.datetime | None = None
) -> tuple[User | None, list[str]]:
    """Set a password with a token. The token is used up only when the password
    is accepted; a second use finds nothing."""
    now = now or utcnow()
    user = token_user(token, purpose, now)
    if user is None:
        return None, []
    if password != repeat:
        return user, [MSG_MISMATCH]
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        return user, problems
    with db.atomic():
        claimed = (
            UserToken.update(used_at=now)
            .where(UserToken.token_hash == _digest(token), UserToken.used_at.is_null())
            .execute()
        )
        if claimed != 1:  # used by a concurrent request a moment ago
            return None, []
        set_password(user, password)
    record("password_reset" if purpose == "reset" else "invitation_accepted", user=user)
    return user, []


# --- users and roles ---------------------------------------------------------


class AccountError(ValueError):
    """A change to users or roles that cannot be made, with a Dutch message and
    the field it is about ("email", "name", "locale", "active", "role", or the
    scope "region", "organisation", "gemeente"), so a form can show it there."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """E-mail addresses are stored trimmed and in lower case."""
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """What is wrong with an e-mail address as typed, or None."""
    if not email.strip():
        return MSG_NO_EMAIL
    if "@" not in email or line_problem(email, LIMITS["email"]):
        return MSG_BAD_EMAIL
    return None


def person_problems(email: str, name: str) -> dict[str, str]:
    """What is wrong with an e-mail address and a name, by field ("email",
    "name"), through the one check of single-line text; empty when both are fine."""
    problems = {}
    if problem := email_problem(email):
        problems["email"] = problem
    problem = line_problem(name.strip(), MAX_NAME)
    if not name.strip():
        problems["name"] = N_("Vul een naam in.")
    elif problem == inputs.MSG_TOO_LONG:
        problems["name"] = MSG_NAME_TOO_LONG
    elif problem:
        problems["name"] = MSG_CONTROL
    return problems


def _check_person(email: str, name: str) -> None:
    for field, message in person_problems(email, name).items():
        raise AccountError(message, field)


def create_user(actor: User | None, email: str, name: str, locale: str = "nl") -> User:
    """A new active user without a password; invite them to set one."""
    email = normalise_email(email)
    _check_person(email, name)
    try:
        with db.atomic():
            user = User.create(email=email, name=name.strip(), locale=locale)
    except IntegrityError as exc:
        raise AccountError(N_("Er bestaat al een gebruiker met dit e-mailadres."), "email") from exc
    record("user_created", user=actor, object_type="user", object_id=user.id, email=email)
    return user


def update_user(actor: User, user: User, *, name: str, email: str, locale: str, active: bool):
    """Change a user's details; deactivating ends their sessions."""
    email = normalise_email(email)
    _check_person(email, name)
    if locale not in ("nl", "en"):
        raise AccountError(N_("Kies Nederlands of Engels."), "locale")
    changes = {
        k: (getattr(user, k), v)
        for k, v in {
            "name": name.strip(),
            "email": email,
            "locale": locale,
            "active": active,
        }.items()
        if getattr(user, k) != v
    }
    if not changes:
        return {}
    if user.id == actor.id and "active" in changes:
        raise AccountError(N_("U kunt uw eigen account niet deactiveren."), "active")
    for key, (_, new) in changes.items():
        setattr(user, key, new)
    if "active" in changes or "email" in changes:
        user.session_version += 1
    try:
        with db.atomic():
            user.save()
    except IntegrityError as exc:
        raise AccountError(N_("Er bestaat al een gebruiker met dit e-mailadres."), "email") from exc
    record(
        "user_changed",
        user=actor,
        object_type="user",
        object_id=user.id,
        changes={k: [str(o), str(n)] for k, (o, n) in changes.items()},
    )
    if "active" in changes and not user.active:
        api_tokens.revoke_all(user, "deactivated", actor=actor)
    return changes


def scope_label(assignment: RoleAssignment, translate=str) -> str:
    """'Manager – JGZ Zuid-Limburg' and the like; `translate` renders the role."""
    target = assignment.region or assignment.organisation or assignment.gemeente
    label = translate(ROLES[assignment.role])
    return f"{label} – {target.name}" if target else label


def grant_role(
    actor: User | None, user: User, role: str, target: Region | Organisation | Gemeente | None
) -> tuple[RoleAssignment, bool]:
    """Give a user a role on a region, organisation or gemeente (or everything
    for beheerder). Granting what the user already has changes nothing."""
    if role not in ROLES:
        raise AccountError(N_("Onbekende rol."), "role")
    needed = ROLE_SCOPE[role]
    kinds = {"region": Region, "organisation": Organisation, "gemeente": Gemeente}
    if needed is None and target is not None:
        raise AccountError(N_("Een beheerder heeft geen regio, organisatie of gemeente."), "role")
    if needed is not None and not isinstance(target, kinds[needed]):
        raise AccountError(
            {
                "region": N_("Kies de regio voor deze rol."),
                "organisation": N_("Kies de organisatie voor deze rol."),
                "gemeente": N_("Kies de gemeente voor deze rol."),
            }[needed],
            needed,
        )
    scope = {needed: target} if needed else {}
    query = RoleAssignment.select().where(RoleAssignment.user == user, RoleAssignment.role == role)
    for field in ("region", "organisation", "gemeente"):
        column = getattr(RoleAssignment, field)
        query = query.where(column == target if field == needed else column.is_null())
    existing = query.first()
    if existing:
        return existing, False
    assignment = RoleAssignment.create(user=user, role=role, **scope)
    forget_roles()
    record(
        "role_granted",
        user=actor,
        object_type="user",
        object_id=user.id,
        role=role,
        scope=target.name if target else "alles",
    )
    return assignment, True


def revoke_role(actor: User, assignment: RoleAssignment) -> None:
    """Take a role away. The last beheerder cannot lose that role."""
    if assignment.role == "beheerder":
        admins = RoleAssignment.select().where(RoleAssignment.role == "beheerder").count()
        if admins <= 1:
            raise AccountError(N_("Er moet minstens één beheerder overblijven."))
    label = scope_label(assignment)
    assignment.delete_instance()
    forget_roles()
    record(
        "role_revoked",
        user=actor,
        object_type="user",
        object_id=assignment.user_id,
        role=assignment.role,
        scope=label,
    )
    # A token read what the roles allowed when it was made: a narrower set of
    # roles starts again with new tokens.
    api_tokens.revoke_all(assignment.user, "role", actor=actor)


# --- mails -------------------------------------------------------------------

RESETS_PER_HOUR = 3


def send_invitation(actor: User | None, user: User, link_for) -> None:
    """Queue an invitation with a link (built by `link_for(token)`) to set a password."""
    token = issue_token(user, "invite")
    roles = [
        scope_label(a)
        for a in RoleAssignment.select()
        .where(RoleAssignment.user == user)
        .order_by(RoleAssignment.id)
    ]
    queue_template(
        f"invite:{user.id}:{_digest(token)[:16]}",
        user,
        "invite",
        link=link_for(token),
        roles=roles,
        days=TOKEN_LIFETIME["invite"].days,
        secret=True,
    )
    record("invitation_sent", user=actor, object_type="user", object_id=user.id)


def request_password_reset(email: str, address: str = "", now: dt.datetime | None = None) -> None:
    """Note a "wachtwoord vergeten" request; `process_reset_requests` mails the
    link later. Whether or not the address is known, this is the same work
    (one row and one audit event), so the answer tells nobody which exist."""
    email = printable(normalise_email(email))[:254]
    address = printable(address)[:64]
    with db.atomic():
        # An address past its few requests an hour is counted, not queued.
        if limits.anonymous_event(
            "reset_request", "password_reset_requested", address, now, actor=email
        ):
            PasswordResetRequest.create(email=email, ip=address, requested_at=now or utcnow())


def process_reset_requests(link_for, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Turn waiting reset requests into mails (a link built by `link_for(token)`)
    for addresses of active users, at most three an hour per user; returns how
    many mails were queued. Run by the outbox job before it delivers."""
    now = now or utcnow()
    waiting = list(PasswordResetRequest.select().order_by(PasswordResetRequest.id).limit(limit))
    queued = 0
    for request in waiting:
        with db.atomic():
            claimed = (
                PasswordResetRequest.delete().where(PasswordResetRequest.id == request.id).execute()
            )
            if claimed == 1 and _queue_reset(request.email, link_for, now):
                queued += 1
    return queued


def _queue_reset(email: str, link_for, now: dt.datetime) -> bool:
    user = User.get_or_none(User.email == email, User.active == True)  # noqa: E712
    if user is None:
        return False
    recent = (
        UserToken.select()
        .where(
            UserToken.user == user,
            UserToken.purpose == "reset",
            UserToken.created_at > now - dt.timedelta(hours=1),
        )
        .count()
    )
    if recent >= RESETS_PER_HOUR:
        return False
    token = issue_token(user, "reset", now)
    queue_template(
        f"reset:{user.id}:{_digest(token)[:16]}",
        user,
        "reset",
        link=link_for(token),
        hours=int(TOKEN_LIFETIME["reset"].total_seconds() // 3600),
        secret=True,
    )
    return True
