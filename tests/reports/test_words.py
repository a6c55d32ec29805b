"""Words agree with figures: the open actions listed beside ACTIES are the
ones it counts, an assessment not submitted again at close is not "op tijd
ingediend", and the Partners sheet's Verschil is PARTNER's own gap."""

import datetime as dt

from openpyxl import load_workbook

from domain import computation
from domain.results import figure
from models import (
    Assessment,
    Cycle,
    ImprovementAction,
    IndicatorDefinition,
    PartnerRating,
    utcnow,
)
from reports.data import CycleData, response_status, scope_report
from reports.excel import region_workbook


def test_the_partners_difference_is_the_indicators_gap(reports_world, tmp_path):
    w = reports_world
    # A rates B 4 where B scored itself 2 (−2); B rates A 1 where A scored 3 (+2):
    # the signed differences cancel, the gap per rating is 2.
    PartnerRating.update(score=4).where(PartnerRating.assessment == w["a"].id).execute()
    computation.recompute(force=True)
    gap = IndicatorDefinition.get(IndicatorDefinition.code == "GAP")
    assert figure(gap.id, w["p2"].id, "regio", w["r1"].id).value == 2.0
    path = tmp_path / "r.xlsx"
    region_workbook(CycleData.load(w["p2"]), path)
    rows = {
        row[0]: row
        for row in load_workbook(path)["Partners"].iter_rows(min_row=5, values_only=True)
        if row[0]
    }
    assert rows[w["r1"].name][3:] == (2.5, 2.5, 2, 2.0)


def test_open_actions_are_those_the_indicator_counts(reports_world):
    w = reports_world
    a = w["orgs"]["A"].id
    # An action of A's 2026-Q1 assessment, in progress and due 10 June: in
    # 2026-Q2's window (16 March – 15 June), so ACTIES of 2026-Q2 counts it.
    action = ImprovementAction.get(ImprovementAction.due_on == dt.date(2026, 7, 1))
    # Stamped as every writer of the application stamps it, after the
    # fixture's own writes (stamps are to the second): the fingerprint reads
    # the actions' last change (domain/fingerprint.py).
    ImprovementAction.update(
        due_on=dt.date(2026, 6, 10),
        status="in_uitvoering",
        completed_on=None,
        updated_at=utcnow() + dt.timedelta(seconds=1),
    ).where(ImprovementAction.id == action.id).execute()
    computation.recompute()
    report = scope_report(CycleData.load(w["p2"]), "organisatie", a)
    listed = {(r.due_on, r.status) for r in report.actions}
    assert (dt.date(2026, 6, 10), "in_uitvoering") in listed  # counted by ACTIES, listed
    assert (dt.date(2026, 6, 1), "open") in listed  # A's own open action
    acties = IndicatorDefinition.get(IndicatorDefinition.code == "ACT")
    counted = figure(acties.id, w["p2"].id, "organisatie", a)
    # 2026-Q2's window for A: on time (1 May), open (1 June), late (15 April), and now
    # the one in progress (10 June): 1 of 4 on time.
    assert (counted.numerator, counted.denominator) == (1, 4)


def test_an_assessment_reopened_at_close_is_not_on_time(reports_world):
    w = reports_world
    a = w["orgs"]["A"].id
    Assessment.update(state="heropend").where(Assessment.id == w["a"].id).execute()
    # While the cycle is open, its first submission (on time) still counts.
    status = response_status(CycleData.load(w["p2"]), [a])
    assert (status["on_time"], status["late"], status["open"]) == (1, 0, 0)
    # Still reopened when the cycle closes: shown as such, not on time.
    Cycle.update(state="gesloten").where(Cycle.id == w["p2"].id).execute()
    data = CycleData.load(Cycle.get_by_id(w["p2"].id))
    status = response_status(data, [a])
    assert (status["on_time"], status["late"], status["open"]) == (0, 0, 1)
    assert status["missing"] == [(data.organisations[a].name, "heropend")]
    computation.recompute()
    resp = IndicatorDefinition.get(IndicatorDefinition.code == "RESP")
    assert figure(resp.id, w["p2"].id, "organisatie", a).value == 0.0
