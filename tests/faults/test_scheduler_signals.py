"""SIGTERM to the scheduler during the nightly (issue 25, item 5): the run
stops at a safe point and is recorded as stopped, nothing unrecorded is left
in the report store, the scheduler exits cleanly, and the next scheduler
start finishes the night's work."""

from __future__ import annotations

import datetime as dt
import os
import signal
from zoneinfo import ZoneInfo

from models import ReportFile, ReportRun, db
from tests.faults.conftest import alive, children, wait_for


def _run_row(day: str):
    with db.connection_context():
        return ReportRun.get_or_none(ReportRun.job == "nightly", ReportRun.period == day)


def test_sigterm_stops_the_nightly_safely_and_the_next_start_finishes_it(batch):
    zone = ZoneInfo("Europe/Amsterdam")
    fired = dt.datetime.now(zone) - dt.timedelta(minutes=2)
    day = fired.date().isoformat()
    # The nightly's time passed two minutes ago: the scheduler runs it at start.
    schedule = {"SCHEDULE_NIGHTLY": f"{fired.minute} {fired.hour} * * *"}

    first = batch.start(
        "slow-reports", "scheduler", own_group=True, FAULT_SLOW_SECONDS="1", **schedule
    )
    wait_for(
        lambda: (
            (row := _run_row(day)) is not None
            and "2026-Q3: 49 rapporten schrijven" in str(row.summary.get("last_step", ""))
        ),
        "the nightly to write reports",
    )
    workers = wait_for(lambda: children(first.pid), "the report workers")
    batch.others |= workers
    # To the whole group, report workers included, as systemd stops a service.
    os.killpg(first.pid, signal.SIGTERM)
    output = batch.finish(first)
    assert first.returncode == 0, output
    assert "Planner gestopt" in output
    assert "cannot schedule new futures" not in output
    assert "BrokenProcessPool" not in output
    assert not any(alive(pid) for pid in workers)
    row = _run_row(day)
    assert row.state == "mislukt"
    assert "Gestopt op verzoek" in row.error
    with db.connection_context():
        recorded = {r.path for r in ReportFile.select(ReportFile.path)}
    assert {str(p) for p in batch.reports.rglob("*") if p.is_file()} == recorded

    second = batch.start("none", "scheduler", **schedule)
    wait_for(lambda: _run_row(day).state == "gereed", "the next start to finish the night")
    second.send_signal(signal.SIGTERM)
    output = batch.finish(second)
    assert second.returncode == 0, output
    row = _run_row(day)
    assert set(row.summary["reports_written"]) == {"2026-Q3", "2026-Q4"}
    assert row.earlier.get().state == "mislukt"
