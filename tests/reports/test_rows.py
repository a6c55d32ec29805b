"""The row models of every workbook sheet and PDF section (reports/rows.py),
each on its own, against figures worked out by hand on the small data set of
tests/domain/test_computation.py (cycle 2026-Q2; see EXPECTED in test_excel)."""

import datetime as dt

import pytest

from models import Cycle, IndicatorDefinition, RegionalNorm
from reports import rows
from reports.data import ActionRow, CycleData, EscalationRow, Norm, scope_report
from tests.reports.test_excel import EXPECTED
from tests.reports.test_maps import mapped  # noqa: F401 - the fixture on real gemeenten

NATIONAL = Norm(75.0, 75.0, 60.0)  # every % indicator of the data set
CODES = ["MEAN", "GE3", "WRIT", "EVAL", "RESP", "GAP", "ESC", "ACT", "MEAN_T2"]


@pytest.fixture
def data(reports_world):
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


def _expected(column: int) -> list:
    """EXPECTED's figures of region 1 (0), region 2 (1) or the country (2)."""
    return [EXPECTED[code][column] for code in CODES]


def _regional_mean_norm(world) -> None:
    """Region 1 sets its own norm for MEAN: 65, green from 65, orange from 55."""
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(
        indicator=mean, region=world["r1"], norm=65, green_threshold=65, orange_threshold=55
    )


def test_indicator_columns_carry_header_unit_and_the_norm_of_their_lights(data, reports_world):
    columns = rows.indicator_columns(data, data.national)
    assert [c.header for c in columns] == [f"{code} ({'punten' if code == 'GAP' else '%'})"
                                           for code in CODES]  # fmt: skip
    gap = columns[CODES.index("GAP")]
    assert (gap.unit, gap.direction, gap.lights) == ("punten", "lager_beter", Norm(0.5, 0.5, 1.0))
    assert columns[0].lights == NATIONAL
    # The region's own norm colours its organisations; the national one everyone else.
    _regional_mean_norm(reports_world)
    data = CycleData.load(data.cycle)
    r1 = reports_world["r1"].id
    assert rows.indicator_columns(data, data.national, r1)[0].lights == Norm(65, 65, 55, True)
    assert rows.indicator_columns(data, data.national)[0].lights == NATIONAL


def test_a_column_not_judged_yet_has_no_lights(reports_world):
    # RESPONS before the open cycle's due date: "nog open", not coloured.
    Cycle.update(due_on=dt.date(2099, 1, 1), closes_on=dt.date(2099, 2, 1)).where(
        Cycle.period == "2026-Q2"
    ).execute()
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    columns = rows.indicator_columns(data, data.national)
    assert columns[CODES.index("RESP")].lights is None
    assert all(c.lights == NATIONAL for c in columns if c.unit == "%" and c.header != "RESP (%)")
    lines = [line for line in rows.figure_lines(data) if line.indicator == "RESP"]
    assert {line.signal for line in lines} == {"Nog open"}
    overview = rows.gemeente_overview(data, reports_world["g2"].id, data.national)
    resp = next(row for row in overview.rows if row.header == "RESP (%)")
    assert (resp.lights, resp.signal) == (None, "Nog open")


def test_region_overview_rows(data, reports_world):
    r1, r2 = reports_world["r1"], reports_world["r2"]
    sheet = rows.region_overview(data, data.national)
    assert sheet.heading.title == "Regiovergelijking 2026-Q2"
    assert sheet.heading.subtitle.startswith("VOORLOPIG (de ronde loopt nog tot 15 juli 2026)")
    assert sheet.heading.note == rows.NATIONAL_NORM_NOTE
    assert [(row.code, row.name, row.bold) for row in sheet.rows] == [
        (r1.code, r1.name, False), (r2.code, r2.name, False)
    ]  # fmt: skip
    assert sheet.rows[0].values == pytest.approx(_expected(0), abs=1e-4)
    assert sheet.rows[1].values == pytest.approx(_expected(1), abs=1e-4)
    assert (sheet.country.code, sheet.country.name, sheet.country.bold) == ("NL", "Nederland", True)
    assert sheet.country.values == pytest.approx(_expected(2), abs=1e-4)
    assert sheet.norms == [0.5 if code == "GAP" else 75.0 for code in CODES]


