"""Indicator results as one row per scope and cycle (scope_result) instead of
one per indicator, scope and cycle (indicator_result). The stamps are cleared,
so the next batch run computes every cycle into the new table. The key is
(cycle, scope type, scope id) and there is no foreign key to cycle: the batch
rewrites these rows, and a per-row key check doubled PostgreSQL's COPY.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class ScopeResult(Model):
        cycle_id = IntegerField()
        scope_type = CharField(max_length=12)
        scope_id = IntegerField()
        figures = BlobField()
        trend_break = BooleanField(default=False)
        computed_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'scope_result'
            primary_key = CompositeKey('cycle_id', 'scope_type', 'scope_id')

    db.create_tables([ScopeResult])
    migrator.migrate(migrator.drop_table('indicator_result'))
    db.execute_sql('DELETE FROM indicator_stamp')


def down(migrator, db):
    class Cycle(Model):
        class Meta:
            database = db
            table_name = 'cycle'

    class IndicatorDefinition(Model):
        class Meta:
            database = db
            table_name = 'indicator_definition'

    class IndicatorResult(Model):
        indicator = ForeignKeyField(IndicatorDefinition, on_delete='CASCADE')
        cycle = ForeignKeyField(Cycle, on_delete='CASCADE')
        scope_type = CharField(max_length=12)
        scope_id = IntegerField()
        value = DoubleField(null=True)
        numerator = DoubleField(null=True)
        denominator = DoubleField(null=True)
        secondary_value = DoubleField(null=True)
        n_organisations = IntegerField(default=0)
        signal = CharField(max_length=8, default='geen')
        previous_value = DoubleField(null=True)
        change = DoubleField(null=True)
        trend_break = BooleanField(default=False)
        computed_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'indicator_result'
            indexes = (
                (('indicator', 'cycle', 'scope_type', 'scope_id'), True),
                (('cycle', 'scope_type', 'scope_id'), False),
            )

    db.create_tables([IndicatorResult])
    migrator.migrate(migrator.drop_table('scope_result'))
    db.execute_sql('DELETE FROM indicator_stamp')
