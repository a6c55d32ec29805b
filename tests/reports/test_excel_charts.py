"""The Trend sheet's charts and their drawing are serialised once per layout
and reused: the bytes must be those openpyxl writes for the same charts."""

import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.chart import LineChart, Reference

from reports.excel import SerialisedChart, Sheet, _line_chart_xml, save_workbook

# (title, unit, scopes, header row, last row, anchor, height, width)
BLOCKS = [
    ("Naleving & <b>afspraken</b>", "%", 3, 5, 12, "G4", 7, 16),
    ("Respons", "punten", 3, 20, 21, "G19", 7, 16),
    ("Per regio", "%", 12, 30, 37, "A39", 11, 30),
]


def _rows(sheet_append) -> None:
    for n in range(1, 40):
        sheet_append([f"2026-Q{n % 4 + 1}", n, n / 2, n / 3])


def _ours(path) -> None:
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Trend", [])
    _rows(sheet.append)
    for title, unit, scopes, header, last, anchor, height, width in BLOCKS:
        chart = SerialisedChart(_line_chart_xml(title, unit, "Trend", scopes, header, last))
        chart.height, chart.width = height, width
        sheet.ws.add_chart(chart, anchor)
    save_workbook(wb, path)


def _theirs(path) -> None:
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "Trend", [])
    _rows(sheet.ws.append)  # openpyxl's own rows and writer
    for title, unit, scopes, header, last, anchor, height, width in BLOCKS:
        chart = LineChart()
        chart.title = title
        chart.y_axis.title = unit
        chart.x_axis.title = "Ronde"
        values = Reference(sheet.ws, min_col=2, max_col=1 + scopes, min_row=header, max_row=last)
        chart.add_data(values, titles_from_data=True)
        for series in chart.series:
            series.smooth = False
        chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
        chart.height, chart.width = height, width
        sheet.ws.add_chart(chart, anchor)
    wb.save(path)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith(("xl/charts/", "xl/drawings/", "xl/worksheets/", "[Content"))
        }


def test_charts_and_drawing_are_the_bytes_openpyxl_writes(tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    _ours(ours)
    _ours(tmp_path / "again.xlsx")  # from the caches this time
    _theirs(theirs)
    expected = _parts(theirs)
    assert len([name for name in expected if name.startswith("xl/charts/")]) == 3
    assert _parts(ours) == expected
    assert _parts(tmp_path / "again.xlsx") == expected
    charts = load_workbook(ours)["Trend"]._charts
    assert len(charts) == 3
