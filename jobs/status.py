"""How the installation is doing: database, migrations, scheduler heartbeat,
the last nightly run, the outbox and the report store's disk. The status page
shows it to the beheerder; the scheduler mails the beheerders once when a
nightly run failed or did not run."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from peewee import PostgresqlDatabase, fn

from domain.mail import queue_template
from jobs.runs import is_dead
from models import OutboxMessage, ReportRun, RoleAssignment, ServiceHeartbeat, User, db, utcnow
from models.choices import N_
from models.migrate import pending

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = dt.timedelta(minutes=1)
SCHEDULER_SILENT_AFTER = dt.timedelta(minutes=3)  # three missed beats
NIGHTLY_GRACE = dt.timedelta(minutes=30)  # a run counts as missing this long after its time
STALE_RUN = dt.timedelta(minutes=30)  # the same as jobs.runs.STALE_AFTER
OUTBOX_LATE = dt.timedelta(hours=1)
DISK_LOW_BYTES = 1 << 30  # 1 GiB


# The nightly run's states beyond a run row's own (models.choices.RUN_STATES).
NIGHTLY_STATES = {
    "niet gedraaid": N_("Niet gedraaid"),
    "vastgelopen": N_("Vastgelopen"),
    "nog niet gepland": N_("Nog niet gepland"),
    "gevraagd": N_("Wacht op zijn beurt"),  # a recompute on request
}


@dataclass
class Check:
    """One line of the status page: ok or not, and what it found."""

    name: str
    ok: bool
    details: dict = field(default_factory=dict)


def beat(service: str = "scheduler", started_at: dt.datetime | None = None) -> None:
    """Record that this process is alive; forget processes silent for a day."""
    now = utcnow()
    host, pid = socket.gethostname()[:128], os.getpid()
    with db.atomic():
        updated = (
            ServiceHeartbeat.update(beat_at=now)
            .where(
                ServiceHeartbeat.service == service,
                ServiceHeartbeat.host == host,
                ServiceHeartbeat.pid == pid,
            )
            .execute()
        )
        if not updated:
            ServiceHeartbeat.insert(
                service=service, host=host, pid=pid, started_at=started_at or now, beat_at=now
            ).on_conflict_ignore().execute()
        ServiceHeartbeat.delete().where(
            ServiceHeartbeat.beat_at < now - dt.timedelta(days=1)
        ).execute()


def forget(service: str = "scheduler") -> None:
    """This process stops: its heartbeat goes, so the status page says so at once."""
    ServiceHeartbeat.delete().where(
        ServiceHeartbeat.service == service,
        ServiceHeartbeat.host == socket.gethostname()[:128],
        ServiceHeartbeat.pid == os.getpid(),
    ).execute()


def database_check() -> Check:
    try:
        db.execute_sql("SELECT 1").fetchone()
    except Exception as exc:  # any driver error means: not reachable
        return Check("database", False, {"error": type(exc).__name__})
    backend = "PostgreSQL" if isinstance(db.obj, PostgresqlDatabase) else "SQLite"
    return Check("database", True, {"backend": backend})


def migrations_check() -> Check:
    waiting = pending(db.obj)
    return Check("migrations", not waiting, {"pending": waiting})


def scheduler_check(now: dt.datetime) -> Check:
    rows = list(
        ServiceHeartbeat.select()
        .where(ServiceHeartbeat.service == "scheduler")
        .order_by(ServiceHeartbeat.beat_at.desc())
        .limit(10)
    )
    alive = [r for r in rows if now - r.beat_at <= SCHEDULER_SILENT_AFTER]
    return Check(
        "scheduler",
        bool(alive),
        {
            "last_beat": rows[0].beat_at if rows else None,
            "processes": [f"{r.host}:{r.pid}" for r in alive],  # for the health check's JSON
            "hosts": sorted({r.host for r in alive}),  # for people: only where there are several
        },
    )


def last_fire(
    schedule: str, zone: ZoneInfo, since: dt.datetime, until: dt.datetime
) -> dt.datetime | None:
    """The last time a crontab schedule fired between two aware moments."""
    trigger = CronTrigger.from_crontab(schedule, timezone=zone)
    found, fire = None, trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= until:
        found = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    return found


def last_due(schedule: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """The latest time the nightly cron fired, at least NIGHTLY_GRACE before
    `now` (naive UTC); a day back, else a month (a weekly or monthly schedule)."""
    bound = now.replace(tzinfo=dt.UTC) - NIGHTLY_GRACE
    for window in (dt.timedelta(hours=26), dt.timedelta(days=32)):
        found = last_fire(schedule, zone, bound - window, bound)
        if found is not None:
            return found
    return None


def _scheduler_ran_before(moment: dt.datetime) -> bool:
    first = (
        ServiceHeartbeat.select(fn.MIN(ServiceHeartbeat.started_at))
        .where(ServiceHeartbeat.service == "scheduler")
        .scalar()
    )
    return first is not None and first.replace(tzinfo=dt.UTC) <= moment


def nightly_check(schedule: str, zone: ZoneInfo, now: dt.datetime) -> Check:
    """The nightly run of the last scheduled night: done, running, failed or missing."""
    latest = (
        ReportRun.select()
        .where(ReportRun.job == "nightly")
        .order_by(ReportRun.period.desc())
        .first()
    )
    due = last_due(schedule, zone, now)
    expected = due.astimezone(zone).date().isoformat() if due else None
    run = (
        ReportRun.get_or_none(ReportRun.job == "nightly", ReportRun.period == expected)
        if expected
        else None
    )
    if expected is None or (latest is None and not _scheduler_ran_before(due)):
        # A new installation: no night has come yet since its scheduler started.
        state = "nog niet gepland"
    elif run is None:
        state = "niet gedraaid"
    elif is_dead(run, now):  # silent too long, or its process is gone
        state = "vastgelopen"
    else:
        state = run.state
    shown = run or latest
    return Check(
        "nightly",
        state in ("gereed", "bezig", "nog niet gepland"),
        {
            "expected_period": expected,
            "state": state,
            "last_period": shown.period if shown else None,
            "last_state": shown.state if shown else None,
            "finished_at": shown.finished_at if shown else None,
            "summary": shown.summary if shown else {},
        },
    )


def outbox_check(now: dt.datetime) -> Check:
    waiting, oldest = (
        OutboxMessage.select(fn.COUNT(OutboxMessage.id), fn.MIN(OutboxMessage.created_at))
        .where(OutboxMessage.state == "wachtend")
        .tuples()
        .get()
    )
    failed = OutboxMessage.select().where(OutboxMessage.state == "mislukt").count()
    return Check(
        "outbox",
        oldest is None or now - oldest <= OUTBOX_LATE,
        {"waiting": waiting, "oldest_unsent": oldest, "failed": failed},
    )


def disk_check(reports_dir: Path) -> Check:
    path = Path(reports_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    return Check(
        "disk",
        usage.free >= DISK_LOW_BYTES,
        {"path": str(reports_dir), "free": usage.free, "total": usage.total},
    )


def collect(config) -> list[Check]:
    """Every check, for the status page. `config`: the application settings."""
    now = utcnow()
    first = database_check()
    if not first.ok:
        return [first, disk_check(config["REPORTS_DIR"])]
    zone = ZoneInfo(config["TIMEZONE"])
    nightly = nightly_check(config["SCHEDULE_NIGHTLY"], zone, now)
    nightly.details["next_run"] = next_run(config, now)
    return [
        first,
        migrations_check(),
        scheduler_check(now),
        nightly,
        recompute_check(now),
        outbox_check(now),
        disk_check(config["REPORTS_DIR"]),
    ]


def next_nightly(config, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the nightly run starts next (UTC, naive like the stored times), from
    the same cron setting the scheduler uses."""
    zone = ZoneInfo(config["TIMEZONE"])
    trigger = CronTrigger.from_crontab(config["SCHEDULE_NIGHTLY"], timezone=zone)
    start = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    moment = trigger.get_next_fire_time(None, start)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment else None


