"""Improvement actions carry the assessment of their answer (which never
changes), so the batch counts them per organisation without reading every
answer; and their due-date index includes the last change, so the batch's
per-cycle fingerprint of the actions reads the index alone.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class Assessment(Model):
        class Meta:
            database = db
            table_name = 'assessment'

    field = ForeignKeyField(Assessment, field=Assessment.id, null=True, on_delete='CASCADE')
    migrator.migrate(migrator.add_column('improvement_action', 'assessment_id', field))
    db.execute_sql(
        'UPDATE improvement_action SET assessment_id = '
        '(SELECT answer.assessment_id FROM answer WHERE answer.id = improvement_action.answer_id)'
    )
    migrator.migrate(migrator.add_not_null('improvement_action', 'assessment_id'))
    migrator.migrate(migrator.drop_index('improvement_action', 'improvement_action_due_on'))
    migrator.migrate(migrator.add_index('improvement_action', ('due_on', 'updated_at')))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('improvement_action', 'improvement_action_due_on_updated_at'))
    migrator.migrate(migrator.add_index('improvement_action', ('due_on',)))
    migrator.migrate(migrator.drop_index('improvement_action', 'improvement_action_assessment_id'))
    migrator.migrate(migrator.drop_column('improvement_action', 'assessment_id'))
