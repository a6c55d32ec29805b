"""The command-line commands."""

from pathlib import Path

import yaml

from domain.framework import DEFAULT_FRAMEWORK, load_file
from models import (
    Answer,
    FrameworkVersion,
    Gemeente,
    IndicatorDefinition,
    IndicatorStamp,
    Organisation,
    ReportFile,
    ScopeResult,
)


def test_setup_twice_duplicates_nothing(runner):
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "beheerder@demo.afsprakenmonitor.nl" in first.output
    counts = (
        Gemeente.select().count(),
        FrameworkVersion.select().count(),
        IndicatorDefinition.select().count(),
        Organisation.select().count(),
        Answer.select().count(),
    )
    assert counts[0] == 342
    assert counts[1] == 1
    assert counts[3] > 20
    assert counts[4] > 5000
    # The demo's figures and the latest reports are there straight away.
    assert "Cijfers: 8 rondes berekend; rapporten van 2026-Q3, 2026-Q4" in first.output
    assert ScopeResult.select().count() > 0
    assert IndicatorStamp.select().count() == 8
    reports = ReportFile.select().count()
    assert {r.cycle.period for r in ReportFile.select()} == {"2026-Q3", "2026-Q4"}
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0, second.output
    assert (
        Gemeente.select().count(),
        FrameworkVersion.select().count(),
        IndicatorDefinition.select().count(),
        Organisation.select().count(),
        Answer.select().count(),
    ) == counts
    assert ReportFile.select().count() == reports  # nothing changed: nothing rewritten


def test_db_upgrade_and_status(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0
    assert "actueel" in result.output
    status = runner.invoke(args=["db", "status"])
    assert "0001_initial: toegepast" in status.output


def test_framework_import_export_round_trip(runner, tmp_path: Path):
    result = runner.invoke(args=["framework", "import", str(DEFAULT_FRAMEWORK), "--publish"])
    assert result.exit_code == 0, result.output
    assert "geïmporteerd" in result.output
    again = runner.invoke(args=["framework", "import", str(DEFAULT_FRAMEWORK)])
    assert "ongewijzigd" in again.output
    exported = runner.invoke(args=["framework", "export"])
    assert exported.exit_code == 0
    assert yaml.safe_load(exported.output)["themes"][0]["code"] == "VISIE"
    out = tmp_path / "kader.xlsx"
    assert runner.invoke(args=["framework", "export", "-o", str(out)]).exit_code == 0
    assert load_file(out) == load_file(DEFAULT_FRAMEWORK)


def test_framework_import_reports_errors_and_fails(runner, tmp_path: Path):
    bad = tmp_path / "fout.yaml"
    bad.write_text("slug: x\nversion: 0\ntitle: t\nsources: []\nthemes: []\n", encoding="utf-8")
    result = runner.invoke(args=["framework", "import", str(bad)])
    assert result.exit_code == 1
    assert "fout.yaml: kader, veld 'version'" in result.output
    assert FrameworkVersion.select().count() == 0


def test_demo_refuses_to_duplicate(runner):
    assert runner.invoke(args=["setup"]).exit_code == 0
    before = Organisation.select().count()
    result = runner.invoke(args=["demo", "--scale", "small"])
    assert result.exit_code == 1
    assert "--reset" in result.output
    assert Organisation.select().count() == before
    result = runner.invoke(args=["demo", "--scale", "small", "--seed", "3", "--reset"])
    assert result.exit_code == 0, result.output
    assert Organisation.select().count() == before


def test_mail_deliver_sends_the_outbox(app, runner, smtp):
    from domain.mail import queue

    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=smtp.port)
    queue("cli-test", "iemand@example.nl", "Onderwerp", "Tekst")
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Verzonden: 1" in result.output
    assert [m["To"] for m in smtp.messages] == ["iemand@example.nl"]


def test_cycles_remind_queues_on_reminder_days(app, runner):
    import datetime as dt

    from models import OutboxMessage
    from tests import journey

    chain = journey.build(today=dt.date(2026, 11, 23))
    before = OutboxMessage.select().count()
    due = chain["cycle"].due_on
    result = runner.invoke(args=["cycles", "remind", "--date", (due - dt.timedelta(7)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "Herinneringen klaargezet: 3" in result.output
    import re

    from models import Assessment

    new = OutboxMessage.select().order_by(OutboxMessage.id).offset(before)
    links = {re.search(r"http\S+", m.body_text).group(0) for m in new}
    expected = {f"http://127.0.0.1:5000/zelfevaluaties/{a.id}" for a in Assessment.select()}
    assert links == expected
    assert OutboxMessage.select().count() == before + 3


def test_batch_fails_loudly_on_an_unknown_cycle(runner):
    result = runner.invoke(args=["batch", "run", "--cycle", "2099-Q1"])
    assert result.exit_code == 1
    assert "ronde 2099-Q1 bestaat niet" in result.output


def test_batch_run_twice_is_skipped_the_second_time(runner):
    from models import ReportRun

    assert runner.invoke(args=["setup"]).exit_code == 0
    first = runner.invoke(args=["batch", "run", "--date", "2026-11-24"])
    assert first.exit_code == 0, first.output
    assert "Klaar:" in first.output
    second = runner.invoke(args=["batch", "run", "--date", "2026-11-24"])
    assert second.exit_code == 0
    assert "Overgeslagen" in second.output
    summary = ReportRun.get(ReportRun.job == "nightly").summary
    # Setup computed the figures and wrote the two latest cycles' reports
    # (the open and the latest closed one), recorded like any run: the night
    # has none to write. Older cycles' reports are written when first opened
    # (tests/faults).
    setup = ReportRun.get(ReportRun.job == "setup")
    assert setup.state == "gereed"
    assert setup.summary["cycles_recomputed"] == 8
    assert len(setup.summary["reports_written"]) == 2
    assert summary["cycles_recomputed"] == 0
    assert summary.get("reports_written", {}) == {}


def test_files_that_are_not_utf8_end_in_a_message_not_a_traceback(runner, tmp_path: Path):
    latin = tmp_path / "kader.yaml"
    latin.write_bytes(DEFAULT_FRAMEWORK.read_bytes().decode("utf-8").encode("latin-1", "replace"))
    result = runner.invoke(args=["framework", "import", str(latin)])
    assert result.exit_code == 1
    assert "kader.yaml" in result.output
    assert "geen UTF-8-tekst" in result.output
    assert not isinstance(result.exception, UnicodeDecodeError)
    indicators = tmp_path / "indicatoren.yaml"
    indicators.write_bytes(b"indicators:\n  - code: \xe9\n")
    result = runner.invoke(args=["indicators", "import", str(indicators)])
    assert result.exit_code == 1
    assert "geen UTF-8-tekst (byte 23)" in result.output


def test_create_admin_invites_the_first_beheerder(app, runner, database):
    from models import OutboxMessage, RoleAssignment, User

    app.config["BASE_URL"] = "https://monitor.example.nl"
    result = runner.invoke(args=["users", "create-admin", "Eerste@Example.nl", "--name", "Eerste"])
    assert result.exit_code == 0, result.output
    user = User.get(User.email == "eerste@example.nl")
    assert [r.role for r in RoleAssignment.select().where(RoleAssignment.user == user)] == [
        "beheerder"
    ]
    invite = OutboxMessage.get(OutboxMessage.to_address == "eerste@example.nl")
    assert "https://monitor.example.nl/" in invite.body_text  # the link to set a password
    again = runner.invoke(args=["users", "create-admin", "eerste@example.nl", "--name", "X"])
    assert again.exit_code == 1
    assert User.select().count() == 1