def test_trend_rows(data, reports_world):
    r1, r2 = reports_world["r1"], reports_world["r2"]
    scopes = [("regio", r1.id, r1.name), ("regio", r2.id, r2.name), ("land", 0, "Nederland")]
    sheet = rows.trend_sheet(data, data.national, scopes)
    assert sheet.heading.title == "Trend over de laatste 2 rondes"
    assert sheet.scopes == [r1.name, r2.name, "Nederland"]
    mean = sheet.blocks[0]
    assert (mean.header, mean.name, mean.unit) == ("MEAN (%)", "MEAN", "%")
    # 2026-Q1: only A (region 1) submitted, X1 scored 2 of 4.
    assert [(row.period, row.broken) for row in mean.rows] == [
        ("2026-Q1", False), ("2026-Q2", False)
    ]  # fmt: skip
    assert mean.rows[0].values == [50.0, None, 50.0]
    assert mean.rows[1].values == pytest.approx([60.0, 75.0, 100 * 18 / 28])
    assert [block.header for block in sheet.blocks][5] == "GAP (punten)"


def test_gemeente_rows(data, reports_world):
    g1, g2, g3 = (reports_world[k] for k in ("g1", "g2", "g3"))
    r1, r2 = reports_world["r1"], reports_world["r2"]
    sheet = rows.gemeente_sheet(data, data.national, [g1.id, g2.id, g3.id])
    assert [(row.code, row.name, row.region, row.organisations) for row in sheet.rows] == [
        (g1.code, g1.name, r1.name, 1),  # A
        (g2.code, g2.name, r1.name, 3),  # A, B and D (a draft: no figures of its own)
        (g3.code, g3.name, r2.name, 1),  # C
    ]
    # Gemeente 1 is A alone: X1 4, X2 2, Y1 3 of 12 points is 75 %.
    assert sheet.rows[0].values[0] == 75.0
    # Gemeente 2 is region 1's organisations: the region's figures.
    assert sheet.rows[1].values == pytest.approx(_expected(0), abs=1e-4)
    assert sheet.rows[2].values == pytest.approx(_expected(1), abs=1e-4)


def test_organisation_rows(data, reports_world):
    o = reports_world["orgs"]
    ids = [o["A"].id, o["B"].id, o["D"].id, o["C"].id, reports_world["risky"][0].id]
    sheet = rows.organisation_sheet(data, data.national, ids)
    assert sheet.heading.title == "Organisaties in ronde 2026-Q2"
    assert sheet.heading.note == rows.NATIONAL_NORM_NOTE
    found = {row.name: row for row in sheet.rows}
    a, b, d, c = (found[data.organisations[o[k].id].name] for k in "ABDC")
    assert (a.kind, a.region, a.state) == ("Jeugdgezondheidszorg (JGZ)", reports_world["r1"].name,
                                           "Ingediend")  # fmt: skip
    assert (b.kind, b.state, d.state) == ("Wijkteam / jeugdteam", "Ingediend", "Concept")
    assert c.region == reports_world["r2"].name
    assert found['=HYPERLINK("http://x")'].state == "–"  # no assessment: a dash
    # A: 9 of 12 points; B: X1 1 and Y1 2 of 8 (X2 n.v.t.); C: X1 3, X2 3 of 8.
    assert (a.values[0], b.values[0], c.values[0]) == (75.0, 37.5, 75.0)
    # D has only a draft: no figure but its response (RESP counts it as not on time).
    assert d.values == [None, None, None, None, 0.0, None, None, None, None]
    assert c.values == pytest.approx(_expected(1), abs=1e-4)  # region 2 is C alone


def test_organisation_rows_in_a_region_with_its_own_norm(data, reports_world):
    _regional_mean_norm(reports_world)
    data = CycleData.load(data.cycle)
    r1 = reports_world["r1"]
    sheet = rows.organisation_sheet(data, data.national, [reports_world["orgs"]["A"].id], r1.id)
    assert sheet.heading.note == (
        f"Signaalkleuren: getoetst aan de eigen norm van regio {r1.name} voor MEAN; aan de "
        "landelijke norm voor de andere indicatoren."
    )
    assert sheet.columns[0].lights == Norm(65, 65, 55, True)


