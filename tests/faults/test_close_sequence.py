"""Closing a cycle, writing its final reports and mailing them is one
recoverable sequence (issue 25, item 2): the batch is killed (SIGKILL) at
each step, a new process takes over, and no mail carries a report written
while the cycle was open."""

from __future__ import annotations

import signal
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from models import Cycle, OutboxMessage, ReportFile, ReportRun
from reports import store
from reports.build import has_final_reports, needs_reports, write_cycle_reports

CLOSING_NIGHT = "2027-01-16"  # 2026-Q4 closes on 15-01-2027


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if isinstance(value, str)
        )
    finally:
        workbook.close()


def _provisional_reports(batch) -> Cycle:
    """The open cycle's reports, as the nights before its close wrote them."""
    cycle = Cycle.get(Cycle.period == "2026-Q4")
    written = write_cycle_reports(cycle, batch.reports, processes=2)
    assert not written.failed
    sample = ReportFile.select().where(ReportFile.kind == "pdf_organisation").first()
    assert "voorlopig" in _text(Path(sample.path)).lower()  # what must never be mailed
    return cycle


def _check_mail_is_final(cycle: Cycle) -> None:
    cycle = Cycle.get_by_id(cycle.id)
    assert cycle.state == "gesloten"
    assert has_final_reports(cycle)
    assert not needs_reports(cycle)
    mails = [m for m in OutboxMessage.select() if m.attachments]
    assert mails, "the closed cycle's reports were distributed"
    keys = [m.dedupe_key for m in mails]
    assert len(keys) == len(set(keys))
    for mail in mails:
        for attachment in mail.attachments:
            report = ReportFile.get(ReportFile.path == attachment)
            assert report.created_at >= cycle.closed_at, attachment
            assert "voorlopig" not in _text(Path(attachment)).lower(), attachment
    assert ReportRun.get(ReportRun.job == "nightly").state == "gereed"
    assert ReportRun.get(ReportRun.job == "distributie").state == "gereed"


STEPS = [
    "kill-after-close",
    pytest.param("kill-before-final-record", marks=pytest.mark.slow),
    pytest.param("kill-before-distribution", marks=pytest.mark.slow),
    pytest.param("kill-in-distribution", marks=pytest.mark.slow),
    pytest.param("kill-before-mail", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("fault", STEPS)
def test_a_takeover_after_a_kill_mails_only_final_reports(batch, fault):
    cycle = _provisional_reports(batch)
    code, output = batch.run(fault, "nightly", CLOSING_NIGHT)
    assert code == -signal.SIGKILL, output
    assert "fault: killed here" in output
    assert Cycle.get_by_id(cycle.id).state == "gesloten"
    # Whatever the killed run queued, nothing carries a provisional report.
    for mail in OutboxMessage.select():
        for attachment in mail.attachments:
            assert "voorlopig" not in _text(Path(attachment)).lower()

    code, output = batch.run("none", "nightly", CLOSING_NIGHT)
    assert code == 0, output
    _check_mail_is_final(cycle)
    # The takeover's files are all recorded: nothing unrecorded is left behind.
    recorded = {row.path for row in ReportFile.select(ReportFile.path)}
    assert {str(p) for p in batch.reports.rglob("*") if p.is_file()} == recorded


def test_provisional_reports_are_never_current_once_the_cycle_closed(database, tmp_path):
    """The store's rule behind it, in one process: a report read from the
    cycle while it was open is never what `latest` returns once the cycle is
    closed, also when the closing was dated just before the data was read
    (the two raced) and recorded after."""
    import datetime as dt

    from domain.cycles import close_cycle
    from models import utcnow
    from tests import factories

    cycle = factories.cycle(factories.default_framework(), "2026-Q1", "open")
    row = {
        "run": None,
        "cycle": cycle.id,
        "kind": "pdf_organisation",
        "scope_type": "organisatie",
        "scope_id": 1,
        "path": str(tmp_path / "a.pdf"),
        "checksum": "0" * 64,
        "size": 1,
    }
    earlier = utcnow() - dt.timedelta(minutes=1)
    store.record([{**row, "created_at": earlier}], provisional=True)
    assert store.latest(cycle, "pdf_organisation", "organisatie", 1) is not None
    snapshot = utcnow()
    close_cycle(None, cycle, now=snapshot - dt.timedelta(milliseconds=1))
    store.record([{**row, "created_at": snapshot}], provisional=True)
    closed = Cycle.get_by_id(cycle.id)
    assert store.latest(closed, "pdf_organisation", "organisatie", 1) is None
    assert needs_reports(closed)
    assert not has_final_reports(closed)
    store.record([{**row, "created_at": utcnow()}], provisional=False)
    assert store.latest(closed, "pdf_organisation", "organisatie", 1) is not None
    assert has_final_reports(closed)
