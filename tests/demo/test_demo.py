"""The demo data generator: deterministic, and realistic enough to show trends,
differences, late and missing submissions and partner disagreement."""

import datetime as dt
import statistics

import pytest
from peewee import fn

import demo
from domain.reference import load_reference_data
from models import (
    Agreement,
    Answer,
    Assessment,
    Cycle,
    Gemeente,
    Organisation,
    OrganisationGemeente,
    PartnerRating,
    Region,
    RoleAssignment,
    User,
)
from tests import factories

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def small(database):
    load_reference_data()
    factories.default_framework()
    counts = demo.generate("small", seed=7, last_period="2026-Q4", today=TODAY)
    return counts


def _snapshot() -> dict:
    """The generated content by natural keys (ids and creation times left out)."""
    orgs = sorted(
        Organisation.select(Organisation.name, Organisation.kind, Organisation.active).tuples()
    )
    users = sorted(User.select(User.email, User.name).tuples())
    assessments = sorted(
        Assessment.select(
            Organisation.name, Cycle.period, Assessment.state, Assessment.submitted_at
        )
        .join(Organisation)
        .switch(Assessment)
        .join(Cycle)
        .tuples()
    )
    answers = sorted(
        Answer.select(
            Organisation.name,
            Cycle.period,
            Agreement.code,
            Answer.score,
            Answer.not_applicable,
            Answer.in_writing,
            Answer.last_evaluated_on,
        )
        .join(Assessment)
        .join(Organisation)
        .switch(Assessment)
        .join(Cycle)
        .switch(Answer)
        .join(Agreement)
        .tuples(),
        key=repr,
    )
    partner = Organisation.alias()
    ratings = sorted(
        PartnerRating.select(
            Organisation.name, Cycle.period, Agreement.code, partner.name, PartnerRating.score
        )
        .join(Answer)
        .join(Assessment)
        .join(Organisation)
        .switch(Assessment)
        .join(Cycle)
        .switch(Answer)
        .join(Agreement)
        .switch(PartnerRating)
        .join(partner, on=PartnerRating.partner == partner.id)
        .tuples()
    )
    return {
        "orgs": orgs,
        "users": users,
        "assessments": assessments,
        "answers": answers,
        "ratings": ratings,
    }


def test_small_scale_shape(small):
    assert Region.select().join(Organisation).distinct().count() == 1
    assert {o.region.code for o in Organisation.select()} == {"VR24"}
    assert 25 <= small["organisations"] <= 35
    served = Gemeente.select().join(OrganisationGemeente).distinct().count()
    assert served == 16
    assert [c.period for c in Cycle.select().order_by(Cycle.period)] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert {c.state for c in Cycle.select()} == {"gesloten", "open"}
    assert Cycle.get(Cycle.period == "2026-Q4").state == "open"
    roles = dict(
        RoleAssignment.select(RoleAssignment.role, fn.COUNT(1))
        .group_by(RoleAssignment.role)
        .tuples()
    )
    assert roles["beheerder"] == 1
    assert roles["regiocoordinator"] == 1
    assert roles["manager"] == Organisation.select().where(Organisation.active).count()
    assert roles["gemeente"] == 16
    assert small["answers"] == Answer.select().count() > 5000


def test_same_seed_gives_same_data(small):
    first = _snapshot()
    demo.clear_demo_data()
    demo.generate("small", seed=7, last_period="2026-Q4", today=TODAY)
    assert _snapshot() == first
    demo.clear_demo_data()
    demo.generate("small", seed=8, last_period="2026-Q4", today=TODAY)
    assert _snapshot()["answers"] != first["answers"]


def test_late_and_missing_submissions(small):
    closed = Assessment.select().join(Cycle).where(Cycle.state == "gesloten")
    late = closed.where(
        Assessment.state == "ingediend", fn.DATE(Assessment.submitted_at) > Cycle.due_on
    ).count()
    missing = closed.where(Assessment.state != "ingediend").count()
    total = closed.count()
    assert 0 < late < total * 0.3
    assert 0 < missing < total * 0.3
    # Nothing was submitted after the cycle closed.
    assert closed.where(fn.DATE(Assessment.submitted_at) > Cycle.closes_on).count() == 0


