"""Logging: one line per request (method, route, status, duration, user id,
request id), as text or, with LOG_FORMAT=json, as JSON lines.

The line names the route rule (`/wachtwoord-herstellen/<token>`), never the
raw path or the query string, so tokens in links never reach the log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

logger = logging.getLogger("afsprakenmonitor.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message and the
    record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send the application's log records to stderr as text or JSON lines.
    Idempotent: a second app in the same process replaces the handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_afsprakenmonitor", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._afsprakenmonitor = True
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(level)
    # peewee's debug lines print SQL with its parameters: password hashes,
    # mail bodies with their links. Never below INFO, whatever the root says.
    logging.getLogger("peewee").setLevel(max(level, logging.INFO))


def request_id() -> str:
    """This request's id (also the reference on the error page)."""
    return g.get("request_id", "")


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "-"


def _user_id() -> int | None:
    # flask-login keeps the loaded user on g; reading it here never loads one.
    loaded = g.get("_login_user")
    user = getattr(loaded, "user", None)
    return getattr(user, "id", None)


def init_app(app: Flask) -> None:
    """Give every request an id and log one line when it is answered."""
    trust_header = app.config.get("PROXY_HOPS", 0) > 0

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-Id", "") if trust_header else ""
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        fields = {
            "method": request.method,
            "route": _route(),
            "status": response.status_code,
            "duration_ms": duration,
            "user_id": _user_id(),
            "request_id": request_id(),
        }
        logger.info(
            "%(method)s %(route)s %(status)s %(duration_ms)sms user=%(user_id)s "
            "request=%(request_id)s",
            fields,
            extra=fields,
        )
        if request_id():
            response.headers["X-Request-Id"] = request_id()
        return response
