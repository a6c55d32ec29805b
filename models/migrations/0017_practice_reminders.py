"""Praktijkvoorbeelden in the framework (each attached to the agreements it
helps with), an organisation's consent to be asked about what works there
("wat werkt elders", off by default) with its contact address, and a record
of every reminder that went out, for the progress monitor (the reminders
sent before it are read back from the outbox's dedupe keys).

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class FrameworkVersion(Model):
        class Meta:
            database = db
            table_name = 'framework_version'

    class SourceDocument(Model):
        class Meta:
            database = db
            table_name = 'source_document'

    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class Assessment(Model):
        class Meta:
            database = db
            table_name = 'assessment'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class Practice(Model):
        framework = ForeignKeyField(FrameworkVersion, on_delete='CASCADE')
        source = ForeignKeyField(SourceDocument, on_delete='RESTRICT')
        code = CharField(max_length=32)
        title = CharField(max_length=300)
        place = CharField(max_length=100, default='')
        text = TextField()
        position = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'practice'
            indexes = ((('framework', 'code'), True),)

    class AgreementPractice(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        practice = ForeignKeyField(Practice, on_delete='CASCADE')
        position = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'agreement_practice'
            indexes = ((('agreement', 'practice'), True),)

    class Reminder(Model):
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        at = DateTimeField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        recipients = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'reminder'
            indexes = ((('assessment', 'at'), False),)

    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class PracticeSharing(Model):
        organisation = ForeignKeyField(Organisation, unique=True, on_delete='CASCADE')
        enabled = BooleanField(default=False)
        contact = CharField(max_length=254, default='')
        updated_at = DateTimeField()
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'practice_sharing'

    db.create_tables([Practice, AgreementPractice, Reminder, PracticeSharing])
    backfill_reminders(db, Reminder)


def backfill_reminders(db, Reminder):
    """One reminder row per assessment and sending, from the outbox: the
    schedule's keys are reminder:<cycle>:<days>:<assessment>:<user>, a
    coordinator's reminder-now:<date>:<assessment>:<user>. The sender of
    those is not in the outbox: their user stays empty."""
    sendings = {}
    cursor = db.execute_sql(
        f"SELECT dedupe_key, created_at FROM outbox_message WHERE dedupe_key LIKE {db.param}",
        ('reminder%',))
    for key, created_at in cursor.fetchall():
        parts = key.split(':')
        if parts[0] == 'reminder' and len(parts) == 5:
            sending, assessment = tuple(parts[:3]), parts[3]
        elif parts[0] == 'reminder-now' and len(parts) == 4:
            sending, assessment = tuple(parts[:2]), parts[2]
        else:
            continue
        if not (assessment.isascii() and assessment.isdigit()):
            continue
        entry = sendings.setdefault((sending, int(assessment)), [created_at, 0])
        entry[0] = min(entry[0], created_at)
        entry[1] += 1
    if not sendings:
        return
    known = {row[0] for row in db.execute_sql('SELECT id FROM assessment').fetchall()}
    rows = [
        {'assessment': assessment, 'at': at, 'user': None, 'recipients': count}
        for (_sending, assessment), (at, count) in sorted(sendings.items(), key=lambda i: i[0][1])
        if assessment in known
    ]
    for start in range(0, len(rows), 500):
        Reminder.insert_many(rows[start:start + 500]).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table('practice_sharing'))
    migrator.migrate(migrator.drop_table('reminder'))
    migrator.migrate(migrator.drop_table('agreement_practice'))
    migrator.migrate(migrator.drop_table('practice'))
