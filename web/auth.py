"""Logging in and out. (Throttling, password reset and the full account
screens come with the accounts work.)"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)

from domain.audit import record
from domain.passwords import hash_password, needs_rehash, verify_password
from models import User, utcnow

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in om deze pagina te zien."
login_manager.login_message_category = "info"


class SessionUser(UserMixin):
    """The logged-in person. The session id carries the user's session version,
    so bumping it in the database ends every session that holds an older one."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = User.get_or_none(User.id == user_id, User.active == True)  # noqa: E712
    if user is None or user.session_version != version:
        return None
    return SessionUser(user)


def init_app(app: Flask) -> None:
    """Attach flask-login to the app."""
    login_manager.init_app(app)


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after login; anything else goes home."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = User.get_or_none(User.email == email, User.active == True)  # noqa: E712
        if verify_password(user.password_hash if user else None, password):
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            user.save()
            login_user(SessionUser(user))
            record("login", user=user, ip=request.remote_addr or "")
            return redirect(_safe_next(request.args.get("next")))
        record("login_failed", actor=email, ip=request.remote_addr or "")
        flash("Onbekend e-mailadres of onjuist wachtwoord.", "error")
    return render_template("auth/login.html", email=email), 200 if request.method == "GET" else 401


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    user = current_user.user
    # End this session everywhere, including copies of the cookie.
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    record("logout", user=user, ip=request.remote_addr or "")
    logout_user()
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))
