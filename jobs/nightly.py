"""The nightly job: close cycles past their close date, queue the day's
reminders, recompute what changed, write the reports whose figures changed,
distribute the reports of closed cycles, deliver the outbox. Idempotent: a
rerun for the same date is skipped, and with --force does only what is still
to do.

Closing a cycle, writing its final reports and mailing them is one
recoverable sequence: the final reports are written for every closed cycle
whose newest reports date from before it closed (not only for the cycles this
attempt closed), and a cycle is distributed only once its final reports
exist, so a takeover after a crash at any step writes them before anything
is mailed. Before each step that writes, the run checks its claim (and a stop
request) and stops when it has lost it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from domain import computation, cycles
from domain.accounts import process_reset_requests
from domain.mail import MailSettings, deliver_outbox
from domain.retention import RetentionSettings, prune_records
from jobs.distribution import distribute
from jobs.recompute import run_requested
from jobs.runs import RunSkipped, claimed_run
from models import Cycle, IndicatorStamp, ReportRun, ScopeResult, utcnow
from models.db import analyze
from reports import store
from reports.build import (
    cycles_with_submissions,
    has_final_reports,
    needs_reports,
    write_cycle_reports,
)

logger = logging.getLogger(__name__)

DISTRIBUTE_WITHIN = dt.timedelta(days=30)  # a closed cycle's reports go out once, soon after


@dataclass(frozen=True)
class BatchSettings:
    mail: MailSettings
    link_for: Callable[[int], str]  # assessment id → link to its form
    reports_dir: Path
    reports_link: str  # the reports page, for the distribution mails
    reset_link: Callable[[str], str] | None = None  # reset token → link, for reset requests
    retention: RetentionSettings = RetentionSettings()


def report_targets(
    closed: list[Cycle], recomputed: set[int] | frozenset = frozenset()
) -> list[Cycle]:
    """Cycles whose reports are (re)written tonight: of the current cycles
    (see current_cycles), those whose figures were recomputed tonight
    (`recomputed`), changed since their newest reports, that have none yet or
    that closed since (their reports said "voorlopig"); and the cycles closed
    tonight. A cycle without any submitted assessment gets no reports. Older
    cycles' reports are written on first download (reports.build
    .report_on_demand) or by `batch reports --cycle`: after a bulk load the
    night writes two cycles, not twenty."""
    reported = set(cycles_with_submissions())
    again = {c.id for c in closed} | set(recomputed)
    current = current_cycles() | {c.id for c in closed}
    candidates = Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period)
    return [
        c
        for c in candidates
        if c.id in reported and c.id in current and (c.id in again or needs_reports(c))
    ]


def current_cycles(now: dt.datetime | None = None) -> set[int]:
    """The cycles the nightly keeps the reports of: the open ones, the latest
    closed one, and every closed cycle still to be distributed."""
    open_ids = {c for (c,) in Cycle.select(Cycle.id).where(Cycle.state == "open").tuples()}
    latest = (
        Cycle.select(Cycle.id)
        .where(Cycle.state == "gesloten")
        .order_by(Cycle.period.desc())
        .limit(1)
        .tuples()
    )
    return open_ids | {c for (c,) in latest} | {c.id for c in distribution_targets(now or utcnow())}


def _stamps() -> dict[int, str]:
    return {
        cycle_id: stamp
        for cycle_id, stamp in IndicatorStamp.select(
            IndicatorStamp.cycle, IndicatorStamp.stamp
        ).tuples()
    }


def _recomputed(before: dict[int, str]) -> set[int]:
    """The cycles whose fingerprint changed since `before`: recomputed just now."""
    return {cycle_id for cycle_id, stamp in _stamps().items() if before.get(cycle_id) != stamp}


def distribution_targets(now: dt.datetime) -> list[Cycle]:
    """Closed cycles whose reports have not gone out yet."""
    done = ReportRun.select(ReportRun.period).where(
        ReportRun.job == "distributie", ReportRun.state == "gereed"
    )
    return list(
        Cycle.select()
        .where(
            Cycle.state == "gesloten",
            Cycle.closed_at >= now - DISTRIBUTE_WITHIN,
            Cycle.period.not_in(done),
        )
        .order_by(Cycle.period)
    )


def run_nightly(
    day: dt.date,
    *,
    settings: BatchSettings,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """One night's work for `day`; returns what was done."""
    say = progress or (lambda message: None)
    with claimed_run("nightly", day.isoformat(), force) as run:
        # What a crashed earlier attempt of this run wrote and never recorded.
        store.remove_unrecorded_of_run(settings.reports_dir, run.row.id)
        closed = []
        for cycle in cycles.due_to_close(day):
            run.check()
            cycles.close_cycle(None, cycle)
            closed.append(cycle)
        run.beat(closed_cycles=[c.period for c in closed])
        say(f"rondes gesloten: {', '.join(c.period for c in closed) or 'geen'}")
        reminders = cycles.send_reminders(day, settings.link_for)
        run.beat(reminders_queued=reminders)
        say(f"herinneringen klaargezet: {reminders}")

        def on_progress(message: str) -> None:
            run.beat(last_step=message)
            say(message)

        run.beat(recomputed_on_request=run_requested(settings.reports_dir, on_progress))
        stamps = _stamps()
        run.check()
        report = computation.recompute(progress=on_progress)
        if report.rows_written:
            analyze(ScopeResult, IndicatorStamp)
        run.beat(
            cycles_checked=report.cycles_checked,
            cycles_recomputed=report.cycles_recomputed,
            results_written=report.rows_written,
            results_unchanged=report.rows_unchanged,
        )
        written, failed = {}, {}
        for cycle in report_targets(closed, _recomputed(stamps)):
            run.check()
            done = write_cycle_reports(
                cycle, settings.reports_dir, run.row.id, on_progress, check=run.check
            )
            written[cycle.period] = sum(done.files.values())
            if done.failed:
                failed[cycle.period] = done.failed
            run.beat(reports_written=written, reports_failed=failed)
        if not written:
            say("rapporten: niets veranderd")
        distributed = {}
        for cycle in distribution_targets(utcnow()):
            run.check()
            if not has_final_reports(cycle):
                # Never mail what was written while the cycle was open: the
                # next run writes the final reports first.
                say(f"verzending {cycle.period} wacht op de definitieve rapporten")
                continue
            try:
                outcome = distribute(cycle, settings.reports_dir, settings.reports_link)
            except RunSkipped as skipped:
                say(f"verzending {cycle.period} overgeslagen: {skipped}")
                continue
            distributed[cycle.period] = outcome.get("mail_queued", 0)
            run.beat(reports_mailed=distributed)
            say(f"rapporten van {cycle.period} klaargezet voor verzending")
        run.check()
        pruned = prune(settings, utcnow())
        run.beat(pruned=pruned)
        say("opgeruimd: " + ", ".join(f"{k} {v}" for k, v in pruned.items()))
        run.check()
        sent = deliver_mail(settings.mail, settings.reset_link)
        run.beat(mail_sent=sent["sent"], mail_retry=sent["retry"], mail_failed=sent["failed"])
        say(f"e-mail: {sent['sent']} verzonden, {sent['retry']} later opnieuw")
        return run.summary


