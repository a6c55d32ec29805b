"""Takeover is fenced, the same on SQLite and PostgreSQL (issue 25, item 3):
a run frozen (SIGSTOP) after it closed the cycle goes silent; another process
takes it over (on PostgreSQL although the frozen one still holds the advisory
lock), writes the final reports and distributes them; the frozen run, resumed,
notices at its next step that it lost its claim and stops without writing."""

from __future__ import annotations

import signal

from models import Cycle, OutboxMessage, ReportFile, ReportRun, utcnow
from tests.faults.conftest import read_until, state, wait_for
from tests.faults.test_close_sequence import (
    CLOSING_NIGHT,
    _check_mail_is_final,
    _provisional_reports,
)


def _counts() -> tuple[int, int, int]:
    return (
        ReportFile.select().count(),
        OutboxMessage.select().count(),
        ReportRun.select().count(),
    )


def test_a_frozen_run_is_taken_over_and_stops_when_it_resumes(batch):
    cycle = _provisional_reports(batch)
    frozen = batch.start("freeze-after-close", "nightly", CLOSING_NIGHT)
    read_until(frozen, "fault: frozen here")
    wait_for(lambda: state(frozen.pid) == "T", "the run to be stopped")
    assert Cycle.get_by_id(cycle.id).state == "gesloten"

    # Silent for the configured time (here a few milliseconds): taken over.
    # Timestamps are stored to the second, so the silence shows once the
    # clock has left the second of the frozen run's last heartbeat.
    heartbeat = ReportRun.get(ReportRun.job == "nightly").heartbeat_at
    wait_for(lambda: utcnow() > heartbeat, "a second past the frozen run's heartbeat")
    code, output = batch.run("none", "nightly", CLOSING_NIGHT, RUN_STALE_MINUTES="0.0001")
    assert code == 0, output
    _check_mail_is_final(cycle)
    run = ReportRun.get(ReportRun.job == "nightly")
    taken_over_by = run.pid
    assert taken_over_by != frozen.pid
    assert run.earlier.get().pid == frozen.pid
    before = _counts()

    frozen.send_signal(signal.SIGCONT)
    output = batch.finish(frozen)
    assert frozen.returncode == 3, output  # skipped: it lost its claim
    assert "fault: resumed" in output
    assert "overgenomen" in output
    # It wrote nothing more: no reports, no mail, the run row untouched.
    assert _counts() == before
    run = ReportRun.get(ReportRun.job == "nightly")
    assert (run.state, run.pid) == ("gereed", taken_over_by)
