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
from web.access import access
from web.formatting import LANGUAGES
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
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user, wait = accounts.authenticate(email, request.form.get("password", ""), _address())
        if user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(request.form["password"])
            user.last_login_at = utcnow()
            user.save()
            session.clear()  # a fresh session: nothing carried over from before login
            session.permanent = True
            login_user(SessionUser(user))
            record("login", user=user, ip=_address())
            return redirect(_safe_next(request.args.get("next")))
        if wait:
            minutes = max(1, (wait + 59) // 60)
            flash(
                _(
                    "Te veel mislukte pogingen. Probeer het over %(minutes)s minuten opnieuw.",
                    minutes=minutes,
                ),
                "error",
            )
            status = 429
        else:
            flash(_("Onbekend e-mailadres of onjuist wachtwoord."), "error")
            status = 401
    return render_template("auth/login.html", email=email), status


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
    if request.method == "POST":
        # Queued: the outbox job mails the link, so this answer does the same
        # work for known and unknown addresses.
        accounts.request_password_reset(request.form.get("email", ""), _address())
        # The same answer whether or not the address is known.
        flash(
            _(
                "Als dit e-mailadres bij ons bekend is, ontvangt u binnen enkele minuten "
                "een e-mail met een link om een nieuw wachtwoord in te stellen."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html")


def _set_password_page(token: str, purpose: str):
    user = accounts.token_user(token, purpose)
    if user is None:
        return render_template("auth/token_invalid.html", purpose=purpose), 404
    if request.method == "POST":
        user, problems = accounts.redeem_token(
            token, purpose, request.form.get("password", ""), request.form.get("repeat", "")
        )
        if user is None:
            return render_template("auth/token_invalid.html", purpose=purpose), 404
        if not problems:
            flash(_("Uw wachtwoord is ingesteld. U kunt nu inloggen."), "info")
            return redirect(url_for("auth.login"))
        for problem in problems:
            flash(_(problem), "error")
    return render_template("auth/set_password.html", user=user, purpose=purpose)


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
    if request.method == "POST":
        if request.form.get("action") == "language":
            locale = request.form.get("locale", "nl")
            if locale in LANGUAGES:
                User.update(locale=locale).where(User.id == user.id).execute()
                user.locale = locale
                flash(_("Uw taalkeuze is opgeslagen."), "info")
            return redirect(url_for("auth.account"))
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
        for problem in problems:
            flash(_(problem), "error")
    return render_template("auth/account.html", roles=roles_of(user))
