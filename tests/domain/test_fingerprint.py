"""The fingerprint covers every input a cycle's figures depend on: each input
changed in turn, the nightly's recompute rewrites exactly the cycles it
affects (and the next cycle's change), and what it writes equals a forced
recompute. Closed cycles keep the definitions and norms in force when they
closed; no thread of a recompute outlives it."""

import datetime as dt
import json
import threading

import pytest

from domain import computation, norms
from models import (
    Agreement,
    Answer,
    Assessment,
    Cycle,
    CycleNorms,
    EscalationSignal,
    FingerprintPart,
    ImprovementAction,
    IndicatorDefinition,
    Organisation,
    OrganisationGemeente,
    PartnerRating,
    ReferenceYear,
    RegionalNorm,
    utcnow,
)
from tests.domain.test_computation import stored, value, world  # noqa: F401 - the shared fixture


@pytest.fixture
def three(world):  # noqa: F811 - the fixture above
    """The shared world with 2026-Q2 closed and an open 2026-Q3, in which A's
    assessment holds an improvement action due in 2026-Q1's window."""
    Cycle.update(state="gesloten").where(Cycle.id == world["p2"].id).execute()
    p3 = Cycle.create(
        period="2026-Q3",
        framework=world["p1"].framework_id,
        opens_on=dt.date(2026, 8, 1),
        due_on=dt.date(2026, 9, 15),
        closes_on=dt.date(2026, 10, 15),
        state="open",
    )
    x1 = Agreement.get(Agreement.code == "X1", Agreement.framework == world["p1"].framework_id)
    a3 = Assessment.create(
        organisation=world["orgs"]["A"],
        cycle=p3,
        state="ingediend",
        submitted_at=dt.datetime(2026, 9, 1, 10),
        first_submitted_at=dt.datetime(2026, 9, 1, 10),
    )
    answer = Answer.create(assessment=a3, agreement=x1, score=3)
    ImprovementAction.create(
        answer=answer,
        assessment=a3,
        description="achterstallig",
        due_on=dt.date(2026, 3, 1),  # in 2026-Q1's window (until 15 March)
        status="gereed",
        completed_on=dt.date(2026, 2, 20),
    )
    computation.recompute()
    return world | {"p3": p3, "a3": a3}


def _saved(assessment_id: int) -> None:
    """What every save of an assessment does besides its rows: a new version."""
    Assessment.update(version=Assessment.version + 1, updated_at=utcnow()).where(
        Assessment.id == assessment_id
    ).execute()


def _answer_in_q2(w):
    Answer.update(score=0).where(
        Answer.assessment == w["a"].id, Answer.score == 4
    ).execute()  # fmt: skip
    _saved(w["a"].id)


def _rating_in_q2(w):
    PartnerRating.update(score=4).where(PartnerRating.assessment == w["a"].id).execute()
    _saved(w["a"].id)


def _escalation_in_q2(w):
    EscalationSignal.update(resolved=False).where(
        EscalationSignal.assessment == w["a"].id
    ).execute()
    _saved(w["a"].id)


def _reopen_q3(w):
    """Reopening a 2026-Q3 assessment takes its action out of 2026-Q1's count."""
    Assessment.update(state="heropend").where(Assessment.id == w["a3"].id).execute()
    _saved(w["a3"].id)


def _action_done_late(w):
    # Saved after the action was written (times are kept to the second).
    later = utcnow() + dt.timedelta(seconds=1)
    ImprovementAction.update(completed_on=dt.date(2026, 4, 1), updated_at=later).where(
        ImprovementAction.assessment == w["a3"].id
    ).execute()


def _action_removed(w):
    """Removed in a save of the assessment that holds it."""
    ImprovementAction.delete().where(ImprovementAction.assessment == w["a3"].id).execute()
    _saved(w["a3"].id)


def _action_removed_directly(w):
    """Removed outside a form: no assessment saved (a trigger counts it)."""
    ImprovementAction.delete().where(ImprovementAction.assessment == w["a3"].id).execute()


def _action_removed_with_its_answer(w):
    """Gone by a cascade from its answer, outside a form."""
    Answer.delete().where(
        Answer.id.in_(
            ImprovementAction.select(ImprovementAction.answer).where(
                ImprovementAction.assessment == w["a3"].id
            )
        )
    ).execute()