def test_agreement_rows(data, reports_world):
    r1, r2 = reports_world["r1"].name, reports_world["r2"].name
    sheet = rows.agreement_sheet(data)
    assert [(r.region, r.code, r.theme, r.level) for r in sheet.rows] == [
        # Region 1, weakest first; region 2 (C) has no answer on Y1 (n.v.t.): last.
        (r1, "X2", "Thema 1", "Beleid"),
        (r1, "X1", "Thema 1", "Uitvoerend"),
        (r1, "Y1", "Thema 2", "Management / bestuurlijk"),
        (r2, "X1", "Thema 1", "Uitvoerend"),
        (r2, "X2", "Thema 1", "Beleid"),
        (r2, "Y1", "Thema 2", "Management / bestuurlijk"),
    ]
    # Region 1: X2 A 2 of 4 (B n.v.t.); X1 A 4 + B 1 of 8; Y1 A 3 + B 2 of 8.
    # Region 2 is C: X1 3, X2 3. The country: X1 8 of 12, X2 A 2 + C 3 of 8, Y1 5 of 8.
    assert [r.percent for r in sheet.rows] == pytest.approx([50.0, 62.5, 62.5, 75.0, 75.0, None])
    national = [62.5, 100 * 8 / 12, 62.5, 100 * 8 / 12, 62.5, 62.5]
    assert [r.national for r in sheet.rows] == pytest.approx(national)
    assert [r.difference for r in sheet.rows] == pytest.approx(
        [-12.5, 62.5 - 800 / 12, 0.0, 75 - 800 / 12, 12.5, None]
    )


def test_partner_rows(data, reports_world):
    o = reports_world["orgs"]
    r1 = reports_world["r1"]
    sheet = rows.partner_sheet(
        data, [("Regio", [o["A"].id, o["B"].id, o["D"].id]), ("A", [o["A"].id]), ("C", [o["C"].id])]
    )
    # Y1: B rated A 1 (A's own 3), A rated B 2 (B's own 2); D's rating is a draft.
    # C rated no one and was not rated: no row.
    assert [
        (r.scope, r.code, r.own_mean, r.partner_mean, r.ratings, r.gap) for r in sheet.rows
    ] == [
        ("Regio", "Y1", 2.5, 1.5, 2, 1.0),
        ("A", "Y1", 3.0, 1.0, 1, 2.0),
    ]
    assert sheet.heading.title == "Eigen oordeel en oordeel van partners in ronde 2026-Q2"
    book = rows.gemeente_workbook_rows(data, reports_world["g2"].id)
    assert [r.scope for r in book.partners.rows] == [
        reports_world["g2"].name, "A", "B", r1.name, "Nederland"
    ]  # fmt: skip


def test_action_count_rows(data, reports_world):
    o = reports_world["orgs"]
    r1 = reports_world["r1"].name
    sheet = rows.action_count_sheet(data, [o[k].id for k in "ABCD"])
    assert [(r.region, r.organisation, r.code, r.open, r.overdue, r.done) for r in sheet.rows] == [
        # A on X2: one done on time, one still open past 1 June; on X1 the
        # Q1 action due in Q2's window, done. B's was cancelled: not listed.
        (r1, "A", "X2", 1, 1, 1),
        (r1, "A", "X1", 0, 0, 1),
        # The report lists the actions of the cycle's own assessments, a draft's too.
        (r1, "D", "X1", 0, 0, 1),
    ]
    assert rows.action_count_sheet(data, [o["C"].id]).rows == []


def test_figure_lines(data, reports_world):
    lines = rows.figure_lines(data)
    levels = [line.level for line in lines]
    # The country, then regions, gemeenten and organisations; nine indicators each.
    assert levels[:9] == ["Nederland"] * 9
    assert levels == sorted(levels, key=["Nederland", "Regio", "Gemeente", "Organisatie"].index)
    first = lines[0]
    assert (first.period, first.code, first.name, first.region) == (
        "2026-Q2",
        "NL",
        "Nederland",
        "",
    )
    # MEAN for the country: 18 score points of 7 answers (28 points), 3 organisations.
    assert (first.indicator, first.unit, first.teller, first.noemer) == ("MEAN", "%", 18.0, 28.0)
    assert first.value == pytest.approx(100 * 18 / 28, abs=1e-4)
    assert (first.organisations, first.signal, first.norm, first.judged) == (
        3, "Oranje", 75.0, "landelijke norm"
    )  # fmt: skip
    assert first.change == pytest.approx(100 * 18 / 28 - 50, abs=1e-4)  # Q1: 50 %
    a = reports_world["orgs"]["A"]
    a_mean = next(x for x in lines if x.code == str(a.id) and x.indicator == "MEAN")
    assert (a_mean.level, a_mean.region, a_mean.value, a_mean.signal) == (
        "Organisatie", reports_world["r1"].name, 75.0, "Groen"
    )  # fmt: skip


