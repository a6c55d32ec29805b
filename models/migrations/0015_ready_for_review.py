"""An invuller marks an assessment "klaar voor controle": who and when, until
it is submitted or reopened.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    migrator.migrate(
        migrator.add_column('assessment', 'ready_at', DateTimeField(null=True)),
        migrator.add_column(
            'assessment',
            'ready_by_id',
            ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL'),
        ),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index('assessment', 'assessment_ready_by_id'))
    migrator.migrate(
        migrator.drop_column('assessment', 'ready_by_id'),
        migrator.drop_column('assessment', 'ready_at'),
    )
