"""The versioned migrations build exactly the schema the models describe."""

import datetime as dt

import pytest
from peewee import IntegrityError

from models import (
    Agreement,
    Answer,
    Assessment,
    Cycle,
    Gemeente,
    ImprovementAction,
    Organisation,
    PartnerRating,
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
        fw = factories.default_framework(factories.FRAMEWORK_V1)
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


def test_upgrade_moves_partner_scores_to_named_ratings_without_loss(empty_database_url):
    """0009: every old partner score becomes a rating; its partner is named
    where only one organisation can be the partner, else kept unnamed. The
    first submission is read from the change history."""
    database = init_database(empty_database_url)
    p = database.param
    with database.connection_context():
        runner(database).up("0008_action_assessment")
        fw = factories.default_framework(factories.FRAMEWORK_V1)
        region = factories.region()
        g1, g2 = factories.gemeente(region), factories.gemeente(region)
        vt = factories.organisation(region, "veilig_thuis", "VT", serves=[g1, g2])
        jgz = factories.organisation(region, "jgz", "JGZ", serves=[g1])
        team1 = factories.organisation(region, "wijkteam", "Team 1", serves=[g1])
        factories.organisation(region, "wijkteam", "Team 2", serves=[g2])
        cycle = factories.cycle(fw)
        partner_kinds = {}
        for agreement in fw.agreements.where(Agreement.bilateral == True):  # noqa: E712
            kinds = frozenset(k.kind for k in agreement.kinds if k.side == "partner")
            partner_kinds.setdefault(kinds, agreement)
        vt_jgz = partner_kinds[frozenset({"jgz", "veilig_thuis"})]
        team_jgz = partner_kinds[frozenset({"jgz", "wijkteam"})]
        assessments = {}

        def old_answer(org, agreement, partner_score):
            if org.id not in assessments:
                # Raw SQL: the model knows columns this schema does not have yet.
                database.execute_sql(
                    "INSERT INTO assessment (organisation_id, cycle_id, state, version, "  # noqa: S608
                    f"updated_at) VALUES ({p}, {p}, 'ingediend', 1, '2026-01-01')",
                    (org.id, cycle.id),
                )
                assessments[org.id] = database.execute_sql(
                    f"SELECT id FROM assessment WHERE organisation_id = {p}",  # noqa: S608
                    (org.id,),
                ).fetchone()[0]
            database.execute_sql(
                "INSERT INTO answer (assessment_id, agreement_id, score, not_applicable, "  # noqa: S608
                "copied, updated_at, partner_score) "
                f"VALUES ({p}, {p}, 3, {p}, {p}, '2026-01-01', {p})",
                (assessments[org.id], agreement.id, False, False, partner_score),
            )
            return assessments[org.id]

        old_answer(vt, vt_jgz, 2)  # one JGZ in the region: named
        jgz_assessment = old_answer(jgz, team_jgz, 1)  # two wijkteams: left unnamed
        database.execute_sql(
            f"UPDATE assessment SET state = 'heropend', submitted_at = {p} WHERE id = {p}",  # noqa: S608
            (dt.datetime(2026, 3, 20, 9), jgz_assessment),
        )
        for at, new in (
            (dt.datetime(2026, 3, 10, 9), "ingediend"),
            (dt.datetime(2026, 3, 12), "heropend"),
        ):
            database.execute_sql(
                "INSERT INTO assessment_change (assessment_id, at, field, new_value, version) "  # noqa: S608
                f"VALUES ({p}, {p}, 'state', {p}, 1)",
                (jgz_assessment, at, new),
            )
        assert team1  # a candidate partner of JGZ, as is Team 2
        database.execute_sql(
            "INSERT INTO indicator_stamp (cycle_id, stamp, computed_at) "  # noqa: S608
            f"VALUES ({p}, 'oud', '2026-01-01')",
            (cycle.id,),
        )
        assert runner(database).up("0009_partner_ratings") == ["0009_partner_ratings"]
        ratings = set(
            PartnerRating.select(
                Assessment.organisation, PartnerRating.partner, PartnerRating.score
            )
            .join(Answer)
            .join(Assessment)
            .tuples()
        )
        assert ratings == {(vt.id, jgz.id, 2), (jgz.id, None, 1)}
        # Only this column: later migrations add columns the model already has.
        first = (
            Assessment.select(Assessment.first_submitted_at)
            .where(Assessment.id == jgz_assessment)
            .scalar()
        )
        assert first == dt.datetime(2026, 3, 10, 9)
        assert Answer.select().count() == 2
        # The results are recomputed under the new rules on the next run.
        assert not database.execute_sql("SELECT COUNT(*) FROM indicator_stamp").fetchone()[0]


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


def test_reminders_sent_before_0017_are_read_back_from_the_outbox(database):
    """0017 records every reminder from now on; those sent before it are
    found in the outbox by their dedupe keys (one per organisation and
    person), one reminder row per assessment and sending."""
    import importlib

    from models import OutboxMessage, Reminder

    migration = importlib.import_module("models.migrations.0017_practice_reminders")
    fw = factories.default_framework()
    org = factories.organisation(factories.region())
    cycle = factories.cycle(fw, "2026-Q4")
    first = factories.assessment(org, cycle)
    second = factories.assessment(factories.organisation(org.region), cycle)
    keys = {
        f"reminder:{cycle.id}:7:{first.id}:1": dt.datetime(2026, 11, 1, 7, 0),
        f"reminder:{cycle.id}:7:{first.id}:2": dt.datetime(2026, 11, 1, 7, 1),
        f"reminder-now:2026-11-03:{first.id}:1": dt.datetime(2026, 11, 3, 9, 0),
        f"reminder-now:2026-11-03:{second.id}:3": dt.datetime(2026, 11, 3, 9, 5),
        "reminder-now:2026-11-03:999999:3": dt.datetime(2026, 11, 3, 9, 5),  # gone
        "reminder:x": dt.datetime(2026, 11, 3, 9, 5),
        "submitted:1:1:1": dt.datetime(2026, 11, 3, 9, 5),
    }
    for key, at in keys.items():
        OutboxMessage.create(
            dedupe_key=key, to_address="a@b.nl", subject="s", body_text="b", created_at=at
        )
    migration.backfill_reminders(database, Reminder)
    rows = [
        (r.assessment_id, r.at, r.user_id, r.recipients)
        for r in Reminder.select().order_by(Reminder.assessment, Reminder.at)
    ]
    assert rows == [
        (first.id, dt.datetime(2026, 11, 1, 7, 0), None, 2),
        (first.id, dt.datetime(2026, 11, 3, 9, 0), None, 1),
        (second.id, dt.datetime(2026, 11, 3, 9, 5), None, 1),
    ]
