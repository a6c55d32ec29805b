"""Recomputes beside the nightly, done by the scheduler process:

- the light recompute of the open cycles, every few minutes: while a cycle is
  open its figures follow the submissions within minutes, not only at night.
  Cheap when nothing changed (the open cycles' fingerprints against their
  stamps); never inside a web request.
- a beheerder's deliberate recompute of a cycle ("Nu herberekenen", with a
  reason): requested from Beheer, done once by the scheduler (or the
  nightly, whichever comes first), against the definitions and norms in
  force now, and its reports rewritten, saying "herberekend op … omdat …"."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from domain import computation, norms
from domain.audit import record
from domain.fingerprint import fingerprints
from domain.inputs import LIMITS, MSG_CONTROL, has_control
from jobs.runs import RunSkipped, claimed_run
from models import (
    Cycle,
    IndicatorStamp,
    RecomputeRequest,
    ReportRun,
    User,
    db,
    utcnow,
)
from models.choices import N_

logger = logging.getLogger(__name__)

LIGHT_EVERY = dt.timedelta(minutes=3)  # how often the open cycles are checked
BUSY = ("nightly", "recompute", "herberekenen", "bijwerken")  # jobs that recompute


MIN_REASON = 5  # characters a reason for recomputing has at least


class RequestError(ValueError):
    """A recompute that cannot be requested: a Dutch message (marked for
    translation), its parameters and what it is about ("reason" or "cycle")."""

    def __init__(self, message: str, *, about: str = "cycle", **params) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params, self.about = message, params, about


def _busy() -> bool:
    """Whether another run recomputes right now (its heartbeat recent)."""
    since = utcnow() - dt.timedelta(minutes=30)
    return (
        ReportRun.select()
        .where(
            ReportRun.job.in_(BUSY),
            ReportRun.state == "bezig",
            ReportRun.heartbeat_at >= since,
        )
        .exists()
    )


def open_cycles_changed() -> list[Cycle]:
    """The open cycles whose inputs changed since they were last computed."""
    open_ = list(Cycle.select().where(Cycle.state == "open").order_by(Cycle.period))
    if not open_:
        return []
    stored = dict(
        IndicatorStamp.select(IndicatorStamp.cycle, IndicatorStamp.stamp)
        .where(IndicatorStamp.cycle.in_([c.id for c in open_]))
        .tuples()
    )
    stamps = fingerprints(open_)
    return [c for c in open_ if stored.get(c.id) != stamps[c.id]]


def light_recompute(progress: Callable[[str], None] | None = None) -> dict:
    """Recompute the open cycles whose inputs changed (after submissions), as
    a recorded run; nothing (and no run) when none changed or another run is
    recomputing."""
    say = progress or (lambda message: None)
    if _busy():
        return {"skipped": "bezig"}
    changed = open_cycles_changed()
    if not changed:
        return {}
    period = f"{changed[-1].period}@{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    with claimed_run("bijwerken", period) as run:
        report = computation.recompute(cycles=changed, progress=say)
        run.beat(
            cycles_recomputed=report.cycles_recomputed,
            results_written=report.rows_written,
            results_unchanged=report.rows_unchanged,
        )
        return run.summary


def request(actor: User, cycle: Cycle, reason: str, ip: str = "") -> RecomputeRequest:
    """A beheerder asks for a cycle to be recomputed now, with a reason."""
    reason = " ".join((reason or "").split())  # one line: breaks and runs of spaces as one
    if has_control(reason, multiline=False):
        # The one check of stored text: NUL, BEL or a right-to-left override
        # is no whitespace that split() would remove.
        raise RequestError(MSG_CONTROL, about="reason")
    if len(reason) < MIN_REASON:
        raise RequestError(N_("Geef een reden op (minstens 5 tekens)."), about="reason")
    if len(reason) > LIMITS["recompute_reason"]:
        raise RequestError(N_("De reden is te lang (hoogstens 500 tekens)."), about="reason")
    if cycle.state == "gepland":
        raise RequestError(N_("Een geplande ronde heeft nog geen cijfers."))
    waiting = RecomputeRequest.select().where(
        RecomputeRequest.cycle == cycle.id, RecomputeRequest.state.in_(("gevraagd", "bezig"))
    )
    if waiting.exists():
        raise RequestError(N_("Ronde %(period)s wordt al herberekend."), period=cycle.period)
    with db.atomic():
        row = RecomputeRequest.create(cycle=cycle.id, reason=reason, requested_by=actor)
        record(
            "recompute_requested",
            user=actor,
            object_type="cycle",
            object_id=cycle.id,
            ip=ip,
            period=cycle.period,
            reason=reason,
        )
    return row


def pending() -> list[RecomputeRequest]:
    return list(
        RecomputeRequest.select()
        .where(RecomputeRequest.state == "gevraagd")
        .order_by(RecomputeRequest.requested_at)
    )


def latest(cycle_ids: list[int] | None = None) -> dict[int, RecomputeRequest]:
    """Per cycle its newest request (any state)."""
    query = RecomputeRequest.select().order_by(RecomputeRequest.id)
    if cycle_ids is not None:
        query = query.where(RecomputeRequest.cycle.in_(cycle_ids))
    return {r.cycle_id: r for r in query}


def run_requested(
    reports_dir: Path | str | None, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Do every requested recompute, each exactly once (claimed by one
    process), and rewrite its cycle's reports; returns the periods done."""
    say = progress or (lambda message: None)
    done = []
    for row in pending():
        claimed = (
            RecomputeRequest.update(state="bezig", started_at=utcnow(), progress="gestart")
            .where(RecomputeRequest.id == row.id, RecomputeRequest.state == "gevraagd")
            .execute()
        )
        if claimed != 1:
            continue  # another process took it
        cycle = Cycle.get_by_id(row.cycle_id)

        def step(message: str, row_id: int = row.id) -> None:
            RecomputeRequest.update(progress=message[:500]).where(
                RecomputeRequest.id == row_id
            ).execute()
            say(message)

        try:
            with claimed_run("herberekenen", f"{cycle.period}#{row.id}") as run:
                if cycle.state == "gesloten":
                    norms.freeze(cycle, again=True)  # the definitions in force now
                report = computation.recompute(force=True, cycles=[cycle], progress=step)
                run.beat(
                    cycles_recomputed=report.cycles_recomputed,
                    results_written=report.rows_written,
                    reason=row.reason,
                )
                RecomputeRequest.update(state="gereed", finished_at=utcnow()).where(
                    RecomputeRequest.id == row.id
                ).execute()
                if reports_dir is not None:
                    from reports.build import write_cycle_reports

                    step("rapporten schrijven")
                    written = write_cycle_reports(cycle, reports_dir, run.row.id, step)
                    run.beat(reports_written={cycle.period: sum(written.files.values())})
                step("klaar")
        except RunSkipped as skipped:
            RecomputeRequest.update(state="gevraagd", progress=str(skipped)[:500]).where(
                RecomputeRequest.id == row.id
            ).execute()
            continue
        except Exception as exc:
            logger.exception("recompute of %s failed", cycle.period)
            RecomputeRequest.update(
                state="mislukt", finished_at=utcnow(), error=str(exc)[:2000]
            ).where(RecomputeRequest.id == row.id).execute()
            continue
        record(
            "recompute_done",
            object_type="cycle",
            object_id=cycle.id,
            period=cycle.period,
            reason=row.reason,
        )
        done.append(cycle.period)
    return done


def scheduled(reports_dir: Path | str | None) -> Callable[[], None]:
    """The scheduler's job every LIGHT_EVERY: requested recomputes first,
    then the light recompute of the open cycles."""

    def job() -> None:
        with db.connection_context():
            if _busy():  # the nightly (or another recompute) is at it
                return
            try:
                run_requested(reports_dir)
                light_recompute()
            except RunSkipped as skipped:
                logger.info("recompute skipped: %s", skipped)

    return job


def add_jobs(scheduler, settings, defaults: dict) -> None:
    """Add the recompute job to the scheduler (jobs.schedule)."""
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(
        scheduled(settings.reports_dir),
        IntervalTrigger(seconds=int(LIGHT_EVERY.total_seconds())),
        id="recompute",
        misfire_grace_time=120,
        **defaults,
    )
