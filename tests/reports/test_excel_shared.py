"""What the gemeente workbooks of a cycle share is made once per data
(`reports.rows.shared`) and written from XML kept per process (the
stylesheet, headers and footers): it must never show one region's or
cycle's content in another's workbook, and each workbook must be the bytes
it is when written alone."""

import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from models import Cycle, IndicatorDefinition, RegionalNorm
from reports import excel
from reports.data import CycleData
from reports.excel import Sheet, gemeente_workbook, region_workbook, save_workbook


@pytest.fixture
def own_norm(reports_world):
    """Region 1 sets its own norm on MEAN: its Toelichting differs from region 2's."""
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(
        indicator=mean, region=reports_world["r1"], norm=65, green_threshold=65,
        orange_threshold=55,
    )  # fmt: skip
    return reports_world


def _members(path) -> dict[str, bytes]:
    """Every part of a workbook, its creation time masked."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"<dcterms:(created|modified)[^>]*>[^<]*<", b"<T>", parts["docProps/core.xml"]
    )
    return parts


def test_workbooks_of_two_cycles_and_regions_in_one_process_are_as_written_alone(
    own_norm, tmp_path
):
    """Both regions' gemeenten of two cycles, twice over in one process (the
    second time from the kept row models and XML): each workbook as written by
    a fresh process, with nothing kept."""
    gemeenten = [own_norm[g].id for g in ("g1", "g2", "g3")]
    periods = ["2026-Q2", "2026-Q1", "2026-Q2"]
    _forget()
    loaded = {period: CycleData.load(Cycle.get(Cycle.period == period)) for period in periods}
    together = []
    for n, period in enumerate(periods):
        for gemeente_id in gemeenten:
            path = tmp_path / f"together-{n}-{gemeente_id}.xlsx"
            gemeente_workbook(loaded[period], gemeente_id, path)
            together.append((period, gemeente_id, path))
    # The row models were kept (the second round of Q2 from what the first
    # one kept), and so were the stylesheet and the headers and footers.
    assert excel._STYLESHEETS
    assert excel._HEADERS
    assert all(len(data._shared) == 3 * 2 for data in loaded.values())  # 3 models, 2 regions

    for period, gemeente_id, path in together:
        _forget()  # as a fresh process: nothing kept
        alone = tmp_path / f"alone-{period}-{gemeente_id}.xlsx"
        gemeente_workbook(CycleData.load(Cycle.get(Cycle.period == period)), gemeente_id, alone)
        assert _members(path) == _members(alone), (period, gemeente_id)
    _forget()


def _forget() -> None:
    """What a process keeps between workbooks, forgotten."""
    excel._STYLESHEETS.clear()
    excel._HEADERS.clear()


def test_the_regions_and_cycles_kept_differ(own_norm, tmp_path):
    """The test above can tell a mix-up: the shared sheets differ between the
    regions and between the cycles."""
    g1, g3 = own_norm["g1"].id, own_norm["g3"].id
    sheets = {}
    for period in ("2026-Q1", "2026-Q2"):
        data = CycleData.load(Cycle.get(Cycle.period == period))
        for gemeente_id in (g1, g3):
            path = tmp_path / f"{period}-{gemeente_id}.xlsx"
            gemeente_workbook(data, gemeente_id, path)
            parts = _members(path)
            # Regio's and Toelichting.
            sheets[period, gemeente_id] = (
                parts["xl/worksheets/sheet3.xml"],
                parts["xl/worksheets/sheet7.xml"],
            )
    regions = {key: sheet for key, (sheet, _) in sheets.items()}
    explanations = {key: sheet for key, (_, sheet) in sheets.items()}
    assert len(set(regions.values())) == 4  # each region in bold, each cycle named
    # The region's own norm (from 2026-Q2) is explained in its gemeenten only.
    assert explanations["2026-Q2", g1] != explanations["2026-Q2", g3]
    assert explanations["2026-Q1", g1] != explanations["2026-Q2", g1]
    assert explanations["2026-Q1", g3] != explanations["2026-Q2", g3]


class _OpenpyxlData(excel._WorkbookWriter):
    """Our sheets, the rest as openpyxl writes it (its stylesheet made anew)."""

    write_data = ExcelWriter.write_data


def test_stylesheets_and_parts_as_openpyxl_writes_them(own_norm, tmp_path, monkeypatch):
    """Workbooks of different styles in turn (the region comparison, gemeenten
    of both regions, two cycles): each stylesheet and every other part as
    openpyxl's own ExcelWriter.write_data writes them."""
    excel._STYLESHEETS.clear()
    g1, g3 = own_norm["g1"].id, own_norm["g3"].id
    writers = {"ours": excel._WorkbookWriter, "openpyxl": _OpenpyxlData}
    stylesheets = set()
    for period in ("2026-Q2", "2026-Q1"):
        data = CycleData.load(Cycle.get(Cycle.period == period))
        for name, write in [
            ("regio", lambda path, data=data: region_workbook(data, path)),
            ("g1", lambda path, data=data: gemeente_workbook(data, g1, path)),
            ("g3", lambda path, data=data: gemeente_workbook(data, g3, path)),
            ("regio-again", lambda path, data=data: region_workbook(data, path)),
        ]:
            written = {}
            for who, writer in writers.items():
                monkeypatch.setattr(excel, "_WorkbookWriter", writer)
                written[who] = tmp_path / f"{period}-{name}-{who}.xlsx"
                write(written[who])
            assert _members(written["ours"]) == _members(written["openpyxl"]), (period, name)
            stylesheets.add(_members(written["ours"])["xl/styles.xml"])
    assert len(stylesheets) >= 2  # the region comparison's and the gemeenten's differ
    assert 2 <= len(excel._STYLESHEETS) <= excel.STYLESHEETS_KEPT
    excel._STYLESHEETS.clear()


def _header_book(path, change) -> None:
    wb = Workbook(write_only=True)
    for title in ("Een", "Twee"):
        sheet = Sheet(wb, title, [10])
        change(sheet.ws.HeaderFooter)
        sheet.append([sheet.cell(title)])
    save_workbook(wb, path)


def _first_page(hf) -> None:
    hf.differentFirst = True
    hf.firstHeader.center.text = "Voorblad"


def _flag(name: str):
    return lambda hf: setattr(hf, name, False)


def _font(hf) -> None:
    hf.oddHeader.left.font = "Arial,Bold"
    hf.oddHeader.left.size = 9


def _colour(hf) -> None:
    hf.oddFooter.center.color = "FF0000"


def _text(hf) -> None:
    hf.oddHeader.right.text = "&A & meer"


def _none(hf) -> None:
    hf.evenFooter = None


def test_headers_and_footers_as_openpyxl_writes_them(tmp_path, monkeypatch):
    """The kept XML of headers and footers, for headers that differ in each
    field in turn (and Sheet's own between them): openpyxl's own."""
    excel._HEADERS.clear()
    flags = ["differentOddEven", "differentFirst", "scaleWithDoc", "alignWithMargins"]
    changes = [lambda hf: None, _first_page, *map(_flag, flags), _font, _colour, _text, _none]
    for n, change in enumerate(changes * 2):
        ours, theirs = tmp_path / f"ours-{n}.xlsx", tmp_path / f"theirs-{n}.xlsx"
        _header_book(ours, change)
        with monkeypatch.context() as patched:
            patched.setattr(excel._SheetWriter, "write_header", WorksheetWriter.write_header)
            _header_book(theirs, change)
        assert _members(ours) == _members(theirs), n
    assert len(excel._HEADERS) == len(changes)
    excel._HEADERS.clear()
