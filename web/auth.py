"""Logging in and out, forgotten passwords, invitations and the user's own account."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from domain import accounts
from domain.audit import record
from domain.passwords import hash_password, needs_rehash
from domain.scope import roles_of
from models import User, utcnow
from models.choices import N_
from web.access import access
from web.form_errors import INVALID, FieldErrors, page_status
from web.formatting import LANGUAGES, say
from web.login import SessionUser
from web.login import init_app as init_login

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Attach the login session (web/login.py) to the app."""
    init_login(app)


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after login; anything else goes home."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


def _link(endpoint: str):
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda token: base + url_for(endpoint, token=token)


def _address() -> str:
    return request.remote_addr or ""


@bp.route("/inloggen", methods=["GET", "POST"])
@access("public")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    email = ""
    errors = FieldErrors()
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        if not email:
            errors.add("email", _("Vul uw e-mailadres in."))
        if not password:
            errors.add("password", _("Vul uw wachtwoord in."))
        if errors:
            return _login_page(email, errors, INVALID)
        user, wait = accounts.authenticate(email, password, _address())
        if user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            user.save()
            session.clear()  # a fresh session: nothing carried over from before login
            session.permanent = True
            login_user(SessionUser(user))
            record("login", user=user, ip=_address())
            return redirect(_safe_next(request.args.get("next")))
        if wait:
            minutes = max(1, (wait + 59) // 60)
            errors.add(
                "email",
                _(
                    "Te veel mislukte pogingen. Probeer het over %(minutes)s minuten opnieuw.",
                    minutes=minutes,
                ),
            )
            status = 429
        else:
            errors.add("email", _("Onbekend e-mailadres of onjuist wachtwoord."))
            status = 401
    return _login_page(email, errors, status)


def _login_page(email: str, errors: FieldErrors, status: int):
    return render_template(
        "auth/login.html",
        email=email,
        errors=errors,
        labels=LOGIN_FIELDS,
        # Which of the two is wrong is not said: the password is marked as well.
        wrong_password=status == 401,
    ), status


LOGIN_FIELDS = {"email": N_("E-mailadres"), "password": N_("Wachtwoord")}
# The fields of the forms that set a password, named as their labels.
PASSWORD_FIELDS = {
    "locale": N_("Taal van de schermen"),
    "current": N_("Huidig wachtwoord"),
    "password": N_("Nieuw wachtwoord"),
    "repeat": N_("Herhaal het nieuwe wachtwoord"),
}
# Where a problem with a new password is shown; any other is about the new password.
PASSWORD_PROBLEM_FIELDS = {
    accounts.MSG_WRONG_CURRENT: "current",
    accounts.MSG_CHANGE_LOCKED: "current",
    accounts.MSG_MISMATCH: "repeat",
}


def _password_errors(problems: list[str]) -> FieldErrors:
    errors = FieldErrors()
    for problem in problems:
        errors.add(PASSWORD_PROBLEM_FIELDS.get(problem, "password"), say(problem))
    return errors


@bp.route("/uitloggen", methods=["POST"])
@access("user")
def logout():
    user = current_user.user
    # End this session everywhere, including copies of the cookie.
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    record("logout", user=user, ip=_address())
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@access("public")
def forgot():
    email = ""
    errors = FieldErrors()
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        # Only what the person can see for themselves is checked here: every
        # other address goes through the same work, known or not.
        if not email:
            errors.add("email", _("Vul uw e-mailadres in."))
        elif "@" not in email:
            errors.add("email", say(accounts.MSG_BAD_EMAIL))
        else:
            # Queued: the outbox job mails the link, so this answer does the same
            # work for known and unknown addresses.
            accounts.request_password_reset(email, _address())
            # The same answer whether or not the address is known.
            flash(
                _(
                    "Als dit e-mailadres bij ons bekend is, ontvangt u binnen enkele minuten "
                    "een e-mail met een link om een nieuw wachtwoord in te stellen."
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/forgot.html", email=email, errors=errors, labels=LOGIN_FIELDS
    ), page_status(errors)


def _set_password_page(token: str, purpose: str):
    user = accounts.token_user(token, purpose)
    if user is None:
        return render_template("auth/token_invalid.html", purpose=purpose), 404
    errors = FieldErrors()
    if request.method == "POST":
        user, problems = accounts.redeem_token(
            token, purpose, request.form.get("password", ""), request.form.get("repeat", "")
        )
        if user is None:
            return render_template("auth/token_invalid.html", purpose=purpose), 404
        if not problems:
            flash(_("Uw wachtwoord is ingesteld. U kunt nu inloggen."), "info")
            return redirect(url_for("auth.login"))
        errors = _password_errors(problems)
    return render_template(
        "auth/set_password.html",
        user=user,
        purpose=purpose,
        errors=errors,
        labels=PASSWORD_FIELDS,
    ), page_status(errors)


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
@access("public")
def reset(token: str):
    return _set_password_page(token, "reset")


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
@access("public")
def invitation(token: str):
    return _set_password_page(token, "invite")


@bp.route("/account", methods=["GET", "POST"])
@access("user")
def account():
    user = current_user.user
    errors = FieldErrors()
    if request.method == "POST":
        if request.form.get("action") == "language":
            locale = request.form.get("locale", "")
            if locale in LANGUAGES:
                User.update(locale=locale).where(User.id == user.id).execute()
                user.locale = locale
                flash(_("Uw taalkeuze is opgeslagen."), "info")
                return redirect(url_for("auth.account"))
            errors.add("locale", _("Kies Nederlands of Engels."))
        else:
            problems = accounts.change_password(
                user,
                request.form.get("current", ""),
                request.form.get("password", ""),
                request.form.get("repeat", ""),
            )
            if not problems:
                # The change ended every session, this one included: start a new one.
                login_user(SessionUser(User.get_by_id(user.id)))
                flash(_("Uw wachtwoord is gewijzigd. Andere sessies zijn beëindigd."), "info")
                return redirect(url_for("auth.account"))
            errors = _password_errors(problems)
    return render_template(
        "auth/account.html", roles=roles_of(user), errors=errors, labels=PASSWORD_FIELDS
    ), page_status(errors)
