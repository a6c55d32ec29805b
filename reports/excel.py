"""The Excel workbooks: the region comparison per cycle and one per gemeente.

Each sheet is handed its rows ready-made (`reports.rows`); this module only
lays them out. Written with openpyxl in write-only mode: real numbers with
number formats, traffic-light conditional formatting on whole ranges, frozen
headers, filters, column widths and print settings. Text typed by people goes
through `neutralise`, so it never becomes a formula.

What openpyxl would spend most of its time on is written here as the bytes
openpyxl writes: the rows' cells (`Sheet.append`) and the traffic lights
(`_SheetWriter`); a Trend chart and its drawing are serialised once per
process for each layout (`_line_chart_xml`, `_drawing_xml`: the XML depends
on their arguments alone, so no cycle's or gemeente's content can reach
another workbook). So are the stylesheet (`_stylesheet_xml`) and a sheet's
headers and footers (`_SheetWriter.write_header`), by everything they are
written from. Each sheet's XML is kept in memory until the
workbook is saved by `save_workbook`. tests/reports/test_excel_rows.py and
test_excel_charts.py hold the bytes against openpyxl's own."""

from __future__ import annotations

import functools
import io
import math
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.reference import DummyWorksheet
from openpyxl.drawing.image import Image
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.packaging.extended import ExtendedProperties
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.header_footer import HeaderFooter, HeaderFooterItem, _HeaderFooterPart
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CORE,
    ARC_ROOT_RELS,
    ARC_STYLE,
    ARC_THEME,
    ARC_WORKBOOK,
    ARC_WORKBOOK_RELS,
)
from openpyxl.xml.functions import tostring

from domain import formatting
from domain.inputs import printable
from reports import maps
from reports.data import CycleData, Norm
from reports.rows import (
    ActionCountSheet,
    AgreementSheet,
    CountryMap,
    ExplanationSheet,
    FigureLine,
    FigureSheet,
    GemeenteOverview,
    GemeenteSheet,
    GemeenteWorkbook,
    Heading,
    IndicatorColumn,
    OrganisationSheet,
    PartnerSheet,
    RegionWorkbook,
    TrendSheet,
    gemeente_workbook_rows,
    region_workbook_rows,
)

RISKY = ("=", "+", "-", "@", "\t", "\r")

GREEN = PatternFill("solid", fgColor="C6EFCE")
ORANGE = PatternFill("solid", fgColor="FFEB9C")
RED = PatternFill("solid", fgColor="FFC7CE")
GREEN_FONT = Font(color="006100")
ORANGE_FONT = Font(color="7F6000")
RED_FONT = Font(color="9C0006")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
# The traffic lights' differential styles, shared by every rule of their colour.
GREEN_LIGHT = DifferentialStyle(font=GREEN_FONT, fill=GREEN)
ORANGE_LIGHT = DifferentialStyle(font=ORANGE_FONT, fill=ORANGE)
RED_LIGHT = DifferentialStyle(font=RED_FONT, fill=RED)
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"


def neutralise(value):
    """Text typed by people never becomes a formula: a leading = + - @, tab or
    carriage return gets an apostrophe in front (as OWASP advises for CSV).
    Control characters (which openpyxl refuses) are removed, so text stored
    before they were refused cannot stop a workbook."""
    if isinstance(value, str):
        if value.startswith(RISKY):
            value = "'" + value
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def number_format(unit: str) -> str:
    """Excel number formats (one rule per unit, `domain.formatting`)."""
    return formatting.excel_format(unit)


_LETTERS = [get_column_letter(n) for n in range(1, 703)]  # A .. ZZ


def _letter(index: int) -> str:
    """The column letter of a 0-based column index."""
    return _LETTERS[index] if index < len(_LETTERS) else get_column_letter(index + 1)


def _cell_xml(ref: str, attribute: str, value) -> str | None:
    """A cell's XML as openpyxl writes it in write-only mode (inline strings,
    numbers as "%.16g"), or None for a value it must write itself: a bool,
    date or Decimal, a text it would take for a formula or an error code, a
    too long or illegal text, a number that is not finite."""
    kind = type(value)
    if kind is str:
        if (
            (len(value) > 1 and value[0] == "=")
            or len(value) > 32767
            or value in ERROR_CODES
            or ILLEGAL_CHARACTERS_RE.search(value)
        ):
            return None
        if not value:
            return f'<c r="{ref}"{attribute} t="inlineStr" />'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{ref}"{attribute} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
    if kind is int or (kind is float and math.isfinite(value)):
        return f'<c r="{ref}"{attribute} t="n"><v>{value:.16g}</v></c>'
    return None


