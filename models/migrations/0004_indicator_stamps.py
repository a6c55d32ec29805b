"""Indicator stamps (a fingerprint per cycle, for incremental recomputation)
and an index on improvement actions' due dates.

Generated from playhouse.schema_diff; frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class Cycle(Model):
        class Meta:
            database = db
            table_name = 'cycle'

    class IndicatorStamp(Model):
        cycle = ForeignKeyField(Cycle, unique=True, on_delete='CASCADE')
        stamp = CharField(max_length=64)
        computed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'indicator_stamp'
    db.create_tables([IndicatorStamp])

    migrator.migrate(migrator.add_index('improvement_action', ('due_on',)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('improvement_action', 'improvement_action_due_on'))
    migrator.migrate(migrator.drop_table('indicator_stamp'))
