"""What the batch reads, read from indexes (issue 24, item 6).

- The due-date index of improvement actions also holds their status, date
  done and assessment, so the batch counts the actions of each cycle's window
  from the index alone instead of reading each action's row. It still starts
  with (due date, last change), for the fingerprint.
- The assessment index of improvement actions holds the due date too: the
  fingerprint reads the due dates of the actions of assessments not
  submitted from it alone.
- An index on the actions' last change, and `fingerprint_part`: the
  fingerprint keeps the actions per due date with the key it read them
  under (their count, highest id and last change, and every assessment's
  version), so a run in which nothing changed does not read every action.

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
    migrator.migrate(migrator.add_index('improvement_action', ('updated_at',)))

    class FingerprintPart(Model):
        name = CharField(max_length=32, primary_key=True)
        key = CharField(max_length=64)
        rows = TextField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'fingerprint_part'

    db.create_tables([FingerprintPart])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('fingerprint_part'))
    migrator.migrate(migrator.drop_index(
        'improvement_action', make_index_name('improvement_action', ('updated_at',))))
    migrator.migrate(migrator.drop_index(
        'improvement_action', make_index_name('improvement_action', BY_ASSESSMENT)))
    migrator.migrate(migrator.add_index('improvement_action', ('assessment_id',)))
    migrator.migrate(migrator.drop_index(
        'improvement_action', make_index_name('improvement_action', COLUMNS)))
    migrator.migrate(migrator.add_index('improvement_action', ('due_on', 'updated_at')))