class _SheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, with the traffic lights' conditional
    formatting written as text (openpyxl's rule objects and their
    serialisation took a fifth of a gemeente workbook) and the differential
    styles numbered once per style object, not compared field by field per
    rule."""

    def __init__(self, ws, out, lights: list[tuple[str, list[tuple[int, str, object]]]]):
        super().__init__(ws, out=out)
        self.lights = lights  # (range, [(priority, formula, dxf)]), as Sheet.lights adds them

    def write_header(self):
        """openpyxl's write_header, its XML kept per process by every field
        of the headers and footers (`_header_key`): each sheet has the same."""
        key = _header_key(self.ws.HeaderFooter)
        xml = _HEADERS.get(key) if key is not None else None
        if xml is None:
            xml = self._captured(super().write_header)
            if key is not None:
                if len(_HEADERS) >= HEADERS_KEPT:
                    _HEADERS.clear()
                _HEADERS[key] = xml
        elif xml:
            xf = self.xf.send(True)
            xf._file(xml)
            self.xf.send(None)

    def _captured(self, write: Callable[[], None]) -> str:
        """Call `write()`, which writes into the sheet's XML, and return what it wrote."""
        xf = self.xf.send(True)
        self.xf.send(None)
        file, parts = xf._file, []

        def both(text: str) -> None:
            parts.append(text)
            file(text)

        xf._file = both
        try:
            write()
        finally:
            xf._file = file
        return "".join(parts)

    def write_formatting(self):
        # openpyxl's write_formatting for the rules added to the sheet, with
        # its comparisons made once per dxf object (nothing changes them
        # here); then the traffic lights, as openpyxl writes such rules.
        empty = DifferentialStyle()
        styles = self.ws.parent._differential_styles
        numbers: dict[int, int | None] = {}
        for cf in self.ws.conditional_formatting:
            for rule in cf.rules:
                if not rule.dxf:
                    continue
                key = id(rule.dxf)
                if key not in numbers:
                    numbers[key] = styles.add(rule.dxf) if rule.dxf != empty else None
                if numbers[key] is not None:
                    rule.dxfId = numbers[key]
            self.xf.send(cf.to_tree())
        if not self.lights:
            return
        parts = []
        for ref, rules in self.lights:
            parts.append(f'<conditionalFormatting sqref="{_sqref(ref)}">')
            for priority, formula, dxf in rules:
                number = numbers.get(id(dxf))
                if number is None:
                    number = numbers[id(dxf)] = styles.add(dxf)
                parts.append(
                    f'<cfRule type="expression" priority="{priority}" dxfId="{number}" '
                    f'stopIfTrue="1"><formula>{_escape(formula)}</formula></cfRule>'
                )
            parts.append("</conditionalFormatting>")
        xf = self.xf.send(True)
        xf._file("".join(parts))
        self.xf.send(None)


HEADERS_KEPT = 64  # headers and footers whose XML a process keeps (_SheetWriter.write_header)
_HEADERS: dict[tuple, str] = {}


def _header_key(hf) -> tuple | None:
    """Every field a sheet's headers and footers are written from (openpyxl's
    HeaderFooter: its flags, and each header's and footer's left, centre and
    right text, font, size and colour); None for any other kind of object."""
    if type(hf) is not HeaderFooter:
        return None
    key: list = [hf.differentOddEven, hf.differentFirst, hf.scaleWithDoc, hf.alignWithMargins]
    for name in HeaderFooter.__elements__:
        item = getattr(hf, name)
        if item is None:
            key.append(None)
            continue
        if type(item) is not HeaderFooterItem:
            return None
        for part in (item.left, item.center, item.right):
            if type(part) is not _HeaderFooterPart:
                return None
            key.append((part.text, part.font, part.size, part.color))
    return tuple(key)


@functools.lru_cache(maxsize=4096)
def _sqref(ref: str) -> str:
    """A range as openpyxl writes it (B5:B5 as B5)."""
    return str(MultiCellRange(ref))


