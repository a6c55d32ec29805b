"""Earlier attempts of a batch run: when a failed, crashed or forced run of a
(job, period) is taken over, what the earlier attempt did is kept here
instead of being overwritten, so the batch log shows every run of the day.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class ReportRun(Model):
        class Meta:
            database = db
            table_name = 'report_run'

    class ReportRunEarlier(Model):
        run = ForeignKeyField(ReportRun, on_delete='CASCADE')
        state = CharField(max_length=16)
        host = CharField(max_length=128, default='')
        pid = IntegerField(null=True)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        summary = TextField()
        error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'report_run_earlier'
    db.create_tables([ReportRunEarlier])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('report_run_earlier'))
