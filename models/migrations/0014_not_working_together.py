"""Partners not worked with: on a bilateral agreement an organisation may
say it does not work with a listed partner organisation on it ("werken niet
samen op deze afspraak"), an answer distinct from no rating yet. One row per
answer and partner; no score, so the partner view never counts it.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
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

    class NotWorkingTogether(Model):
        answer = ForeignKeyField(Answer, on_delete='CASCADE')
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, on_delete='RESTRICT')
        partner = ForeignKeyField(Organisation, on_delete='CASCADE')
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'not_working_together'
            indexes = ((('answer', 'partner'), True),)

    db.create_tables([NotWorkingTogether])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('not_working_together'))