def _escape(text: str) -> str:
    """Text in an element, escaped as ElementTree escapes it."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class CellStyle:
    """A cell style made once per sheet: its style array, and the `s`
    attribute of its cells once the workbook has numbered it (at its first
    cell, as openpyxl numbers styles in the order cells are written)."""

    __slots__ = ("array", "attribute")

    def __init__(self, array):
        self.array = array
        self.attribute: str | None = None


class Styled:
    """A value with its cell style, for `Sheet.append`."""

    __slots__ = ("style", "value")

    def __init__(self, value, style: CellStyle):
        self.value = value
        self.style = style


class Sheet:
    """A write-only sheet that writes its rows' XML itself.

    openpyxl builds an element per cell and serialises it through et_xmlfile,
    which took most of a gemeente workbook's time. The rows here are written
    as the text openpyxl writes for them (the same bytes): numbers and
    strings directly, any other value through openpyxl's own cell writer.
    Styles are made once per sheet and numbered by the workbook at their
    first cell, as openpyxl numbers them. The sheet's XML is kept in memory:
    save its workbook with `save_workbook`."""

    def __init__(self, wb: Workbook, title: str, widths: Iterable[float]):
        self.ws = wb.create_sheet(title)
        self.rows = 0
        for n, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(n)].width = width
        self._styles: dict[str, CellStyle] = {}
        self._xf = None  # the sheet's XML stream, inside <sheetData>, from the first row
        self._lights: list[tuple[str, list[tuple[int, str, object]]]] = []
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_options.gridLines = False
        self.ws.oddFooter.center.text = "Pagina &P van &N"
        self.ws.oddHeader.left.text = "Afsprakenmonitor"
        self.ws.oddHeader.right.text = "&A"

    def style(self, key: str, **attributes) -> CellStyle:
        """A reusable cell style: font, fill, alignment, number_format."""
        if key not in self._styles:
            cell = WriteOnlyCell(self.ws)
            for name, value in attributes.items():
                setattr(cell, name, value)
            self._styles[key] = CellStyle(cell._style)
        return self._styles[key]

    def cell(self, value, style: CellStyle | None = None):
        """A value for a row: text neutralised (it then never starts with =, so
        it stays a string); with its style only where a style is due."""
        if isinstance(value, str):
            value = neutralise(value)
        if style is None or value is None:
            return value  # an empty cell is not written at all
        return Styled(value, style)

    def append(self, values) -> int:
        """Write a row of values (None: no cell), plain or `Styled`."""
        if self._xf is None:
            self._open()
        self.rows += 1
        row = self.rows
        number = str(row)
        parts = [f'<row r="{number}">']
        for column, value in enumerate(values):
            if value is None:
                continue
            style, attribute = None, ""
            if type(value) is Styled:
                style = value.style
                value = value.value
                attribute = style.attribute
                if attribute is None:
                    attribute = self._number(style)
            text = _cell_xml(_letter(column) + number, attribute, value)
            if text is None:  # a value openpyxl must write itself
                self._xf._file("".join(parts))
                parts = []
                self._write_cell(value, style, column + 1, row)
            else:
                parts.append(text)
        parts.append("</row>")
        self._xf._file("".join(parts))
        return row

    def _open(self) -> None:
        """Start the sheet's rows as openpyxl's write-only sheet would (its
        top written, then <sheetData> opened, closed again when the
        workbook is saved), with the rows written here."""
        ws = self.ws
        # In memory, see _WorkbookWriter.
        ws._writer = _SheetWriter(ws, out=io.BytesIO(), lights=self._lights)
        ws._writer.write_top()
        ws._rows = self._stream()
        next(ws._rows)

    def _stream(self):
        writer = self.ws._writer
        xf = writer.xf.send(True)
        with xf.element("sheetData"):
            self._xf = xf
            try:
                while True:
                    yield
            except GeneratorExit:
                pass
        writer.xf.send(None)

    def _number(self, style: CellStyle) -> str:
        """The `s` attribute of a style's cells, numbered by the workbook at
        the style's first cell (none for a style that sets nothing)."""
        if any(style.array):
            style.attribute = f' s="{self.ws.parent._cell_styles.add(style.array)}"'
        else:
            style.attribute = ""
        return style.attribute

    def _write_cell(self, value, style: CellStyle | None, column: int, row: int) -> None:
        """A value the fast path leaves alone (a date, a formula-like or too
        long text, ...), written by openpyxl as `ws.append` would."""
        cell = WriteOnlyCell(self.ws, value)
        if style is not None:
            cell._style = style.array
        cell.column, cell.row = column, row
        write_cell(self._xf, self.ws, cell, cell.has_style)

    def lights(self, ref: str, first: str, direction: str, norm: Norm) -> None:
        """Green / orange / red on a range, against the thresholds; empty
        stays white. The rules FormulaRule(formula, stopIfTrue=True, fill,
        font) would make, numbered on from the sheet's other rules, written
        by _SheetWriter."""
        if direction == "lager_beter":
            rules = [
                (f"AND(ISNUMBER({first}),{first}<={norm.green})", GREEN_LIGHT),
                (f"AND(ISNUMBER({first}),{first}<={norm.orange})", ORANGE_LIGHT),
                (f"ISNUMBER({first})", RED_LIGHT),
            ]
        else:
            rules = [
                (f"AND(ISNUMBER({first}),{first}>={norm.green})", GREEN_LIGHT),
                (f"AND(ISNUMBER({first}),{first}>={norm.orange})", ORANGE_LIGHT),
                (f"ISNUMBER({first})", RED_LIGHT),
            ]
        if self._xf is None:
            self._open()  # the lights are written by this sheet's own writer
        formatting = self.ws.conditional_formatting
        numbered = []
        for formula, light in rules:
            formatting.max_priority += 1
            numbered.append((formatting.max_priority, formula, light))
        self._lights.append((ref, numbered))

    def title(self, heading: Heading) -> None:
        """Three rows: the title, a subtitle and a note (or a blank row)."""
        bold = self.style("title", font=Font(bold=True, size=14))
        self.append([self.cell(heading.title, bold)])
        self.append([self.cell(heading.subtitle)] if heading.subtitle else [])
        self.append([self.cell(heading.note)] if heading.note else [])

    def header(self, names: list[str]) -> int:
        style = self.style(
            "header",
            font=Font(bold=True, color="FFFFFF"),
            fill=HEADER_FILL,
            alignment=Alignment(wrap_text=True, vertical="top"),
        )
        row = self.append([self.cell(name, style) for name in names])
        return row

    def freeze(self, row: int, column: int = 1) -> None:
        """Freeze the rows above `row + 1` and the columns before `column`
        (must happen before the first row is written); the header row is
        printed on every page. Row 0 means no header: nothing is frozen and
        no print titles are set (a reference to row 0 is no range, and Excel
        would offer to repair the workbook)."""
        if row < 1 and column <= 1:
            return
        self.ws.freeze_panes = f"{get_column_letter(column)}{row + 1}"
        if row >= 1:
            self.ws.print_title_rows = f"{row}:{row}"


