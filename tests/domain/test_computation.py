"""Indicator results on a small hand-made data set. Every expected figure is
worked out by hand in the comments, not by calling the code under test."""

import datetime as dt
import threading

import pytest

from domain import computation, result_store, results
from domain.framework import import_framework, validate
from domain.indicators import import_indicators
from domain.indicators import validate as validate_indicators
from models import (
    Agreement,
    Answer,
    Assessment,
    Cycle,
    EscalationSignal,
    ImprovementAction,
    IndicatorDefinition,
    IndicatorStamp,
    PartnerRating,
    ScopeResult,
)
from tests import factories

FRAMEWORK = {
    "slug": "test",
    "version": 1,
    "title": "Testkader",
    "description": "",
    "sources": [{"code": "S", "title": "Bron", "reference": ""}],
    "themes": [
        {
            "code": "T1",
            "title": "Thema 1",
            "description": "",
            "agreements": [
                {
                    "code": "X1",
                    "title": "X1",
                    "goal": "g",
                    "level": "uitvoerend",
                    "frequency": "structureel",
                    "applies_to": ["jgz", "wijkteam"],
                    "source": "S",
                },
                {
                    "code": "X2",
                    "title": "X2",
                    "goal": "g",
                    "level": "beleid",
                    "frequency": "eenmalig",
                    "applies_to": ["jgz", "wijkteam"],
                    "source": "S",
                },
            ],
        },
        {
            "code": "T2",
            "title": "Thema 2",
            "description": "",
            "agreements": [
                {
                    "code": "Y1",
                    "title": "Y1",
                    "goal": "g",
                    "level": "management",
                    "frequency": "structureel",
                    "applies_to": ["jgz", "wijkteam"],
                    "partner_kinds": ["jgz", "wijkteam"],
                    "source": "S",
                },
            ],
        },
    ],
}


def _ind(code, computation, **extra):
    base = {
        "code": code,
        "name": code,
        "computation": computation,
        "unit": "%",
        "direction": "hoger_beter",
        "norm": 75,
        "green": 75,
        "orange": 60,
    }
    base.update(extra)
    return base


INDICATORS = {
    "indicators": [
        _ind("MEAN", "mean_compliance"),
        _ind("GE3", "share_at_least", params={"min_score": 3}),
        _ind("WRIT", "share_in_writing"),
        _ind(
            "EVAL", "share_evaluated_within", params={"months": 12}, filter={"levels": ["beleid"]}
        ),
        _ind("RESP", "response_rate_on_time"),
        _ind(
            "GAP",
            "partner_gap",
            unit="punten",
            direction="lager_beter",
            norm=0.5,
            green=0.5,
            orange=1.0,
        ),
        _ind("ESC", "escalations"),
        _ind("ACT", "actions_on_time"),
        _ind("MEAN_T2", "mean_compliance", filter={"themes": ["T2"]}),
    ]
}


