"""The nightly job: close cycles past their close date, queue the day's
reminders, recompute what changed, deliver the outbox. Idempotent: a rerun
for the same date is skipped, and with --force does only what is still to do."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from domain import computation, cycles
from domain.mail import MailSettings, deliver_outbox
from jobs.runs import claimed_run
from models import Cycle

logger = logging.getLogger(__name__)


def run_nightly(
    day: dt.date,
    *,
    mail: MailSettings,
    link_for: Callable[[int], str],
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """One night's work for `day`; returns what was done."""
    say = progress or (lambda message: None)
    with claimed_run("nightly", day.isoformat(), force) as run:
        closed = []
        for cycle in cycles.due_to_close(day):
            cycles.close_cycle(None, cycle)
            closed.append(cycle.period)
        run.beat(closed_cycles=closed)
        say(f"rondes gesloten: {', '.join(closed) or 'geen'}")
        reminders = cycles.send_reminders(day, link_for)
        run.beat(reminders_queued=reminders)
        say(f"herinneringen klaargezet: {reminders}")

        def on_progress(message: str) -> None:
            run.beat(last_step=message)
            say(message)

        report = computation.recompute(progress=on_progress)
        run.beat(
            cycles_checked=report.cycles_checked,
            cycles_recomputed=report.cycles_recomputed,
            results_written=report.rows_written,
            results_unchanged=report.rows_unchanged,
        )
        sent = deliver_outbox(mail)
        run.beat(mail_sent=sent["sent"], mail_retry=sent["retry"], mail_failed=sent["failed"])
        say(f"e-mail: {sent['sent']} verzonden, {sent['retry']} later opnieuw")
        return run.summary


def run_recompute(
    period: str, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> dict:
    """Recompute one cycle's results now (all of them with force)."""
    cycle = Cycle.get_or_none(Cycle.period == period)
    if cycle is None:
        raise ValueError(f"ronde {period} bestaat niet")
    with claimed_run("recompute", f"{period}@{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}") as run:
        report = computation.recompute(force=force, cycles=[cycle], progress=progress)
        run.beat(
            cycles_recomputed=report.cycles_recomputed,
            results_written=report.rows_written,
            results_unchanged=report.rows_unchanged,
        )
        return run.summary


def deliver_mail(mail: MailSettings) -> dict:
    """Send what waits in the outbox (every few minutes, beside the nightly run)."""
    return deliver_outbox(mail)