def _value_columns(
    sheet: Sheet, columns: list[IndicatorColumn], first_col: int, rows: tuple[int, int]
) -> None:
    """Traffic lights per indicator column over data rows rows[0]..rows[1]."""
    if rows[1] < rows[0]:
        return
    for n, column in enumerate(columns):
        if column.lights is None:
            continue  # "nog open": not judged before the due date
        letter = get_column_letter(first_col + n)
        sheet.lights(
            f"{letter}{rows[0]}:{letter}{rows[1]}",
            f"{letter}{rows[0]}",
            column.direction,
            column.lights,
        )


def _number_styles(sheet: Sheet, columns: list[IndicatorColumn]) -> list:
    """The number style of each column, by its unit."""
    styles = {
        column.unit: sheet.style(f"num:{column.unit}", number_format=number_format(column.unit))
        for column in columns
    }
    return [styles[column.unit] for column in columns]


def _figures(sheet: Sheet, values: list[float | None], styles: list) -> list:
    return [sheet.cell(value, style) for value, style in zip(values, styles, strict=True)]


def _properties(wb: Workbook, title: str) -> None:
    wb.properties.title = printable(title)
    wb.properties.creator = "Afsprakenmonitor"
    wb.properties.language = "nl-NL"


class SerialisedChart(ChartBase):
    """A chart whose XML is already made: the drawing places it (anchor, size)
    and `_WorkbookWriter` writes its bytes. Nothing of the chart is built
    again, so ChartBase's own set-up is skipped."""

    def __init__(self, xml: bytes):  # ChartBase.__init__ not called: there is no chart to build
        self.xml = xml


@functools.lru_cache(maxsize=256)
def _line_chart_xml(
    title: str, unit: str, sheet: str, scopes: int, header: int, last: int
) -> bytes:
    """A Trend block's line chart: a line per scope (columns B on, its name in
    the header row) over the rounds in rows header + 1 .. last. Its XML
    depends on these arguments alone (the drawing places it), so it is made
    once per process for every workbook whose block is laid out alike."""
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = unit
    chart.x_axis.title = "Ronde"
    ws = DummyWorksheet(sheet)
    values = Reference(ws, min_col=2, max_col=1 + scopes, min_row=header, max_row=last)
    chart.add_data(values, titles_from_data=True)
    for series in chart.series:
        series.smooth = False  # straight lines between the rounds, as measured
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    return tostring(chart._write())


@functools.lru_cache(maxsize=64)
def _drawing_xml(charts: tuple[tuple[str, float, float, int], ...]) -> tuple[bytes, bytes]:
    """A drawing's XML and its relationships for charts placed at (anchor,
    width, height) with the workbook's chart numbers: made from these alone,
    so once per process for the workbooks whose charts are placed alike."""
    drawing = SpreadsheetDrawing()
    for anchor, width, height, number in charts:
        chart = SerialisedChart(b"")
        chart.anchor, chart.width, chart.height, chart._id = anchor, width, height, number
        drawing.charts.append(chart)
    xml = tostring(drawing._write())
    return xml, tostring(drawing._write_rels())


@functools.cache
def _app_xml() -> bytes:
    """docProps/app.xml: openpyxl's extended properties, the same for every
    workbook (its defaults)."""
    return tostring(ExtendedProperties().to_tree())


STYLESHEETS_KEPT = 16  # stylesheets' XML a process keeps (_stylesheet_xml)
_STYLESHEETS: dict[tuple, bytes] = {}


def _stylesheet_xml(wb: Workbook) -> bytes:
    """The workbook's styles.xml as openpyxl writes it (`write_stylesheet`),
    kept per process by everything it is made of: the workbook's fonts,
    fills, borders, differential styles, colours, number formats, cell
    styles, alignments, protections, named and table styles, compared as
    openpyxl compares them when it numbers them. The gemeente workbooks of a
    cycle share one (each its own object, alike)."""
    key = (
        tuple(wb._fonts),
        tuple(wb._fills),
        tuple(wb._borders),
        tuple(wb._differential_styles.styles),
        tuple(wb._colors),
        tuple(wb._number_formats),
        tuple(tuple(style) for style in wb._cell_styles),
        tuple(wb._alignments),
        tuple(wb._protections),
        tuple(wb._named_styles),
        wb._table_styles,
    )
    xml = _STYLESHEETS.get(key)
    if xml is None:
        xml = tostring(write_stylesheet(wb))
        if len(_STYLESHEETS) >= STYLESHEETS_KEPT:
            _STYLESHEETS.clear()
        _STYLESHEETS[key] = xml
    return xml


