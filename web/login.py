"""The session of a logged-in person: flask-login's manager and how a session
finds its user. Both the access rules (web/access.py) and the login pages
(web/auth.py) use it."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager, UserMixin

from models import User
from models.compiled import CompiledQuery

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"


class SessionUser(UserMixin):
    """The logged-in person. The session id carries the user's session version,
    so bumping it in the database ends every session that holds an older one."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"


# Every request of a logged-in person reads them: composed once.
_ACTIVE_USER = CompiledQuery(
    lambda user_id: User.select().where(User.id == user_id, User.active == True)  # noqa: E712
)


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = _ACTIVE_USER.first(user_id)
    if user is None or user.session_version != version:
        return None
    return SessionUser(user)


def init_app(app: Flask) -> None:
    """Attach flask-login to the app."""
    login_manager.init_app(app)
    login_manager.login_message = "Log in om deze pagina te zien."
