"""The maps read back: the SVG parsed as XML, the region PDF's drawing as text,
the workbook's image from the file."""

import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from domain.reference import load_reference_data
from models import Cycle, Gemeente, IndicatorDefinition, Region
from reports import maps
from reports.data import CycleData, scope_report
from reports.excel import region_workbook
from reports.pdf import write_pdf

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def mapped(reports_world):
    """The hand-made world on real gemeenten: g1 Maastricht and g2 Heerlen in
    region 1, g3 Groningen in region 2."""
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == reports_world[key].id).execute()
    return reports_world


def test_country_svg_of_the_reference_data_is_valid(database):
    load_reference_data()
    shapes = maps.region_shapes()
    assert len(shapes) == 25
    for n, shape in enumerate(shapes):
        shape.value = None if n % 5 == 0 else n * 4.0
        shape.href = f"/resultaten/regio/{shape.scope_id}" if n % 2 else None
    scale = maps.Scale("%", "hoger_beter", 75.0, 75.0, 60.0)
    svg = maps.svg_map(shapes, scale, maps.Texts("Nederland <per> regio", "Beschrijving & meer"))
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output: well-formed, escaped
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == "Nederland <per> regio"
    paths = [p for p in root.iter(SVG + "path") if p.find(SVG + "title") is not None]
    assert len(paths) == 25
    links = list(root.iter(SVG + "a"))
    assert len(links) == 12
    assert all(a.get("href").startswith("/resultaten/regio/") for a in links)
    titles = sorted(p.find(SVG + "title").text for p in paths)
    assert titles == sorted(s.name for s in shapes)  # the default label: the name
    hatched = [p for p in paths if p.get("fill", "").startswith("url(#")]
    assert len(hatched) == 5  # "geen gegevens" is a pattern, not a colour
    # Each shape in the colour of its signal band, and says which band it is.
    for path in paths:
        if path in hatched:
            assert path.get("data-signal") == "geen"
            continue
        value = next(s.value for s in shapes if s.name == path.find(SVG + "title").text)
        assert path.get("data-signal") == scale.signal(value)
        assert path.get("fill") == maps.SIGNAL_FILLS[scale.signal(value)]
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Kaart: CBS, PDOK" in texts
    assert "norm 75%" in texts
    assert "geen gegevens" in texts
    assert {"groen ≥ 75%", "oranje 60% – 75%", "rood < 60%"} <= set(texts)
    # Names drawn where they fit (for the eye; the titles name every shape).
    names = root.find(f"{SVG}g[@class='map-names']")
    assert names.get("aria-hidden") == "true"
    drawn = {t.text for t in names.iter(SVG + "text")}
    assert drawn
    assert drawn <= {s.name for s in shapes}


def test_scale_classes_are_the_signal_bands():
    scale = maps.Scale("%", "hoger_beter", 75.0, 75.0, 60.0)
    assert [scale.signal(v) for v in (None, 0.0, 59.9, 60.0, 74.9, 75.0, 100.0)] == [
        "geen", "rood", "rood", "oranje", "oranje", "groen", "groen",
    ]  # fmt: skip
    # Zuid-Limburg's 52,6–64,0% under a 65% threshold: one colour, as the table says.
    red = maps.Scale("%", "hoger_beter", 80.0, 80.0, 65.0)
    assert red.colour(52.6) == red.colour(64.0) == maps.SIGNAL_FILLS["rood"]
    assert scale.colour(None) is None
    lower = maps.Scale("punten", "lager_beter", 0.5, 0.5, 1.0)
    assert [lower.signal(v) for v in (0.2, 0.5, 0.8, 1.0, 1.5)] == [
        "groen", "groen", "oranje", "oranje", "rood",
    ]  # fmt: skip
    assert lower.bands() == [("groen", "≤ 0,5"), ("oranje", "0,5 – 1"), ("rood", "> 1")]
    # Before the due date RESPONS is not judged: one grey class.
    waiting = maps.Scale("%", "hoger_beter", 90.0, 90.0, 75.0, not_yet_due=True)
    assert waiting.signal(10.0) == "nog_open"
    assert waiting.signal(None) == "geen"
    assert waiting.bands() == [("nog_open", "")]


def test_region_shapes_by_gemeente_with_values(mapped):
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    shapes = maps.with_values(maps.gemeente_shapes(mapped["r1"].id, 2026), cycle, mean)
    by_id = {s.scope_id: s for s in shapes}
    assert set(by_id) == {mapped["g1"].id, mapped["g2"].id}
    # g1 is served by A only (9 of 12 points): 75%; g2 by A and B: (9+3)/(12+8) = 60%.
    assert by_id[mapped["g1"].id].value == pytest.approx(75.0)
    assert by_id[mapped["g2"].id].value == pytest.approx(60.0)


def test_region_pdf_carries_the_region_map(mapped, tmp_path):
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    path = tmp_path / "r1.pdf"
    write_pdf(scope_report(data, "regio", mapped["r1"].id), path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Kaart: MEAN per gemeente" in text
    assert "Kaart: CBS, PDOK" in text
    assert "norm 75%" in text
    assert "groen ≥ 75%" in text


def test_region_workbook_carries_the_country_map_on_one_printed_page(mapped, tmp_path):
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["Overzicht", "Kaart"]
    sheet = wb["Kaart"]
    (image,) = sheet._images
    picture = Image.open(io.BytesIO(image._data()))
    assert picture.format == "PNG"
    assert picture.width == 560
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(str(v).startswith("Kaart: MEAN per regio") for v in values)
    # One printed page: portrait A4, fitted to one page wide and one high,
    # the print area around the image.
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)
    assert sheet.print_area
    assert Region.select().count() == 2