class _WorkbookWriter(ExcelWriter):
    """openpyxl's writer, with the sheets' XML kept in memory (not in a
    temporary file each), serialised charts written as they are and the
    stylesheet from `_stylesheet_xml`."""

    def write_data(self):
        """openpyxl's ExcelWriter.write_data (3.1), the stylesheet from
        `_stylesheet_xml`."""
        if len(self.workbook.custom_doc_props) >= 1:
            return super().write_data()  # none here: openpyxl writes such a workbook
        archive = self._archive
        archive.writestr(ARC_APP, _app_xml())
        archive.writestr(ARC_CORE, tostring(self.workbook.properties.to_tree()))
        if self.workbook.loaded_theme:
            archive.writestr(ARC_THEME, self.workbook.loaded_theme)
        else:
            archive.writestr(ARC_THEME, theme_xml)
        self._write_worksheets()
        self._write_chartsheets()
        self._write_images()
        self._write_charts()
        self._write_external_links()
        archive.writestr(ARC_STYLE, _stylesheet_xml(self.workbook))
        writer = WorkbookWriter(self.workbook)
        archive.writestr(ARC_ROOT_RELS, writer.write_root_rels())
        archive.writestr(ARC_WORKBOOK, writer.write())
        archive.writestr(ARC_WORKBOOK_RELS, writer.write_rels())
        self._merge_vba()
        self.manifest._write(archive, self.workbook)
        return None

    def write_worksheet(self, ws):
        writer = ws._writer
        if not isinstance(getattr(writer, "out", None), io.BytesIO):
            return super().write_worksheet(ws)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if not ws.closed:
            ws.close()
        ws._rels = writer._rels
        writer.close()
        with writer.out.getbuffer() as xml:  # not copied
            self._archive.writestr(ws.path[1:], xml)
        writer.out.close()  # the sheet's XML is no longer kept
        self.manifest.append(ws)
        return None

    def _write_drawing(self, drawing):
        """A drawing of serialised charts only (the Trend sheet's) written from
        `_drawing_xml`; any other as openpyxl writes it."""
        charts = drawing.charts
        if drawing.images or not all(isinstance(chart, SerialisedChart) for chart in charts):
            return super()._write_drawing(drawing)
        # As ExcelWriter._write_drawing: number the drawing and its charts.
        self._drawings.append(drawing)
        drawing._id = len(self._drawings)
        for chart in charts:
            self._charts.append(chart)
            chart._id = len(self._charts)
        xml, rels = _drawing_xml(
            tuple((chart.anchor, chart.width, chart.height, chart._id) for chart in charts)
        )
        self._archive.writestr(drawing.path[1:], xml)
        self._archive.writestr(get_rels_path(drawing.path)[1:], rels)
        self.manifest.append(drawing)
        return None

    def _write_charts(self):
        if len(self._charts) != len(set(self._charts)):
            raise InvalidFileException("The same chart cannot be used in more than one worksheet")
        for chart in self._charts:
            xml = chart.xml if isinstance(chart, SerialisedChart) else tostring(chart._write())
            self._archive.writestr(chart.path[1:], xml)
            self.manifest.append(chart)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save as `Workbook.save` does, with `_WorkbookWriter`."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _WorkbookWriter(wb, archive).save()


# --- the region comparison -----------------------------------------------------


def region_workbook(data: CycleData, path: Path) -> None:
    """The region comparison of one cycle, as BRIEF §6."""
    write_region_workbook(region_workbook_rows(data), path)


def write_region_workbook(book: RegionWorkbook, path: Path) -> None:
    """Lay out the region comparison's sheets and save the workbook."""
    wb = Workbook(write_only=True)
    _properties(wb, book.title)
    _overview(wb, book.overview)
    if book.map is not None:
        _country_map(wb, book.map)
    _trend(wb, book.trend)
    _gemeenten(wb, book.gemeenten)
    _organisations(wb, book.organisations)
    _agreements(wb, book.agreements)
    _partners(wb, book.partners)
    _actions(wb, book.actions)
    _long_data(wb, book.figures, book.units)
    _explanation(wb, book.explanation)
    save_workbook(wb, path)


def _overview(wb, overview: FigureSheet) -> None:
    columns = overview.columns
    sheet = Sheet(wb, "Overzicht", [10, 34] + [16] * len(columns))
    sheet.freeze(4, 3)
    sheet.title(overview.heading)
    header = sheet.header(["Code", "Regio"] + [c.header for c in columns])
    styles = _number_styles(sheet, columns)
    bold = sheet.style("bold", font=Font(bold=True))
    first = header + 1
    for row in overview.rows:
        sheet.append(
            [sheet.cell(row.code), sheet.cell(row.name)] + _figures(sheet, row.values, styles)
        )
    last = sheet.rows
    country = overview.country
    sheet.append(
        [sheet.cell(country.code, bold), sheet.cell(country.name, bold)]
        + _figures(sheet, country.values, styles)
    )
    sheet.append(
        [sheet.cell(""), sheet.cell("Landelijke norm", bold)]
        + _figures(sheet, overview.norms or [], styles)
    )
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(2 + len(columns))}{last}"
    _value_columns(sheet, columns, 3, (first, last + 1))
    sheet.append([])
    sheet.append(
        [sheet.cell("Groen: op of boven de norm; oranje: tussen de drempels; rood: onder de "
                    "ondergrens (bij ‘lager is beter’ omgekeerd). Leeg: geen ingediende "
                    "zelfevaluaties.")]
    )  # fmt: skip


