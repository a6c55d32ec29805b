"""The writers lay out exactly the rows they are handed (read back from the
files), and scripts/compare_reports.py — the check that a change to the
writers leaves the demo's reports as they were — finds what differs."""

import importlib.util
import math
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from models import Cycle
from reports import rows
from reports.data import CycleData, scope_report
from reports.excel import (
    gemeente_workbook,
    region_workbook,
    write_gemeente_workbook,
    write_region_workbook,
)
from reports.pdf import write_management_report, write_pdf
from tests.reports.conftest import require

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location(
        "compare_reports", ROOT / "scripts" / "compare_reports.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data(reports_world):
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


def _same(cell, expected) -> bool:
    if expected == "":
        return cell in ("", None)  # an empty text reads back as an empty cell
    if isinstance(expected, float) and isinstance(cell, int | float):
        return math.isclose(cell, expected, abs_tol=1e-9)
    if isinstance(expected, str) and expected.startswith(("=", "+", "-", "@")):
        return cell == "'" + expected  # neutralised: never a formula
    return cell == expected


def _block(ws, header: int, width: int) -> list[tuple]:
    """The data rows under a header row, up to the first empty row."""
    out = []
    for row in ws.iter_rows(min_row=header + 1, max_col=width, values_only=True):
        if all(v is None for v in row):
            break
        out.append(row)
    return out


def _agree(ws, header: int, expected: list[tuple]) -> None:
    width = max(len(row) for row in expected) if expected else 1
    found = _block(ws, header, width)
    assert len(found) == len(expected), ws.title
    for got, want in zip(found, expected, strict=True):
        padded = tuple(want) + (None,) * (width - len(want))
        assert all(_same(g, w) for g, w in zip(got, padded, strict=True)), (ws.title, got, want)


def test_the_region_workbook_lays_out_its_rows(data, tmp_path):
    book = rows.region_workbook_rows(data)
    path = tmp_path / "regio.xlsx"
    write_region_workbook(book, path)
    wb = load_workbook(path)
    overview = book.overview
    _agree(
        wb["Overzicht"],
        4,
        [(r.code, r.name, *r.values) for r in [*overview.rows, overview.country]]
        + [(None, "Landelijke norm", *overview.norms)],
    )
    assert wb["Overzicht"]["A1"].value == overview.heading.title
    assert wb["Overzicht"]["A2"].value == overview.heading.subtitle
    _agree(
        wb["Gemeenten"],
        4,
        [(r.code, r.name, r.region, r.organisations, *r.values) for r in book.gemeenten.rows],
    )
    _agree(
        wb["Organisaties"],
        4,
        [(r.name, r.kind, r.region, r.state, *r.values) for r in book.organisations.rows],
    )
    _agree(
        wb["Afspraken"],
        4,
        [
            (r.region, r.code, r.title, r.theme, r.level, r.percent, r.national, r.difference)
            for r in book.agreements.rows
        ],
    )
    _agree(
        wb["Partners"],
        4,
        [
            (r.scope, r.code, r.title, r.own_mean, r.partner_mean, r.ratings, r.gap)
            for r in book.partners.rows
        ],
    )
    _agree(
        wb["Verbeteracties"],
        4,
        [
            (r.region, r.organisation, r.code, r.title, r.open, r.overdue, r.done)
            for r in book.actions.rows
        ],
    )
    _agree(
        wb["Gegevens"],
        1,
        [
            (
                line.period,
                line.level,
                line.code,
                line.name,
                line.region,
                line.indicator,
                line.indicator_name,
                line.unit,
                line.value,
                line.teller,
                line.noemer,
                line.organisations,
                line.signal,
                line.norm,
                line.judged,
                line.change,
            )
            for line in book.figures
        ],  # fmt: skip
    )
    explanation = book.explanation
    lines = [
        row[0] for row in wb["Toelichting"].iter_rows(min_row=4, max_row=3 + 7, values_only=True)
    ]
    assert lines == explanation.lines
    _agree(
        wb["Toelichting"],
        4 + len(explanation.lines) + 1,
        [
            (
                r.code,
                r.name,
                r.description,
                r.rule,
                r.computation,
                r.filters,
                r.direction,
                r.norm,
                r.green,
                r.orange,
            )
            for r in explanation.rows
        ],  # fmt: skip
    )
    trend = wb["Trend"]
    first = book.trend.blocks[0]
    assert trend["A4"].value == first.header
    _agree(trend, 5, [(r.period, *r.values) for r in first.rows])
    # The traffic lights stand for each column's norm: MEAN (C) green from 75.
    rules = wb["Overzicht"].conditional_formatting
    formulas = [
        rule.formula[0] for cf in rules if str(cf.sqref).startswith("C") for rule in cf.rules
    ]
    assert "AND(ISNUMBER(C5),C5>=75.0)" in formulas


def test_the_gemeente_workbook_lays_out_its_rows(data, reports_world, tmp_path):
    book = rows.gemeente_workbook_rows(data, reports_world["g2"].id)
    path = tmp_path / "gemeente.xlsx"
    write_gemeente_workbook(book, path)
    wb = load_workbook(path)
    assert [c.value for c in wb["Overzicht"][4]] == book.overview.header
    _agree(
        wb["Overzicht"],
        4,
        [
            (
                r.header,
                r.value,
                r.region_value,
                r.country_value,
                r.national_norm,
                r.signal,
                *(r.regional or ()),
            )
            for r in book.overview.rows
        ],  # fmt: skip
    )
    regions = book.regions
    _agree(
        wb["Regio's"], 4, [(r.code, r.name, *r.values) for r in [*regions.rows, regions.country]]
    )
    assert wb["Regio's"]["B5"].font.b  # the gemeente's own region in bold
    _agree(
        wb["Organisaties"],
        4,
        [(r.name, r.kind, r.region, r.state, *r.values) for r in book.organisations.rows],
    )


def _pdf_text(content, path, compare) -> str:
    write_management_report(content, path)
    return " ".join(" ".join(compare.pdf_text(path)).split())


def test_the_pdf_lays_out_its_sections(data, reports_world, tmp_path, compare):
    require("pdftotext")
    for scope_type, scope_id in (
        ("organisatie", reports_world["orgs"]["A"].id),
        ("regio", reports_world["r1"].id),
    ):
        content = rows.management_report(scope_report(data, scope_type, scope_id))
        text = _pdf_text(content, tmp_path / f"{scope_type}.pdf", compare)
        assert content.footer in text
        for label, value in content.facts:
            assert f"{label}: {value}" in text
        assert content.response_line in text
        assert content.glance.counts_line() in text
        for point in content.glance.points:
            assert point.text in text
        assert content.norm_note in text
        for row in content.report.weakest:
            assert f"{row.code} {row.title}" in text
        for escalation in content.report.escalations:
            assert (
                f"{escalation.agreement} {escalation.title} {escalation.times_not_followed}" in text
            )
        if scope_type == "organisatie":
            for action in content.report.actions:
                assert action.description in text  # typed text: escaped, shown as typed
        else:
            for row in content.report.action_summary:
                assert f"{row.code} {row.title} {row.open} {row.overdue} {row.done}" in text


def test_renderings_of_the_same_data_do_not_differ(data, reports_world, tmp_path, compare):
    require("pdftotext")
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        region_workbook(data, tmp_path / name / "Regiovergelijking.xlsx")
        gemeente_workbook(data, reports_world["g2"].id, tmp_path / name / "Gemeente.xlsx")
        report = scope_report(data, "organisatie", reports_world["orgs"]["A"].id)
        write_pdf(report, tmp_path / name / "Organisatie.pdf")
    assert compare.compare_directories(tmp_path / "one", tmp_path / "two") == []
    assert compare.main([str(tmp_path / "one"), str(tmp_path / "two")]) == 0


def test_a_changed_value_number_format_or_fill_is_found(data, tmp_path, compare):
    path = tmp_path / "written.xlsx"
    region_workbook(data, path)
    # Both sides through openpyxl (which drops the charts), so only the changes differ.
    before, after = tmp_path / "before.xlsx", tmp_path / "after.xlsx"
    load_workbook(path).save(before)
    wb = load_workbook(path)
    wb["Overzicht"]["C5"].value = 61.0
    wb["Gemeenten"]["E5"].number_format = "0.00"
    wb["Partners"]["A5"].fill = PatternFill("solid", fgColor="FF0000")
    wb.save(after)
    found = compare.compare_workbooks(before, after)
    assert len(found) == 3
    assert found[0].startswith("Overzicht cells: C5 n 60 ")
    assert "≠ C5 n 61 (" in found[0]
    assert found[1].startswith("Gemeenten cells: E5")
    assert "≠ E5 n 75 ('0.00'" in found[1]  # gemeente 1: 75 %
    assert found[2].startswith("Partners cells: A5")
    assert "('solid', 'rgb:00FF0000')" in found[2]


def test_a_different_pdf_and_a_missing_report_are_found(data, reports_world, tmp_path, compare):
    require("pdftotext")
    o = reports_world["orgs"]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    write_pdf(scope_report(data, "organisatie", o["A"].id), tmp_path / "one" / "Organisatie.pdf")
    write_pdf(scope_report(data, "organisatie", o["B"].id), tmp_path / "two" / "Organisatie.pdf")
    shutil.copy(tmp_path / "one" / "Organisatie.pdf", tmp_path / "one" / "Extra.pdf")
    found = compare.compare_directories(tmp_path / "one", tmp_path / "two")
    assert found[0] == f"only in {tmp_path / 'one'}: Extra.pdf"
    assert "Organisatie.pdf: information /Title: 'Managementrapportage A" in found[1]
    assert any(line.startswith("Organisatie.pdf: page 1 text:") for line in found)
    assert any(line.endswith("the drawing differs") for line in found)
    assert compare.main([str(tmp_path / "one"), str(tmp_path / "two")]) == 1
