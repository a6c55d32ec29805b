"""Accounts: login throttling, single-use mail tokens (reset, invitation), and
an active flag on gemeenten (mergers deactivate rather than delete).

Generated from playhouse.schema_diff; frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class LoginThrottle(Model):
        scope = CharField(max_length=8)
        key = CharField(max_length=254)
        failures = IntegerField(default=0)
        last_failure_at = DateTimeField(null=True)
        locked_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'login_throttle'
            indexes = ((('scope', 'key'), True),)
    db.create_tables([LoginThrottle])

    class UserToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=12)
        token_hash = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user_token'
    db.create_tables([UserToken])

    migrator.migrate(migrator.add_column('gemeente', 'active', BooleanField(default=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('gemeente', 'active'))
    migrator.migrate(migrator.drop_table('user_token'))
    migrator.migrate(migrator.drop_table('login_throttle'))
