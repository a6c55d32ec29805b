"""/health for the load balancer, and the installation's status for the
beheerder (Beheer → Status)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Blueprint, current_app, render_template

from jobs import status
from models.choices import RUN_STATES
from web.access import access

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/health")
@access("public")
def health():
    # No login and no details beyond what is down: whether this instance can
    # answer with its database (503 when not), and whether it can write to the
    # report store (downloads and the batch need it; still 200: the pages work).
    down = []
    check = status.database_check()
    if not check.ok:
        logger.warning("health: database unreachable (%s)", check.details.get("error"))
        down.append("database")
    if not _store_writable(Path(current_app.config["REPORTS_DIR"])):
        logger.warning("health: report store not writable")
        down.append("report store")
    if not down:
        body, code = "ok", 200
    elif "database" in down:
        body, code = "unavailable: " + ", ".join(down), 503
    else:
        body, code = "degraded: " + ", ".join(down), 200
    return body, code, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def _store_writable(path: Path) -> bool:
    """The report store exists and this process may write to it (or, before
    the first report, to the directory that will hold it)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


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
