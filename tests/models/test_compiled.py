"""Queries composed once and run with new values (models/compiled.py)."""

import datetime as dt

import pytest
from peewee import JOIN

from models import Agreement, Answer, Assessment, Cycle, Organisation, RoleAssignment, User
from models.compiled import CompiledQuery
from tests import factories as f


def _composed(query: CompiledQuery) -> int:
    """How many databases the query has been composed for."""
    return len(query._compiled)


def test_rows_are_what_peewee_itself_returns(database):
    region = f.region()
    org = f.organisation(region, "wijkteam")
    other = f.organisation(region, "jgz")
    cycle = f.cycle(f.default_framework())
    mine, theirs = f.assessment(org, cycle), f.assessment(other, cycle)
    with_org = CompiledQuery(
        lambda assessment_id: (
            Assessment.select(Assessment, Organisation, Cycle)
            .join(Organisation)
            .switch(Assessment)
            .join(Cycle)
            .where(Assessment.id == assessment_id)
        )
    )
    for assessment in (mine, theirs, mine):
        found = with_org.first(assessment.id)
        assert found.id == assessment.id
        assert found.organisation.name == assessment.organisation.name
        assert found.cycle.period == "2026-Q1"
    assert with_org.first(theirs.id + mine.id + 1000) is None
    assert _composed(with_org) == 1


def test_a_model_or_a_flag_is_converted_as_the_field_converts_it(database):
    person = f.user(email="actief@example.org")
    gone = f.user(email="weg@example.org")
    User.update(active=False).where(User.id == gone.id).execute()
    active = CompiledQuery(
        lambda user_id, flag: User.select(User.email).where(User.id == user_id, User.active == flag)
    )
    assert active.scalar(person, True) == "actief@example.org"  # a model: its id
    assert active.scalar(gone.id, True) is None
    assert active.scalar(gone.id, False) == "weg@example.org"


def test_tuples_dates_and_joins_come_back_like_peewees(database):
    region = f.region()
    org = f.organisation(region, "wijkteam")
    cycle = f.cycle(f.default_framework())
    assessment = f.assessment(org, cycle)
    agreement = Agreement.select().where(Agreement.framework == cycle.framework).first()
    Answer.create(
        assessment=assessment,
        agreement=agreement,
        score=3,
        last_evaluated_on=dt.date(2026, 2, 1),
        explanation="ja & nee <b>",
    )
    answers = CompiledQuery(
        lambda of: (
            Answer.select(Answer.agreement, Answer.score, Answer.last_evaluated_on)
            .where(Answer.assessment == of)
            .tuples()
        )
    )
    plain = Answer.select(Answer.agreement, Answer.score, Answer.last_evaluated_on).where(
        Answer.assessment == assessment
    )
    assert list(answers(assessment)) == list(plain.tuples())
    assert list(answers(assessment)) == [(agreement.id, 3, dt.date(2026, 2, 1))]
    people = f.user(("manager", org), email="m@example.org")
    roles = CompiledQuery(
        lambda user: (
            RoleAssignment.select(RoleAssignment, Organisation)
            .join(Organisation, join_type=JOIN.LEFT_OUTER)
            .where(RoleAssignment.user == user)
        )
    )
    (role,) = list(roles(people))
    assert (role.role, role.organisation.name) == ("manager", org.name)


def test_the_number_of_values_is_checked(database):
    query = CompiledQuery(lambda user_id: User.select().where(User.id == user_id))
    with pytest.raises(TypeError, match="1 values expected"):
        query(1, 2)


def test_each_database_gets_its_own_sql(database, backend, tmp_path):
    """Composed per database: another database (another dialect, or the next
    test's) composes again instead of reusing the first one's SQL."""
    from models import init_database
    from models.migrate import upgrade

    query = CompiledQuery(lambda email: User.select(User.id).where(User.email == email))
    f.user(email="een@example.org")
    assert query.scalar("een@example.org") is not None
    first_sql = query._compiled[database][1]
    assert ("%s" in first_sql) == (backend == "postgresql")
    database.close()
    other = init_database(f"sqlite:///{tmp_path / 'other.db'}")
    with other.connection_context():
        upgrade(other)
        assert query.scalar("een@example.org") is None
        assert _composed(query) == 2
        assert "?" in query._compiled[other][1]


def test_an_update_writes_dates_flags_and_models_and_counts_its_rows(database):
    region = f.region()
    org = f.organisation(region, "wijkteam")
    cycle = f.cycle(f.default_framework())
    assessment = f.assessment(org, cycle)
    person = f.user(("manager", org))
    claim = CompiledQuery(
        lambda version, at, by, assessment_id, base: Assessment.update(
            version=version, updated_at=at, updated_by=by
        ).where(Assessment.id == assessment_id, Assessment.version == base)
    )
    moment = dt.datetime(2026, 3, 4, 5, 6, 7)
    assert claim.execute(1, moment, person, assessment.id, 0) == 1
    assert claim.execute(1, moment, person, assessment.id, 0) == 0  # no longer version 0
    stored = Assessment.get_by_id(assessment.id)
    assert (stored.version, stored.updated_at, stored.updated_by_id) == (1, moment, person.id)


def test_postgresql_prepares_it_once_per_connection(postgres_template):
    from models import init_database

    database = init_database(postgres_template)
    database.connect()
    User.delete().execute()
    f.user(email="een@example.org")
    query = CompiledQuery(lambda email: User.select(User.id).where(User.email == email))

    def prepared() -> list[str]:
        rows = database.execute_sql("SELECT statement FROM pg_prepared_statements").fetchall()
        return [text for (text,) in rows if "app_user" in text]

    assert query.scalar("een@example.org") is not None
    assert query.scalar("twee@example.org") is None
    assert len(prepared()) == 1  # prepared once, run twice
    assert "$1" in prepared()[0]
    with database.atomic() as transaction:  # a rollback keeps it
        query.scalar("een@example.org")
        transaction.rollback()
    assert len(prepared()) == 1
    database.close()
    database.close_all()  # the next connection is a new session
    database.connect()
    assert prepared() == []
    assert query.scalar("een@example.org") is not None
    assert len(prepared()) == 1
    User.delete().execute()
    database.close()
