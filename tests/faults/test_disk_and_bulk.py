"""A failed run removes its unrecorded files, on a full disk too (issue 25,
item 7); after a bulk load the nightly writes only the open and the latest
closed cycle's reports, the older ones are written on first view (item 9)."""

from __future__ import annotations

import datetime as dt
import errno
from pathlib import Path

import pytest

import reports.build
from domain.mail import MailSettings
from jobs.nightly import BatchSettings, run_nightly
from models import Cycle, Organisation, ReportFile, ReportRun
from reports.build import report_on_demand, write_cycle_reports


def _settings(reports_dir: Path) -> BatchSettings:
    return BatchSettings(
        mail=MailSettings(port=1),
        link_for=lambda assessment_id: f"http://x/{assessment_id}",
        reports_dir=reports_dir,
        reports_link="http://x/rapporten",
    )


def _disk_full_at_the_pdfs(monkeypatch) -> None:
    """The workbooks are written first; then the disk is full."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reports.build, "write_pdf", full)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_full_disk_leaves_no_unrecorded_file(small_demo, tmp_path, monkeypatch, processes):
    _disk_full_at_the_pdfs(monkeypatch)
    cycle = Cycle.get(Cycle.period == "2026-Q4")
    store_dir = tmp_path / "reports"
    with pytest.raises(OSError, match="No space left") as raised:
        write_cycle_reports(cycle, store_dir, processes=processes)
    assert raised.value.errno == errno.ENOSPC
    assert [p for p in store_dir.rglob("*") if p.is_file()] == []
    assert list((store_dir / "2026-Q4").iterdir()) == []  # the run's directory went too
    assert ReportFile.select().count() == 0


def test_a_nightly_failed_by_a_full_disk_is_recorded_and_clean(small_demo, tmp_path, monkeypatch):
    store_dir = tmp_path / "reports"
    kept = write_cycle_reports(Cycle.get(Cycle.period == "2026-Q3"), store_dir, processes=1)
    before = {str(p) for p in store_dir.rglob("*") if p.is_file()}
    _disk_full_at_the_pdfs(monkeypatch)
    # Figures changed since: the nightly writes both current cycles again.
    from models import IndicatorStamp, utcnow

    IndicatorStamp.update(computed_at=utcnow() + dt.timedelta(seconds=1)).execute()
    with pytest.raises(OSError, match="No space left"):
        run_nightly(dt.date(2026, 11, 24), settings=_settings(store_dir))
    run = ReportRun.get()
    assert run.state == "mislukt"
    assert "No space left" in run.error
    # The earlier, recorded reports stay; nothing of the failed run is left.
    assert {str(p) for p in store_dir.rglob("*") if p.is_file()} == before
    assert {r.path for r in ReportFile.select()} == before
    assert len(before) == sum(kept.files.values())


@pytest.fixture
def bulk_loaded(database, database_url):
    """The small demo up to 2026-Q4 just loaded: no figures, no reports."""
    import demo
    from domain import framework, indicators
    from domain.reference import load_reference_data

    load_reference_data()
    framework.import_framework(framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True)
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    demo.generate("small", 1, last_period="2026-Q4", today=dt.date(2026, 11, 23))
    return database_url


def test_the_first_nightly_after_a_bulk_load_computes_all_and_writes_two_cycles(
    bulk_loaded, tmp_path
):
    """The night after a bulk load (forced, as `batch run --force`): every
    cycle's figures are computed, the reports of the open and the latest
    closed cycle written, no other cycle's."""
    summary = run_nightly(dt.date(2026, 11, 24), settings=_settings(tmp_path / "r"), force=True)
    assert summary["cycles_recomputed"] == Cycle.select().where(Cycle.state != "gepland").count()
    assert set(summary["reports_written"]) == {"2026-Q3", "2026-Q4"}
    written = {
        period for (period,) in ReportFile.select(Cycle.period).join(Cycle).distinct().tuples()
    }
    assert written == {"2026-Q3", "2026-Q4"}


def test_after_a_bulk_load_the_nightly_writes_two_cycles_and_the_rest_on_demand(
    small_demo, tmp_path
):
    store_dir = tmp_path / "reports"
    summary = run_nightly(dt.date(2026, 11, 24), settings=_settings(store_dir))
    assert set(summary["reports_written"]) == {"2026-Q3", "2026-Q4"}  # open, latest closed
    written = {
        period for (period,) in ReportFile.select(Cycle.period).join(Cycle).distinct().tuples()
    }
    assert written == {"2026-Q3", "2026-Q4"}
    # An older cycle's report is written when it is first asked for, one at a time.
    old = Cycle.get(Cycle.period == "2025-Q2")
    org = (
        Organisation.select()
        .join(ReportFile, on=(ReportFile.scope_id == Organisation.id))
        .where(ReportFile.kind == "pdf_organisation")
        .first()
    )
    first = report_on_demand(old, "pdf_organisation", "organisatie", org.id, store_dir)
    assert first is not None
    assert Path(first.path).is_file()
    assert ReportFile.select().where(ReportFile.cycle == old).count() == 1
    again = report_on_demand(old, "pdf_organisation", "organisatie", org.id, store_dir)
    assert again.id == first.id  # written once
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(first.path).pages)
    assert "2025-Q2" in text
    assert "voorlopig" not in text.lower()
