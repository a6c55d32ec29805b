"""Report workers never outlive their batch (issue 25, item 1): kill -9 the
batch while its workers write reports; the workers end, their database
session (and on PostgreSQL the advisory lock) goes with them, and the next
nightly runs."""

from __future__ import annotations

import signal

from models import ReportFile, ReportRun, db, is_postgres
from tests.faults.conftest import alive, children, read_until, wait_for


def _advisory_locks() -> int:
    return db.execute_sql(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
    ).fetchone()[0]


def test_killed_batch_leaves_no_worker_and_the_next_nightly_runs(batch):
    victim = batch.start("slow-reports", "nightly", "2026-11-24")
    read_until(victim, "rapporten schrijven in 2 processen")
    workers = wait_for(
        lambda: children(victim.pid) if len(children(victim.pid)) >= 2 else None,
        "two report workers",
    )
    batch.others |= workers
    if is_postgres():
        assert _advisory_locks() == 1  # the batch holds the nightly's lock
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    # The workers notice their parent's death and end (the kernel's
    # parent-death signal; a watcher thread polls as well).
    wait_for(lambda: not any(alive(pid) for pid in workers), "the report workers to end")
    if is_postgres():
        # Their inherited session closed with them: the lock is free.
        wait_for(lambda: _advisory_locks() == 0, "the advisory lock to be released")
    assert ReportRun.get().state == "bezig"  # as the killed batch left it

    code, output = batch.run("none", "nightly", "2026-11-24")
    assert code == 0, output
    assert "Klaar" in output
    run = ReportRun.get()
    assert run.state == "gereed"
    assert run.earlier.count() == 1  # the killed attempt, kept in the log
    # What the killed attempt wrote and never recorded is gone from the store.
    recorded = {row.path for row in ReportFile.select(ReportFile.path)}
    on_disk = {str(p) for p in batch.reports.rglob("*") if p.is_file()}
    assert on_disk == recorded
    assert recorded
