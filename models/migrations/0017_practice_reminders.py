"""Praktijkvoorbeelden in the framework (each attached to the agreements it
helps with), an organisation's consent to be asked about what works there
("wat werkt elders", off by default) with its contact address, and a record
of every reminder that went out, for the progress monitor.

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


def down(migrator, db):
    migrator.migrate(migrator.drop_table('practice_sharing'))
    migrator.migrate(migrator.drop_table('reminder'))
    migrator.migrate(migrator.drop_table('agreement_practice'))
    migrator.migrate(migrator.drop_table('practice'))
