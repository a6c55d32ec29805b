"""What the workbooks say about their figures: Teller and Noemer divide to the
value, every signal names its norm (both where a region has its own), and the
Trend sheets carry a line per region and the country."""

import zipfile

import pytest
from openpyxl import load_workbook

from models import Cycle, IndicatorDefinition, RegionalNorm
from reports.data import CycleData
from reports.excel import LONG_COLUMNS, gemeente_workbook, region_workbook


@pytest.fixture
def data(reports_world):
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


def _long_rows(path):
    sheet = load_workbook(path)["Gegevens"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == LONG_COLUMNS
    return [dict(zip(LONG_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_teller_over_noemer_is_the_value_for_every_computation_kind(data, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    rows = _long_rows(path)
    kinds = {i.code: i.computation for i in IndicatorDefinition.select()}
    checked = set()
    for row in rows:
        if row["Waarde"] is None:
            continue
        per_unit = 100 if row["Eenheid"] == "%" else 1
        assert row["Teller"] / row["Noemer"] * per_unit == pytest.approx(row["Waarde"]), row
        checked.add(kinds[row["Indicator"]])
    # Every kind of the fixed set, mean compliance included (score points over
    # 4 points per scored answer: region 1's MEAN is 12 of 20 answers → 12/80).
    assert checked == {
        "mean_compliance", "share_at_least", "share_in_writing", "share_evaluated_within",
        "response_rate_on_time", "partner_gap", "escalations", "actions_on_time",
    }  # fmt: skip
    mean_nl = next(r for r in rows if r["Indicator"] == "MEAN" and r["Niveau"] == "Nederland")
    assert (mean_nl["Teller"], mean_nl["Noemer"]) == (18, 28)
    assert mean_nl["Getoetst aan"] == "landelijke norm"


def test_changes_and_values_carry_their_unit(data, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    sheet = load_workbook(path)["Gegevens"]
    header = [c.value for c in sheet[1]]
    values, changes = {}, {}
    for row in sheet.iter_rows(min_row=2):
        unit = row[header.index("Eenheid")].value
        if row[header.index("Waarde")].value is not None:
            values[unit] = row[header.index("Waarde")].number_format
        if row[header.index("Verandering")].value is not None:
            changes[unit] = row[header.index("Verandering")].number_format
    assert values == {"%": '0.0"%"', "punten": '0.00" punten"'}
    assert changes["%"] == '+0.0" procentpunt";-0.0" procentpunt";0.0" procentpunt"'


def test_gemeente_workbook_names_both_norms_where_the_region_has_its_own(
    data, reports_world, tmp_path
):
    g2, r1 = reports_world["g2"], reports_world["r1"]
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(indicator=mean, region=r1, norm=65, green_threshold=65, orange_threshold=55)
    data = CycleData.load(data.cycle)
    path = tmp_path / "gemeente.xlsx"
    gemeente_workbook(data, g2.id, path)
    sheet = load_workbook(path)["Overzicht"]
    header = [c.value for c in sheet[4]]
    assert header[4:] == [
        "Landelijke norm", "Signaal", f"Eigen norm regio {r1.name}", "Signaal (eigen norm)"
    ]  # fmt: skip
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    # 60 against the national 75/60 is Oranje, against the region's 65/55 too;
    # the region's norm is named beside the national one.
    assert rows["MEAN (%)"][4:8] == (75, "Oranje", 65, "Oranje")
    # Where the norms agree, only the national one.
    assert rows["GE3 (%)"][6:8] == (None, None)
    note = sheet.cell(row=3, column=1).value
    assert f"eigen norm van regio {r1.name} voor MEAN" in note
    # The region comparison judges the same figure against the national norm, and says so.
    region_workbook(data, tmp_path / "regio.xlsx")
    overview = load_workbook(tmp_path / "regio.xlsx")["Overzicht"]
    assert "landelijke norm" in overview.cell(row=3, column=1).value


def test_region_trend_has_a_line_per_region_and_the_country(data, reports_world, tmp_path):
    path = tmp_path / "regio.xlsx"
    region_workbook(data, path)
    trend = load_workbook(path)["Trend"]
    header = next(r for r in trend.iter_rows(values_only=True) if r and r[0] == "Ronde")
    names = [n for n in header[1:] if n and n != "Opmerking"]
    assert names == [r.name for r in data.regions.values()] + ["Nederland"]
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == len(data.national)
    # Every chart draws every region and the country.
    assert all(chart.count(b"<ser>") == len(data.regions) + 1 for chart in charts)


def test_gemeente_trend_has_gemeente_region_and_country(data, reports_world, tmp_path):
    g2, r1 = reports_world["g2"], reports_world["r1"]
    path = tmp_path / "gemeente.xlsx"
    gemeente_workbook(data, g2.id, path)
    trend = load_workbook(path)["Trend"]
    header = next(r for r in trend.iter_rows(values_only=True) if r and r[0] == "Ronde")
    assert [n for n in header[1:4]] == [g2.name, r1.name, "Nederland"]
    values = {}
    for row in trend.iter_rows(values_only=True):
        if row and row[0] in ("2026-Q1", "2026-Q2"):
            values.setdefault(row[0], row[1:4])
    # The first block is MEAN: Q2 is 60 (G2 and region 1) and 18/28 for the country.
    assert values["2026-Q2"] == (
        pytest.approx(60.0), pytest.approx(60.0), pytest.approx(100 * 18 / 28)
    )  # fmt: skip
