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
    scale = maps.Scale.for_values("%", [s.value for s in shapes], 75.0)
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
    assert {p.get("fill") for p in paths} - {hatched[0].get("fill")} <= set(maps.PALETTE)
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Kaart: CBS, PDOK" in texts
    assert "norm 75%" in texts
    assert "geen gegevens" in texts


def test_scale_classes_and_norm():
    scale = maps.Scale.for_values("%", [10.0, 95.0], 75.0)
    assert scale.bounds == [0, 20, 40, 60, 80, 100]
    assert scale.colour(0) == maps.PALETTE[0]
    assert scale.colour(79.9) == maps.PALETTE[3]
    assert scale.colour(100) == maps.PALETTE[4]
    assert scale.colour(None) is None
    points = maps.Scale.for_values("punt", [0.3, 1.7], 0.5)
    assert points.bounds[-1] == pytest.approx(2.5)  # a round step of 0.5
    assert points.position(0.5) == pytest.approx(0.2)


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
    assert "Kaart: MEAN – " in text
    assert "per gemeente" in text
    assert "Kaart: CBS, PDOK" in text
    assert "norm 75%" in text


def test_region_workbook_carries_the_country_map_on_overzicht(mapped, tmp_path):
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    sheet = load_workbook(path)["Overzicht"]
    (image,) = sheet._images
    picture = Image.open(io.BytesIO(image._data()))
    assert picture.format == "PNG"
    assert picture.width == 560
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(str(v).startswith("Kaart: MEAN") for v in values)
    assert Region.select().count() == 2
