"""The Excel workbooks read back with openpyxl; every figure on Overzicht is
worked out by hand (see tests/domain/test_computation.py for the data)."""

import re
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook

from models import Cycle
from reports.data import CycleData
from reports.excel import gemeente_workbook, neutralise, region_workbook
from tests.reports.conftest import require

# Cycle 2026-Q2 per region, worked out by hand from the data set:
# region 1 holds A, B (and D, a draft); region 2 holds C.
EXPECTED = {
    # MEAN: r1 (9+3)/(12+8) = 60; r2 C (3+3)/8 = 75; NL 18/28.
    "MEAN": (60.0, 75.0, 100 * 18 / 28),
    # Scores ≥ 3: r1 2 of 5; r2 2 of 2; NL 4 of 7.
    "GE3": (40.0, 100.0, 400 / 7),
    # In writing (empty counts as not): r1 A 1/3 + B 1/2 = 2/5; r2 C 0/2; NL 2/7.
    "WRIT": (40.0, 0.0, 200 / 7),
    # Evaluated within 12 months, beleid only: r1 A no (B n.v.t.); r2 C yes; NL 1/2.
    "EVAL": (0.0, 100.0, 50.0),
    # On time (Amsterdam): r1 A of A, B, D; r2 C was late (01:00 on 16 June); NL 1 of 4.
    "RESP": (100 / 3, 0.0, 25.0),
    # Partner gap on Y1, own against partners' ratings: r1 (|3-1| + |2-2|)/2; C n.v.t.
    "GAP": (1.0, None, 1.0),
    # Escalations resolved: A 1 of 2, B 1 of 1 → 2 of 3; C none.
    "ESC": (200 / 3, None, 200 / 3),
    # Actions due in the window done on time: A 1 of 3; B's was cancelled; C none.
    "ACT": (100 / 3, None, 100 / 3),
    # Theme T2 (Y1): A 3/4 + B 2/4 = 5/8; C n.v.t.
    "MEAN_T2": (62.5, None, 62.5),
}


@pytest.fixture
def data(reports_world):
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


def _rows(sheet):
    return {row[1]: row for row in sheet.iter_rows(values_only=True) if len(row) > 1}


def test_overview_numbers_equal_the_hand_worked_figures(data, reports_world, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Overzicht", "Trend", "Gemeenten", "Organisaties", "Afspraken", "Partners",
        "Verbeteracties", "Gegevens",
        "Toelichting"
    ]  # fmt: skip
    sheet = wb["Overzicht"]
    header = [c.value for c in sheet[4]]
    rows = _rows(sheet)
    for code, expected in EXPECTED.items():
        column = next(n for n, h in enumerate(header) if h and h.startswith(code + " "))
        found = (
            rows[reports_world["r1"].name][column],
            rows[reports_world["r2"].name][column],
            rows["Nederland"][column],
        )
        for got, want in zip(found, expected, strict=True):
            if want is None:
                assert got is None, code
            else:
                assert got == pytest.approx(want), code
    assert rows["Landelijke norm"][header.index("MEAN (%)")] == 75
    # Real numbers with a number format, not text.
    cell = sheet.cell(row=5, column=header.index("MEAN (%)") + 1)
    assert cell.data_type == "n"
    assert cell.number_format == '0.0"%"'


def test_partner_sheet_sets_own_view_beside_the_partners(data, reports_world, tmp_path):
    """Y1 in region 1: A says 3 of itself and B says 1 of A; B says 2 of itself
    and A says 2 of B: own (3+2)/2 = 2,5, partners (1+2)/2 = 1,5, 2 ratings."""
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    rows = [
        row
        for row in load_workbook(path)["Partners"].iter_rows(min_row=5, values_only=True)
        if row[0]
    ]
    r1 = reports_world["r1"].name
    assert [row[:2] + row[3:] for row in rows] == [
        (r1, "Y1", 2.5, 1.5, 2, 1.0),
        ("Nederland", "Y1", 2.5, 1.5, 2, 1.0),
    ]
    g2 = reports_world["g2"]
    path = tmp_path / "g2.xlsx"
    gemeente_workbook(data, g2.id, path)
    sheet = load_workbook(path)["Partners"]
    by_name = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    a, b = reports_world["orgs"]["A"].name, reports_world["orgs"]["B"].name
    assert by_name[a][3:] == (3.0, 1.0, 1, 2.0)
    assert by_name[b][3:] == (2.0, 2.0, 1, 0.0)
    assert by_name[g2.name][3:] == (2.5, 1.5, 2, 1.0)


