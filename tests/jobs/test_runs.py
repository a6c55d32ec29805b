"""Exactly once: claims, takeovers, failures, and two processes at once."""

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.runs import RunSkipped, claimed_run
from models import ReportRun, utcnow

ROOT = Path(__file__).resolve().parents[2]


def test_second_claim_is_skipped_and_done_is_done(database):
    with claimed_run("nightly", "2026-11-24") as run:
        with pytest.raises(RunSkipped, match="loopt al"), claimed_run("nightly", "2026-11-24"):
            pass
        run.beat(step=1)
    with pytest.raises(RunSkipped, match="al uitgevoerd"), claimed_run("nightly", "2026-11-24"):
        pass
    with claimed_run("nightly", "2026-11-24", force=True) as run:
        run.beat(step=2)
    row = ReportRun.get()
    assert row.state == "gereed"
    assert row.summary == {"step": 2}


def test_failure_is_recorded_and_the_next_run_takes_over(database):
    with pytest.raises(ZeroDivisionError), claimed_run("nightly", "2026-11-25"):
        1 / 0  # noqa: B018
    row = ReportRun.get()
    assert row.state == "mislukt"
    assert "ZeroDivisionError" in row.error
    with claimed_run("nightly", "2026-11-25"):
        pass
    assert ReportRun.get().state == "gereed"
    assert ReportRun.select().count() == 1


def test_crashed_run_is_taken_over(database):
    # A run whose process is gone (a pid that cannot exist on this host).
    import socket

    ReportRun.create(
        job="nightly",
        period="2026-11-26",
        state="bezig",
        host=socket.gethostname(),
        pid=2**22 + 12345,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    with claimed_run("nightly", "2026-11-26") as run:
        assert run.row.pid == os.getpid()
    # Elsewhere and silent for too long: also taken over.
    ReportRun.create(
        job="nightly",
        period="2026-11-27",
        state="bezig",
        host="andere-host",
        pid=1,
        started_at=utcnow() - dt.timedelta(hours=2),
        heartbeat_at=utcnow() - dt.timedelta(hours=1),
    )
    with claimed_run("nightly", "2026-11-27"):
        pass
    # Elsewhere and recently alive: left alone.
    ReportRun.create(
        job="nightly",
        period="2026-11-28",
        state="bezig",
        host="andere-host",
        pid=1,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    with pytest.raises(RunSkipped, match="andere-host"), claimed_run("nightly", "2026-11-28"):
        pass


def _batch(database_url: str, instance: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test",
        "MAIL_PORT": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "batch", "run", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def small_demo(database, database_url):
    import demo
    from domain import framework, indicators
    from domain.reference import load_reference_data

    load_reference_data()
    framework.import_framework(framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True)
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    demo.generate("small", 1, last_period="2026-Q4", today=dt.date(2026, 11, 23))
    database.close()
    return database_url


def test_two_processes_at_once_one_does_the_work(small_demo, tmp_path):
    first = _batch(small_demo, tmp_path, "--date", "2026-11-24")
    second = _batch(small_demo, tmp_path, "--date", "2026-11-24")
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    done = [o for o in outputs if "Klaar:" in o]
    skipped = [o for o in outputs if "Overgeslagen:" in o]
    assert len(done) == 1, outputs
    assert len(skipped) == 1, outputs
    assert "cycles_recomputed 8" in done[0]
    assert ReportRun.select().count() == 1
    assert ReportRun.get().state == "gereed"


def test_killed_halfway_leaves_a_consistent_database(small_demo, tmp_path):
    from domain.computation import recompute
    from models import IndicatorStamp, ScopeResult

    victim = _batch(small_demo, tmp_path, "--date", "2026-11-24")
    for line in victim.stdout:
        if "herberekend (3/" in line:
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait(timeout=60)
    victim.stdout.close()
    assert victim.returncode == -signal.SIGKILL
    # Consistent: each cycle either fully stored with its stamp, or not at all.
    assert ReportRun.get().state == "bezig"
    stamped = IndicatorStamp.select().count()
    assert 3 <= stamped < 8
    with_results = ScopeResult.select(ScopeResult.cycle_id).distinct().count()
    assert with_results == stamped
    # The next run takes over the crashed one and completes the work.
    rerun = _batch(small_demo, tmp_path, "--date", "2026-11-24")
    output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output
    assert f"cycles_recomputed {8 - stamped}" in output
    assert ReportRun.get().state == "gereed"
    # And the result is what a clean computation gives.
    before = {(r.cycle_id, r.scope_type, r.scope_id): r.figures for r in ScopeResult.select()}
    assert recompute(force=True).rows_written == 0
    assert before == {
        (r.cycle_id, r.scope_type, r.scope_id): r.figures for r in ScopeResult.select()
    }
