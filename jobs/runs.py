"""Exactly-once runs across processes and hosts: a row unique per (job,
period) is claimed before any work, and on PostgreSQL an advisory lock is
held as well. A run that crashed (its process gone, or silent too long) is
taken over by the next one."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import traceback
import zlib
from collections.abc import Iterator

from peewee import IntegrityError

from models import ReportRun, db, is_postgres, utcnow

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=30)


class RunSkipped(Exception):  # noqa: N818 - a reason to stop, not an error
    """This run does not go ahead; the message says why (in Dutch)."""


def _alive_here(run: ReportRun) -> bool:
    """Whether the run's process still exists, when it ran on this host."""
    if run.host != socket.gethostname() or not run.pid:
        return True  # cannot tell from here: trust the heartbeat
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim(job: str, period: str, force: bool, now: dt.datetime) -> ReportRun:
    fields = {
        "state": "bezig",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "error": None,
        "summary": {},
    }
    try:
        with db.atomic():
            return ReportRun.create(job=job, period=period, **fields)
    except IntegrityError:
        pass
    existing = ReportRun.get(ReportRun.job == job, ReportRun.period == period)
    if existing.state == "bezig":
        silent = now - (existing.heartbeat_at or existing.started_at)
        if silent < STALE_AFTER and _alive_here(existing):
            raise RunSkipped(
                f"{job} {period} loopt al op {existing.host} (proces {existing.pid}) "
                f"sinds {existing.started_at:%Y-%m-%d %H:%M} UTC."
            )
        logger.warning(
            "taking over stale run %s %s from %s/%s", job, period, existing.host, existing.pid
        )
    elif existing.state == "gereed" and not force:
        raise RunSkipped(
            f"{job} {period} is al uitgevoerd op {existing.finished_at:%Y-%m-%d %H:%M} UTC "
            f"(gebruik --force om opnieuw te draaien)."
        )
    # Take over a failed, crashed or forced run, unless another process beat us to it.
    claimed = (
        ReportRun.update(**fields)
        .where(
            ReportRun.id == existing.id,
            ReportRun.state == existing.state,
            ReportRun.started_at == existing.started_at,
        )
        .execute()
    )
    if claimed != 1:
        raise RunSkipped(f"{job} {period} is zojuist door een ander proces overgenomen.")
    return ReportRun.get_by_id(existing.id)


@contextlib.contextmanager
def _advisory_lock(job: str) -> Iterator[None]:
    if not is_postgres():
        yield
        return
    key = zlib.crc32(job.encode())
    got = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
    if not got:
        raise RunSkipped(f"{job} draait al in een ander proces (PostgreSQL-lock).")
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))


class Run:
    """The claimed run: record progress as it goes."""

    def __init__(self, row: ReportRun):
        self.row = row
        self.summary: dict = {}

    def beat(self, **summary) -> None:
        """Record progress and show that the run is alive."""
        self.summary.update(summary)
        fields = {"job": self.row.job, "period": self.row.period, "run_id": self.row.id}
        logger.info(
            "job step %s %s (run %s): %s",
            self.row.job,
            self.row.period,
            self.row.id,
            ", ".join(f"{k}={v}" for k, v in summary.items()),
            extra=fields | {"step": summary},
        )
        ReportRun.update(heartbeat_at=utcnow(), summary=self.summary).where(
            ReportRun.id == self.row.id
        ).execute()


@contextlib.contextmanager
def claimed_run(job: str, period: str, force: bool = False) -> Iterator[Run]:
    """Run a job once for a period. Raises RunSkipped when another process has
    it or it is done; records failure (and re-raises) when the work fails."""
    with _advisory_lock(job):
        run = Run(_claim(job, period, force, utcnow()))
        logger.info("run claimed: %s %s (%s)", job, period, run.row.id)
        try:
            yield run
        except BaseException as exc:
            ReportRun.update(
                state="mislukt",
                finished_at=utcnow(),
                summary=run.summary,
                error="".join(traceback.format_exception(exc))[-20_000:],
            ).where(ReportRun.id == run.row.id).execute()
            logger.error("run failed: %s %s: %s", job, period, exc)
            raise
        ReportRun.update(
            state="gereed", finished_at=utcnow(), heartbeat_at=utcnow(), summary=run.summary
        ).where(ReportRun.id == run.row.id).execute()
        logger.info("run done: %s %s: %s", job, period, run.summary)