def _trend(wb, trend: TrendSheet) -> None:
    """Per indicator a block: periods down, one column per scope, and a line chart."""
    scopes = trend.scopes
    sheet = Sheet(wb, "Trend", [14] + [16] * max(3, len(scopes)) + [30])
    sheet.freeze(0)
    sheet.title(trend.heading)
    styles = {
        block.unit: sheet.style(f"num:{block.unit}", number_format=number_format(block.unit))
        for block in trend.blocks
    }
    bold = sheet.style("bold", font=Font(bold=True))
    for block in trend.blocks:
        sheet.append([sheet.cell(block.header, bold)])
        header = sheet.header(["Ronde", *scopes, "Opmerking"])
        style = styles[block.unit]
        for row in block.rows:
            sheet.append(
                [sheet.cell(row.period)]
                + [sheet.cell(value, style) for value in row.values]
                + [sheet.cell("Trendbreuk: ander afsprakenkader" if row.broken else "")]
            )
        xml = _line_chart_xml(
            printable(block.name), block.unit, sheet.ws.title, len(scopes), header, sheet.rows
        )
        chart = SerialisedChart(xml)
        if len(scopes) <= 3:
            # Beside a short block.
            chart.height, chart.width = 7, 16
            sheet.ws.add_chart(chart, f"{get_column_letter(len(scopes) + 4)}{header - 1}")
            blank = max(2, 15 - len(block.rows))
        else:
            # A line per region: the chart below its block, wide enough for the legend.
            chart.height, chart.width = 11, 30
            sheet.append([])
            sheet.ws.add_chart(chart, f"A{sheet.rows + 1}")
            blank = 24
        for _ in range(blank):
            sheet.append([])


def _gemeenten(wb, gemeenten: GemeenteSheet) -> None:
    columns = gemeenten.columns
    sheet = Sheet(wb, "Gemeenten", [10, 28, 28, 14] + [16] * len(columns))
    sheet.freeze(4, 3)
    sheet.title(gemeenten.heading)
    header = sheet.header(
        ["Code", "Gemeente", "Regio", "Organisaties"] + [c.header for c in columns]
    )
    styles = _number_styles(sheet, columns)
    for row in gemeenten.rows:
        sheet.append(
            [
                sheet.cell(row.code),
                sheet.cell(row.name),
                sheet.cell(row.region),
                sheet.cell(row.organisations),
            ]
            + _figures(sheet, row.values, styles)
        )
    last = max(sheet.rows, header + 1)
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(4 + len(columns))}{last}"
    _value_columns(sheet, columns, 5, (header + 1, sheet.rows))


def _organisations(wb, organisations: OrganisationSheet) -> None:
    columns = organisations.columns
    sheet = Sheet(wb, "Organisaties", [40, 28, 28, 16] + [16] * len(columns))
    sheet.freeze(4, 2)
    sheet.title(organisations.heading)
    header = sheet.header(
        ["Organisatie", "Soort", "Regio", "Zelfevaluatie"] + [c.header for c in columns]
    )
    styles = _number_styles(sheet, columns)
    for row in organisations.rows:
        sheet.append(
            [
                sheet.cell(row.name),
                sheet.cell(row.kind),
                sheet.cell(row.region),
                sheet.cell(row.state),
            ]
            + _figures(sheet, row.values, styles)
        )
    last = max(sheet.rows, header + 1)
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(4 + len(columns))}{last}"
    _value_columns(sheet, columns, 5, (header + 1, sheet.rows))


def _agreements(wb, agreements: AgreementSheet) -> None:
    """Mean score per region and agreement: where each agreement is weakest.
    A block of rows per region (regions as rows, by name), its weakest
    agreements first, beside the country's figure: a narrow sheet that
    prints readably, with a filter on the region."""
    sheet = Sheet(wb, "Afspraken", [30, 10, 60, 26, 18, 14, 14, 16])
    sheet.freeze(4, 2)
    sheet.title(agreements.heading)
    header = sheet.header(
        ["Regio", "Code", "Afspraak", "Thema", "Niveau", "Naleving (%)", "Nederland (%)",
         "Verschil met Nederland (procentpunt)"]
    )  # fmt: skip
    percent = sheet.style("pct", number_format='0.0"%"')
    signed = sheet.style("signed1", number_format="+0.0;-0.0;0.0")
    bold = sheet.style("bold", font=Font(bold=True))
    for row in agreements.rows:
        sheet.append(
            [
                sheet.cell(row.region, bold),
                sheet.cell(row.code),
                sheet.cell(row.title),
                sheet.cell(row.theme),
                sheet.cell(row.level),
                sheet.cell(row.percent, percent),
                sheet.cell(row.national, percent),
                sheet.cell(row.difference, signed),
            ]
        )
    if sheet.rows > header:
        sheet.ws.conditional_formatting.add(
            f"F{header + 1}:G{sheet.rows}",
            ColorScaleRule(
                start_type="num", start_value=0, start_color="F8696B",
                mid_type="num", mid_value=50, mid_color="FFEB84",
                end_type="num", end_value=100, end_color="63BE7B",
            ),
        )  # fmt: skip
    sheet.ws.auto_filter.ref = f"A{header}:H{max(sheet.rows, header + 1)}"