def test_explanation_sheet_states_each_rule(data, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    sheet = load_workbook(path)["Toelichting"]
    header_row = next(
        n for n, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "Code"
    )
    header = [c.value for c in sheet[header_row]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=header_row + 1, values_only=True)}
    rule = header.index("Rekenregel")
    assert "tot en met 23:59 uur Nederlandse tijd" in rows["RESP"][rule]
    assert "heropend, blijft op tijd" in rows["RESP"][rule]
    assert "vanaf dezelfde dag 12 maanden vóór de uiterste datum" in rows["EVAL"][rule]
    assert "niveau beleid" in rows["EVAL"][rule]
    assert "trede 0 (niet opgeschaald)" in rows["ESC"][rule]
    assert "nee of leeg telt als niet vastgelegd" in rows["WRIT"][rule]
    assert "bij de eerste ronde: de openingsdatum" in rows["ACT"][rule]
    assert "partnerorganisatie" in rows["GAP"][rule]
    assert "100 %." in rows["MEAN"][rule]


def test_layout_filters_frozen_headers_print_settings(data, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    wb = load_workbook(path)
    overview = wb["Overzicht"]
    assert overview.freeze_panes == "C5"
    assert overview.auto_filter.ref.startswith("A4:")
    assert overview.page_setup.orientation == "landscape"
    assert overview.page_setup.fitToWidth == 1
    assert overview.sheet_properties.pageSetUpPr.fitToPage is True
    assert overview.print_title_rows == "$4:$4"
    assert overview.column_dimensions["B"].width == 34
    # Traffic lights: three rules per indicator column, on ranges.
    rules = [rule for cf in overview.conditional_formatting for rule in cf.rules]
    assert len(rules) == 3 * len(EXPECTED)
    assert all(rule.type == "expression" for rule in rules)
    assert "Gegevens" in wb["Gegevens"].tables
    assert wb["Gegevens"].tables["Gegevens"].ref.startswith("A1:P")
    long_rows = list(wb["Gegevens"].iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in long_rows} == {"Nederland", "Regio", "Gemeente", "Organisatie"}
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == len(data.national)  # one native line chart per indicator


def test_typed_text_never_becomes_a_formula(data, reports_world, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    names = {c.value for c in load_workbook(path)["Organisaties"]["A"] if c.value}
    for risky in reports_world["risky"]:
        assert "'" + risky.name in names
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in archive.read(name), name
    for text in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Gewoon") == "Gewoon"
    assert neutralise(12.5) == 12.5


def test_gemeente_workbook_own_organisations_and_regions(data, reports_world, tmp_path):
    g2, r1 = reports_world["g2"], reports_world["r1"]
    path = tmp_path / "gemeente.xlsx"
    gemeente_workbook(data, g2.id, path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Overzicht",
        "Organisaties",
        "Regio's",
        "Partners",
        "Verbeteracties",
        "Trend",
        "Toelichting",
    ]
    overview = {row[0]: row for row in wb["Overzicht"].iter_rows(min_row=5, values_only=True)}
    # G2 is served by A and B: (9+3)/(12+8) = 60, like region 1; NL 18/28.
    mean = overview["MEAN (%)"]
    assert mean[1:4] == (pytest.approx(60.0), pytest.approx(60.0), pytest.approx(100 * 18 / 28))
    assert mean[5] == "Oranje"  # 60 is the orange threshold
    organisations = [r[0] for r in wb["Organisaties"].iter_rows(min_row=5, values_only=True)]
    assert organisations == sorted(o.name for o in (reports_world["orgs"][k] for k in "ABD"))
    regions = [r[1] for r in wb["Regio's"].iter_rows(min_row=5, values_only=True)]
    assert f"{r1.name} (eigen regio)" in regions
    assert reports_world["r2"].name in regions


def test_libreoffice_converts_the_workbooks_without_complaint(data, reports_world, tmp_path):
    soffice = require("soffice")
    region_workbook(data, tmp_path / "regio.xlsx")
    gemeente_workbook(data, reports_world["g2"].id, tmp_path / "gemeente.xlsx")
    done = subprocess.run(
        [
            soffice, "--headless", "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to", "pdf", "--outdir", str(tmp_path / "out"),
            str(tmp_path / "regio.xlsx"), str(tmp_path / "gemeente.xlsx"),
        ],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower()
    for name in ("regio.pdf", "gemeente.pdf"):
        assert (tmp_path / "out" / name).stat().st_size > 10_000


def test_agreements_sheet_has_regions_as_rows_and_prints_readably(data, reports_world, tmp_path):
    """Regions by name as rows (a block per region, its weakest agreement
    first), beside the country: eight columns, not one per region."""
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    sheet = load_workbook(path)["Afspraken"]
    header = [c.value for c in sheet[4]]
    assert header == [
        "Regio", "Code", "Afspraak", "Thema", "Niveau", "Naleving (%)", "Nederland (%)",
        "Verschil met Nederland (procentpunt)",
    ]  # fmt: skip
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]]
    r1, r2 = reports_world["r1"].name, reports_world["r2"].name
    assert {r[0] for r in rows} == {r1, r2}  # names, never codes
    for name in (r1, r2):
        block = [r[5] for r in rows if r[0] == name]
        known = [v for v in block if v is not None]
        assert known == sorted(known)  # the weakest first
        assert block[: len(known)] == known  # agreements without answers last
    # X2 in region 1: A scored 2 of 4 → 50%; the country's X2 is over all organisations.
    x2 = next(r for r in rows if r[0] == r1 and r[1] == "X2")
    assert x2[5] == pytest.approx(50.0)
    assert x2[7] == pytest.approx(x2[5] - x2[6])
    assert sheet.max_column == 8
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1


def test_improvement_actions_per_organisation_and_agreement_without_their_text(
    data, reports_world, tmp_path
):
    """The full list behind the region PDF's summary: counts per organisation
    and agreement, never the text typed about the action."""
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    sheet = load_workbook(path)["Verbeteracties"]
    header = [c.value for c in sheet[4]]
    assert header == ["Regio", "Organisatie", "Code", "Afspraak", "Open", "Over datum", "Gereed"]
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]]
    assert rows
    values = [str(v) for r in rows for v in r]
    assert not any("Overleg" in v for v in values)
    summary = {}
    for per_agreement in data.action_counts.values():
        for numbers in per_agreement.values():
            for k, n in enumerate(numbers):
                summary[k] = summary.get(k, 0) + n
    assert [sum(r[4 + k] for r in rows) for k in range(3)] == [summary[k] for k in range(3)]
    gemeente_workbook(data, reports_world["g2"].id, tmp_path / "g2.xlsx")
    own = load_workbook(tmp_path / "g2.xlsx")["Verbeteracties"]
    names = {r[1] for r in own.iter_rows(min_row=5, values_only=True) if r[0]}
    assert names <= {reports_world["orgs"][k].name for k in "ABD"}


