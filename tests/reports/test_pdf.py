"""The PDF management report read back: text, metadata, fonts, first page as PNG."""

import subprocess

import pytest
from pypdf import PdfReader

from models import Cycle
from reports.data import CycleData, scope_report
from reports.pdf import write_pdf
from tests.reports.conftest import require


@pytest.fixture
def data(reports_world):
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


def _text(path) -> str:
    """The text, each line stripped (right-aligned cells come with a space in front)."""
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return "\n".join(line.strip() for line in text.splitlines())


def test_organisation_report_content(data, reports_world, tmp_path):
    a = reports_world["orgs"]["A"]
    path = tmp_path / "a.pdf"
    write_pdf(scope_report(data, "organisatie", a.id), path)
    reader = PdfReader(path)
    text = _text(path)
    # Cover: name, period and its dates in Dutch, data date.
    assert "Managementrapportage organisatie" in text
    assert "2026-Q2 (1 mei 2026 tot en met 15 juli 2026)" in text
    assert "Uiterste inleverdatum:\n15 juni 2026" in text
    assert "Peildatum gegevens:" in text
    # The cycle is still open: its figures are voorlopig, with their peildatum.
    assert "Voorlopige cijfers: ronde 2026-Q2 loopt nog tot 15 juli 2026. Peildatum:" in text
    assert reader.metadata.title.endswith("(voorlopig)")
    # The summary a manager reads first: signals at a glance, response, attention.
    cover = reader.pages[0].extract_text()
    assert "3 groen · 1 oranje · 5 rood · 0 geen oordeel" in cover
    assert "De zelfevaluatie is op tijd ingediend." in cover
    assert "GAP: 2,00 punten tegen een landelijke norm van 0,50 punten (rood)." in cover
    assert "Zwakst nageleefde afspraak: X2 – X2 (50,0%)." in cover
    assert "1 escalatie is nog niet opgelost." in cover
    # Scorecard: A's mean compliance (4+2+3)/12 = 75,0%, region 1 60,0%, country 18/28 = 64,3%.
    assert "\nMEAN\n75,0%\n75,0%\nGroen" in text  # the name, not "code – name"
    assert "60,0%" in text
    assert "64,3%" in text
    # Eigen oordeel and oordeel van partners on Y1: A says 3 of itself, its
    # one partner B says 1 of A (D's view of A is a draft).
    assert "Eigen oordeel en oordeel van partners" in text
    assert "Y1\nY1\n3,00\n1,00\n1\n2,00" in text
    # The weakest agreement is X2 (score 2 of 4 = 50,0%).
    assert "X2\nX2\nThema 1\n50,0%" in text
    # Escalations and response status.
    assert "Escalaties" in text
    assert "Casemanager" in text
    assert "De zelfevaluatie is op tijd ingediend." in text
    # Page numbers, metadata, language.
    assert f"Pagina 1 van {len(reader.pages)}" in text
    assert reader.metadata.title == "Managementrapportage A – ronde 2026-Q2 (voorlopig)"
    assert reader.metadata.author == "Afsprakenmonitor"
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"


def test_unicode_font_embedded_and_user_text_escaped(data, reports_world, tmp_path):
    c, a = reports_world["orgs"]["C"], reports_world["orgs"]["A"]
    path = tmp_path / "c.pdf"
    write_pdf(scope_report(data, "organisatie", c.id), path)
    text = _text(path)
    assert "Jeugdteam Ĳsselmonde & Coëvorden €" in text
    fonts = set()
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font.get("/DescendantFonts")
            descriptor = font.get("/FontDescriptor") or (
                descendant[0].get_object()["/FontDescriptor"] if descendant else None
            )
            assert descriptor is not None, font
            assert "/FontFile2" in descriptor.get_object(), font
    assert any("DejaVuSans" in f for f in fonts)
    assert not any("Helvetica" in f for f in fonts)
    # An improvement action typed with markup comes out as the typed text.
    path = tmp_path / "a.pdf"
    write_pdf(scope_report(data, "organisatie", a.id), path)
    assert "<b>Overleg</b> & <font>plannen</font>" in _text(path)


def test_region_report_lists_organisations_and_response(data, reports_world, tmp_path):
    r1 = reports_world["r1"]
    path = tmp_path / "r1.pdf"
    write_pdf(scope_report(data, "regio", r1.id), path)
    text = _text(path)
    assert f"Managementrapportage {r1.name} – ronde 2026-Q2 (voorlopig)" == (
        PdfReader(path).metadata.title
    )
    # Region 1: A on time, B late, D a draft, and the four organisations without an assessment.
    counts = "Organisaties\nOp tijd ingediend\nTe laat ingediend\nNiet ingediend\n3\n1\n1\n1"
    assert counts in text
    assert "D\nConcept" in text
    assert "60,0%" in text  # the region's mean compliance


