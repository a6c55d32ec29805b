"""The scheduler's watch (heartbeat, a failed or missed nightly mailed once,
catching up a missed night) and retention in the nightly run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.mail import MailSettings
from domain.retention import RetentionSettings
from jobs import status
from jobs.nightly import BatchSettings, prune, run_nightly
from jobs.schedule import missed_nightly
from models import (
    AuditEvent,
    Cycle,
    LoginThrottle,
    OutboxMessage,
    ReportFile,
    ReportRun,
    ServiceHeartbeat,
    User,
    utcnow,
)
from tests import factories

CONFIG = {"TIMEZONE": "Europe/Amsterdam", "SCHEDULE_NIGHTLY": "30 3 * * *"}
AMS = ZoneInfo("Europe/Amsterdam")


def test_heartbeat_one_row_per_process_and_old_ones_forgotten(database):
    ServiceHeartbeat.create(
        service="scheduler",
        host="elders",
        pid=1,
        started_at=utcnow() - dt.timedelta(days=3),
        beat_at=utcnow() - dt.timedelta(days=2),
    )
    status.beat("scheduler")
    status.beat("scheduler")
    rows = list(ServiceHeartbeat.select())
    assert len(rows) == 1
    assert rows[0].host != "elders"
    assert status.scheduler_check(utcnow()).ok
    assert not status.scheduler_check(utcnow() + dt.timedelta(minutes=4)).ok
    status.forget("scheduler")  # a clean stop
    assert not status.scheduler_check(utcnow()).ok


def test_last_due_is_the_last_nightly_time_past_its_grace():
    # 04:10 Amsterdam (03:10 UTC in winter): the 03:30 run is 40 minutes ago.
    now = dt.datetime(2026, 11, 28, 3, 10)
    due = status.last_due("30 3 * * *", AMS, now)
    assert due.astimezone(AMS) == dt.datetime(2026, 11, 28, 3, 30, tzinfo=AMS)
    # 03:45 Amsterdam: within the grace, so the night before counts.
    due = status.last_due("30 3 * * *", AMS, dt.datetime(2026, 11, 28, 2, 45))
    assert due.astimezone(AMS).date() == dt.date(2026, 11, 27)


def test_a_failed_nightly_is_mailed_to_each_beheerder_once(database):
    admins = [
        factories.user(("beheerder",), email="b1@example.nl"),
        factories.user(("beheerder",), email="b2@example.nl"),
    ]
    gone = factories.user(("beheerder",), email="weg@example.nl")
    User.update(active=False).where(User.id == gone.id).execute()
    region = factories.region()
    factories.user(("regiocoordinator", region), email="coord@example.nl")
    now = utcnow()
    period = status.last_due("30 3 * * *", AMS, now).astimezone(AMS).date().isoformat()
    # A new installation whose scheduler started just now misses no night yet.
    status.beat("scheduler")
    assert status.alert_nightly(CONFIG, "https://x/beheer/status") == 0
    # One that has been running for days: that night is missing.
    ServiceHeartbeat.update(started_at=now - dt.timedelta(days=3)).execute()
    assert status.alert_nightly(CONFIG, "https://x/beheer/status") == 2
    assert status.alert_nightly(CONFIG, "https://x/beheer/status") == 0
    mails = list(OutboxMessage.select().order_by(OutboxMessage.to_address))
    assert [m.to_address for m in mails] == [a.email for a in admins]
    assert period in mails[0].subject
    assert "niet gedraaid" in mails[0].subject
    assert "https://x/beheer/status" in mails[0].body_text
    # The same night failing after all adds nothing; a good night is not mailed.
    ReportRun.create(job="nightly", period=period, state="mislukt", started_at=now)
    assert status.alert_nightly(CONFIG, "https://x/beheer/status") == 0
    ReportRun.update(state="gereed").execute()
    assert status.nightly_check("30 3 * * *", AMS, now).ok


def test_a_failed_nightly_is_reported_as_failed(database):
    factories.user(("beheerder",), email="b1@example.nl")
    now = utcnow()
    period = status.last_due("30 3 * * *", AMS, now).astimezone(AMS).date().isoformat()
    ReportRun.create(job="nightly", period=period, state="mislukt", started_at=now)
    assert status.alert_nightly(CONFIG, "https://x") == 1
    assert "mislukt" in OutboxMessage.get().subject


def test_a_missed_night_is_caught_up_within_the_grace(database):
    config = {"TIMEZONE": "Europe/Amsterdam", "SCHEDULE_NIGHTLY": "30 3 * * *"}
    at = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)  # 05:00 in Amsterdam
    assert missed_nightly(config, at) == dt.date(2026, 11, 28)
    ReportRun.create(job="nightly", period="2026-11-28", state="gereed")
    assert missed_nightly(config, at) is None
    # Long past the grace: the next scheduled night will do.
    assert missed_nightly(config, dt.datetime(2026, 11, 28, 14, 0, tzinfo=dt.UTC)) is None


# --- retention -------------------------------------------------------------------


def _settings(tmp_path: Path, **days) -> BatchSettings:
    return BatchSettings(
        mail=MailSettings(port=1, timeout=1),
        link_for=lambda assessment_id: f"http://test/{assessment_id}",
        reports_dir=tmp_path / "rapporten",
        reports_link="http://test/rapporten",
        retention=RetentionSettings(**days),
    )


DAYS = {"report_runs_days": 365, "sent_mail_days": 90, "audit_days": 365, "login_days": 180}


def test_prune_deletes_what_is_past_retention_and_keeps_the_rest(database, tmp_path):
    now = utcnow()
    old, recent = now - dt.timedelta(days=400), now - dt.timedelta(days=10)
    user = factories.user(("beheerder",))
    for at in (old, recent):
        AuditEvent.create(at=at, action="cycle_opened", user=user)
        AuditEvent.create(at=at, action="login", user=user, ip="10.0.0.1")
        OutboxMessage.create(
            dedupe_key=f"sent-{at}", to_address="a@x", subject="s", body_text="t",
            state="verzonden", created_at=at, sent_at=at,
        )  # fmt: skip
        LoginThrottle.create(scope="address", key=str(at), failures=1, last_failure_at=at)
    OutboxMessage.create(
        dedupe_key="waiting", to_address="a@x", subject="s", body_text="t", created_at=old
    )
    # An old run is pruned, a run still going never.
    ReportRun.create(job="nightly", period="2025-01-01", state="gereed", started_at=old)
    ReportRun.create(job="nightly", period="2025-01-02", state="bezig", started_at=old)
    # Report files: an old superseded one goes (file too), the current one stays.
    cycle = factories.cycle(factories.default_framework(), "2025-Q1")
    store = tmp_path / "rapporten" / "2025-Q1" / "run"
    store.mkdir(parents=True)
    files = []
    for name in ("oud.pdf", "huidig.pdf"):
        (store / name).write_bytes(b"%PDF" + name.encode())
        files.append(
            ReportFile.create(
                cycle=cycle,
                kind="pdf_region",
                scope_type="regio",
                scope_id=1,
                path=str(store / name),
                checksum="x",
                size=12,
                created_at=old,
            )  # fmt: skip
        )
    counts = prune(_settings(tmp_path, **DAYS), now)
    assert counts == {
        "report_files": 1,
        "report_bytes": 12,
        "report_runs": 1,
        "sent_mail": 1,
        "audit_entries": 1,
        "login_records": 2,  # the login entry and the throttle record
    }
    assert not (store / "oud.pdf").exists()
    assert (store / "huidig.pdf").exists()
    assert [f.id for f in ReportFile.select()] == [files[1].id]
    assert AuditEvent.select().count() == 2
    assert OutboxMessage.select().count() == 2  # the recent sent one and the waiting one
    assert ReportRun.select().count() == 1
    assert LoginThrottle.select().count() == 1
    # Again: nothing more to do.
    again = prune(_settings(tmp_path, **DAYS), now)
    assert set(again.values()) == {0}


def test_retention_never_goes_below_the_minimum(database, tmp_path):
    now = utcnow()
    OutboxMessage.create(
        dedupe_key="k", to_address="a@x", subject="s", body_text="t",
        state="verzonden", created_at=now - dt.timedelta(days=20),
        sent_at=now - dt.timedelta(days=20),
    )  # fmt: skip
    assert prune(_settings(tmp_path, sent_mail_days=1), now)["sent_mail"] == 0


def test_the_nightly_run_prunes_and_says_how_much(database, tmp_path):
    now = utcnow()
    AuditEvent.create(at=now - dt.timedelta(days=1000), action="cycle_opened")
    messages = []
    summary = run_nightly(now.date(), settings=_settings(tmp_path), progress=messages.append)
    assert summary["pruned"]["audit_entries"] == 1
    assert any(m.startswith("opgeruimd: ") and "audit_entries 1" in m for m in messages)
    assert Cycle.select().count() == 0


def test_each_job_step_is_one_log_line(database, tmp_path, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="jobs.runs"):
        run_nightly(utcnow().date(), settings=_settings(tmp_path))
    steps = [r for r in caplog.records if r.getMessage().startswith("job step nightly")]
    assert len(steps) >= 5
    run_id = ReportRun.get(ReportRun.job == "nightly").id
    assert {(r.job, r.run_id) for r in steps} == {("nightly", run_id)}
    assert any("pruned" in r.step for r in steps)
    assert any("mail_sent" in r.step for r in steps)