@pytest.fixture
def world(database):
    fw, _ = import_framework(validate(FRAMEWORK), publish=True)
    import_indicators(validate_indicators(INDICATORS))
    r1, r2 = factories.region(), factories.region()
    g1, g2, g3 = factories.gemeente(r1), factories.gemeente(r1), factories.gemeente(r2)
    orgs = {
        "A": factories.organisation(r1, "jgz", "A", serves=[g1, g2]),
        "B": factories.organisation(r1, "wijkteam", "B", serves=[g2]),
        "C": factories.organisation(r2, "jgz", "C", serves=[g3]),
        "D": factories.organisation(r1, "wijkteam", "D", serves=[g2]),
    }
    p1 = Cycle.create(
        period="2026-Q1",
        framework=fw,
        opens_on=dt.date(2026, 2, 1),
        due_on=dt.date(2026, 3, 15),
        closes_on=dt.date(2026, 4, 15),
        state="gesloten",
    )
    p2 = Cycle.create(
        period="2026-Q2",
        framework=fw,
        opens_on=dt.date(2026, 5, 1),
        due_on=dt.date(2026, 6, 15),
        closes_on=dt.date(2026, 7, 15),
        state="open",
    )
    ag = {a.code: a.id for a in Agreement.select().where(Agreement.framework == fw)}

    def assessment(org, cycle, state, submitted=None):
        return Assessment.create(
            organisation=orgs[org],
            cycle=cycle,
            state=state,
            submitted_at=submitted,
            first_submitted_at=submitted,
        )

    def answer(a, code, score=None, nvt=False, writing=None, evaluated=None, rates=None):
        row = Answer.create(
            assessment=a,
            agreement=ag[code],
            score=score,
            not_applicable=nvt,
            not_applicable_reason="n.v.t." if nvt else None,
            in_writing=writing,
            last_evaluated_on=evaluated,
        )
        for partner, rating in (rates or {}).items():
            PartnerRating.create(
                answer=row, assessment=a, agreement=ag[code], partner=orgs[partner], score=rating
            )
        return row

    # Cycle 2026-Q1: only A submitted, X1 scored 2.
    a1 = assessment("A", p1, "ingediend", dt.datetime(2026, 3, 1, 10))
    a1_x1 = answer(a1, "X1", 2)
    # Cycle 2026-Q2 (due 15 June).
    a = assessment("A", p2, "ingediend", dt.datetime(2026, 6, 10, 10))  # on time
    answer(a, "X1", 4, writing=True, evaluated=dt.date(2026, 1, 1))
    a_x2 = answer(a, "X2", 2, writing=False, evaluated=dt.date(2024, 1, 1))
    answer(a, "Y1", 3, rates={"B": 2})  # A's view of B
    b = assessment("B", p2, "ingediend", dt.datetime(2026, 6, 20, 10))  # late
    answer(b, "X1", 1, writing=True)
    b_x2 = answer(b, "X2", nvt=True)
    answer(b, "Y1", 2, rates={"A": 1})  # B's view of A
    c = assessment("C", p2, "ingediend", dt.datetime(2026, 6, 15, 23))  # 01:00 on 16 June
    answer(c, "X1", 3)
    answer(c, "X2", 3, evaluated=dt.date(2025, 7, 1))
    answer(c, "Y1", nvt=True)
    d = assessment("D", p2, "concept")  # not submitted: its answers never count
    d_x1 = answer(d, "X1", 0, writing=True)
    answer(d, "Y1", 1, rates={"A": 4})  # a draft: its view of A does not count
    for target, code, times, step, resolved in (
        (a, "X1", 2, 2, True),
        (a, "Y1", 1, 1, False),
        (b, "X2", 3, 3, True),
        (d, "X1", 5, 4, False),
    ):
        EscalationSignal.create(
            assessment=target,
            agreement=ag[code],
            times_not_followed=times,
            highest_step=step,
            resolved=resolved,
        )
    # Improvement actions with a due date in 2026-Q2's window (16 March – 15 June).
    for answer_row, due, status, completed in (
        (a_x2, dt.date(2026, 5, 1), "gereed", dt.date(2026, 4, 20)),  # on time
        (a_x2, dt.date(2026, 6, 1), "open", None),  # not done
        (a1_x1, dt.date(2026, 4, 15), "gereed", dt.date(2026, 5, 1)),  # done, but late
        (a1_x1, dt.date(2026, 7, 1), "gereed", dt.date(2026, 6, 1)),  # due in the next window
        (b_x2, dt.date(2026, 6, 15), "vervallen", None),  # cancelled: not counted
        (d_x1, dt.date(2026, 5, 5), "gereed", dt.date(2026, 5, 1)),  # draft: not counted
    ):
        ImprovementAction.create(
            answer=answer_row,
            assessment=answer_row.assessment_id,
            description="actie",
            due_on=due,
            status=status,
            completed_on=completed,
        )
    return {
        "orgs": orgs,
        "r1": r1,
        "r2": r2,
        "g1": g1,
        "g2": g2,
        "g3": g3,
        "p1": p1,
        "p2": p2,
        "a": a,
        "b": b,
    }


