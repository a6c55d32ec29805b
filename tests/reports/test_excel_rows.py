"""The sheets write their rows' XML themselves: the bytes must be those
openpyxl writes for the same rows, for every kind of value a row can hold."""

import datetime as dt
import gc
import math
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError

from reports.excel import Sheet, Styled, save_workbook

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
