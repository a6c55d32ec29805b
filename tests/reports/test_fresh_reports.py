"""Reports are never stale: whenever a cycle's stored figures change, the
nightly run rewrites that cycle's reports, and every figure of the latest
reports of every cycle equals the stored result and the results page."""

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from domain import formatting, results
from jobs.nightly import BatchSettings, run_nightly
from models import (
    Answer,
    Assessment,
    Cycle,
    Gemeente,
    IndicatorDefinition,
    Organisation,
    Region,
    ReportFile,
    db,
    utcnow,
)
from reports import store
from reports.excel import LONG_COLUMNS
from tests import factories

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings(smtp, tmp_path):
    return BatchSettings(
        mail=smtp.settings(),
        link_for=lambda assessment_id: f"http://test/zelfevaluaties/{assessment_id}",
        reports_dir=tmp_path / "store",
        reports_link="http://test/rapporten",
    )


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _check_workbook(cycle: Cycle, indicators: dict) -> int:
    """Every row of the latest region comparison's Gegevens sheet is the stored figure."""
    stored = results.figures([cycle.id])
    latest = store.latest(cycle, "xlsx_regions", "land", 0)
    rows = list(load_workbook(latest.path)["Gegevens"].iter_rows(min_row=2, values_only=True))
    levels = {"Nederland": "land", "Regio": "regio", "Gemeente": "gemeente"}
    codes = {
        "regio": {r.code: r.id for r in Region.select()},
        "gemeente": {g.code: g.id for g in Gemeente.select()},
    }
    checked = 0
    for values in rows:
        row = dict(zip(LONG_COLUMNS, values, strict=True))
        scope_type = levels.get(row["Niveau"], "organisatie")
        if scope_type == "land":
            scope_id = 0
        elif scope_type == "organisatie":
            scope_id = int(row["Code"])
        else:
            scope_id = codes[scope_type][row["Code"]]
        figure = stored.pop((indicators[row["Indicator"]].id, cycle.id, scope_type, scope_id))
        assert row["Waarde"] == (None if figure.value is None else pytest.approx(figure.value))
        assert row["Verandering"] == (
            None if figure.change is None else pytest.approx(figure.change)
        )
        checked += 1
    assert stored == {}, "stored figures missing from the workbook"
    return checked + _check_gemeente_workbooks(cycle, indicators)


def _check_gemeente_workbooks(cycle: Cycle, indicators: dict) -> int:
    """Each gemeente workbook's Overzicht: gemeente, region and country as stored."""
    checked = 0
    by_header = {f"{i.code} ({i.unit})": i for i in indicators.values()}
    for report_file in store.current_files(cycle):
        if report_file.kind != "xlsx_gemeente":
            continue
        gemeente = Gemeente.get_by_id(report_file.scope_id)
        sheet = load_workbook(report_file.path)["Overzicht"]
        for row in sheet.iter_rows(min_row=5, values_only=True):
            ind = by_header[row[0]]
            for value, (scope_type, scope_id) in zip(
                row[1:4],
                (("gemeente", gemeente.id), ("regio", gemeente.region_id), ("land", 0)),
                strict=True,
            ):
                figure = results.figure(ind.id, cycle.id, scope_type, scope_id)
                want = None if figure is None or figure.value is None else figure.value
                assert value == (None if want is None else pytest.approx(want)), (
                    report_file.path,
                    row[0],
                    scope_type,
                )
                checked += 1
    assert checked
    return checked


def _scorecard_values(text: str, indicators) -> dict[str, str]:
    """The value column of a PDF scorecard, per indicator code."""
    text = text[text.index("\nScorekaart\n") :]
    found = {}
    for ind in indicators:
        match = re.search(rf"^{re.escape(ind.name)}\n(.+)$", text, re.M)
        found[ind.code] = match.group(1).strip() if match else None
    return found


def _page_values(page: str, indicators) -> dict[str, str]:
    found = {}
    for ind in indicators:
        match = re.search(
            rf'<th scope="row">{re.escape(ind.name)}</th>\s*<td class="num"[^>]*>([^<]*)<',
            page,
        )
        found[ind.code] = match.group(1) if match else None
    return found


