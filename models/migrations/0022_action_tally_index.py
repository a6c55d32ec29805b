"""The due-date index of improvement actions also holds their status, date
done and assessment, so the batch counts the actions of each cycle's window
from the index alone instead of reading each action's row (issue 24, item 6).
It still starts with (due date, last change), for the fingerprint. The
assessment index holds the due date too: the fingerprint reads the due dates
of the actions of assessments not submitted from it alone.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403
from playhouse.migrate import make_index_name

COLUMNS = ('due_on', 'updated_at', 'status', 'completed_on', 'assessment_id')
BY_ASSESSMENT = ('assessment_id', 'due_on')


def up(migrator, db):
    migrator.migrate(
        migrator.drop_index('improvement_action', 'improvement_action_due_on_updated_at'))
    migrator.migrate(migrator.add_index('improvement_action', COLUMNS))
    migrator.migrate(migrator.drop_index('improvement_action', 'improvement_action_assessment_id'))
    migrator.migrate(migrator.add_index('improvement_action', BY_ASSESSMENT))


def down(migrator, db):
    migrator.migrate(migrator.drop_index(
        'improvement_action', make_index_name('improvement_action', BY_ASSESSMENT)))
    migrator.migrate(migrator.add_index('improvement_action', ('assessment_id',)))
    migrator.migrate(migrator.drop_index(
        'improvement_action', make_index_name('improvement_action', COLUMNS)))
    migrator.migrate(migrator.add_index('improvement_action', ('due_on', 'updated_at')))
