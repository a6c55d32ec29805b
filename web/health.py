"""/health for the load balancer, and the installation's status for the
beheerder (Beheer → Status)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template

from jobs import status
from models.choices import RUN_STATES
from web.access import access

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/health")
@access("public")
def health():
    # No login and no details: whether this instance can answer with its database.
    check = status.database_check()
    if not check.ok:
        logger.warning("health: database unreachable (%s)", check.details.get("error"))
    body, code = ("ok", 200) if check.ok else ("unavailable", 503)
    return body, code, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/beheer/status")
@access("admin")
def status_page():
    checks = status.collect(current_app.config)
    return render_template(
        "admin/status.html",
        checks={c.name: c for c in checks},
        all_ok=all(c.ok for c in checks),
        state_labels=RUN_STATES | status.NIGHTLY_STATES,
    )