def test_explanation_rows(data, reports_world):
    sheet = rows.explanation_sheet(data, data.national)
    assert sheet.heading.title == "Toelichting op de indicatoren en normen"
    assert sheet.lines == [*rows.EXPLANATION_LINES, rows.NATIONAL_NORM_NOTE]
    found = {row.code: row for row in sheet.rows}
    assert list(found) == CODES
    mean, ge3, evaluated, gap = found["MEAN"], found["GE3"], found["EVAL"], found["GAP"]
    assert mean.computation == "Gemiddelde naleving (als percentage van de maximale score)"
    assert mean.filters == "alle thema's; alle niveaus; alle frequenties"
    assert ge3.computation == "Aandeel antwoorden met ten minste een score (min_score = 3)"
    assert evaluated.filters == "alle thema's; Beleid; alle frequenties"
    assert (gap.direction, gap.norm, gap.green, gap.orange) == ("Lager is beter", 0.5, 0.5, 1.0)
    assert mean.rule  # the rule in sentences (domain.rules)
    # In the region's own workbook, its own norm.
    _regional_mean_norm(reports_world)
    data = CycleData.load(data.cycle)
    own = rows.explanation_sheet(data, data.national, reports_world["r1"].id)
    assert (own.rows[0].norm, own.rows[0].green, own.rows[0].orange) == (65, 65, 55)
    assert "eigen norm van regio" in own.lines[-1]


def test_gemeente_overview_rows_name_both_norms(data, reports_world):
    g2, r1 = reports_world["g2"], reports_world["r1"]
    overview = rows.gemeente_overview(data, g2.id, data.national)
    assert overview.header == ["Indicator", g2.name, r1.name, "Nederland", "Landelijke norm",
                               "Signaal"]  # fmt: skip
    assert overview.heading.title == f"{g2.name} ({g2.code}) – ronde 2026-Q2"
    assert all(row.regional is None for row in overview.rows)
    _regional_mean_norm(reports_world)
    data = CycleData.load(data.cycle)
    overview = rows.gemeente_overview(data, g2.id, data.national)
    assert overview.header[6:] == [f"Eigen norm regio {r1.name}", "Signaal (eigen norm)"]
    assert overview.heading.note.startswith("Kleuren van de waarden: getoetst aan de eigen norm")
    mean, ge3 = overview.rows[0], overview.rows[1]
    # 60 against the national 75/60 is Oranje, against the region's 65/55 too.
    assert (mean.header, mean.value, mean.region_value) == ("MEAN (%)", 60.0, 60.0)
    assert mean.country_value == pytest.approx(100 * 18 / 28, abs=1e-4)
    assert (mean.national_norm, mean.signal, mean.regional) == (75.0, "Oranje", (65.0, "Oranje"))
    assert mean.lights == Norm(65, 65, 55, True)  # the values coloured as the region judges
    assert (ge3.value, ge3.signal, ge3.regional, ge3.lights) == (40.0, "Rood", None, NATIONAL)


def test_region_ranking_rows(data, reports_world):
    r1, r2 = reports_world["r1"], reports_world["r2"]
    sheet = rows.region_ranking(data, r1.id)
    assert sheet.heading.title == f"{r1.name} tegen de andere regio's"
    assert [(row.code, row.name, row.bold) for row in sheet.rows] == [
        (r1.code, f"{r1.name} (eigen regio)", True), (r2.code, r2.name, False)
    ]  # fmt: skip
    assert sheet.rows[0].values == pytest.approx(_expected(0), abs=1e-4)
    assert (sheet.country.bold, sheet.norms) == (True, None)
    assert sheet.country.values == pytest.approx(_expected(2), abs=1e-4)


def test_country_map_rows(mapped):  # noqa: F811 - the fixture imported above
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    found = rows.country_map(data, data.national)
    assert found.heading.title == "Kaart: MEAN per regio, ronde 2026-Q2"
    values = {shape.scope_id: shape.value for shape in found.shapes}
    assert values == {mapped["r1"].id: 60.0, mapped["r2"].id: 75.0}
    assert (found.scale.norm, found.scale.green, found.scale.orange) == (75.0, 75.0, 60.0)
    assert found.division.startswith("gemeentelijke indeling ")
    assert rows.country_map(data, []) is None


def test_workbooks_hold_every_sheet(data, reports_world):
    book = rows.region_workbook_rows(data)
    assert book.title == "Regiovergelijking 2026-Q2 (voorlopig)"
    assert book.map is None  # the made-up gemeenten are on no map
    assert [row.code for row in book.gemeenten.rows] == [
        reports_world[k].code for k in ("g1", "g2", "g3")
    ]
    assert len(book.organisations.rows) == len(data.organisations)
    g2 = reports_world["g2"]
    gemeente = rows.gemeente_workbook_rows(data, g2.id)
    assert gemeente.title == f"Afsprakenmonitor {g2.name} 2026-Q2 (voorlopig)"
    o = reports_world["orgs"]
    assert [row.name for row in gemeente.organisations.rows] == [o["A"].name, o["B"].name,
                                                                 o["D"].name]  # fmt: skip
    assert gemeente.trend.scopes == [g2.name, reports_world["r1"].name, "Nederland"]


