"""Text stored before control characters were refused cannot stop the nightly
run: every writer copes, and a report that fails anyway is reported as failed
while everyone else's reports and mail go out."""

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from jobs.nightly import run_nightly
from models import (
    Cycle,
    Gemeente,
    ImprovementAction,
    IndicatorDefinition,
    Organisation,
    Region,
    ReportFile,
    ReportRun,
)
from reports import build
from tests.reports.test_distribution import _settings

BAD = "\x07\x1b[31m\x08\x0b\x1f\x7f\x9f"


def _poison(world, backend: str) -> None:
    o = world["orgs"]
    # PostgreSQL cannot store a NUL in text; SQLite can, so it is tried there.
    bad = BAD + ("\x00" if backend == "sqlite" else "")
    Organisation.update(name=f"A{bad}").where(Organisation.id == o["A"].id).execute()
    Region.update(name=f"Regio{bad}").where(Region.id == world["r1"].id).execute()
    Gemeente.update(name=f"Gemeente{bad}").where(Gemeente.id == world["g2"].id).execute()
    ImprovementAction.update(description=f"Overleg{bad}").execute()
    IndicatorDefinition.update(name=IndicatorDefinition.name.concat(bad)).execute()


def test_control_characters_in_stored_names_do_not_stop_the_night(
    reports_world, smtp, tmp_path, backend
):
    _poison(reports_world, backend)
    summary = run_nightly(dt.date(2026, 7, 16), settings=_settings(smtp, tmp_path))
    assert summary["reports_failed"] == {}
    assert summary["reports_mailed"] == {"2026-Q2": 4}
    assert summary["mail_sent"] >= 4
    assert len(smtp.messages) == 4
    for report in ReportFile.select():
        data = Path(report.path).read_bytes()
        if report.path.endswith(".xlsx"):
            load_workbook(io.BytesIO(data))  # well-formed for Excel's parser
        else:
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
            assert "\x07" not in text
    run = ReportRun.get(ReportRun.job == "nightly")
    assert run.state == "gereed"


def test_one_failing_report_is_reported_and_the_others_go_out(
    reports_world, smtp, tmp_path, monkeypatch
):
    c = reports_world["orgs"]["C"]
    real = build.write_pdf

    def fail_for_c(report, path):
        if report.scope_type == "organisatie" and report.scope_id == c.id:
            raise ValueError("onleesbare naam")
        real(report, path)

    monkeypatch.setattr(build, "write_pdf", fail_for_c)
    summary = run_nightly(dt.date(2026, 7, 16), settings=_settings(smtp, tmp_path))
    (failure,) = summary["reports_failed"]["2026-Q2"]
    assert f"-{c.id}-2026-Q2.pdf: ValueError: onleesbare naam" in failure
    run = ReportRun.get(ReportRun.job == "nightly")
    assert run.state == "gereed"
    assert run.summary["reports_failed"] == summary["reports_failed"]
    # Everyone else got their report: C's manager had none to get.
    received = sorted(m["To"] for m in smtp.messages)
    assert received == [
        "coordinator.1@example.nl",
        "gemeente.2@example.nl",
        "manager.a@example.nl",
    ]


def test_endless_legacy_names_are_shortened_in_every_report(reports_world, tmp_path, backend):
    """Names written straight into the database before lengths were limited
    (100,000 characters, as the probe's): the organisation and region PDFs and
    the workbooks are written, each showing the name shortened."""
    if backend == "postgresql":
        pytest.skip("PostgreSQL's varchar columns refuse a name past their width")
    world = reports_world
    org, region = world["orgs"]["A"], world["r1"]
    long_org = "Jeugdteam " + "Lang" * 25_000  # 100,010 characters
    long_region = "Regio " + "Ver" * 33_335
    Organisation.update(name=long_org).where(Organisation.id == org.id).execute()
    Region.update(name=long_region).where(Region.id == region.id).execute()
    Gemeente.update(name="Gemeente " + "Breed" * 20_000).where(
        Gemeente.id == world["g2"].id
    ).execute()
    IndicatorDefinition.update(name="Indicator " + "x" * 100_000).execute()
    cycle = Cycle.select().order_by(Cycle.opens_on.desc()).first()
    written = build.write_cycle_reports(cycle, tmp_path, processes=0)
    assert written.failed == []
    kinds = {f.kind for f in ReportFile.select()}
    assert {"pdf_organisation", "pdf_region", "xlsx_regions"} <= kinds
    for report in ReportFile.select():
        data = Path(report.path).read_bytes()
        assert len(Path(report.path).name) < 255
        if report.path.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(data))
            cells = [c.value for ws in book for row in ws.iter_rows() for c in row]
            texts = [c for c in cells if isinstance(c, str)]
            assert max(map(len, texts)) <= 32_767  # what Excel can hold in a cell
            if report.kind == "xlsx_regions":
                assert any(t.startswith("Regio VerVer") and t.endswith("…") for t in texts)
        else:
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
            if (report.scope_type, report.scope_id) == ("organisatie", org.id):
                assert "Jeugdteam LangLangLang" in text
            if (report.scope_type, report.scope_id) == ("regio", region.id):
                assert "Regio VerVerVer" in text
            assert "Lang" * 1000 not in text
            assert "Ver" * 1000 not in text
