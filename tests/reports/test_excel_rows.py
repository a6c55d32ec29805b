"""The sheets write their rows' XML and their traffic lights themselves: the
bytes must be those openpyxl writes for the same rows and rules, for every
kind of value a row can hold."""

import datetime as dt
import gc
import math
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError

from reports.data import Norm
from reports.excel import (
    GREEN,
    GREEN_FONT,
    ORANGE,
    ORANGE_FONT,
    RED,
    RED_FONT,
    Sheet,
    Styled,
    save_workbook,
)

ROWS = [
    ["tekst", 1, 2.5, None, -0.0, 10**17, 1 / 3],
    [],
    ["", " spatie vooraan", "achteraan ", "   ", "a & b < c > d", "ĳ ë € 😀", "regel\nregel"],
    ["=", "=A1", "#N/A", "#DIV/0!", "x" * 40000, True, False],
    [math.nan, math.inf, -math.inf, Decimal("1.25"), dt.date(2026, 7, 1)],
    [dt.datetime(2026, 7, 1, 12, 30), None, None, "na lege cellen"],
]


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def _styles_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/styles.xml")


def _openpyxl(path, rows, styled) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Blad")
    bold = WriteOnlyCell(ws)
    bold.font = Font(bold=True)
    for row in rows:
        cells = []
        for n, value in enumerate(row):
            if styled and n % 2 and value is not None:
                cell = WriteOnlyCell(ws, value)
                cell._style = bold._style
                value = cell
            cells.append(value)
        ws.append(cells)
    wb.save(path)


def _ours(path, rows, styled) -> None:
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    ws = sheet.ws
    # The same sheet settings as Sheet makes, so only the rows can differ.
    bold = sheet.style("bold", font=Font(bold=True))
    for row in rows:
        sheet.append(
            [
                Styled(value, bold) if styled and n % 2 and value is not None else value
                for n, value in enumerate(row)
            ]
        )
    assert ws.title == "Blad"
    save_workbook(wb, path)


def _plain_sheet(path, rows, styled) -> None:
    """openpyxl with Sheet's page settings, the rows appended by openpyxl."""
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    bold = WriteOnlyCell(sheet.ws)
    bold.font = Font(bold=True)
    for row in rows:
        cells = []
        for n, value in enumerate(row):
            if styled and n % 2 and value is not None:
                cell = WriteOnlyCell(sheet.ws, value)
                cell._style = bold._style
                value = cell
            cells.append(value)
        sheet.ws.append(cells)
    wb.save(path)


@pytest.mark.parametrize("styled", [False, True])
def test_rows_are_the_bytes_openpyxl_writes(tmp_path, styled):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    _ours(ours, ROWS, styled)
    _plain_sheet(theirs, ROWS, styled)
    assert _sheet_xml(ours) == _sheet_xml(theirs)
    assert _styles_xml(ours) == _styles_xml(theirs)
    read = list(load_workbook(ours)["Blad"].iter_rows(values_only=True))
    assert read[0][:3] == ("tekst", 1, 2.5)
    assert read[2][4] == "a & b < c > d"
    assert read[3][1] == "=A1"  # openpyxl's own: a formula (neutralise keeps text from it)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_illegal_character_is_refused_as_openpyxl_refuses_it():
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    with pytest.raises(IllegalCharacterError):
        sheet.append(["goed", "fout\x01"])
    # A write-only workbook dropped unsaved cannot close its sheet's XML (its
    # file is closed first): openpyxl's own rows do the same. Dropped here.
    del sheet, wb
    gc.collect()


def test_openpyxl_alone_writes_the_same_as_with_sheet_settings(tmp_path):
    """The reference above is openpyxl's writer: check it against a bare one."""
    bare, theirs = tmp_path / "bare.xlsx", tmp_path / "theirs.xlsx"
    _openpyxl(bare, ROWS[:3], False)
    _plain_sheet(theirs, ROWS[:3], False)
    assert b"<sheetData>" in _sheet_xml(theirs)
    start = _sheet_xml(bare).index(b"<sheetData>")
    end = _sheet_xml(bare).index(b"</sheetData>")
    assert _sheet_xml(bare)[start:end] in _sheet_xml(theirs)


def _formatting_xml(path) -> bytes:
    xml = _sheet_xml(path)
    return xml[xml.index(b"</sheetData>") : xml.index(b"<printOptions")]


@pytest.mark.parametrize("direction", ["hoger_beter", "lager_beter"])
def test_traffic_lights_are_the_rules_openpyxl_writes(tmp_path, direction):
    """Sheet.lights writes what FormulaRule(..., stopIfTrue=True) on the
    sheet's conditional formatting wrote: ranges (one cell as B5), priorities
    numbered on, one differential style per colour in styles.xml."""
    norms = [Norm(75.0, 75.0, 60.0), Norm(5, 5, 2.5), Norm(0.1, 0.1, 0.05)]
    ranges = [("B5:D5", "B5"), ("E5:E5", "E5"), ("F5:F30", "F5")]
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"

    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    sheet.append(["x"])
    for (ref, first), norm in zip(ranges, norms, strict=True):
        sheet.lights(ref, first, direction, norm)
    save_workbook(wb, ours)

    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    sheet.ws.append(["x"])  # openpyxl's own rows and writer
    compare = "<=" if direction == "lager_beter" else ">="
    for (ref, first), norm in zip(ranges, norms, strict=True):
        for formula, fill, font in [
            (f"AND(ISNUMBER({first}),{first}{compare}{norm.green})", GREEN, GREEN_FONT),
            (f"AND(ISNUMBER({first}),{first}{compare}{norm.orange})", ORANGE, ORANGE_FONT),
            (f"ISNUMBER({first})", RED, RED_FONT),
        ]:
            sheet.ws.conditional_formatting.add(
                ref, FormulaRule(formula=[formula], fill=fill, font=font, stopIfTrue=True)
            )
    wb.save(theirs)

    assert b'sqref="E5"' in _formatting_xml(theirs)
    assert _formatting_xml(ours) == _formatting_xml(theirs)
    assert _styles_xml(ours) == _styles_xml(theirs)
    rules = [r for cf in load_workbook(ours)["Blad"].conditional_formatting for r in cf.rules]
    assert [r.priority for r in rules] == list(range(1, 10))


def test_traffic_lights_number_on_after_other_rules(tmp_path):
    """Beside a rule added through openpyxl the lights take the next
    priorities and the same differential style for the same colour."""
    path = tmp_path / "mixed.xlsx"
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Blad", [])
    sheet.append(["x"])
    sheet.ws.conditional_formatting.add(
        "A5:A9", FormulaRule(formula=["A5>0"], fill=RED, font=RED_FONT)
    )
    sheet.lights("B5:B9", "B5", "hoger_beter", Norm(75.0, 75.0, 60.0))
    save_workbook(wb, path)
    formatting = load_workbook(path)["Blad"].conditional_formatting
    rules = {str(cf.sqref): [(r.priority, r.dxfId) for r in cf.rules] for cf in formatting}
    assert rules == {"A5:A9": [(1, 0)], "B5:B9": [(2, 1), (3, 2), (4, 0)]}