def result(code, cycle, scope_type, scope_id):
    indicator = IndicatorDefinition.get(IndicatorDefinition.code == code)
    return results.figure(indicator.id, cycle.id, scope_type, scope_id)


def stored():
    """Every stored figure by (indicator code, cycle id, scope type, scope id)."""
    codes = dict(
        IndicatorDefinition.select(IndicatorDefinition.id, IndicatorDefinition.code).tuples()
    )
    cycles = [c.id for c in Cycle.select()]
    return {(codes[i], c, t, s): f for (i, c, t, s), f in results.figures(cycles).items()}


def value(code, cycle, scope_type, scope_id):
    row = result(code, cycle, scope_type, scope_id)
    return None if row is None else row.value


def test_every_computation_against_hand_worked_figures(world):
    computation.recompute()
    p2, o = world["p2"], world["orgs"]
    org = lambda name: ("organisatie", o[name].id)  # noqa: E731
    # Mean compliance, n.v.t. left out: A (4+2+3)/12, B (1+2)/8, C (3+3)/8.
    assert value("MEAN", p2, *org("A")) == pytest.approx(75.0)
    assert value("MEAN", p2, *org("B")) == pytest.approx(37.5)
    assert value("MEAN", p2, *org("C")) == pytest.approx(75.0)
    assert result("MEAN", p2, *org("D")) is None  # a draft counts nowhere
    # Pooled, not a mean of means: region 1 = (9+3)/(12+8); country = 18/28.
    assert value("MEAN", p2, "regio", world["r1"].id) == pytest.approx(60.0)
    assert value("MEAN", p2, "regio", world["r2"].id) == pytest.approx(75.0)
    assert value("MEAN", p2, "land", 0) == pytest.approx(100 * 18 / 28)
    # A serves G1 and G2, B serves G2: G1 = A only, G2 = A and B.
    assert value("MEAN", p2, "gemeente", world["g1"].id) == pytest.approx(75.0)
    assert value("MEAN", p2, "gemeente", world["g2"].id) == pytest.approx(60.0)
    assert value("MEAN", p2, "gemeente", world["g3"].id) == pytest.approx(75.0)
    # Scores 3 or 4: A 2 of 3, B 0 of 2, C 2 of 2; region 1: 2 of 5; country 4 of 7.
    assert value("GE3", p2, *org("A")) == pytest.approx(200 / 3)
    assert value("GE3", p2, *org("B")) == pytest.approx(0.0)
    assert value("GE3", p2, "regio", world["r1"].id) == pytest.approx(40.0)
    assert value("GE3", p2, "land", 0) == pytest.approx(400 / 7)
    # In writing, empty counts as not: A 1 of 3, B 1 of 2, C 0 of 2; country 2 of 7.
    assert value("WRIT", p2, *org("A")) == pytest.approx(100 / 3)
    assert value("WRIT", p2, *org("B")) == pytest.approx(50.0)
    assert value("WRIT", p2, *org("C")) == pytest.approx(0.0)
    assert value("WRIT", p2, "land", 0) == pytest.approx(200 / 7)
    # Evaluated since 15 June 2025, beleid only (X2): A no (2024), B n.v.t., C yes.
    assert value("EVAL", p2, *org("A")) == pytest.approx(0.0)
    assert value("EVAL", p2, *org("B")) is None
    assert value("EVAL", p2, *org("C")) == pytest.approx(100.0)
    assert value("EVAL", p2, "land", 0) == pytest.approx(50.0)
    # Response by the end of the due date in Amsterdam: A yes, B late, C late
    # (23:00 UTC on 15 June is 01:00 on 16 June in Amsterdam), D not submitted.
    assert value("RESP", p2, *org("A")) == pytest.approx(100.0)
    assert value("RESP", p2, *org("B")) == pytest.approx(0.0)
    assert value("RESP", p2, *org("C")) == pytest.approx(0.0)
    assert value("RESP", p2, "regio", world["r1"].id) == pytest.approx(100 / 3)
    assert value("RESP", p2, "gemeente", world["g2"].id) == pytest.approx(100 / 3)
    assert value("RESP", p2, "land", 0) == pytest.approx(25.0)
    # Partner gap on Y1, own score against what partners said of it: A says 3,
    # B says 1 of A: |3-1| = 2; B says 2, A says 2 of B: 0; C n.v.t.; region
    # 1 (2+0)/2 = 1. D's view of A is in a draft and does not count.
    gap = result("GAP", p2, "regio", world["r1"].id)
    assert gap.value == pytest.approx(1.0)
    assert gap.secondary == pytest.approx(1.0)  # signed: people rate themselves higher
    assert gap.signal == "oranje"  # lager_beter: 1.0 is at the orange threshold
    assert result("GAP", p2, *org("A")).signal == "rood"
    assert result("GAP", p2, *org("B")).signal == "groen"
    # Escalations: A 1 of 2 resolved (3 times), B 1 of 1 (3 times); D is a draft.
    esc = result("ESC", p2, "regio", world["r1"].id)
    assert esc.value == pytest.approx(200 / 3)
    assert esc.secondary == pytest.approx(6.0)
    assert value("ESC", p2, *org("C")) is None
    # Actions due in the window: A's three count, one on time; B's was cancelled.
    assert value("ACT", p2, *org("A")) == pytest.approx(100 / 3)
    assert value("ACT", p2, *org("B")) is None
    # Theme filter T2 (Y1 only): A 3/4, B 2/4, C n.v.t.; region 1 = 5/8.
    assert value("MEAN_T2", p2, *org("A")) == pytest.approx(75.0)
    assert value("MEAN_T2", p2, "regio", world["r1"].id) == pytest.approx(62.5)
    # Signals against the thresholds (green 75, orange 60) and organisations counted.
    assert result("MEAN", p2, *org("A")).signal == "groen"
    assert result("MEAN", p2, "regio", world["r1"].id).signal == "oranje"
    assert result("MEAN", p2, *org("B")).signal == "rood"
    assert result("MEAN", p2, "land", 0).n_organisations == 3


