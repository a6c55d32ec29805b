"""When the jobs run: the one place that says so. The scheduler is its own
process (`flask --app wsgi scheduler`), never part of the web server."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.nightly import BatchSettings, deliver_mail, run_nightly
from jobs.runs import RunSkipped
from models import db

logger = logging.getLogger(__name__)


def next_nightly(config, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the nightly run starts next (UTC, naive like the stored times), from
    the same cron setting the scheduler uses."""
    zone = ZoneInfo(config["TIMEZONE"])
    trigger = CronTrigger.from_crontab(config["SCHEDULE_NIGHTLY"], timezone=zone)
    start = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    moment = trigger.get_next_fire_time(None, start)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment else None


def build_scheduler(config, settings: BatchSettings) -> BlockingScheduler:
    """The scheduler with every job: cron times from configuration, Amsterdam time."""
    zone = ZoneInfo(config["TIMEZONE"])
    mail = settings.mail
    scheduler = BlockingScheduler(timezone=zone)

    def nightly() -> None:
        with db.connection_context():
            try:
                run_nightly(dt.datetime.now(zone).date(), settings=settings)
            except RunSkipped as skipped:
                logger.info("nightly skipped: %s", skipped)

    def outbox() -> None:
        with db.connection_context():
            deliver_mail(mail, settings.reset_link)

    defaults = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(
        nightly,
        CronTrigger.from_crontab(config["SCHEDULE_NIGHTLY"], timezone=zone),
        id="nightly",
        misfire_grace_time=6 * 3600,
        **defaults,
    )
    scheduler.add_job(
        outbox,
        IntervalTrigger(minutes=int(config.get("OUTBOX_MINUTES", 2))),
        id="outbox",
        misfire_grace_time=600,
        **defaults,
    )
    return scheduler