def next_run(config, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the nightly run starts next (naive UTC): the one time Status,
    Batchlog and the results pages give."""
    return next_nightly(config, now.replace(tzinfo=dt.UTC) if now else None)


def recompute_check(now: dt.datetime) -> Check:
    """Recomputes on request (waiting, running, failed) and the last light
    recompute of the open cycles."""
    from models import Cycle, RecomputeRequest

    requests = list(
        RecomputeRequest.select(RecomputeRequest, Cycle)
        .join(Cycle)
        .where(
            (RecomputeRequest.state.in_(("gevraagd", "bezig")))
            | (RecomputeRequest.finished_at >= now - dt.timedelta(days=1))
        )
        .order_by(RecomputeRequest.requested_at.desc())
    )
    light = (
        ReportRun.select()
        .where(ReportRun.job.in_(("bijwerken", "setup")))
        .order_by(ReportRun.started_at.desc())
        .first()
    )
    stuck = [
        r
        for r in requests
        if (r.state == "gevraagd" and now - r.requested_at > dt.timedelta(minutes=30))
        or r.state == "mislukt"
    ]
    return Check(
        "recompute",
        not stuck,
        {
            "requests": [
                {
                    "period": r.cycle.period,
                    "state": r.state,
                    "progress": r.progress,
                    "requested_at": r.requested_at,
                }
                for r in requests
            ],
            "last_update": light.finished_at or light.started_at if light else None,
        },
    )


def alert_nightly(config, status_link: str) -> int:
    """Mail every beheerder, once per night, when the last scheduled nightly run
    failed or did not run; returns how many messages were queued."""
    check = nightly_check(config["SCHEDULE_NIGHTLY"], ZoneInfo(config["TIMEZONE"]), utcnow())
    if check.ok:
        return 0
    period = check.details["expected_period"]
    admins = (
        User.select()
        .join(RoleAssignment)
        .where(RoleAssignment.role == "beheerder", User.active == True)  # noqa: E712
        .distinct()
        .order_by(User.id)
    )
    queued = 0
    for admin in admins:
        message = queue_template(
            f"nightly-alert:{period}:{admin.id}",
            admin,
            "nightly_alert",
            period=period,
            state=check.details["state"],
            link=status_link,
        )
        queued += message is not None
    if queued:
        logger.warning(
            "nightly %s %s: %d beheerders mailed", period, check.details["state"], queued
        )
    return queued
