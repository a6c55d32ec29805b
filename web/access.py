"""Declared access rules. Every view states who may reach it; a test walks the
URL map and fails on a view without a rule."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, request
from flask_login import current_user
from peewee import ModelSelect

from domain.audit import record
from domain.scope import has_role, is_admin
from web.login import login_manager

# public: anyone; user: any logged-in person; admin: beheerder;
# coordinator: regiocoördinator or beheerder; token: a personal access token
# of the open data feed (web/api.py), never a session. Object scope is
# checked in the view through scoped_or_404.
RULES = ("public", "user", "admin", "coordinator", "token")


def access(rule: str) -> Callable:
    """Declare and enforce who may reach a view."""
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if rule != "public":
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                user = current_user.user
                allowed = (
                    rule == "user"
                    or (rule == "admin" and is_admin(user))
                    or (
                        rule == "coordinator"
                        and (is_admin(user) or has_role(user, "regiocoordinator"))
                    )
                )
                if not allowed:
                    deny(403)
            return view(*args, **kwargs)

        wrapped.access_rule = rule
        return wrapped

    return decorator


def deny(status: int = 404):
    """Refuse, and write the refusal in the audit log."""
    user = current_user.user if current_user.is_authenticated else None
    record(
        "access_denied",
        user=user,
        ip=request.remote_addr or "",
        path=request.path,
        method=request.method,
        status=status,
    )
    abort(status)


def scoped_or_404(query: ModelSelect, object_id: int):
    """The object with this id from a query already limited to the user's scope;
    an object outside the scope answers 404, as if it did not exist."""
    model = query.model
    obj = query.where(model.id == object_id).first()
    if obj is None:
        deny(404)
    return obj
