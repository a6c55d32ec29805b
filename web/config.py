"""Configuration from the environment, with safe defaults."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

# Days each kind of record is kept; the nightly run deletes what is older.
RETENTION_DEFAULTS = {
    "RETAIN_REPORT_RUNS_DAYS": 730,  # batch runs and the report files of superseded runs
    "RETAIN_SENT_MAIL_DAYS": 90,  # sent (and given-up) outbox messages
    "RETAIN_AUDIT_DAYS": 730,  # audit log entries other than logins
    "RETAIN_LOGIN_DAYS": 180,  # login and logout entries, login throttle records
}


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under
    instance/ (readable by the owner only)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def from_environment(instance_path: Path, overrides: dict | None = None) -> dict:
    """The application settings, read from environment variables; `overrides`
    (tests) win, and a SECRET_KEY among them means none is generated."""
    env = os.environ.get
    overrides = overrides or {}
    settings = {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance_path),
        "DATABASE_URL": env("DATABASE_URL", f"sqlite:///{instance_path / 'afsprakenmonitor.db'}"),
        "REPORTS_DIR": env("REPORTS_DIR", str(instance_path / "reports")),
        "MAIL_HOST": env("MAIL_HOST", "127.0.0.1"),
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USERNAME": env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env("MAIL_USE_TLS", "false").lower() == "true",
        "MAIL_FROM": env("MAIL_FROM", "Afsprakenmonitor <noreply@afsprakenmonitor.local>"),
        "BASE_URL": env("BASE_URL", "http://127.0.0.1:5000"),
        "TIMEZONE": env("TIMEZONE", "Europe/Amsterdam"),
        "SCHEDULE_NIGHTLY": env("SCHEDULE_NIGHTLY", "30 3 * * *"),
        # Cookies are Secure unless explicitly served over plain HTTP (local demo).
        "SESSION_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", "true").lower() == "true",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=int(env("SESSION_HOURS", "10"))),
        "REMEMBER_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=1),
        # A long questionnaire must not lose its token after an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "INVULLER_MAY_SUBMIT": env("INVULLER_MAY_SUBMIT", "false").lower() == "true",
        # Operations: reverse proxies in front (X-Forwarded-For/-Proto trusted
        # from that many hops), log lines as text or JSON, how long records stay.
        "PROXY_HOPS": int(env("PROXY_HOPS", "0")),
        "LOG_FORMAT": env("LOG_FORMAT", "text").lower(),
        "OUTBOX_MINUTES": int(env("OUTBOX_MINUTES", "2")),
        # Result pages each process keeps ready between batch runs (0: none).
        "RESULT_PAGES": int(env("RESULT_PAGES", "256")),
        "API_RATE_PER_MINUTE": int(env("API_RATE_PER_MINUTE", "120")),
        **{key: int(env(key, str(days))) for key, days in RETENTION_DEFAULTS.items()},
        # Who runs this monitor, shown in the header and on the information
        # pages; the logo is a file under instance/ or static/ (empty: none).
        "OWNER_NAME": env("OWNER_NAME", ""),
        "OWNER_LOGO": env("OWNER_LOGO", ""),
        "CONTACT_EMAIL": env("CONTACT_EMAIL", ""),
        "CONTACT_URL": env("CONTACT_URL", ""),
        "CONTACT_TEXT": env("CONTACT_TEXT", ""),
    }
    settings.update(overrides)
    return settings


def instance_path() -> Path:
    """Where the SQLite database, the secret key and the reports live."""
    default = Path(__file__).resolve().parent.parent / "instance"
    return Path(os.environ.get("INSTANCE_PATH", default)).resolve()
