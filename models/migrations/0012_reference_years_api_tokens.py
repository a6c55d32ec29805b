"""Gemeenten per reference year (the years each existed and the gemeente it
merged into), the years loaded, and personal access tokens for the open data
feed with their per-minute request counts.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class Gemeente(Model):
        class Meta:
            database = db
            table_name = 'gemeente'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    migrator.migrate(
        migrator.add_column('gemeente', 'valid_from', IntegerField(null=True)),
        migrator.add_column('gemeente', 'valid_until', IntegerField(null=True)),
        migrator.add_column(
            'gemeente', 'successor_id',
            ForeignKeyField(Gemeente, field=Gemeente.id, null=True, on_delete='SET NULL'),
        ),
    )

    class ReferenceYear(Model):
        year = IntegerField(unique=True)
        gemeenten = IntegerField()
        loaded_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'reference_year'

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=100)
        prefix = CharField(max_length=12)
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'api_token'

    class ApiRate(Model):
        token = ForeignKeyField(ApiToken, on_delete='CASCADE')
        window = DateTimeField()
        count = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'api_rate'
            indexes = ((('token', 'window'), True),)

    db.create_tables([ReferenceYear, ApiToken, ApiRate])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('api_rate'))
    migrator.migrate(migrator.drop_table('api_token'))
    migrator.migrate(migrator.drop_table('reference_year'))
    migrator.migrate(
        migrator.drop_index('gemeente', 'gemeente_successor_id'),
        migrator.drop_column('gemeente', 'successor_id'),
        migrator.drop_column('gemeente', 'valid_until'),
        migrator.drop_column('gemeente', 'valid_from'),
    )