def test_first_page_renders_to_png(data, reports_world, tmp_path):
    pdftoppm = require("pdftoppm")
    path = tmp_path / "a.pdf"
    write_pdf(scope_report(data, "organisatie", reports_world["orgs"]["A"].id), path)
    subprocess.run(
        [pdftoppm, "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    with Image.open(png) as image:
        assert image.size[0] > 300
        colours = image.convert("L").getextrema()
        assert colours[0] < 100 < colours[1]  # text on a white page


def test_chart_parts_shared_between_reports_never_change_one(data, reports_world, tmp_path):
    """Axes, legends and parsed texts are shared between the reports a process
    writes: a report written after another one's is the same as one written
    first, and its legends name its own organisation and region."""
    from reports import pdf

    a, c = reports_world["orgs"]["A"], reports_world["orgs"]["C"]
    pdf._PARTS.clear()
    pdf._PARSED.clear()
    write_pdf(scope_report(data, "organisatie", c.id), tmp_path / "c-first.pdf")
    write_pdf(scope_report(data, "organisatie", a.id), tmp_path / "a.pdf")
    report = scope_report(data, "organisatie", c.id)
    write_pdf(report, tmp_path / "c-after-a.pdf")
    assert pdf._PARTS  # the second report of C did use shared parts
    assert pdf._PARSED
    first, after = _text(tmp_path / "c-first.pdf"), _text(tmp_path / "c-after-a.pdf")
    assert first == after
    # One legend under each trend chart (and one under the comparison), naming C's region.
    region = report.region.name
    assert after.count(region) >= len(report.trends) + 1
    assert region not in _text(tmp_path / "a.pdf")  # A is in the other region


def test_font_subsets_written_again_are_the_bytes_reportlab_writes(
    data, reports_world, tmp_path, monkeypatch
):
    """A font subset formatted for one report is written again from its bytes
    in the next: every report is byte for byte what reportlab's own
    TTFont.addObjects writes, whether its subsets were formatted before or not."""
    from reportlab import rl_config
    from reportlab.pdfbase.ttfonts import TTFont

    from reports import pdf

    monkeypatch.setattr(rl_config, "invariant", 1)  # no date or random id in the file
    a, c = reports_world["orgs"]["A"], reports_world["orgs"]["C"]
    pdf._SUBSET_PARTS.clear()
    for name, org in (("a", a), ("c", c), ("a-again", a)):
        write_pdf(scope_report(data, "organisatie", org.id), tmp_path / f"{name}.pdf")
    assert pdf._SUBSET_PARTS  # the subsets were kept and, for "a-again", written from bytes
    with monkeypatch.context() as plain:
        plain.setattr(pdf._Font, "addObjects", TTFont.addObjects)
        for name, org in (("a-plain", a), ("c-plain", c)):
            write_pdf(scope_report(data, "organisatie", org.id), tmp_path / f"{name}.pdf")
    plain_a = (tmp_path / "a-plain.pdf").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == plain_a
    assert (tmp_path / "a-again.pdf").read_bytes() == plain_a
    assert (tmp_path / "c.pdf").read_bytes() == (tmp_path / "c-plain.pdf").read_bytes()
    assert b"/FontFile2" in plain_a
    assert b"/ToUnicode" in plain_a


def test_every_page_of_an_open_cycle_says_voorlopig_with_its_peildatum(reports_world, tmp_path):
    """A long name is cut in the footer, never the end of it: every page of
    the open cycle's report keeps "voorlopig" and the whole peildatum."""
    from models import Organisation
    from reports import dutch

    a = reports_world["orgs"]["A"]
    long_name = "Raad voor de Kinderbescherming, locatie Zuid-Limburg en Noord-Limburg-Oost"
    Organisation.update(name=long_name).where(Organisation.id == a.id).execute()
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    report = scope_report(data, "organisatie", a.id)
    assert report.provisional
    path = tmp_path / "a.pdf"
    write_pdf(report, path)
    peildatum = f"voorlopig, peildatum {dutch.datetime(report.data_date)}"
    pages = PdfReader(path).pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        footer = " ".join(page.extract_text().split()[-40:])
        assert peildatum in footer, (number, footer)
        assert f"Pagina {number} van {len(pages)}" in footer


def test_comparison_labels_keep_long_names_in_two_lines():
    """The bar chart's indicator names break between words rather than lose
    their end ("Afspraken grotendeels of volledig nag…" before)."""
    from reportlab.pdfbase import pdfmetrics

    from reports.pdf import FONT, _fit_lines, _setup

    _setup()
    for name in (
        "Afspraken grotendeels of volledig nageleefd",
        "Afspraken geëvalueerd in het afgelopen jaar",
        "Naleving ketenafspraken zorg en veiligheid",
    ):
        label = _fit_lines(name, 142, 7)
        assert label.replace("\n", " ") == name
        assert all(pdfmetrics.stringWidth(line, FONT, 7) <= 142 for line in label.split("\n"))
    too_long = _fit_lines("Een naam " * 20, 142, 7)
    assert too_long.count("\n") == 1
    assert too_long.endswith("…")


def test_pdf_texts_encoded_as_reportlab_encodes_them():
    """The remembered PDFDocEncoding (names, numbers, streams) gives the bytes
    reportlab's codec gives, or fails as it does, for every character up to
    U+2FFF, alone and in long texts."""
    from reports import pdf

    def encoded(encode, text):
        try:
            return encode(text)
        except UnicodeEncodeError:
            return UnicodeEncodeError

    def codec(text):
        return text.encode("extpdfdoc")

    texts = [chr(code) for code in range(0x3000)]
    texts += ["".join(texts[32:127]) * 3, "x" * 100 + "\x18", "y" * 100 + "é", "/F1 9 Tf"]
    pdf._ENCODED.clear()
    for _ in range(2):  # the second time from what was remembered
        for text in texts:
            assert encoded(pdf._pdfdoc_encoded, text) == encoded(codec, text), repr(text)
    assert pdf._pdfdoc_encoded(b"\x00bytes") == b"\x00bytes"
    assert pdf._pdf_name("a b#") == pdf._PDF_NAME("a b#") == "/a#20b#23"


def test_tables_drawn_as_reportlab_draws_them(tmp_path, monkeypatch):
    """The reports' tables (_Grid: rows measured once, one-paragraph cells
    drawn directly) give the bytes reportlab's Table gives: a long table
    split over pages with its header repeated, a short one kept together with
    its heading, wrapping texts, coloured cells and a cell aligned right."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import KeepTogether, SimpleDocTemplate, Table

    from reports import pdf

    monkeypatch.setattr(rl_config, "invariant", 1)
    pdf._setup()
    styles = pdf._styles()
    long_rows = [["Organisatie", "Waarde", "Toelichting"]] + [
        [f"Organisatie {n} met een naam die over twee regels loopt", f"{n},5 %", "tekst " * (n % 7)]
        for n in range(140)
    ]
    colours = [("BACKGROUND", (1, n), (1, n), pdf.SIGNAL_COLOURS["rood"]) for n in (3, 50, 99)]

    def write(path):
        story = [
            pdf._p("Tabellen", styles["h2"]),
            KeepTogether([pdf._p("Kort", styles["h2"]), pdf._table(long_rows[:6], [60, 40, 60])]),
            pdf._table(long_rows, [180, 60, 220], colours, right=(1,), styles=styles),
        ]
        SimpleDocTemplate(str(path), pagesize=A4, initialFontName=pdf.FONT).build(story)

    write(tmp_path / "grid.pdf")
    assert pdf._Grid is not Table
    monkeypatch.setattr(pdf, "_Grid", Table)
    write(tmp_path / "table.pdf")
    grid = (tmp_path / "grid.pdf").read_bytes()
    assert len(PdfReader(tmp_path / "grid.pdf").pages) >= 3  # the long table was split
    assert grid == (tmp_path / "table.pdf").read_bytes()


def test_a_frame_copied_fast_is_a_deep_copy():
    """KeepTogether measures on a deep copy of the frame (_Frame): the same
    values, the same class, and no list shared with the frame it came from."""
    import copy

    from reportlab.platypus import Frame, PageTemplate

    from reports import pdf

    document = pdf._Document("/dev/null")
    document.addPageTemplates([PageTemplate(id="p", frames=Frame(10, 20, 300, 400, id="normal"))])
    frame = document.pageTemplates[-1].frames[0]
    assert type(frame) is pdf._Frame
    assert "__class__" not in frame.__dict__
    frame._frameBGs = [("kleur", 1)]  # (set while a document is built)
    copied = copy.deepcopy(frame)
    assert type(copied) is pdf._Frame
    assert copied.__dict__ == frame.__dict__
    assert copied._frameBGs is not frame._frameBGs
    copied._frameBGs.append("meer")
    copied._y -= 100
    assert frame._frameBGs == [("kleur", 1)]
    assert frame._y == copied._y + 100
    assert (
        copy.deepcopy(Frame(10, 20, 300, 400, id="normal")).__dict__
        == Frame(10, 20, 300, 400, id="normal").__dict__
    )