def _action_added_directly(w):
    """An action written outside a form: no assessment saved."""
    answer = Answer.get(Answer.assessment == w["a3"].id)
    ImprovementAction.create(
        answer=answer,
        assessment=w["a3"],
        description="nagekomen",
        due_on=dt.date(2026, 3, 10),  # in 2026-Q1's window
        status="open",
        updated_at=utcnow() + dt.timedelta(seconds=1),
    )


def _links_swapped(w):
    """A gives up gemeente g1 for C's g3 on the same day: as many links, the
    same sum of gemeente ids."""
    a, c = w["orgs"]["A"], w["orgs"]["C"]
    OrganisationGemeente.update(organisation=c).where(
        OrganisationGemeente.organisation == a, OrganisationGemeente.gemeente == w["g1"]
    ).execute()
    OrganisationGemeente.update(organisation=a).where(
        OrganisationGemeente.organisation == c, OrganisationGemeente.gemeente == w["g3"]
    ).execute()


def _regions_swapped(w):
    a, c = w["orgs"]["A"], w["orgs"]["C"]
    Organisation.update(region=w["r2"]).where(Organisation.id == a.id).execute()
    Organisation.update(region=w["r1"]).where(Organisation.id == c.id).execute()


def _reference_year(w):
    ReferenceYear.create(year=2031, gemeenten=3)


def _national_norm(w):
    IndicatorDefinition.update(
        norm=90, green_threshold=90, revision=IndicatorDefinition.revision + 1, updated_at=utcnow()
    ).where(IndicatorDefinition.code == "MEAN").execute()


def _regional_norm(w):
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(
        indicator=mean, region=w["r1"], norm=80, green_threshold=80, orange_threshold=70
    )


def _nothing(w):
    pass


