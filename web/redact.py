"""Secrets never reach a log line: the reset and invitation links carry their
token in the path, and access logs (werkzeug's, gunicorn's) print the path."""

from __future__ import annotations

import logging
import re

from flask import Flask

HIDDEN = "[verborgen]"
# Loggers that print request paths; a filter on the logger sees every record it emits.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
SECRET_ENDPOINTS = ("auth.reset", "auth.invitation")


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a secret path into one that does not."""

    def __init__(self, prefixes: list[str]):
        super().__init__()
        alternatives = "|".join(re.escape(p) for p in sorted(set(prefixes)))
        self.pattern = re.compile(f"({alternatives})[^\\s?#\"'<>]+")

    def redact(self, text: str) -> str:
        """The text with every token after a secret prefix replaced."""
        return self.pattern.sub(lambda m: m.group(1) + HIDDEN, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            return True  # a broken record is logging's business, not ours
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def secret_prefixes(app: Flask) -> list[str]:
    """The static part of every route whose path carries a token."""
    return [
        rule.rule.split("<", 1)[0]
        for rule in app.url_map.iter_rules()
        if rule.endpoint in SECRET_ENDPOINTS
    ]


def init_app(app: Flask) -> None:
    """Put the filter on the access loggers (once per process)."""
    redactor = RedactSecrets(secret_prefixes(app))
    app.extensions["redact_secrets"] = redactor
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RedactSecrets)]:
            logger.removeFilter(old)
        logger.addFilter(redactor)