def prune(settings: BatchSettings, now: dt.datetime) -> dict[str, int]:
    """Delete what is past its retention: superseded report files, then runs,
    sent mail, audit entries and login records; returns how much of each."""
    retention = settings.retention
    before = retention.cutoff(now, retention.report_runs_days)
    return store.prune(settings.reports_dir, before) | prune_records(retention, now)


def run_recompute(
    period: str, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> dict:
    """Recompute one cycle's results now (all of them with force)."""
    cycle = Cycle.get_or_none(Cycle.period == period)
    if cycle is None:
        raise ValueError(f"ronde {period} bestaat niet")
    with claimed_run("recompute", f"{period}@{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}") as run:
        report = computation.recompute(force=force, cycles=[cycle], progress=progress)
        if report.rows_written:
            analyze(ScopeResult, IndicatorStamp)
        run.beat(
            cycles_recomputed=report.cycles_recomputed,
            results_written=report.rows_written,
            results_unchanged=report.rows_unchanged,
        )
        return run.summary


def refresh_results(
    reports_dir: Path,
    progress: Callable[[str], None] | None = None,
    latest: int | None = None,
) -> dict:
    """Recompute what changed and write the reports that are out of date, now;
    `latest` limits the reports to the newest cycles (set-up writes those of
    the last two, the nightly run the rest)."""
    say = progress or (lambda message: None)
    stamps = _stamps()
    report = computation.recompute(progress=say)
    if report.rows_written:
        analyze(ScopeResult, IndicatorStamp)
    targets = report_targets([], _recomputed(stamps))
    if latest:
        newest = {
            c.id
            for c in Cycle.select()
            .where(Cycle.id.in_(cycles_with_submissions()))
            .order_by(Cycle.period.desc())
            .limit(latest)
        }
        targets = [c for c in targets if c.id in newest]
    written = {}
    for cycle in targets:
        done = write_cycle_reports(cycle, reports_dir, None, say)
        written[cycle.period] = sum(done.files.values())
    return {"cycles_recomputed": report.cycles_recomputed, "reports_written": written}


def deliver_mail(mail: MailSettings, reset_link: Callable[[str], str] | None = None) -> dict:
    """Mail the waiting password reset requests (when `reset_link` builds their
    links), then send what waits in the outbox (every few minutes, beside the
    nightly run)."""
    if reset_link is not None:
        process_reset_requests(reset_link)
    return deliver_outbox(mail)
