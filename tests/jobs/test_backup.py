"""Backup and restore through the CLI, on SQLite and PostgreSQL: a backup
taken while assessments are being saved restores into a fresh database with
every record it held, and the site runs on the restored copy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from domain import (
    assessment_agreements,
    assessment_form,
    assessment_saving,
    assessment_steps,
    computation,
    indicators,
)
from domain.reference import load_reference_data
from models import (
    Answer,
    Assessment,
    AssessmentChange,
    ReportFile,
    ScopeResult,
    db,
)
from reports.build import write_cycle_reports
from tests import factories, journey
from tests.reports.conftest import require

TABLES = {
    "assessment": Assessment,
    "answer": Answer,
    "change": AssessmentChange,
    "result": ScopeResult,
    "report": ReportFile,
}


def _rows(model) -> dict[tuple, dict]:
    keys = [f.name for f in model._meta.get_primary_keys()]
    return {tuple(row[k] for k in keys): row for row in model.select().dicts()}


def _save(actor, assessment, score: int) -> None:
    agreements = assessment_agreements.applicable_agreements(assessment)
    parsed = assessment_form.parse_form(
        journey.complete_form(agreements, score=score), agreements, dt.date.today()
    )
    current = Assessment.get_by_id(assessment.id)
    assessment_saving.save_answers(actor, current, current.version, parsed)


class Writer(threading.Thread):
    """Saves an assessment again and again, as people do while a backup runs."""

    def __init__(self, actor, assessment):
        super().__init__(daemon=True)
        self.actor, self.assessment = actor, assessment
        self.saves = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with db.connection_context():
                while not self.stop.is_set():
                    _save(self.actor, self.assessment, 1 + self.saves % 4)
                    self.saves += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


def _fill(reports_dir: Path) -> dict:
    load_reference_data()
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    chain = journey.build()
    _save(chain["manager"], chain["assessment"], 3)
    assert (
        assessment_steps.submit(chain["manager"], Assessment.get_by_id(chain["assessment"].id))
        == []
    )
    computation.recompute()
    write_cycle_reports(chain["cycle"], reports_dir)
    return chain


def _app(url: str, reports: Path):
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REPORTS_DIR": str(reports),
        }
    )


def test_backup_while_writing_restores_everything(
    backend, database_url, empty_database_url, tmp_path
):
    if backend == "postgresql":
        require("pg_dump")
        require("pg_restore")
    source = _app(database_url, tmp_path / "reports")
    with source.app_context(), db.connection_context():
        chain = _fill(tmp_path / "reports")
        before = {name: _rows(model) for name, model in TABLES.items()}
        team = Assessment.get(Assessment.organisation == chain["team"])
    assert all(before.values()), {k: len(v) for k, v in before.items()}
    assert len(before["report"]) >= 3

    writer = Writer(chain["team_manager"], team)
    writer.start()
    while writer.saves < 2 and writer.is_alive():
        pass
    saves_before = writer.saves
    result = source.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "bk")])
    # The writer was saving before the backup started and goes on after it.
    deadline = time.monotonic() + 30
    while writer.saves < saves_before + 2 and writer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.stop.set()
    writer.join(30)
    assert writer.error is None, writer.error
    assert writer.saves >= saves_before + 2
    assert result.exit_code == 0, result.output
    assert "Backup" in result.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["report_files"] == len(before["report"])

    # Into a fresh database and report store, as on a new server.
    target = _app(empty_database_url, tmp_path / "restored")
    result = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    with target.app_context(), db.connection_context():
        after = {name: _rows(model) for name, model in TABLES.items()}
        reports = list(ReportFile.select())
    # The team's answers were saved again by the writer: present, maybe newer.
    team_answers = {k for k, a in before["answer"].items() if a["assessment"] == team.id}
    for name, rows in before.items():
        assert set(rows) <= set(after[name]), f"{name}: records missing after restore"
    for key, row in before["answer"].items():
        if key not in team_answers:
            assert after["answer"][key] == row
    for name in ("result", "change"):
        for key, row in before[name].items():
            assert after[name][key] == row
    # Each save is one transaction: the restored copy holds whole saves only.
    with target.app_context(), db.connection_context():
        restored_team = Assessment.get_by_id(team.id)
        last_change = (
            AssessmentChange.select(AssessmentChange.version)
            .where(AssessmentChange.assessment == team.id)
            .order_by(AssessmentChange.version.desc())
            .scalar()
        )
    assert restored_team.version == last_change
    assert restored_team.version >= team.version + 2
    for report in reports:
        path = Path(report.path)
        assert path.is_relative_to(tmp_path / "restored")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == report.checksum

    # A second restore into the now filled database is refused.
    again = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
    assert again.exit_code == 1
    assert "niet leeg" in again.output

    # The site runs on the restored copy: log in, list and download a report.
    client = target.test_client()
    login = client.post(
        "/inloggen", data={"email": "manager@example.nl", "password": factories.PASSWORD}
    )
    assert login.status_code == 302
    assert client.get("/rapporten").status_code == 200
    with target.app_context(), db.connection_context():
        mine = ReportFile.get(
            ReportFile.kind == "pdf_organisation", ReportFile.scope_id == chain["jgz"].id
        )
    download = client.get(f"/rapporten/{mine.id}")
    assert download.status_code == 200
    data = download.data
    download.close()
    assert data == Path(mine.path).read_bytes()


def test_backup_refuses_a_directory_in_use_and_restore_a_non_backup(database_url, tmp_path):
    app = _app(database_url, tmp_path / "reports")
    used = tmp_path / "used"
    used.mkdir()
    (used / "iets").write_text("x")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "create", str(used)])
    assert result.exit_code == 1
    assert "niet leeg" in result.output
    result = runner.invoke(args=["backup", "restore", str(used)])
    assert result.exit_code == 1
    assert "geen backup" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_refuses_a_backup_of_the_other_backend(database_url, tmp_path):
    app = _app(database_url, tmp_path / "reports")
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "manifest.json").write_text(
        json.dumps({"format": 1, "backend": "postgresql", "reports_dir": "/x"})
    )
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
    assert result.exit_code == 1
    assert "postgresql" in result.output
