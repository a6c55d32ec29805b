"""Norms over time: the indicator definitions and norms in force for each
cycle, frozen when it closes, and a beheerder's requests to recompute a
cycle on purpose (with the reason its reports then state).

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class Cycle(Model):
        class Meta:
            database = db
            table_name = 'cycle'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class CycleNorms(Model):
        cycle = ForeignKeyField(Cycle, on_delete='CASCADE', unique=True)
        indicators = TextField()
        regional_norms = TextField()
        digest = CharField(max_length=64)
        frozen_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'cycle_norms'

    class RecomputeRequest(Model):
        cycle = ForeignKeyField(Cycle, on_delete='CASCADE')
        reason = TextField()
        requested_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        requested_at = DateTimeField()
        state = CharField(max_length=12, index=True)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        progress = TextField()
        error = TextField(null=True)

        class Meta:
            database = db
            table_name = 'recompute_request'

    db.create_tables([CycleNorms, RecomputeRequest])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('recompute_request'),
        migrator.drop_table('cycle_norms'),
    )
