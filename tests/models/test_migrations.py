"""The versioned migrations build exactly the schema the models describe."""

import datetime as dt

import pytest
from peewee import IntegrityError

from models import (
    Answer,
    Assessment,
    Cycle,
    Gemeente,
    ImprovementAction,
    Organisation,
    Region,
    db,
    init_database,
)
from models.migrate import pending, runner, schema_drift, upgrade
from tests import factories


def test_upgrade_of_empty_database_matches_models(empty_database_url):
    database = init_database(empty_database_url)
    names = [m.name for m in runner(database).migrations()]
    assert names[:4] == [
        "0001_initial",
        "0002_accounts",
        "0003_change_version",
        "0004_indicator_stamps",
    ]
    with database.connection_context():
        assert pending(database) == names
        assert upgrade(database) == names
        diff = schema_drift(database)
        assert not diff, f"schema differs from the models:\n{diff}"
        assert pending(database) == []
        # Recorded in the database, and a second upgrade does nothing.
        assert [m.name for m in runner(database).status() if m.applied] == names
        assert upgrade(database) == []


def test_downgrade_removes_every_table(empty_database_url):
    database = init_database(empty_database_url)
    with database.connection_context():
        upgrade(database)
        names = [m.name for m in runner(database).migrations()]
        assert runner(database).down("0001_initial") == names[::-1]
        assert database.get_tables() == ["schema_migration"]


def test_upgrade_keeps_existing_rows(empty_database_url):
    database = init_database(empty_database_url)
    with database.connection_context():
        runner(database).up("0001_initial")
        database.execute_sql("INSERT INTO region (code, name) VALUES ('VR24', 'Zuid-Limburg')")
        database.execute_sql(
            "INSERT INTO gemeente (code, name, region_id) VALUES ('GM0935', 'Maastricht', 1)"
        )
        assert upgrade(database)[0] == "0002_accounts"
        assert Gemeente.get(Gemeente.code == "GM0935").active is True


def test_upgrade_gives_actions_their_assessment(empty_database_url):
    database = init_database(empty_database_url)
    with database.connection_context():
        runner(database).up("0007_scope_results")
        fw = factories.default_framework()
        org = factories.organisation(factories.region())
        target = factories.assessment(org, factories.cycle(fw))
        other = factories.assessment(org, factories.cycle(fw, "2026-Q2"))
        for n, owner in enumerate((target, other, target)):
            answer = Answer.create(
                assessment=owner, agreement=fw.agreements.offset(n).first(), score=1
            )
            database.execute_sql(
                "INSERT INTO improvement_action (answer_id, description, owner, status, "  # noqa: S608
                f"created_at, updated_at) VALUES ({database.param}, 'actie', '', 'open', "
                "'2026-01-01', '2026-01-01')",
                (answer.id,),
            )
        assert runner(database).up("0008_action_assessment") == ["0008_action_assessment"]
        assert [
            a.assessment_id for a in ImprovementAction.select().order_by(ImprovementAction.id)
        ] == [
            target.id,
            other.id,
            target.id,
        ]


def test_one_assessment_per_organisation_and_cycle(database):
    fw = factories.default_framework()
    org = factories.organisation(factories.region())
    cycle = factories.cycle(fw)
    factories.assessment(org, cycle)
    with pytest.raises(IntegrityError), db.atomic():
        Assessment.create(organisation=org, cycle=cycle)


def test_foreign_keys_are_enforced(database):
    with pytest.raises(IntegrityError), db.atomic():
        Organisation.create(name="Zwevend", kind="jgz", region=999_999)


def test_score_must_lie_between_0_and_4(database):
    fw = factories.default_framework()
    org = factories.organisation(factories.region())
    a = factories.assessment(org, factories.cycle(fw))
    agreement = fw.agreements.first()
    from models import Answer

    Answer.create(assessment=a, agreement=agreement, score=4)
    with pytest.raises(IntegrityError), db.atomic():
        Answer.create(assessment=a, agreement=fw.agreements.offset(1).first(), score=5)


def test_cycle_dates_must_be_in_order(database):
    fw = factories.default_framework()
    with pytest.raises(IntegrityError), db.atomic():
        Cycle.create(
            period="2026-Q2",
            framework=fw,
            opens_on=dt.date(2026, 5, 1),
            due_on=dt.date(2026, 4, 1),
            closes_on=dt.date(2026, 6, 1),
        )


def test_role_scope_must_match_role(database):
    from models import RoleAssignment

    u = factories.user()
    region = Region.create(code="VX99", name="Testregio")
    with pytest.raises(IntegrityError), db.atomic():
        RoleAssignment.create(user=u, role="manager", region=region)
    with pytest.raises(IntegrityError), db.atomic():
        RoleAssignment.create(user=u, role="beheerder", region=region)
    RoleAssignment.create(user=u, role="regiocoordinator", region=region)
