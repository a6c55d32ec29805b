"""Each outbox message keeps one Message-ID, generated when it is queued and
sent unchanged on every attempt, so a receiver can recognise a resend after a
crash between the server's acceptance and the message being marked sent.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('outbox_message', 'message_id', CharField(max_length=255, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('outbox_message', 'message_id'))