def test_print_titles_name_real_rows_and_notes_name_indicators(reports_world, tmp_path):
    """Every print title is a range of real rows (Trend and Toelichting have no
    header row: a reference to row 0 makes Excel offer to repair the file),
    and the notes a reader meets name indicators, not their codes."""
    from models import IndicatorDefinition, RegionalNorm

    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(
        indicator=mean, region=reports_world["r1"], norm=65, green_threshold=65,
        orange_threshold=55,
    )  # fmt: skip
    mean.name = "Gemiddelde naleving van de afspraken"
    mean.save()
    gap = IndicatorDefinition.get(IndicatorDefinition.computation == "partner_gap")
    gap.name = "Verschil met het oordeel van de partners"
    gap.save()
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    region_workbook(data, tmp_path / "regio.xlsx")
    gemeente_workbook(data, reports_world["g2"].id, tmp_path / "gemeente.xlsx")
    codes = {i.code for i in IndicatorDefinition.select()}
    for name in ("regio.xlsx", "gemeente.xlsx"):
        with zipfile.ZipFile(tmp_path / name) as archive:
            book = archive.read("xl/workbook.xml").decode()
        titles = re.findall(r'name="_xlnm.Print_Titles"[^>]*>([^<]*)<', book)
        assert titles, name
        for ref in titles:
            rows = [int(n) for n in re.findall(r"\$(\d+)", ref)]
            assert rows, (name, ref)
            assert min(rows) >= 1, (name, ref)
        wb = load_workbook(tmp_path / name)
        for sheet in wb.worksheets:
            if sheet.title in ("Gegevens", "Toelichting"):
                continue  # the code as a column of its own, beside the name
            notes = " ".join(
                str(row[0]) for row in sheet.iter_rows(max_row=3, values_only=True) if row[0]
            )
            for code in codes:
                assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", notes), (
                    name, sheet.title, code, notes,
                )  # fmt: skip
    overview = load_workbook(tmp_path / "gemeente.xlsx")["Overzicht"]
    assert "Gemiddelde naleving van de afspraken" in overview["A3"].value
    partners = load_workbook(tmp_path / "regio.xlsx")["Partners"]
    assert "‘Verschil met het oordeel van de partners’" in partners["A2"].value
    # The explanation names the theme an indicator counts by its title.
    explanation = load_workbook(tmp_path / "regio.xlsx")["Toelichting"]
    t2 = next(r for r in explanation.iter_rows(values_only=True) if r[0] == "MEAN_T2")
    text = " ".join(str(v) for v in t2 if v)
    assert "Thema 2" in text
    assert not re.search(r"\bT2\b", text)
