"""Each indicator's exact rule on its boundaries: the day before, the day
itself and the day after; escalation step 0; empty fields; a reopened
assessment; ratings partners gave. Every expected figure is worked out by
hand in the comments."""

import datetime as dt

import pytest

from domain import computation, results, rules
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
    PartnerRating,
)
from tests import factories
from tests.domain.test_computation import FRAMEWORK, INDICATORS


@pytest.fixture
def setting(database):
    fw, _ = import_framework(validate(FRAMEWORK), publish=True)
    import_indicators(validate_indicators(INDICATORS))
    region = factories.region()
    gemeente = factories.gemeente(region)
    ag = {a.code: a for a in Agreement.select().where(Agreement.framework == fw)}

    def cycle(period, opens, due, closes, state="gesloten"):
        return Cycle.create(
            period=period, framework=fw, opens_on=opens, due_on=due, closes_on=closes, state=state
        )

    def org(name, kind="jgz"):
        return factories.organisation(region, kind, name, serves=[gemeente])

    def assessment(organisation, cycle_, state="ingediend", first=None, submitted=None):
        first = first or dt.datetime.combine(cycle_.opens_on, dt.time(12))
        return Assessment.create(
            organisation=organisation,
            cycle=cycle_,
            state=state,
            first_submitted_at=first if state in ("ingediend", "heropend") else None,
            submitted_at=submitted or first,
        )

    return {"fw": fw, "ag": ag, "region": region, "cycle": cycle, "org": org, "assess": assessment}


def value(code, cycle, organisation):
    figure = figure_of(code, cycle, organisation)
    return None if figure is None else figure.value


def figure_of(code, cycle, organisation):
    indicator = IndicatorDefinition.get(IndicatorDefinition.code == code)
    return results.figure(indicator.id, cycle.id, "organisatie", organisation.id)


def answer(assessment, agreement, score=3, **fields):
    return Answer.create(assessment=assessment, agreement=agreement, score=score, **fields)


# --- the shared rules --------------------------------------------------------


def test_deadline_is_the_end_of_the_due_date_in_amsterdam():
    # Summer (CEST, UTC+2) and winter (CET, UTC+1).
    assert rules.deadline(dt.date(2026, 6, 15)) == dt.datetime(2026, 6, 15, 22, 0)
    assert rules.deadline(dt.date(2026, 12, 15)) == dt.datetime(2026, 12, 15, 23, 0)
    assert rules.on_time(dt.datetime(2026, 6, 15, 21, 59, 59), dt.date(2026, 6, 15))
    assert not rules.on_time(dt.datetime(2026, 6, 15, 22, 0), dt.date(2026, 6, 15))
    assert not rules.on_time(None, dt.date(2026, 6, 15))
    assert rules.local_date(dt.datetime(2026, 6, 15, 22, 30)) == dt.date(2026, 6, 16)


def test_months_before_keeps_the_day_or_takes_the_month_end():
    assert rules.months_before(dt.date(2026, 3, 31), 12) == dt.date(2025, 3, 31)
    assert rules.months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert rules.months_before(dt.date(2028, 5, 31), 3) == dt.date(2028, 2, 29)
    assert rules.months_before(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)


# --- GEEVALUEERD: both ends of the window --------------------------------------


