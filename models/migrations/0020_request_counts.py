"""Request counts per (scope, key, window) replace the per-token API counts:
the API's budget belongs to the user (all their tokens together), and failed
API authentications, locked logins and reset requests are counted per client
address, with the audit event that records them in aggregate once past a
threshold.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class RequestCount(Model):
        scope = CharField(max_length=16)
        key = CharField(max_length=64)
        window = DateTimeField()
        count = IntegerField(default=0)
        event_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'request_count'
            indexes = ((('scope', 'key', 'window'), True),)

    db.create_tables([RequestCount])
    migrator.migrate(migrator.drop_table('api_rate'))


def down(migrator, db):
    class ApiToken(Model):
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

    db.create_tables([ApiRate])
    migrator.migrate(migrator.drop_table('request_count'))
