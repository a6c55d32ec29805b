"""Assessment changes record the version they created, so a refused save can
show what others changed since the version it was based on.

Generated from playhouse.schema_diff; frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    migrator.migrate(migrator.add_column('assessment_change', 'version', IntegerField(default=0)))
    migrator.migrate(migrator.add_index('assessment_change', ('assessment_id', 'version')))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('assessment_change', 'assessment_change_assessment_id_version'))
    migrator.migrate(migrator.drop_column('assessment_change', 'version'))
