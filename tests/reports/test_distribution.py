"""The nightly batch writes the reports atomically into the store and, once a
cycle closes, mails each recipient their own report exactly once (a real SMTP
server on 127.0.0.1)."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from jobs.nightly import BatchSettings, run_nightly
from models import Cycle, Organisation, OutboxMessage, ReportFile
from reports import build, store


def _settings(smtp, tmp_path) -> BatchSettings:
    return BatchSettings(
        mail=smtp.settings(),
        link_for=lambda assessment_id: f"http://test/zelfevaluaties/{assessment_id}",
        reports_dir=tmp_path / "rapporten",
        reports_link="http://test/rapporten",
    )


def _attachments(message) -> list[str]:
    return [part.get_filename() for part in message.iter_attachments()]


def test_closing_a_cycle_mails_each_person_their_own_report_once(reports_world, smtp, tmp_path):
    people, o = reports_world["people"], reports_world["orgs"]
    settings = _settings(smtp, tmp_path)
    # The night after 2026-Q2's close date: close, recompute, write, distribute, deliver.
    summary = run_nightly(dt.date(2026, 7, 16), settings=settings)
    assert Cycle.get(Cycle.period == "2026-Q2").state == "gesloten"
    assert summary["reports_mailed"] == {"2026-Q2": 4}
    received = {m["To"]: m for m in smtp.messages}
    assert sorted(received) == sorted(
        p.email for k, p in people.items() if k != "invuller_a"
    )  # invullers receive no report
    expected = {
        "manager.a@example.nl": ("pdf_organisation", o["A"].id),
        "manager.c@example.nl": ("pdf_organisation", o["C"].id),
        "coordinator.1@example.nl": ("pdf_region", reports_world["r1"].id),
        "gemeente.2@example.nl": ("xlsx_gemeente", reports_world["g2"].id),
    }
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    for address, (kind, scope_id) in expected.items():
        message = received[address]
        report = ReportFile.get(
            ReportFile.cycle == cycle, ReportFile.kind == kind, ReportFile.scope_id == scope_id
        )
        assert _attachments(message) == [Path(report.path).name]
        attached = next(message.iter_attachments()).get_content()
        assert attached == Path(report.path).read_bytes()
        assert "2026-Q2" in message["Subject"]
    # A's manager has A's report, not C's (and the other way round).
    assert f"-{o['A'].id}-" in _attachments(received["manager.a@example.nl"])[0]
    assert f"-{o['C'].id}-" in _attachments(received["manager.c@example.nl"])[0]
    # Again, forced: nothing is queued or sent twice.
    again = run_nightly(dt.date(2026, 7, 16), settings=settings, force=True)
    assert again.get("reports_mailed", {}) == {}
    assert len(smtp.messages) == 4
    assert (
        OutboxMessage.select().where(OutboxMessage.dedupe_key.startswith("rapport:")).count() == 4
    )


def test_reports_are_recorded_with_checksums_and_kept_as_archive(reports_world, tmp_path):
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    first = build.write_cycle_reports(cycle, tmp_path)
    assert first.files == {
        "xlsx_regions": 1, "xlsx_gemeente": 3, "pdf_region": 2, "pdf_organisation": 4
    }  # fmt: skip
    for report in ReportFile.select():
        data = Path(report.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.checksum
        assert len(data) == report.size
    assert not list(tmp_path.rglob("*.tmp"))
    second = build.write_cycle_reports(cycle, tmp_path)
    assert second.directory != first.directory
    assert ReportFile.select().count() == 20  # both runs kept
    current = list(store.current_files(cycle))
    assert len(current) == 10
    assert all(r.path.startswith(second.directory) for r in current)
    assert all(Path(r.path).exists() for r in ReportFile.select())


def test_a_run_that_fails_halfway_leaves_the_previous_reports_current(
    reports_world, tmp_path, monkeypatch
):
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    first = build.write_cycle_reports(cycle, tmp_path)
    before = {(r.kind, r.scope_id): (r.path, r.checksum) for r in store.current_files(cycle)}
    calls = {"n": 0}
    real = build.write_pdf

    def crash_on_third(report, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("schijf vol")
        real(report, path)

    monkeypatch.setattr(build, "write_pdf", crash_on_third)
    with pytest.raises(OSError, match="schijf vol"):
        build.write_cycle_reports(cycle, tmp_path)
    after = {(r.kind, r.scope_id): (r.path, r.checksum) for r in store.current_files(cycle)}
    assert after == before
    for path, checksum in after.values():
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == checksum
    assert not list(tmp_path.rglob("*.tmp"))  # no half file left behind
    assert ReportFile.select().count() == sum(first.files.values())


def test_reports_rendered_in_worker_processes_match_one_process(reports_world, tmp_path):
    """Worker processes write the same reports as one process, and the
    parent's own database connection is intact afterwards (SQLite connections
    must not cross a fork; the workers open their own)."""
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    one = build.write_cycle_reports(cycle, tmp_path / "one", processes=1)
    serial = {(r.kind, r.scope_id): Path(r.path).name for r in store.current_files(cycle)}
    several = build.write_cycle_reports(cycle, tmp_path / "several", processes=3)
    parallel = {(r.kind, r.scope_id): Path(r.path).name for r in store.current_files(cycle)}
    assert several.files == one.files
    assert parallel == serial
    for report in store.current_files(cycle):
        assert report.path.startswith(several.directory)
        data = Path(report.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.checksum
        assert data.startswith(b"%PDF" if report.kind.startswith("pdf") else b"PK")
    # The parent goes on with its own connection, reading and writing.
    Organisation.update(active=True).where(
        Organisation.id == reports_world["orgs"]["A"].id
    ).execute()
    assert ReportFile.select().count() == 2 * sum(one.files.values())
