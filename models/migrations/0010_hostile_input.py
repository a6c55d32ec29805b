"""Password reset requests are queued and turned into mails by the outbox job,
so the request itself does the same work for known and unknown addresses;
outbox messages that carry a secret link are marked, so their bodies are
removed once delivered.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class PasswordResetRequest(Model):
        email = CharField(max_length=254)
        ip = CharField(max_length=64, default='')
        requested_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'password_reset_request'
    db.create_tables([PasswordResetRequest])
    migrator.migrate(
        migrator.add_column('outbox_message', 'secret', BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('outbox_message', 'secret'))
    migrator.migrate(migrator.drop_table('password_reset_request'))
