"""Bilateral partner ratings and the first submission of an assessment.

- `partner_rating`: on a bilateral agreement an organisation rates each named
  partner organisation it works with (one row per answer and partner). Every
  existing `answer.partner_score` moves there without loss: with its partner
  where the answer named one, or where exactly one organisation could be the
  partner (of a partner kind of the agreement, other than the answering
  organisation's kind, active, in its region or serving one of its
  gemeenten); otherwise it is kept without a partner. A rating carries its
  answer's assessment and agreement, so the batch reads the ratings without
  reading their answers. `answer.partner_score`
  and `answer.partner_organisation_id` are dropped.
- `assessment.first_submitted_at`: the first submission, which a reopening
  never undoes (the response rate counts it), filled from the change history
  (the earliest change to 'ingediend'), else from `submitted_at`.
- The stamps are cleared: the indicators now compute their exact rules
  (PARTNER from the partners' ratings, response by the first submission, …),
  so the next batch run recomputes every cycle.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def _candidates(select):
    """Organisations that may be the partner of rating `partner_rating`."""
    return (
        f'SELECT {select} FROM answer a '
        'JOIN assessment s ON s.id = a.assessment_id '
        'JOIN organisation o ON o.id = s.organisation_id '
        'JOIN organisation p ON p.id <> o.id AND p.kind <> o.kind AND p.active '
        'WHERE a.id = partner_rating.answer_id '
        'AND p.kind IN (SELECT k.kind FROM agreement_kind k '
        "WHERE k.agreement_id = a.agreement_id AND k.side = 'partner') "
        'AND (p.region_id = o.region_id OR EXISTS (SELECT 1 FROM organisation_gemeente x '
        'JOIN organisation_gemeente y ON y.gemeente_id = x.gemeente_id '
        'WHERE x.organisation_id = o.id AND y.organisation_id = p.id))'
    )


def up(migrator, db):
    postgres = 'postgres' in type(db).__name__.lower()

    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class Answer(Model):
        class Meta:
            database = db
            table_name = 'answer'

    class Assessment(Model):
        class Meta:
            database = db
            table_name = 'assessment'

    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class PartnerRating(Model):
        answer = ForeignKeyField(Answer, on_delete='CASCADE')
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, on_delete='RESTRICT')
        partner = ForeignKeyField(Organisation, null=True, on_delete='SET NULL')
        score = IntegerField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'partner_rating'
            indexes = ((('answer', 'partner'), True),)
            constraints = [Check('score >= 0 AND score <= 4')]

    db.create_tables([PartnerRating])
    db.execute_sql(
        'INSERT INTO partner_rating '
        '(answer_id, assessment_id, agreement_id, partner_id, score, updated_at) '
        'SELECT id, assessment_id, agreement_id, partner_organisation_id, partner_score, '
        'updated_at FROM answer WHERE partner_score IS NOT NULL'
    )
    db.execute_sql(
        f'UPDATE partner_rating SET partner_id = ({_candidates("MIN(p.id)")}) '  # noqa: S608
        f'WHERE partner_id IS NULL AND ({_candidates("COUNT(*)")}) = 1'
    )

    migrator.migrate(migrator.add_column(
        'assessment', 'first_submitted_at', DateTimeField(null=True)))
    db.execute_sql(
        'UPDATE assessment SET first_submitted_at = COALESCE('
        '(SELECT MIN(c.at) FROM assessment_change c WHERE c.assessment_id = assessment.id '
        "AND c.field = 'state' AND c.new_value = 'ingediend'), submitted_at)"
    )

    db.execute_sql('DELETE FROM indicator_stamp')

    if postgres:
        # PostgreSQL drops the column's check, foreign key and index with it.
        migrator.migrate(
            migrator.drop_column('answer', 'partner_score'),
            migrator.drop_column('answer', 'partner_organisation_id'),
        )
        return
    # SQLite cannot drop a column a CHECK names: rebuild the table (foreign
    # keys are off during a migration, so nothing cascades).
    columns = (
        'id, assessment_id, agreement_id, score, not_applicable, not_applicable_reason, '
        'in_writing, last_evaluated_on, explanation, copied, updated_at, updated_by_id'
    )
    db.execute_sql(
        'CREATE TABLE "answer_new" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"assessment_id" INTEGER NOT NULL, "agreement_id" INTEGER NOT NULL, "score" INTEGER, '
        '"not_applicable" INTEGER NOT NULL, "not_applicable_reason" TEXT, "in_writing" INTEGER, '
        '"last_evaluated_on" DATE, "explanation" TEXT, "copied" INTEGER NOT NULL, '
        '"updated_at" DATETIME NOT NULL, "updated_by_id" INTEGER, '
        'FOREIGN KEY ("assessment_id") REFERENCES "assessment" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("agreement_id") REFERENCES "agreement" ("id") ON DELETE RESTRICT, '
        'FOREIGN KEY ("updated_by_id") REFERENCES "app_user" ("id") ON DELETE SET NULL, '
        'CHECK (score IS NULL OR (score >= 0 AND score <= 4)), '
        'CHECK (NOT (not_applicable AND score IS NOT NULL)))'
    )
    db.execute_sql(f'INSERT INTO answer_new ({columns}) SELECT {columns} FROM answer')  # noqa: S608
    db.execute_sql('DROP TABLE answer')
    db.execute_sql('ALTER TABLE answer_new RENAME TO answer')
    for name, fields, unique in (
        ('answer_assessment_id', 'assessment_id', ''),
        ('answer_agreement_id', 'agreement_id', ''),
        ('answer_updated_by_id', 'updated_by_id', ''),
        ('answer_assessment_id_agreement_id', 'assessment_id, agreement_id', 'UNIQUE '),
    ):
        db.execute_sql(f'CREATE {unique}INDEX "{name}" ON "answer" ({fields})')


def down(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    migrator.migrate(
        migrator.add_column('answer', 'partner_score', IntegerField(null=True)),
        migrator.add_column('answer', 'partner_organisation_id', ForeignKeyField(
            Organisation, field=Organisation.id, null=True, on_delete='SET NULL')),
    )
    # One rating per answer fits the old columns: the first one given.
    db.execute_sql(
        'UPDATE answer SET partner_score = r.score, partner_organisation_id = r.partner_id '
        'FROM partner_rating r WHERE r.id = (SELECT MIN(q.id) FROM partner_rating q '
        'WHERE q.answer_id = answer.id)'
    )
    migrator.migrate(
        migrator.drop_table('partner_rating'),
        migrator.drop_column('assessment', 'first_submitted_at'),
    )