def test_change_since_the_previous_cycle(world):
    computation.recompute()
    o = world["orgs"]
    # A: 2/4 = 50% in 2026-Q1, 75% in 2026-Q2.
    assert value("MEAN", world["p1"], "organisatie", o["A"].id) == pytest.approx(50.0)
    row = result("MEAN", world["p2"], "organisatie", o["A"].id)
    assert row.previous == pytest.approx(50.0)
    assert row.change == pytest.approx(25.0)
    assert row.trend_break is False
    assert result("MEAN", world["p2"], "organisatie", o["B"].id).change is None
    assert result("MEAN", world["p1"], "organisatie", o["A"].id).trend_break is True


def test_a_failed_write_keeps_what_was_committed(world, monkeypatch):
    """Results are written on a connection of their own, a cycle per
    transaction: a failure stops the run, says why, and the cycles committed
    before it stay; the next run does the rest."""
    write, written = result_store._write, []

    def failing(changes):
        assert threading.current_thread().name == "recompute-writer"
        if changes.cycle.period == "2026-Q2":
            raise RuntimeError("schijf vol")
        written.append(changes.cycle.period)
        return write(changes)

    said = []
    monkeypatch.setattr(result_store, "_write", failing)
    with pytest.raises(RuntimeError, match="schijf vol"):
        computation.recompute(progress=said.append)
    assert written == ["2026-Q1"]
    assert said == ["ronde 2026-Q1 herberekend (1/2)"]
    assert [s.cycle_id for s in IndicatorStamp.select()] == [world["p1"].id]
    assert {r.cycle_id for r in ScopeResult.select()} == {world["p1"].id}
    monkeypatch.undo()
    assert computation.recompute().cycles_recomputed == 1