CASES = [
    # (input changed, cycles rewritten)
    (_answer_in_q2, {"2026-Q2", "2026-Q3"}),
    (_rating_in_q2, {"2026-Q2", "2026-Q3"}),
    (_escalation_in_q2, {"2026-Q2", "2026-Q3"}),
    (_reopen_q3, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_action_done_late, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_action_removed, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_action_removed_directly, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_action_removed_with_its_answer, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_action_added_directly, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_links_swapped, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_regions_swapped, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    (_reference_year, {"2026-Q1", "2026-Q2", "2026-Q3"}),
    # Closed cycles keep the definitions and norms in force when they closed.
    (_national_norm, {"2026-Q3"}),
    (_regional_norm, {"2026-Q3"}),
    (_nothing, set()),
]


@pytest.mark.parametrize(("change", "rewritten"), CASES, ids=[c.__name__[1:] for c, _ in CASES])
def test_each_input_rewrites_exactly_what_it_affects(three, change, rewritten):
    change(three)
    said = []
    computation.recompute(progress=said.append)
    assert {m.split()[1] for m in said if m.endswith(")") and "herberekend" in m} == rewritten
    nightly = stored()
    computation.recompute(force=True)
    assert stored() == nightly
    assert computation.recompute().cycles_recomputed == 0


def _overdue_removed_by_hand(w):
    ImprovementAction.delete().where(ImprovementAction.description == "achterstallig").execute()


def _overdue_removed_with_its_answer(w):
    Answer.delete().where(
        Answer.id.in_(
            ImprovementAction.select(ImprovementAction.answer).where(
                ImprovementAction.description == "achterstallig"
            )
        )
    ).execute()


@pytest.mark.parametrize(
    "remove", [_overdue_removed_by_hand, _overdue_removed_with_its_answer], ids=["hand", "cascade"]
)
def test_a_removed_action_shows_while_the_highest_id_and_last_change_stay(three, remove):
    """An action removed outside a form that is neither the last one added
    nor the last one changed: the removal is counted (a trigger), so the
    actions are read again and 2026-Q1 (and the cycles after it) rewritten."""
    x2 = Agreement.get(Agreement.code == "X2", Agreement.framework == three["p1"].framework_id)
    ImprovementAction.create(
        answer=Answer.create(assessment=three["a3"], agreement=x2, score=2),
        assessment=three["a3"],
        description="later",
        due_on=dt.date(2027, 1, 15),  # in no cycle's window
        status="open",
        updated_at=utcnow() + dt.timedelta(seconds=1),
    )
    _saved(three["a3"].id)
    computation.recompute()
    said = []
    remove(three)
    computation.recompute(progress=said.append)
    assert {m.split()[1] for m in said if "herberekend" in m} == {"2026-Q1", "2026-Q2", "2026-Q3"}


def test_an_action_due_in_another_cycles_window_counts_there(three):
    """ACT of 2026-Q1 counts A's 2026-Q3 action due in its window while that
    assessment is submitted, and stops counting it when it is reopened."""
    org = three["orgs"]["A"].id
    before = value("ACT", three["p1"], "organisatie", org)
    _reopen_q3(three)
    computation.recompute()
    after = value("ACT", three["p1"], "organisatie", org)
    # 2026-Q1's window holds only that action for A: done on time, then gone.
    assert (before, after) == (100.0, None)


def test_the_actions_are_read_again_only_when_their_key_changes(three):
    """The actions per due date are kept with the key they were read under
    (their removals, highest id, last change and every cycle's assessments): a
    run in which nothing changed uses what was kept, any change reads them
    again."""
    cycles = list(Cycle.select().order_by(Cycle.period))
    before = computation.fingerprints(cycles)
    kept = FingerprintPart.get(FingerprintPart.name == "actions")
    # What was kept is what the fingerprint uses while the key holds: a row
    # slipped in by hand shows in 2026-Q1's fingerprint (its window) …
    rows = json.loads(kept.rows)
    rows["dated"] = sorted([*rows["dated"], ["2026-03-05", "1", "2026-03-05 00:00:00"]])
    FingerprintPart.update(rows=json.dumps(rows)).where(FingerprintPart.name == "actions").execute()
    tampered = computation.fingerprints(cycles)
    assert tampered[three["p1"].id] != before[three["p1"].id]
    # … and is read again from the actions once anything changed.
    _saved(three["a"].id)
    again = computation.fingerprints(cycles)
    assert again[three["p1"].id] == before[three["p1"].id]
    assert json.loads(FingerprintPart.get(FingerprintPart.name == "actions").rows) != rows


def test_closed_cycles_keep_their_norms(three):
    frozen = {n.cycle_id for n in CycleNorms.select()}
    assert frozen == {three["p1"].id, three["p2"].id}
    _national_norm(three)
    computation.recompute()
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    assert [d.norm for d in norms.definitions_for(three["p1"]) if d.code == "MEAN"] == [75]
    assert [d.norm for d in norms.definitions_for(three["p3"]) if d.code == "MEAN"] == [90]
    assert mean.norm == 90
    # Frozen again on purpose (a beheerder's recompute): the new norm applies.
    norms.freeze(three["p1"], again=True)
    assert [d.norm for d in norms.definitions_for(three["p1"]) if d.code == "MEAN"] == [90]
    assert computation.recompute().cycles_recomputed == 3  # Q1 and the changes after it


def test_forcing_a_cycle_rewrites_the_next_ones_change(three):
    """Forced on its own, 2026-Q1 takes 2026-Q2 along (its change since 2026-Q1)."""
    said = []
    computation.recompute(force=True, cycles=[three["p1"]], progress=said.append)
    assert sorted(m.split()[1] for m in said) == ["2026-Q1", "2026-Q2"]


def test_no_recompute_thread_outlives_a_failure(three, monkeypatch):
    """A recompute that fails half-way (after the fingerprints started beside
    the queries) leaves no recompute-* thread behind."""
    started = threading.Event()

    def slow_fingerprints(cycles):
        started.set()
        return {c.id: "x" for c in cycles}

    def failing(*args, **kwargs):
        assert started.wait(10)
        raise RuntimeError("verbinding verbroken")

    monkeypatch.setattr(computation, "fingerprints", slow_fingerprints)
    monkeypatch.setattr(computation, "compute", failing)
    with pytest.raises(RuntimeError, match="verbinding verbroken"):
        computation.recompute(force=True)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("recompute-")]


def test_no_recompute_thread_outlives_a_failing_fingerprint(three, monkeypatch):
    def failing(cycles):
        raise RuntimeError("kapot")

    monkeypatch.setattr(computation, "fingerprints", failing)
    with pytest.raises(RuntimeError, match="kapot"):
        computation.recompute(force=True)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("recompute-")]
