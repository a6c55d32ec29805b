"""When the jobs run: the one place that says so. The scheduler is its own
process (`flask --app wsgi scheduler`), never part of the web server."""

from __future__ import annotations

import datetime as dt
import logging
import signal
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import recompute, runs, status
from jobs.nightly import BatchSettings, deliver_mail, run_nightly
from jobs.runs import RunSkipped, RunStopped
from models import ReportRun, db, utcnow

logger = logging.getLogger(__name__)

NIGHTLY_GRACE_TIME = dt.timedelta(hours=6)  # a late nightly still runs within this
# A nightly that started but did not finish (stopped, failed, its process
# gone) is finished by a scheduler that starts within this of its time.
UNFINISHED_WITHIN = dt.timedelta(hours=24)


def missed_nightly(config, now: dt.datetime | None = None) -> dt.date | None:
    """The night whose scheduled run has not happened (no run row) although its
    time passed within the misfire grace, or whose run did not finish (stopped
    by SIGTERM, failed, its process gone) within UNFINISHED_WITHIN: a
    scheduler that was down at that moment catches up at start."""
    zone = ZoneInfo(config["TIMEZONE"])
    now = now or dt.datetime.now(dt.UTC)
    last = status.last_fire(config["SCHEDULE_NIGHTLY"], zone, now - UNFINISHED_WITHIN, now)
    if last is None:
        return None
    day = last.astimezone(zone).date()
    run = ReportRun.get_or_none(ReportRun.job == "nightly", ReportRun.period == day.isoformat())
    if run is None:
        return day if now - last <= NIGHTLY_GRACE_TIME else None
    if run.state == "gereed" or (run.state == "bezig" and not runs.is_dead(run)):
        return None
    return day


def build_scheduler(config, settings: BatchSettings, status_link: str = "") -> BlockingScheduler:
    """The scheduler with every job: cron times from configuration, Amsterdam time."""
    zone = ZoneInfo(config["TIMEZONE"])
    mail = settings.mail
    scheduler = BlockingScheduler(timezone=zone)
    started = utcnow()
    now = dt.datetime.now(zone)

    def catch_up(day: dt.date) -> None:
        with db.connection_context():
            try:
                run_nightly(day, settings=settings)
            except RunSkipped as skipped:
                logger.info("nightly skipped: %s", skipped)
            except RunStopped as stopped:
                logger.info("nightly stopped at a safe point: %s", stopped)

    def nightly() -> None:
        catch_up(dt.datetime.now(zone).date())

    def outbox() -> None:
        with db.connection_context():
            deliver_mail(mail, settings.reset_link)

    def heartbeat() -> None:
        with db.connection_context():
            status.beat("scheduler", started)

    def watch() -> None:
        with db.connection_context():
            status.alert_nightly(config, status_link)

    defaults = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(
        nightly,
        CronTrigger.from_crontab(config["SCHEDULE_NIGHTLY"], timezone=zone),
        id="nightly",
        misfire_grace_time=int(NIGHTLY_GRACE_TIME.total_seconds()),
        **defaults,
    )
    with db.connection_context():
        missed = missed_nightly(config)
    if missed is not None:
        logger.info("nightly of %s was missed: running it now", missed)
        scheduler.add_job(catch_up, args=(missed,), id="nightly-catch-up", next_run_time=now)
    # Mail that waited while no scheduler ran goes out at start.
    scheduler.add_job(
        outbox,
        IntervalTrigger(minutes=int(config.get("OUTBOX_MINUTES", 2))),
        id="outbox",
        misfire_grace_time=600,
        next_run_time=now,
        **defaults,
    )
    scheduler.add_job(
        heartbeat,
        IntervalTrigger(seconds=int(status.HEARTBEAT_EVERY.total_seconds())),
        id="heartbeat",
        misfire_grace_time=60,
        next_run_time=now,
        **defaults,
    )
    scheduler.add_job(
        watch, IntervalTrigger(minutes=15), id="watch", misfire_grace_time=900, **defaults
    )
    recompute.add_jobs(scheduler, settings, defaults)  # open cycles, requested recomputes
    return scheduler


def stop_on_signals(scheduler: BlockingScheduler) -> None:
    """SIGTERM (systemd, make serve) and Ctrl+C stop the scheduler cleanly: a
    running nightly stops at its next safe point (recorded, and finished by
    the next scheduler start), the other jobs finish, and only then does
    start() return. Exiting at once would pull the interpreter from under the
    running job ("cannot schedule new futures after interpreter shutdown")."""

    def stop(number, frame) -> None:
        runs.request_stop()  # first: logging could wait for a busy handler
        logger.info("signal %s: stopping the scheduler after the running jobs", number)
        if scheduler.running:
            scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