def _check_pdfs_and_pages(cycle: Cycle, client, indicators: dict) -> None:
    national = [i for i in indicators.values() if i.region_id is None]
    for kind, scope_type in (("pdf_organisation", "organisatie"), ("pdf_region", "regio")):
        files = [f for f in store.current_files(cycle) if f.kind == kind]
        assert files, kind
        for report_file in files:
            want = {
                ind.code: formatting.value(
                    getattr(
                        results.figure(ind.id, cycle.id, scope_type, report_file.scope_id),
                        "value",
                        None,
                    ),
                    ind.unit,
                )
                for ind in national
            }
            text = _text(report_file.path)
            assert _scorecard_values(text, national) == want, report_file.path
            page = client.get(
                f"/resultaten/{scope_type}/{report_file.scope_id}?ronde={cycle.period}"
            ).get_data(as_text=True)
            assert _page_values(page, national) == want, (scope_type, report_file.scope_id)
            if cycle.state == "open":
                assert "Voorlopige cijfers" in text
                assert "Peildatum gegevens:" in text
            else:
                assert "oorlopig" not in text


def test_changed_figures_rewrite_their_cycle_and_every_report_matches(
    reports_world, settings, client
):
    indicators = {i.code: i for i in IndicatorDefinition.select()}
    q1, q2 = (Cycle.get(Cycle.period == p) for p in ("2026-Q1", "2026-Q2"))
    first = run_nightly(dt.date(2026, 7, 1), settings=settings)
    assert set(first["reports_written"]) == {"2026-Q1", "2026-Q2"}
    # A new cycle opens: nothing submitted yet, so no reports for it.
    q3 = factories.cycle(q1.framework, "2026-Q3", state="open")
    for org in Organisation.select():
        factories.assessment(org, q3, "concept")
    # Someone corrects a figure of the closed 2026-Q1: A's X1 goes from 2 to 4.
    a_q1 = Assessment.get(
        Assessment.cycle == q1, Assessment.organisation == reports_world["orgs"]["A"]
    )
    with db.atomic():  # as a reopen and resubmit would: a new version of the assessment
        Answer.update(score=4).where(Answer.assessment == a_q1).execute()
        Assessment.update(version=Assessment.version + 1, updated_at=utcnow()).where(
            Assessment.id == a_q1.id
        ).execute()
    before = {c: store.latest(c, "xlsx_regions", "land", 0).id for c in (q1, q2)}
    second = run_nightly(dt.date(2026, 7, 2), settings=settings)
    # Q1 changed, and Q2 with it (its change since Q1); Q3 has nothing submitted.
    assert set(second["reports_written"]) == {"2026-Q1", "2026-Q2"}
    assert not ReportFile.select().where(ReportFile.cycle == q3).exists()
    assert store.latest(q1, "xlsx_regions", "land", 0).id != before[q1]
    mean_q1 = results.figure(indicators["MEAN"].id, q1.id, "land", 0)
    assert mean_q1.value == pytest.approx(100.0)  # 4 of 4
    # A third night with nothing changed writes nothing.
    third = run_nightly(dt.date(2026, 7, 3), settings=settings)
    assert third.get("reports_written", {}) == {}
    admin = factories.user(("beheerder",))
    response = client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    for cycle in (q1, q2):
        cycle = Cycle.get_by_id(cycle.id)
        assert _check_workbook(cycle, indicators) > 0
        _check_pdfs_and_pages(cycle, client, indicators)


def test_closing_rewrites_the_provisional_reports(reports_world, settings):
    q2 = Cycle.get(Cycle.period == "2026-Q2")
    run_nightly(dt.date(2026, 7, 1), settings=settings)
    provisional = store.latest(q2, "pdf_region", "regio", reports_world["r1"].id)
    assert "Voorlopige cijfers" in _text(provisional.path)
    # The night after its close date (15 July) the cycle closes: same figures,
    # but its reports are final now.
    run_nightly(dt.date(2026, 7, 16), settings=settings)
    assert Cycle.get_by_id(q2.id).state == "gesloten"
    final = store.latest(q2, "pdf_region", "regio", reports_world["r1"].id)
    assert final.id != provisional.id
    assert "oorlopig" not in _text(final.path)
    assert Path(provisional.path).exists()  # the archive keeps the earlier run
