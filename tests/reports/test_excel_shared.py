"""What the gemeente workbooks of a cycle share is made and written once per
process (`reports.rows.shared`, `reports.excel.Sheet.rows_once`): it must
never show one region's or cycle's content in another's workbook, and each
workbook must be the bytes it is when written alone."""

import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from models import Cycle, IndicatorDefinition, RegionalNorm
from reports import excel
from reports.data import CycleData, Norm
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
    second time from the kept rows): each workbook as written by a fresh
    process, with nothing kept."""
    gemeenten = [own_norm[g].id for g in ("g1", "g2", "g3")]
    periods = ["2026-Q2", "2026-Q1", "2026-Q2"]
    excel._SHARED.clear()
    loaded = {period: CycleData.load(Cycle.get(Cycle.period == period)) for period in periods}
    together = []
    for n, period in enumerate(periods):
        for gemeente_id in gemeenten:
            path = tmp_path / f"together-{n}-{gemeente_id}.xlsx"
            gemeente_workbook(loaded[period], gemeente_id, path)
            together.append((period, gemeente_id, path))
    # The rows were kept and written again: Regio's and Toelichting of each
    # region and cycle, the second round of Q2 from what the first one kept.
    kinds = {kind for kind, _ in excel._SHARED}
    assert kinds == {"Regio's", "Toelichting"}
    assert len(excel._SHARED) == 2 * 2 * 2  # two kinds, two regions, two cycles
    assert all(len(data._shared) == 3 * 2 for data in loaded.values())  # 3 models, 2 regions

    for period, gemeente_id, path in together:
        excel._SHARED.clear()  # as a fresh process: nothing kept
        alone = tmp_path / f"alone-{period}-{gemeente_id}.xlsx"
        gemeente_workbook(CycleData.load(Cycle.get(Cycle.period == period)), gemeente_id, alone)
        assert _members(path) == _members(alone), (period, gemeente_id)
    excel._SHARED.clear()


def test_the_regions_and_cycles_kept_differ(own_norm, tmp_path):
    """The test above can tell a mix-up: the shared sheets differ between the
    regions and between the cycles."""
    excel._SHARED.clear()
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
    excel._SHARED.clear()


def _book(path, model, before: bool, lights: bool = False) -> None:
    """A workbook whose second sheet writes a model's rows once; `before`:
    a first sheet numbers another style first, so the second sheet's style
    gets another number."""
    wb = Workbook(write_only=True)
    if before:
        first = Sheet(wb, "Eerst", [10])
        first.append([first.cell("x", first.style("italic", font=Font(italic=True)))])
    sheet = Sheet(wb, "Gedeeld", [10, 10])
    sheet.freeze(1)

    def write() -> int:
        bold = sheet.style("bold", font=Font(bold=True))
        row = sheet.append([sheet.cell("kop", bold), sheet.cell("=niet", bold)])
        sheet.append([sheet.cell("a"), 1.5])
        if lights:
            sheet.lights("B2:B2", "B2", "hoger_beter", Norm(50, 60, 40))
        return row

    assert sheet.rows_once("test", model, write) == 1
    sheet.append([sheet.cell("daarna")])
    save_workbook(wb, path)


@pytest.mark.parametrize("lights", [False, True])
def test_rows_written_again_only_where_their_styles_have_the_same_numbers(tmp_path, lights):
    model = object()
    excel._SHARED.clear()
    order = [False, True, False, True]  # the style numbered 1, then 2, 1, 2
    for n, before in enumerate(order):
        _book(tmp_path / f"kept-{n}.xlsx", model, before, lights)
    assert len(excel._SHARED) == (0 if lights else 1)  # rows with lights are not kept
    for n, before in enumerate(order):
        excel._SHARED.clear()
        _book(tmp_path / f"alone-{n}.xlsx", object(), before, lights)
        assert _members(tmp_path / f"kept-{n}.xlsx") == _members(tmp_path / f"alone-{n}.xlsx")
    shared = [
        _members(tmp_path / f"kept-{n}.xlsx")[f"xl/worksheets/sheet{n + 1}.xml"] for n in (0, 1)
    ]
    # Both numberings were met.
    assert b' s="1"' in shared[0]
    assert b' s="2"' in shared[1]
    excel._SHARED.clear()


def test_kept_rows_hold_their_model(tmp_path):
    """A model is known by its id: its kept rows hold it, so the id cannot
    name another object while they are kept."""
    excel._SHARED.clear()
    model = object()
    _book(tmp_path / "a.xlsx", model, before=False)
    ((key, kept),) = excel._SHARED.items()
    assert key == ("test", id(model))
    assert kept.model is model
    excel._SHARED.clear()


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