def test_nothing_changed_means_next_to_nothing(world):
    first = computation.recompute()
    assert first.cycles_recomputed == 2
    again = computation.recompute()
    assert again.cycles_recomputed == 0
    assert again.rows_written == 0


def test_one_changed_assessment_recomputes_only_what_it_affects(world):
    computation.recompute()
    before = stored()
    rows_before = {(r.cycle_id, r.scope_type, r.scope_id): r for r in ScopeResult.select()}
    # A's view of B on Y1 changes from 2 to 0 (and A's version moves on).
    a = world["a"]
    y1 = Agreement.get(Agreement.code == "Y1")
    rated = Answer.get(Answer.assessment == a, Answer.agreement == y1)
    PartnerRating.update(score=0).where(PartnerRating.answer == rated).execute()
    Assessment.update(version=Assessment.version + 1).where(Assessment.id == a.id).execute()
    report = computation.recompute()
    assert report.cycles_recomputed == 1  # only 2026-Q2
    after = stored()
    assert after.keys() == before.keys()
    changed = {key for key in after if after[key] != before[key]}
    o, p2 = world["orgs"], world["p2"].id
    # GAP for B, its region, its gemeente and the country: B |2-0| = 2; region (2+2)/2.
    assert changed == {
        ("GAP", p2, "organisatie", o["B"].id),
        ("GAP", p2, "regio", world["r1"].id),
        ("GAP", p2, "gemeente", world["g2"].id),
        ("GAP", p2, "land", 0),
    }
    assert value("GAP", world["p2"], "regio", world["r1"].id) == pytest.approx(2.0)
    # Only the rows of those four scopes were written; the others kept their time.
    assert report.rows_written == 4
    untouched = [
        r
        for r in ScopeResult.select()
        if (r.cycle_id, r.scope_type, r.scope_id) not in {(p2, t, i) for _, _, t, i in changed}
    ]
    assert untouched
    assert all(
        rows_before[(r.cycle_id, r.scope_type, r.scope_id)].computed_at == r.computed_at
        for r in untouched
    )


def test_regional_indicator_stays_in_its_region(world):
    import_indicators(
        validate_indicators(
            {
                "indicators": INDICATORS["indicators"]
                + [{**_ind("R1ONLY", "mean_compliance"), "region": world["r1"].code}]
            }
        )
    )
    computation.recompute()
    regional = {key for key in stored() if key[0] == "R1ONLY"}
    assert {scope_type for _, _, scope_type, _ in regional} == {"organisatie", "regio", "gemeente"}
    assert {i for _, _, t, i in regional if t == "regio"} == {world["r1"].id}
    assert value("R1ONLY", world["p2"], "organisatie", world["orgs"]["C"].id) is None


def test_regional_partner_indicator_reads_its_region_only(world):
    gap = _ind("R1GAP", "partner_gap", unit="punten", direction="lager_beter", green=0.5, orange=1)
    import_indicators(
        validate_indicators(
            {"indicators": INDICATORS["indicators"] + [{**gap, "region": world["r1"].code}]}
        )
    )
    computation.recompute()
    o, p2 = world["orgs"], world["p2"]
    # As GAP in region 1: A |3-1| = 2, B 0, region (2+0)/2; nothing for the country.
    assert value("R1GAP", p2, "organisatie", o["A"].id) == pytest.approx(2.0)
    assert value("R1GAP", p2, "organisatie", o["B"].id) == pytest.approx(0.0)
    assert value("R1GAP", p2, "regio", world["r1"].id) == pytest.approx(1.0)
    assert result("R1GAP", p2, "land", 0) is None
