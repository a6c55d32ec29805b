"""Fenced claims (issue 25, items 3 and 5), in one process: a run that lost
its claim stops without writing; a takeover is a compare-and-set; the same
rule on PostgreSQL with its advisory lock; a stop request ends a run at a safe
point and the next scheduler start finishes it; a failure is recorded after
the connection broke; a run whose process is gone shows as failed at once."""

from __future__ import annotations

import datetime as dt
import socket
from zoneinfo import ZoneInfo

import pytest
from peewee import OperationalError

import jobs.runs
from jobs import status
from jobs.runs import ClaimLost, RunSkipped, RunStopped, claimed_run
from jobs.schedule import missed_nightly
from models import ReportRun, db, is_postgres, utcnow
from tests.conftest import _admin

DEAD_PID = 2**22 + 12345  # cannot exist on this host


def _take_over(row_id: int) -> None:
    """What another process's takeover does to the row."""
    ReportRun.update(host="andere-host", pid=1, started_at=utcnow(), heartbeat_at=utcnow()).where(
        ReportRun.id == row_id
    ).execute()


def test_a_run_that_lost_its_claim_stops_and_leaves_the_row_alone(database):
    with pytest.raises(ClaimLost), claimed_run("nightly", "2026-12-01") as run:  # noqa: PT012
        run.beat(step=1)
        _take_over(run.row.id)
        run.check()  # before writing anything more
        pytest.fail("a run without its claim went on")
    row = ReportRun.get()
    assert (row.state, row.host, row.pid) == ("bezig", "andere-host", 1)
    assert row.error is None


def test_a_run_that_lost_its_claim_at_the_end_does_not_mark_it_done(database):
    with pytest.raises(ClaimLost), claimed_run("nightly", "2026-12-02") as run:
        _take_over(run.row.id)
    assert ReportRun.get().state == "bezig"


def test_a_takeover_loses_to_a_run_that_beat_in_between(database, monkeypatch):
    ReportRun.create(
        job="nightly",
        period="2026-12-03",
        state="bezig",
        host="andere-host",
        pid=1,
        started_at=utcnow() - dt.timedelta(hours=2),
        heartbeat_at=utcnow() - dt.timedelta(hours=1),
    )
    judge = jobs.runs.is_dead

    def wakes_up_while_judged(run, now=None):
        dead = judge(run, now)
        # The hung run wakes up and beats just after it was judged silent.
        ReportRun.update(heartbeat_at=utcnow()).where(ReportRun.id == run.id).execute()
        return dead

    monkeypatch.setattr(jobs.runs, "is_dead", wakes_up_while_judged)
    with pytest.raises(RunSkipped, match="zojuist"), claimed_run("nightly", "2026-12-03"):
        pytest.fail("took over a run that was alive")
    assert ReportRun.get().host == "andere-host"


def test_the_configured_silence_decides(database, monkeypatch):
    ReportRun.create(
        job="nightly",
        period="2026-12-04",
        state="bezig",
        host="andere-host",
        pid=1,
        started_at=utcnow() - dt.timedelta(minutes=10),
        heartbeat_at=utcnow() - dt.timedelta(minutes=5),
    )
    with pytest.raises(RunSkipped, match="loopt al"), claimed_run("nightly", "2026-12-04"):
        pass
    monkeypatch.setenv("RUN_STALE_MINUTES", "4")
    with claimed_run("nightly", "2026-12-04") as run:
        assert run.row.host == socket.gethostname()
    assert ReportRun.get().earlier.get().state == "afgebroken"


def _hold_lock(database_url: str, job: str):
    """Another session holding the job's advisory lock: a hung run that is
    still connected."""
    import zlib

    holder = _admin(database_url)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(job.encode()),))
    return holder


def test_postgresql_takes_over_a_hung_run_that_holds_the_lock(database, database_url):
    if not is_postgres():
        pytest.skip("the advisory lock is PostgreSQL's")
    holder = _hold_lock(database_url, "nightly")
    try:
        ReportRun.create(
            job="nightly",
            period="2026-12-05",
            state="bezig",
            host="andere-host",
            pid=1,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        # Alive (a recent heartbeat): the lock stands.
        with pytest.raises(RunSkipped, match="PostgreSQL-lock"), claimed_run("nightly", "x"):
            pass
        # Silent for the configured time: taken over, lock or not, as on SQLite.
        ReportRun.update(heartbeat_at=utcnow() - dt.timedelta(hours=1)).execute()
        with claimed_run("nightly", "2026-12-05") as run:
            run.beat(step="taken over")
        assert ReportRun.get().state == "gereed"
    finally:
        holder.close()


def test_a_stop_request_ends_the_run_at_a_safe_point_and_the_next_start_finishes_it(database):
    config = {"TIMEZONE": "Europe/Amsterdam", "SCHEDULE_NIGHTLY": "30 3 * * *"}
    zone = ZoneInfo("Europe/Amsterdam")
    now = dt.datetime(2026, 12, 6, 4, 0, tzinfo=zone).astimezone(dt.UTC)
    day = "2026-12-06"
    try:
        with pytest.raises(RunStopped), claimed_run("nightly", day) as run:  # noqa: PT012
            run.beat(step=1)
            jobs.runs.request_stop()
            run.beat(step=2)
            pytest.fail("went on after the stop request")
    finally:
        jobs.runs.clear_stop()
    row = ReportRun.get()
    assert row.state == "mislukt"
    assert "Gestopt op verzoek" in row.error
    assert row.summary == {"step": 1}
    # The scheduler that starts next (the same night or day) runs it again.
    assert missed_nightly(config, now) == dt.date(2026, 12, 6)
    assert missed_nightly(config, now + dt.timedelta(hours=20)) == dt.date(2026, 12, 6)
    with claimed_run("nightly", day):
        pass
    assert missed_nightly(config, now) is None


def test_a_run_whose_process_is_gone_shows_as_failed_at_once(database):
    zone = ZoneInfo("Europe/Amsterdam")
    now = utcnow()
    due = status.last_due("30 3 * * *", zone, now)
    period = due.astimezone(zone).date().isoformat()
    ReportRun.create(
        job="nightly",
        period=period,
        state="bezig",
        host=socket.gethostname(),
        pid=DEAD_PID,
        started_at=now,
        heartbeat_at=now,  # beat a moment ago, but its process is gone
    )
    check = status.nightly_check("30 3 * * *", zone, now)
    assert not check.ok
    assert check.details["state"] == "vastgelopen"


def test_a_failure_is_recorded_after_the_connection_broke(database, database_url):
    if not is_postgres():
        pytest.skip("breaks a PostgreSQL session from outside")
    killer = _admin(database_url)
    try:
        with pytest.raises(OperationalError), claimed_run("nightly", "2026-12-07") as run:  # noqa: PT012
            run.beat(step=1)
            backend = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", (backend,))
            db.execute_sql("SELECT 1").fetchone()  # the connection is gone
    finally:
        killer.close()
    row = ReportRun.get()
    assert row.state == "mislukt"
    assert row.summary == {"step": 1}