def test_answers_differ_and_improve_over_time(small):
    rows = list(
        Answer.select(Assessment.organisation, Answer.agreement, Cycle.period, Answer.score)
        .join(Assessment)
        .join(Cycle)
        .where(Answer.score.is_null(False))
        .tuples()
    )
    by_org, by_agreement, by_period = {}, {}, {}
    for org, agreement, period, score in rows:
        by_org.setdefault(org, []).append(score)
        by_agreement.setdefault(agreement, []).append(score)
        by_period.setdefault(period, []).append(score)
    org_means = [statistics.mean(v) for v in by_org.values()]
    agreement_means = [statistics.mean(v) for v in by_agreement.values() if len(v) > 20]
    assert statistics.pstdev(org_means) > 0.25
    assert max(agreement_means) - min(agreement_means) > 1.0
    assert {s for _, _, _, s in rows} == {0, 1, 2, 3, 4}
    assert statistics.mean(by_period["2026-Q3"]) > statistics.mean(by_period["2025-Q1"])
    assert Answer.select().where(Answer.not_applicable).count() > 0
    assert (
        Answer.select().where(Answer.not_applicable, Answer.not_applicable_reason.is_null()).count()
        == 0
    )


def test_partner_views_disagree(small):
    """Both sides of a bilateral agreement: an organisation's own score beside
    what its named partners (of a partner kind, nearby) said of it."""
    rater, rated = Answer.alias(), Answer.alias()
    rater_assessment, rated_assessment = Assessment.alias(), Assessment.alias()
    pairs = list(
        PartnerRating.select(rated.score, PartnerRating.score)
        .join(rater, on=PartnerRating.answer == rater.id)
        .join(rater_assessment, on=rater.assessment == rater_assessment.id)
        .join(
            rated_assessment,
            on=(rated_assessment.organisation == PartnerRating.partner)
            & (rated_assessment.cycle == rater_assessment.cycle),
        )
        .join(
            rated,
            on=(rated.assessment == rated_assessment.id) & (rated.agreement == rater.agreement),
        )
        .where(rated.score.is_null(False))
        .tuples()
    )
    assert len(pairs) > 100
    gaps = [own - partner for own, partner in pairs]
    assert statistics.mean(gaps) > 0.2  # people rate themselves higher than partners do
    assert sum(1 for g in gaps if g != 0) > len(gaps) * 0.3
    # Named partners only, and only on bilateral agreements, of another kind,
    # in the region.
    checked = (
        PartnerRating.select(
            PartnerRating.partner, Agreement.bilateral, Organisation.kind, Organisation.region
        )
        .join(Answer)
        .join(Agreement)
        .switch(Answer)
        .join(Assessment)
        .join(Organisation)
        .tuples()
    )
    partner_of = {o.id: (o.kind, o.region_id) for o in Organisation.select()}
    for partner_id, bilateral, kind, region_id in checked:
        assert bilateral
        assert partner_of[partner_id][0] != kind
        assert partner_of[partner_id][1] == region_id


def test_only_applicable_agreements_are_answered(small):
    from models import AgreementKind

    wrong = (
        Answer.select()
        .join(Assessment)
        .join(Organisation)
        .where(
            ~fn.EXISTS(
                AgreementKind.select().where(
                    AgreementKind.agreement == Answer.agreement,
                    AgreementKind.kind == Organisation.kind,
                    AgreementKind.side == "applies",
                )
            )
        )
        .count()
    )
    assert wrong == 0


def test_demo_password_works_for_demo_accounts(small):
    from domain.passwords import verify_password

    admin = User.get(User.email == f"beheerder@{demo.DEMO_DOMAIN}")
    assert verify_password(admin.password_hash, demo.DEMO_PASSWORD)


def test_quarter_helpers():
    assert demo.quarter_periods("2026-Q1", 3) == ["2025-Q3", "2025-Q4", "2026-Q1"]
    assert demo.current_period(dt.date(2026, 11, 23)) == "2026-Q4"
    assert demo.cycle_dates("2026-Q4") == (
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 15),
        dt.date(2027, 1, 15),
    )


def test_open_cycle_saves_unchanged(small):
    """Evaluation dates of the open cycle lie in the past, so every editable
    assessment of the demo can be saved as it is (they were counted back from
    the due date, which lies after today)."""
    from domain import assessment_access, assessment_agreements, assessment_form

    open_cycle = Cycle.get(Cycle.state == "open")
    assert open_cycle.due_on > TODAY
    future = (
        Answer.select()
        .join(Assessment)
        .where(Assessment.cycle == open_cycle, Answer.last_evaluated_on > TODAY)
        .count()
    )
    assert future == 0
    editable = list(
        Assessment.select().where(
            Assessment.cycle == open_cycle, Assessment.state.in_(assessment_access.EDITABLE_STATES)
        )
    )
    assert editable
    for assessment in editable:
        agreements = assessment_agreements.applicable_agreements(assessment)
        parsed = assessment_form.parse_form(
            assessment_form.stored_values(assessment), agreements, TODAY
        )
        assert parsed.errors == {}, (assessment.organisation.name, parsed.errors)