# --- the PDF's sections -----------------------------------------------------------


def test_action_and_escalation_rows(data, reports_world):
    o = reports_world["orgs"]
    region = scope_report(data, "regio", reports_world["r1"].id)
    # The one open action: A's on X2, due 1 June (the description as typed).
    assert region.actions == [
        ActionRow("X2", "X2", "<b>Overleg</b> & <font>plannen</font>", "",
                  dt.date(2026, 6, 1), "open", True, "A")
    ]  # fmt: skip
    # Escalations of submitted assessments only (not D's draft), most often first.
    assert region.escalations == [
        EscalationRow("X2", "X2", 3, 3, True, "B"),
        EscalationRow("X1", "X1", 2, 2, True, "A"),
        EscalationRow("Y1", "Y1", 1, 1, False, "A"),
    ]
    own = scope_report(data, "organisatie", o["A"].id)
    assert [(r.agreement, r.organisation) for r in own.actions] == [("X2", None)]
    assert [r.organisation for r in own.escalations] == [None, None]


def test_management_report_of_an_organisation(data, reports_world):
    o = reports_world["orgs"]
    r1 = reports_world["r1"]
    content = rows.management_report(scope_report(data, "organisatie", o["A"].id))
    assert content.title == "Managementrapportage A – ronde 2026-Q2 (voorlopig)"
    assert content.footer.startswith("Afsprakenmonitor · A · ronde 2026-Q2 · voorlopig, peildatum")
    assert [label for label, _ in content.facts] == [
        "Regio", "Ronde", "Uiterste inleverdatum", "Peildatum gegevens", "Gemaakt op"
    ]  # fmt: skip
    assert content.facts[0] == ("Regio", r1.name)
    assert content.facts[1] == ("Ronde", "2026-Q2 (1 mei 2026 tot en met 15 juli 2026)")
    assert content.facts[2] == ("Uiterste inleverdatum", "15 juni 2026")
    assert content.response_line == "De zelfevaluatie is op tijd ingediend."
    assert content.names == ["A", r1.name, "Nederland"]
    assert [row.indicator.code for row in content.comparison] == [c for c in CODES if c != "GAP"]
    assert content.norm_note == "Norm: de landelijke norm."
    assert content.region_map is None
    assert content.trend_breaks == []
    # A's weakest agreement is X2 (2 of 4): first in the good practice beside it.
    assert [entry["row"].code for entry in content.practice] == ["X2", "Y1", "X1"]
    # Red: GE3 (2 of 3 at least 3), WRIT, EVAL, GAP (2 points) and ACT; MEAN is 75, green.
    assert content.glance.counts["rood"] == 5
    late = rows.management_report(scope_report(data, "organisatie", o["B"].id))
    assert late.response_line == "De zelfevaluatie is na de uiterste inleverdatum ingediend."
    draft = rows.management_report(scope_report(data, "organisatie", o["D"].id))
    assert draft.response_line == "De zelfevaluatie is niet ingediend (status: concept)."


def test_management_report_of_a_region(data, reports_world):
    r1 = reports_world["r1"]
    _regional_mean_norm(reports_world)
    data = CycleData.load(data.cycle)
    content = rows.management_report(scope_report(data, "regio", r1.id))
    assert "Regio" not in [label for label, _ in content.facts]
    assert content.names == [r1.name, "Nederland"]
    assert content.response_line == (
        "2 van de 3 organisaties hebben hun zelfevaluatie ingediend (1 op tijd, 1 te laat); "
        "1 nog niet."
    )
    assert content.norm_note == (
        f"Norm: de landelijke norm; ‘(regio)’: de eigen norm van regio {r1.name}."
    )


def test_region_map_rows(mapped):  # noqa: F811 - the fixture imported above
    data = CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))
    found = rows.region_map(scope_report(data, "regio", mapped["r1"].id))
    assert found.title == "MEAN per gemeente"
    # Maastricht is A alone (75); Heerlen is A and B (60).
    values = {shape.scope_id: shape.value for shape in found.shapes}
    assert values == {mapped["g1"].id: 75.0, mapped["g2"].id: 60.0}
    assert (found.scale.green, found.scale.orange, found.scale.not_yet_due) == (75.0, 60.0, False)
    org = mapped["orgs"]["A"].id
    assert rows.region_map(scope_report(data, "organisatie", org)) is None
