"""Retention: how long the records of what happened are kept. The nightly run
deletes what is older and reports how much."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from models import AuditEvent, LoginThrottle, OutboxMessage, ReportRun, db

logger = logging.getLogger(__name__)

LOGIN_ACTIONS = ("login", "login_failed", "login_throttled", "logout")
# Below this the batch could forget what it already did (a closed cycle's
# distribution is looked up for 30 days; a mail's dedupe key guards reruns).
MINIMUM_DAYS = 35


@dataclass(frozen=True)
class RetentionSettings:
    report_runs_days: int = 730
    sent_mail_days: int = 90
    audit_days: int = 730
    login_days: int = 180

    @classmethod
    def from_config(cls, config) -> RetentionSettings:
        """Settings from a Flask-style config mapping (RETAIN_*_DAYS)."""
        return cls(
            report_runs_days=config["RETAIN_REPORT_RUNS_DAYS"],
            sent_mail_days=config["RETAIN_SENT_MAIL_DAYS"],
            audit_days=config["RETAIN_AUDIT_DAYS"],
            login_days=config["RETAIN_LOGIN_DAYS"],
        )

    def cutoff(self, now: dt.datetime, days: int) -> dt.datetime:
        """The moment before which records of this kind go."""
        return now - dt.timedelta(days=max(days, MINIMUM_DAYS))


def prune_records(settings: RetentionSettings, now: dt.datetime) -> dict[str, int]:
    """Delete finished runs, delivered or abandoned mail, audit entries and
    login records past their retention; returns the counts deleted. Report
    files are pruned by reports.store.prune before the runs go."""
    runs_before = settings.cutoff(now, settings.report_runs_days)
    mail_before = settings.cutoff(now, settings.sent_mail_days)
    audit_before = settings.cutoff(now, settings.audit_days)
    login_before = settings.cutoff(now, settings.login_days)
    with db.atomic():
        counts = {
            "report_runs": ReportRun.delete()
            .where(ReportRun.started_at < runs_before, ReportRun.state != "bezig")
            .execute(),
            "sent_mail": OutboxMessage.delete()
            .where(
                ((OutboxMessage.state == "verzonden") & (OutboxMessage.sent_at < mail_before))
                | ((OutboxMessage.state == "mislukt") & (OutboxMessage.created_at < mail_before))
            )
            .execute(),
            "audit_entries": AuditEvent.delete()
            .where(AuditEvent.at < audit_before, AuditEvent.action.not_in(LOGIN_ACTIONS))
            .execute(),
            "login_records": AuditEvent.delete()
            .where(AuditEvent.at < login_before, AuditEvent.action.in_(LOGIN_ACTIONS))
            .execute()
            + LoginThrottle.delete()
            .where(
                LoginThrottle.last_failure_at < login_before,
                (LoginThrottle.locked_until.is_null()) | (LoginThrottle.locked_until < now),
            )
            .execute(),
        }
    logger.info("retention: deleted %s", counts)
    return counts