def _actions(wb, actions: ActionCountSheet) -> None:
    """Improvement actions per organisation and agreement: open, over their
    due date and done (counts only: the actions' text stays with the
    organisation). The full list behind the region report's summary."""
    sheet = Sheet(wb, "Verbeteracties", [28, 40, 10, 60, 10, 12, 10])
    sheet.freeze(4, 3)
    sheet.title(actions.heading)
    header = sheet.header(
        ["Regio", "Organisatie", "Code", "Afspraak", "Open", "Over datum", "Gereed"]
    )
    for row in actions.rows:
        sheet.append(
            [
                sheet.cell(row.region),
                sheet.cell(row.organisation),
                sheet.cell(row.code),
                sheet.cell(row.title),
                row.open,
                row.overdue,
                row.done,
            ]
        )
    if sheet.rows == header:
        sheet.append([sheet.cell("Geen verbeteracties in deze ronde.")])
    elif sheet.rows > header:
        sheet.ws.conditional_formatting.add(
            f"F{header + 1}:F{sheet.rows}",
            FormulaRule(formula=[f"F{header + 1}>0"], fill=RED, font=RED_FONT),
        )
    sheet.ws.auto_filter.ref = f"A{header}:G{max(sheet.rows, header + 1)}"


def _partners(wb, partners: PartnerSheet) -> None:
    """Per scope and bilateral agreement: 'eigen oordeel' beside 'oordeel van
    partners', with how many ratings partners gave."""
    sheet = Sheet(wb, "Partners", [34, 12, 60, 14, 18, 14, 12])
    sheet.freeze(4, 3)
    sheet.title(partners.heading)
    header = sheet.header(
        ["Gebied of organisatie", "Code", "Afspraak", "Eigen oordeel", "Oordeel van partners",
         "Partneroordelen", "Verschil"]
    )  # fmt: skip
    decimal = sheet.style("dec2", number_format="0.00")
    for row in partners.rows:
        sheet.append(
            [
                sheet.cell(row.scope),
                sheet.cell(row.code),
                sheet.cell(row.title),
                sheet.cell(row.own_mean, decimal),
                sheet.cell(row.partner_mean, decimal),
                row.ratings,
                sheet.cell(row.gap, decimal),
            ]
        )
    if sheet.rows == header:
        sheet.append([sheet.cell("Nog geen oordelen van partnerorganisaties in deze ronde.")])
    sheet.ws.auto_filter.ref = f"A{header}:G{max(sheet.rows, header + 1)}"


LONG_COLUMNS = [
    "Ronde",
    "Niveau",
    "Code",
    "Naam",
    "Regio",
    "Indicator",
    "Indicatornaam",
    "Eenheid",
    "Waarde",
    "Teller",
    "Noemer",
    "Organisaties",
    "Signaal",
    "Norm",
    "Getoetst aan",
    "Verandering",
]