def test_evaluated_within_counts_from_the_same_day_a_year_before_to_the_due_date(setting):
    q = setting["cycle"]("2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 30))
    x2 = setting["ag"]["X2"]  # beleid: in the EVAL filter
    days = {
        "day before the window": dt.date(2025, 3, 30),  # not counted
        "first day": dt.date(2025, 3, 31),  # counted
        "due date": dt.date(2026, 3, 31),  # counted
        "day after the due date": dt.date(2026, 4, 1),  # not counted
        "empty": None,  # not evaluated
    }
    orgs = {}
    for name, day in days.items():
        orgs[name] = setting["org"](name)
        answer(setting["assess"](orgs[name], q), x2, last_evaluated_on=day)
    computation.recompute()
    assert {name: value("EVAL", q, o) for name, o in orgs.items()} == {
        "day before the window": 0.0,
        "first day": 100.0,
        "due date": 100.0,
        "day after the due date": 0.0,
        "empty": 0.0,
    }
    # Pooled: 2 of 5. (Before: from 28 March 2025 and no upper bound, 4 of 5.)
    indicator = IndicatorDefinition.get(IndicatorDefinition.code == "EVAL")
    assert results.figure(indicator.id, q.id, "land", 0).value == pytest.approx(40.0)


# --- VASTGELEGD: empty is not in writing -------------------------------------


def test_in_writing_counts_empty_as_not_in_writing(setting):
    q = setting["cycle"]("2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 15), dt.date(2026, 4, 15))
    a = setting["assess"](setting["org"]("A"), q)
    answer(a, setting["ag"]["X1"], in_writing=True)
    answer(a, setting["ag"]["X2"], in_writing=None)  # empty: not in writing
    answer(a, setting["ag"]["Y1"], in_writing=False)
    computation.recompute()
    # 1 of 3 (before: empty dropped, 1 of 2 = 50 %).
    figure = figure_of("WRIT", q, a.organisation)
    assert (figure.numerator, figure.denominator) == (1, 3)
    assert figure.value == pytest.approx(100 / 3)


def test_in_writing_leaves_not_applicable_out(setting):
    q = setting["cycle"]("2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 15), dt.date(2026, 4, 15))
    a = setting["assess"](setting["org"]("A"), q)
    answer(a, setting["ag"]["X1"], in_writing=True)
    answer(a, setting["ag"]["X2"], score=None, not_applicable=True, not_applicable_reason="geen")
    computation.recompute()
    figure = figure_of("WRIT", q, a.organisation)
    assert (figure.numerator, figure.denominator) == (1, 1)


# --- ESCALATIES: only what was escalated ------------------------------------


def test_escalations_count_signals_escalated_to_step_one_or_higher(setting):
    q = setting["cycle"]("2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 15), dt.date(2026, 4, 15))
    a = setting["assess"](setting["org"]("A"), q)
    for code, times, step, resolved in (
        ("X1", 3, 0, False),  # step 0, not escalated: left out
        ("X2", 2, 1, True),  # casemanager, resolved
        ("Y1", 1, 4, False),  # gemeente, not resolved
    ):
        EscalationSignal.create(
            assessment=a,
            agreement=setting["ag"][code],
            times_not_followed=times,
            highest_step=step,
            resolved=resolved,
        )
    computation.recompute()
    # 1 of 2 escalated signals resolved; 2 + 1 = 3 times not followed beside it.
    # (Before: step 0 counted, 1 of 3 and 6 times.)
    figure = figure_of("ESC", q, a.organisation)
    assert (figure.numerator, figure.denominator) == (1, 2)
    assert figure.value == pytest.approx(50.0)
    assert figure.secondary == pytest.approx(3.0)


def test_escalations_at_step_zero_only_give_no_figure(setting):
    q = setting["cycle"]("2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 15), dt.date(2026, 4, 15))
    a = setting["assess"](setting["org"]("A"), q)
    EscalationSignal.create(
        assessment=a, agreement=setting["ag"]["X1"], times_not_followed=4, highest_step=0
    )
    computation.recompute()
    assert figure_of("ESC", q, a.organisation) is None


# --- RESPONS: Amsterdam time, first submission -------------------------------


def test_response_is_cut_off_at_midnight_amsterdam_time_on_the_due_date(setting):
    q = setting["cycle"]("2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15))
    moments = {
        "day before": dt.datetime(2026, 6, 14, 10, 0),  # on time
        "23:59 on the due date": dt.datetime(2026, 6, 15, 21, 59),  # UTC+2: on time
        "00:00 the day after": dt.datetime(2026, 6, 15, 22, 0),  # late
        "00:30 the day after": dt.datetime(2026, 6, 15, 22, 30),  # late (before: on time)
    }
    orgs = {name: setting["org"](name) for name in moments}
    for name, moment in moments.items():
        setting["assess"](orgs[name], q, first=moment)
    computation.recompute()
    assert {name: value("RESP", q, o) for name, o in orgs.items()} == {
        "day before": 100.0,
        "23:59 on the due date": 100.0,
        "00:00 the day after": 0.0,
        "00:30 the day after": 0.0,
    }


def test_response_in_winter_time(setting):
    q = setting["cycle"](
        "2026-Q4", dt.date(2026, 11, 1), dt.date(2026, 12, 15), dt.date(2027, 1, 15)
    )
    in_time, late = setting["org"]("op tijd"), setting["org"]("te laat")
    setting["assess"](in_time, q, first=dt.datetime(2026, 12, 15, 22, 59))  # 23:59 CET
    setting["assess"](late, q, first=dt.datetime(2026, 12, 15, 23, 0))  # 00:00 CET
    computation.recompute()
    assert value("RESP", q, in_time) == 100.0
    assert value("RESP", q, late) == 0.0


def test_response_of_a_reopened_assessment_is_its_first_submission(setting):
    q = setting["cycle"]("2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15))
    reopened, resubmitted_late = setting["org"]("heropend"), setting["org"]("opnieuw")
    never = setting["org"]("nooit")
    # Submitted in time, then reopened and not submitted again when the cycle
    # closed: not on time, as no other indicator counts it either (while the
    # cycle is open it counts as on time: below).
    setting["assess"](reopened, q, state="heropend", first=dt.datetime(2026, 6, 10, 9))
    # Submitted in time, reopened, submitted again after the due date: in time.
    setting["assess"](
        resubmitted_late,
        q,
        first=dt.datetime(2026, 6, 10, 9),
        submitted=dt.datetime(2026, 6, 20, 9),
    )
    setting["assess"](never, q, state="concept")
    computation.recompute()
    assert value("RESP", q, reopened) == 0.0
    assert value("RESP", q, resubmitted_late) == 100.0
    assert value("RESP", q, never) == 0.0
    # The reports' response status counts them the same way.
    from reports.data import CycleData, response_status

    data = CycleData.load(q)
    status = response_status(data, [reopened.id, resubmitted_late.id, never.id])
    assert (status["on_time"], status["late"], status["open"]) == (1, 0, 2)
    assert (data.organisations[reopened.id].name, "heropend") in status["missing"]
    # And so does the coordinators' progress monitor.
    from domain.cycles import monitor_rows

    timing = {row["organisation"].id: row["timing"] for row in monitor_rows(q)}
    assert timing[reopened.id] == "niet opnieuw ingediend"
    assert timing[resubmitted_late.id] == "op tijd"
    # While the cycle is open, the reopened one still counts as on time.
    from models import Cycle

    Cycle.update(state="open").where(Cycle.id == q.id).execute()
    computation.recompute()
    assert value("RESP", q, reopened) == 100.0
    data = CycleData.load(Cycle.get_by_id(q.id))
    status = response_status(data, [reopened.id, resubmitted_late.id, never.id])
    assert (status["on_time"], status["late"], status["open"]) == (2, 0, 1)
    # The reopened assessment's answers do not count until submitted again.
    assert figure_of("MEAN", q, reopened) is None


def test_submitting_again_keeps_the_first_submission(setting):
    from domain import assessment_steps

    q = setting["cycle"](
        "2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15), "open"
    )
    organisation = setting["org"]("A", "veilig_thuis")  # X1, X2, Y1 do not apply: nothing missing
    manager = factories.user(("manager", organisation))
    coordinator = factories.user(("regiocoordinator", setting["region"]))
    assessment = factories.assessment(organisation, q)
    first = dt.datetime(2026, 6, 15, 21, 0)
    assert assessment_steps.submit(manager, assessment, now=first) == []
    assessment_steps.reopen(
        coordinator, assessment, "score herzien", now=first + dt.timedelta(days=1)
    )
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment_steps.submit(manager, assessment, now=first + dt.timedelta(days=2)) == []
    stored = Assessment.get_by_id(assessment.id)
    assert stored.first_submitted_at == first
    assert stored.submitted_at == first + dt.timedelta(days=2)


# --- ACTIES: the window with both ends, completion in Amsterdam --------------


def test_actions_window_from_the_day_after_the_previous_due_date_to_the_due_date(setting):
    q1 = setting["cycle"](
        "2026-Q1", dt.date(2026, 2, 1), dt.date(2026, 3, 15), dt.date(2026, 4, 15)
    )
    q2 = setting["cycle"](
        "2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15)
    )
    organisation = setting["org"]("A")
    a1 = setting["assess"](organisation, q1)
    setting["assess"](organisation, q2)
    x1 = answer(a1, setting["ag"]["X1"], score=1)
    # Every action done on its due date (on time), so each counted one is in
    # numerator and denominator alike.
    for due in (
        dt.date(2026, 1, 31),  # the day before Q1 opened: in no window (before: Q1)
        dt.date(2026, 2, 1),  # Q1's opening date: Q1
        dt.date(2026, 3, 15),  # Q1's due date: Q1
        dt.date(2026, 3, 16),  # the day after: Q2
        dt.date(2026, 6, 15),  # Q2's due date: Q2
        dt.date(2026, 6, 16),  # the day after: in no window yet
    ):
        ImprovementAction.create(
            answer=x1,
            assessment=a1,
            description="actie",
            due_on=due,
            status="gereed",
            completed_on=due,
        )
    computation.recompute()
    assert figure_of("ACT", q1, organisation).denominator == 2
    assert figure_of("ACT", q2, organisation).denominator == 2
    assert value("ACT", q1, organisation) == 100.0


def test_action_done_after_midnight_amsterdam_time_is_late(setting):
    from domain import assessment_agreements, assessment_form, assessment_saving

    q = setting["cycle"](
        "2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15), "open"
    )
    organisation = setting["org"]("A")
    invuller = factories.user(("invuller", organisation))
    assessment = factories.assessment(organisation, q)
    agreements = assessment_agreements.applicable_agreements(assessment)
    x1 = setting["ag"]["X1"]
    form = {
        f"a{x1.id}-score": "2",
        f"a{x1.id}-action": "Werkafspraak opstellen",
        f"a{x1.id}-due": "2026-06-15",
        f"a{x1.id}-status": "open",
    }
    now = dt.datetime(2026, 6, 10, 9)
    parsed = assessment_form.parse_form(form, agreements, now.date())
    assessment_saving.save_answers(invuller, assessment, 0, parsed, now=now)
    # Reported done at 00:30 on 16 June in Amsterdam (22:30 UTC on the 15th).
    form[f"a{x1.id}-status"] = "gereed"
    done = dt.datetime(2026, 6, 15, 22, 30)
    parsed = assessment_form.parse_form(form, agreements, done.date())
    assessment_saving.save_answers(invuller, assessment, 1, parsed, now=done)
    action = ImprovementAction.get()
    assert action.completed_on == dt.date(2026, 6, 16)  # before: the UTC date, 15 June


# --- PARTNER: the ratings partners gave -----------------------------------------


def test_partner_gap_sets_own_score_beside_the_ratings_partners_gave(setting):
    q = setting["cycle"]("2026-Q2", dt.date(2026, 5, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 15))
    y1 = setting["ag"]["Y1"]  # bilateral between jgz and wijkteam
    jgz = setting["org"]("JGZ")
    team1, team2 = setting["org"]("Team 1", "wijkteam"), setting["org"]("Team 2", "wijkteam")
    team3 = setting["org"]("Team 3", "wijkteam")
    own = answer(setting["assess"](jgz, q), y1, score=4)
    PartnerRating.create(
        answer=own, assessment=own.assessment, agreement=y1, partner=team1, score=1
    )  # JGZ's view of Team 1
    for team, score, rating in ((team1, 3, 2), (team2, 2, 3)):
        rated = answer(setting["assess"](team, q), y1, score=score)
        PartnerRating.create(
            answer=rated, assessment=rated.assessment, agreement=y1, partner=jgz, score=rating
        )
    # Team 3's view of JGZ is in a draft: not counted.
    draft = answer(setting["assess"](team3, q, state="concept"), y1, score=1)
    PartnerRating.create(
        answer=draft, assessment=draft.assessment, agreement=y1, partner=jgz, score=0
    )
    computation.recompute()
    # JGZ says 4 of itself; Team 1 says 2, Team 2 says 3: (|4-2| + |4-3|) / 2 = 1.5,
    # signed (2 + 1) / 2 = 1.5, two partners. (Before: its own score against its
    # own view of a partner, |4-1| = 3.)
    figure = figure_of("GAP", q, jgz)
    assert (figure.numerator, figure.denominator) == (3, 2)
    assert figure.value == pytest.approx(1.5)
    assert figure.secondary == pytest.approx(1.5)
    # Team 1 says 3 of itself, JGZ says 1 of it: 2. Team 2 is rated by nobody.
    assert value("GAP", q, team1) == pytest.approx(2.0)
    assert value("GAP", q, team2) is None
