"""Exactly-once runs across processes and hosts: a row unique per (job,
period) is claimed before any work, and on PostgreSQL an advisory lock is
held as well. A run that crashed (its process gone, or silent too long) is
taken over by the next one, on SQLite and PostgreSQL alike.

Fenced: the claim is the run row as this process wrote it (host, pid, start,
last heartbeat). Every heartbeat is a compare-and-set on it, so a run that was
taken over while it hung notices at its next heartbeat, before it writes
results, reports or mail, and stops (ClaimLost). A takeover is itself a
compare-and-set on the heartbeat it judged silent, so a run that beats in
between keeps its claim."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
import zlib
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from peewee import IntegrityError, InterfaceError, OperationalError

from models import ReportRun, ReportRunEarlier, db, is_postgres, utcnow
from models.db import reconnect

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=30)
# How long a failure waits for the database to come back to be recorded.
RECORD_PATIENCE = dt.timedelta(minutes=2)


def stale_after() -> dt.timedelta:
    """How long a run's heartbeat may be silent before another process takes
    it over: RUN_STALE_MINUTES (the operator's setting), else STALE_AFTER."""
    configured = os.environ.get("RUN_STALE_MINUTES", "").strip()
    try:
        minutes = float(configured) if configured else None
    except ValueError:
        minutes = None
    if minutes is None or minutes <= 0:
        return STALE_AFTER
    return dt.timedelta(minutes=minutes)


AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _local(moment: dt.datetime) -> str:
    """A stored UTC time as the operator's clock shows it: 28-11-2026 10:00."""
    return f"{moment.replace(tzinfo=dt.UTC).astimezone(AMSTERDAM):%d-%m-%Y %H:%M}"


class RunSkipped(Exception):  # noqa: N818 - a reason to stop, not an error
    """This run does not go ahead; the message says why (in Dutch)."""


class ClaimLost(RunSkipped):
    """Another process took this run over (it was silent too long): stop
    without writing anything more, and without touching the run row."""


class RunStopped(Exception):  # noqa: N818 - a request, not an error
    """The process is asked to stop (SIGTERM): the run stops at its next safe
    point, and the next scheduler start finishes the night's work."""


# Set when the process is asked to stop; checked at every heartbeat.
_stop = threading.Event()


def request_stop() -> None:
    """Ask every run in this process to stop at its next safe point."""
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def clear_stop() -> None:
    """Forget an earlier stop request (a new scheduler in the same process, tests)."""
    _stop.clear()


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


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
    return not _zombie(run.pid)  # killed, not yet reaped by its parent


def process_gone(run: ReportRun) -> bool:
    """True when the run's process is known to be gone (it ran on this host
    and its pid no longer exists)."""
    return not _alive_here(run)


def is_dead(run: ReportRun, now: dt.datetime | None = None) -> bool:
    """The takeover rule, the same on SQLite and PostgreSQL and on the status
    page: a run still marked 'bezig' whose heartbeat has been silent for the
    configured time, or whose process is gone."""
    if run.state != "bezig":
        return False
    silent = (now or utcnow()) - (run.heartbeat_at or run.started_at)
    return silent >= stale_after() or process_gone(run)


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
        if not is_dead(existing, now):
            raise RunSkipped(
                f"{job} {period} loopt al op {existing.host} (proces {existing.pid}) "
                f"sinds {_local(existing.started_at)}."
            )
        logger.warning(
            "taking over stale run %s %s from %s/%s", job, period, existing.host, existing.pid
        )
    elif existing.state == "gereed" and not force:
        raise RunSkipped(
            f"{job} {period} is al uitgevoerd op {_local(existing.finished_at)} "
            f"(gebruik --force om opnieuw te draaien)."
        )
    # Take over a failed, crashed or forced run, unless another process beat us
    # to it; what the earlier attempt did stays in the batch log.
    with db.atomic():
        claimed = (
            ReportRun.update(**fields)
            .where(
                ReportRun.id == existing.id,
                ReportRun.state == existing.state,
                ReportRun.started_at == existing.started_at,
                # Fenced: the run we judged silent has not beaten since.
                ReportRun.heartbeat_at.is_null()
                if existing.heartbeat_at is None
                else ReportRun.heartbeat_at == existing.heartbeat_at,
            )
            .execute()
        )
        if claimed == 1:
            ReportRunEarlier.create(
                run=existing.id,
                state=existing.state if existing.state != "bezig" else "afgebroken",
                host=existing.host,
                pid=existing.pid,
                started_at=existing.started_at,
                finished_at=existing.finished_at or existing.heartbeat_at,
                summary=existing.summary or {},
                error=existing.error,
            )
    if claimed != 1:
        raise RunSkipped(f"{job} {period} is zojuist door een ander proces overgenomen.")
    return ReportRun.get_by_id(existing.id)


@contextlib.contextmanager
def _advisory_lock(job: str) -> Iterator[None]:
    """On PostgreSQL, hold the job's advisory lock while the run works. When
    another session holds it, the run row decides as on SQLite: a holder whose
    run is dead (silent for the configured time, or its process gone) is
    taken over without the lock; the fenced claim keeps the two apart."""
    if not is_postgres():
        yield
        return
    key = zlib.crc32(job.encode())
    got = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
    if not got:
        running = list(ReportRun.select().where(ReportRun.job == job, ReportRun.state == "bezig"))
        if not running or not all(is_dead(run) for run in running):
            raise RunSkipped(f"{job} draait al in een ander proces (PostgreSQL-lock).")
        logger.warning("%s: the lock is held by a dead run; taking over without it", job)
    try:
        yield
    finally:
        if got:
            try:
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
            except (OperationalError, InterfaceError):
                # The session is gone, and its lock with it.
                logger.warning("%s: advisory lock not released: the connection broke", job)


class Run:
    """The claimed run: record progress as it goes."""

    def __init__(self, row: ReportRun):
        self.row = row
        self.summary: dict = {}

    def mine(self):
        """The condition that the run row is still this process's claim."""
        row = self.row
        return (
            (ReportRun.id == row.id)
            & (ReportRun.state == "bezig")
            & (ReportRun.host == row.host)
            & (ReportRun.pid == row.pid)
            & (ReportRun.started_at == row.started_at)
        )

    def check(self) -> None:
        """Before writing results, reports or mail: stop when the process is
        asked to stop or another process took the run over."""
        self.beat()

    def beat(self, **summary) -> None:
        """Record progress and show that the run is alive; raises RunStopped
        when the process is asked to stop, ClaimLost when the run is no longer
        this process's."""
        if _stop.is_set():
            raise RunStopped(f"{self.row.job} {self.row.period}: gestopt op verzoek")
        self.summary.update(summary)
        fields = {"job": self.row.job, "period": self.row.period, "run_id": self.row.id}
        if summary:  # a bare check is no step
            logger.info(
                "job step %s %s (run %s): %s",
                self.row.job,
                self.row.period,
                self.row.id,
                ", ".join(f"{k}={v}" for k, v in summary.items()),
                extra=fields | {"step": summary},
            )
        updated = (
            ReportRun.update(heartbeat_at=utcnow(), summary=self.summary)
            .where(self.mine())
            .execute()
        )
        if updated != 1:
            logger.warning("run %s %s lost its claim: stopping", self.row.job, self.row.period)
            raise ClaimLost(
                f"{self.row.job} {self.row.period} is overgenomen door een ander proces; "
                "deze run stopt."
            )


@contextlib.contextmanager
def claimed_run(job: str, period: str, force: bool = False) -> Iterator[Run]:
    """Run a job once for a period. Raises RunSkipped when another process has
    it or it is done; records failure (and re-raises) when the work fails."""
    with _advisory_lock(job):
        run = Run(_claim(job, period, force, utcnow()))
        logger.info("run claimed: %s %s (%s)", job, period, run.row.id)
        try:
            yield run
        except ClaimLost:
            raise  # the row is another process's now: leave it alone
        except BaseException as exc:
            if isinstance(exc, RunStopped):
                error = (
                    "Gestopt op verzoek (SIGTERM) op een veilig punt; de planner maakt "
                    "het werk af bij de volgende start."
                )
            else:
                error = "".join(traceback.format_exception(exc))[-20_000:]
            _record_failure(run, error)
            logger.error("run failed: %s %s: %s", job, period, exc)
            raise
        done = (
            ReportRun.update(
                state="gereed", finished_at=utcnow(), heartbeat_at=utcnow(), summary=run.summary
            )
            .where(run.mine())
            .execute()
        )
        if done != 1:
            raise ClaimLost(f"{job} {period} is overgenomen door een ander proces.")
        logger.info("run done: %s %s: %s", job, period, run.summary)


def _record_failure(run: Run, error: str) -> None:
    """Mark the run failed. When the database connection broke (often the
    cause of the failure), reconnect and try again for RECORD_PATIENCE, so the
    run does not stay 'bezig'."""
    deadline = time.monotonic() + RECORD_PATIENCE.total_seconds()
    pause = 0.2
    while True:
        try:
            ReportRun.update(
                state="mislukt", finished_at=utcnow(), summary=run.summary, error=error
            ).where(run.mine()).execute()
            return
        except (OperationalError, InterfaceError) as broken:
            if time.monotonic() >= deadline:
                logger.error("run failure of %s not recorded: %s", run.row.id, broken)
                return
            logger.warning("recording run failure: %s; reconnecting", broken)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            with contextlib.suppress(OperationalError, InterfaceError):
                reconnect()