def _long_data(wb, lines: list[FigureLine], units: list[str]) -> None:
    """Every stored figure of the cycle, one per row, as an Excel table."""
    sheet = Sheet(wb, "Gegevens", [10, 12, 10, 40, 28, 14, 40, 8, 12, 12, 12, 12, 12, 10, 28, 22])
    sheet.freeze(1)
    sheet.header(LONG_COLUMNS)
    count = sheet.style("count", number_format="0.##")
    values = {unit: sheet.style(f"num:{unit}", number_format=number_format(unit)) for unit in units}
    changes = {
        unit: sheet.style(f"change:{unit}", number_format=formatting.excel_change_format(unit))
        for unit in units
    }
    for line in lines:
        # The period, level, codes and signal are generated labels, written as
        # they are (a Cell cannot be reused across rows).
        sheet.append(
            [
                line.period,
                line.level,
                line.code,
                sheet.cell(line.name),
                sheet.cell(line.region),
                line.indicator,
                sheet.cell(line.indicator_name),
                sheet.cell(line.unit),
                sheet.cell(line.value, values[line.unit]),
                sheet.cell(line.teller, count),  # Teller / Noemer is the value, in its unit
                sheet.cell(line.noemer, count),
                line.organisations,
                line.signal,
                sheet.cell(line.norm, values[line.unit]),
                line.judged,
                sheet.cell(line.change, changes[line.unit]),
            ]
        )
    last = max(sheet.rows, 2)
    table = Table(displayName="Gegevens", ref=f"A1:{get_column_letter(len(LONG_COLUMNS))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # Write-only mode cannot read the header row back: name the columns here.
    table.tableColumns = [TableColumn(id=n, name=name) for n, name in enumerate(LONG_COLUMNS, 1)]
    table.autoFilter = AutoFilter(ref=table.ref)
    with warnings.catch_warnings():
        # openpyxl warns in write-only mode even when the columns are named.
        warnings.filterwarnings("ignore", "In write-only mode", UserWarning)
        sheet.ws.add_table(table)


def _explanation(wb, explanation: ExplanationSheet) -> None:
    sheet = Sheet(wb, "Toelichting", [14, 36, 60, 90, 40, 24, 16, 10, 10, 10])
    sheet.freeze(0)
    sheet.title(explanation.heading)
    wrap = sheet.style("wrap", alignment=Alignment(wrap_text=True, vertical="top"))
    for line in explanation.lines:
        sheet.append([sheet.cell(line)])
    sheet.append([])
    header = sheet.header(
        ["Code", "Indicator", "Beschrijving", "Rekenregel", "Berekening", "Filter", "Richting",
         "Norm", "Groen vanaf", "Oranje vanaf"]
    )  # fmt: skip
    for row in explanation.rows:
        sheet.append(
            [
                sheet.cell(row.code),
                sheet.cell(row.name, wrap),
                sheet.cell(row.description, wrap),
                sheet.cell(row.rule, wrap),
                sheet.cell(row.computation, wrap),
                sheet.cell(row.filters, wrap),
                sheet.cell(row.direction),
                sheet.cell(row.norm),
                sheet.cell(row.green),
                sheet.cell(row.orange),
            ]
        )
    sheet.ws.auto_filter.ref = f"A{header}:J{max(sheet.rows, header + 1)}"


# --- per gemeente --------------------------------------------------------------


def gemeente_workbook(data: CycleData, gemeente_id: int, path: Path) -> None:
    """One gemeente: its own organisations, and its region against the others."""
    write_gemeente_workbook(gemeente_workbook_rows(data, gemeente_id), path)


def write_gemeente_workbook(book: GemeenteWorkbook, path: Path) -> None:
    """Lay out a gemeente workbook's sheets and save it."""
    wb = Workbook(write_only=True)
    _properties(wb, book.title)
    _gemeente_overview(wb, book.overview)
    _organisations(wb, book.organisations)
    _regions(wb, book.regions)
    _partners(wb, book.partners)
    _actions(wb, book.actions)
    _trend(wb, book.trend)
    _explanation(wb, book.explanation)
    save_workbook(wb, path)


def _gemeente_overview(wb, overview: GemeenteOverview) -> None:
    """The gemeente beside its region and the country, per indicator, with the
    signal against the national norm (and the region's own where it set one)."""
    names = overview.header
    sheet = Sheet(wb, "Overzicht", [40, 16, 16, 16, 17, 12, 34, 21][: len(names)])
    sheet.freeze(4, 2)
    sheet.title(overview.heading)
    header = sheet.header(names)
    for row in overview.rows:
        fmt = sheet.style(f"num:{row.unit}", number_format=number_format(row.unit))
        cells = [
            sheet.cell(row.header),
            sheet.cell(row.value, fmt),
            sheet.cell(row.region_value, fmt),
            sheet.cell(row.country_value, fmt),
            sheet.cell(row.national_norm, fmt),
            sheet.cell(row.signal),
        ]
        if row.regional is not None:
            norm, signal = row.regional
            cells += [sheet.cell(norm, fmt), sheet.cell(signal)]
        sheet.append(cells)
    for n, row in enumerate(overview.rows):
        if row.lights is None:
            continue  # "nog open": not judged before the due date
        line = header + 1 + n
        sheet.lights(f"B{line}:D{line}", f"B{line}", row.direction, row.lights)


def _regions(wb, regions: FigureSheet) -> None:
    """Regio's: the gemeente's region (in bold) against the others and the country."""
    columns = regions.columns
    sheet = Sheet(wb, "Regio's", [10, 34] + [16] * len(columns))
    sheet.freeze(4, 3)
    sheet.title(regions.heading)
    header = sheet.header(["Code", "Regio"] + [c.header for c in columns])
    styles = _number_styles(sheet, columns)
    bold = sheet.style("bold", font=Font(bold=True))
    for row in [*regions.rows, regions.country]:
        mark = bold if row.bold else None
        sheet.append(
            [sheet.cell(row.code, mark), sheet.cell(row.name, mark)]
            + _figures(sheet, row.values, styles)
        )
    last = sheet.rows
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(2 + len(columns))}{last - 1}"
    _value_columns(sheet, columns, 3, (header + 1, last))


def _country_map(wb, country: CountryMap) -> None:
    """The country by region, coloured by the signal bands of the first
    indicator, on a sheet of its own that prints on one page."""
    title = country.heading.title
    png = maps.png_map(
        country.shapes,
        country.scale,
        maps.Texts(title, title, division=country.division),
        560,
        str(FONT_FILE),
    )
    kaart = Sheet(wb, "Kaart", [4, 80])
    kaart.ws.page_setup.orientation = "portrait"
    kaart.ws.page_setup.fitToHeight = 1  # the map and its legend on one page
    kaart.title(country.heading)
    image = Image(io.BytesIO(png))
    image.anchor = "B5"
    kaart.ws.add_image(image)
    # The print area covers the image (about 20 rows of 15 points per 100 pixels).
    last = 5 + int(image.height * 0.75 / 15) + 1
    kaart.ws.print_area = f"A1:C{last}"
