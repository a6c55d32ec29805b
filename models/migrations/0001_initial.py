"""Initial schema: the whole domain of BRIEF §4.

Generated from playhouse.schema_diff against an empty database, then given
the CHECK constraints the models declare (the generator does not carry them).
Frozen: it must not import the application models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class FrameworkVersion(Model):
        slug = CharField(max_length=64)
        version = IntegerField()
        title = CharField(max_length=200)
        description = TextField(default='')
        state = CharField(max_length=16, default='concept')
        published_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'framework_version'
            indexes = ((('slug', 'version'), True),)
    db.create_tables([FrameworkVersion])

    class Theme(Model):
        framework = ForeignKeyField(FrameworkVersion, on_delete='CASCADE')
        code = CharField(max_length=32)
        title = CharField(max_length=200)
        description = TextField(default='')
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'theme'
            indexes = ((('framework', 'code'), True),)
    db.create_tables([Theme])

    class SourceDocument(Model):
        framework = ForeignKeyField(FrameworkVersion, on_delete='CASCADE')
        code = CharField(max_length=32)
        title = CharField(max_length=300)
        reference = TextField(default='')
        class Meta:
            database = db
            table_name = 'source_document'
            indexes = ((('framework', 'code'), True),)
    db.create_tables([SourceDocument])

    class Agreement(Model):
        framework = ForeignKeyField(FrameworkVersion, on_delete='CASCADE')
        theme = ForeignKeyField(Theme, on_delete='CASCADE')
        source = ForeignKeyField(SourceDocument, on_delete='RESTRICT')
        code = CharField(max_length=32)
        title = CharField(max_length=300)
        goal = TextField(default='')
        level = CharField(index=True, max_length=16)
        frequency = CharField(index=True, max_length=16)
        guidance = TextField(default='')
        position = IntegerField(default=0)
        bilateral = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'agreement'
            indexes = ((('framework', 'code'), True),)
    db.create_tables([Agreement])

    class AgreementKind(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        kind = CharField(max_length=32)
        side = CharField(max_length=8, default='applies')
        class Meta:
            database = db
            table_name = 'agreement_kind'
            indexes = ((('agreement', 'side', 'kind'), True), (('kind', 'side'), False))
    db.create_tables([AgreementKind])

    class Region(Model):
        code = CharField(unique=True, max_length=8)
        name = CharField(max_length=100)
        class Meta:
            database = db
            table_name = 'region'
    db.create_tables([Region])

    class Organisation(Model):
        name = CharField(max_length=200)
        kind = CharField(index=True, max_length=32)
        region = ForeignKeyField(Region, on_delete='RESTRICT')
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organisation'
            indexes = ((('region', 'name'), True),)
    db.create_tables([Organisation])

    class Cycle(Model):
        period = CharField(unique=True, max_length=16)
        framework = ForeignKeyField(FrameworkVersion, on_delete='RESTRICT')
        opens_on = DateField()
        due_on = DateField()
        closes_on = DateField()
        state = CharField(index=True, max_length=12, default='gepland')
        reminder_days = CharField(max_length=64, default='14,7,1')
        opened_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'cycle'
            constraints = [
                Check('opens_on <= due_on AND due_on <= closes_on'),
            ]
    db.create_tables([Cycle])

    class User(Model):
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=200)
        password_hash = CharField(null=True)
        active = BooleanField(default=True)
        locale = CharField(max_length=5, default='nl')
        session_version = IntegerField(default=1)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'app_user'
    db.create_tables([User])

    class Assessment(Model):
        organisation = ForeignKeyField(Organisation, on_delete='RESTRICT')
        cycle = ForeignKeyField(Cycle, on_delete='RESTRICT')
        state = CharField(max_length=16, default='niet_gestart')
        version = IntegerField(default=0)
        started_at = DateTimeField(null=True)
        submitted_at = DateTimeField(null=True)
        submitted_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        reopened_at = DateTimeField(null=True)
        reopened_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        reopen_reason = TextField(null=True)
        updated_at = DateTimeField()
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'assessment'
            indexes = ((('organisation', 'cycle'), True), (('cycle', 'state'), False))
    db.create_tables([Assessment])

    class Answer(Model):
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, on_delete='RESTRICT')
        score = IntegerField(null=True)
        not_applicable = BooleanField(default=False)
        not_applicable_reason = TextField(null=True)
        in_writing = BooleanField(null=True)
        last_evaluated_on = DateField(null=True)
        explanation = TextField(null=True)
        partner_score = IntegerField(null=True)
        partner_organisation = ForeignKeyField(Organisation, null=True, on_delete='SET NULL')
        copied = BooleanField(default=False)
        updated_at = DateTimeField()
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'answer'
            constraints = [
                Check('score IS NULL OR (score >= 0 AND score <= 4)'),
                Check('partner_score IS NULL OR (partner_score >= 0 AND partner_score <= 4)'),
                Check('NOT (not_applicable AND score IS NOT NULL)'),
            ]
            indexes = ((('assessment', 'agreement'), True),)
    db.create_tables([Answer])

    class AssessmentChange(Model):
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField()
        agreement = ForeignKeyField(Agreement, null=True, on_delete='RESTRICT')
        field = CharField(max_length=64)
        old_value = TextField(null=True)
        new_value = TextField(null=True)
        class Meta:
            database = db
            table_name = 'assessment_change'
            indexes = ((('assessment', 'at'), False),)
    db.create_tables([AssessmentChange])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        actor = CharField(max_length=254, default='')
        action = CharField(index=True, max_length=64)
        object_type = CharField(max_length=32, default='')
        object_id = CharField(max_length=64, default='')
        details = TextField()
        ip = CharField(max_length=64, default='')
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class EscalationSignal(Model):
        assessment = ForeignKeyField(Assessment, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, on_delete='RESTRICT')
        times_not_followed = IntegerField(default=0)
        highest_step = IntegerField(default=0)
        resolved = BooleanField(default=False)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'escalation_signal'
            constraints = [
                Check('times_not_followed >= 0'),
                Check('highest_step >= 0 AND highest_step <= 4'),
            ]
            indexes = ((('assessment', 'agreement'), True),)
    db.create_tables([EscalationSignal])

    class Gemeente(Model):
        code = CharField(unique=True, max_length=8)
        name = CharField(max_length=100)
        region = ForeignKeyField(Region, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'gemeente'
    db.create_tables([Gemeente])

    class ImprovementAction(Model):
        answer = ForeignKeyField(Answer, on_delete='CASCADE')
        description = TextField()
        owner = CharField(max_length=200, default='')
        due_on = DateField(null=True)
        status = CharField(max_length=16, default='open')
        completed_on = DateField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'improvement_action'
    db.create_tables([ImprovementAction])

    class IndicatorDefinition(Model):
        code = CharField(max_length=32)
        region = ForeignKeyField(Region, null=True, on_delete='CASCADE')
        name = CharField(max_length=200)
        description = TextField(default='')
        computation = CharField(max_length=32)
        params = TextField()
        filter_themes = TextField()
        filter_levels = TextField()
        filter_frequencies = TextField()
        unit = CharField(max_length=16, default='%')
        direction = CharField(max_length=16, default='hoger_beter')
        norm = FloatField()
        green_threshold = FloatField()
        orange_threshold = FloatField()
        active = BooleanField(default=True)
        position = IntegerField(default=0)
        revision = IntegerField(default=1)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'indicator_definition'
            indexes = ((('code', 'region'), True),)
    db.create_tables([IndicatorDefinition])

    class IndicatorResult(Model):
        indicator = ForeignKeyField(IndicatorDefinition, on_delete='CASCADE')
        cycle = ForeignKeyField(Cycle, on_delete='CASCADE')
        scope_type = CharField(max_length=12)
        scope_id = IntegerField()
        value = FloatField(null=True)
        numerator = FloatField(null=True)
        denominator = FloatField(null=True)
        secondary_value = FloatField(null=True)
        n_organisations = IntegerField(default=0)
        signal = CharField(max_length=8, default='geen')
        previous_value = FloatField(null=True)
        change = FloatField(null=True)
        trend_break = BooleanField(default=False)
        input_hash = CharField(max_length=64, default='')
        computed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'indicator_result'
            indexes = ((('indicator', 'cycle', 'scope_type', 'scope_id'), True), (('cycle', 'scope_type', 'scope_id'), False))
    db.create_tables([IndicatorResult])

    class OrganisationGemeente(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        gemeente = ForeignKeyField(Gemeente, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'organisation_gemeente'
            indexes = ((('organisation', 'gemeente'), True),)
    db.create_tables([OrganisationGemeente])

    class OutboxMessage(Model):
        dedupe_key = CharField(unique=True, max_length=200)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        to_address = CharField(max_length=254)
        subject = CharField(max_length=300)
        body_text = TextField()
        body_html = TextField(null=True)
        attachments = TextField()
        state = CharField(max_length=12, default='wachtend')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_error = TextField(null=True)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'outbox_message'
            indexes = ((('state', 'next_attempt_at'), False),)
    db.create_tables([OutboxMessage])

    class RegionalNorm(Model):
        indicator = ForeignKeyField(IndicatorDefinition, on_delete='CASCADE')
        region = ForeignKeyField(Region, on_delete='CASCADE')
        norm = FloatField()
        green_threshold = FloatField()
        orange_threshold = FloatField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'regional_norm'
            indexes = ((('indicator', 'region'), True),)
    db.create_tables([RegionalNorm])

    class ReportRun(Model):
        job = CharField(max_length=64)
        period = CharField(max_length=32)
        state = CharField(max_length=16, default='bezig')
        host = CharField(max_length=128, default='')
        pid = IntegerField(null=True)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        heartbeat_at = DateTimeField(null=True)
        summary = TextField()
        error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'report_run'
            indexes = ((('job', 'period'), True), (('started_at',), False))
    db.create_tables([ReportRun])

    class ReportFile(Model):
        run = ForeignKeyField(ReportRun, null=True, on_delete='SET NULL')
        cycle = ForeignKeyField(Cycle, on_delete='RESTRICT')
        kind = CharField(max_length=32)
        scope_type = CharField(max_length=12)
        scope_id = IntegerField()
        path = CharField(max_length=500)
        checksum = CharField(max_length=64)
        size = IntegerField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'report_file'
            indexes = ((('cycle', 'kind', 'scope_type', 'scope_id', 'created_at'), False),)
    db.create_tables([ReportFile])

    class RoleAssignment(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=20)
        region = ForeignKeyField(Region, null=True, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
        gemeente = ForeignKeyField(Gemeente, null=True, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'role_assignment'
            constraints = [
                Check("(role = 'beheerder' AND region_id IS NULL AND organisation_id IS NULL"
                " AND gemeente_id IS NULL)"
                " OR (role = 'regiocoordinator' AND region_id IS NOT NULL"
                " AND organisation_id IS NULL AND gemeente_id IS NULL)"
                " OR (role IN ('manager', 'invuller') AND organisation_id IS NOT NULL"
                " AND region_id IS NULL AND gemeente_id IS NULL)"
                " OR (role = 'gemeente' AND gemeente_id IS NOT NULL"
                " AND region_id IS NULL AND organisation_id IS NULL)"),
            ]
            indexes = ((('user', 'role'), False),)
    db.create_tables([RoleAssignment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('role_assignment'))
    migrator.migrate(migrator.drop_table('report_file'))
    migrator.migrate(migrator.drop_table('report_run'))
    migrator.migrate(migrator.drop_table('regional_norm'))
    migrator.migrate(migrator.drop_table('outbox_message'))
    migrator.migrate(migrator.drop_table('organisation_gemeente'))
    migrator.migrate(migrator.drop_table('indicator_result'))
    migrator.migrate(migrator.drop_table('indicator_definition'))
    migrator.migrate(migrator.drop_table('improvement_action'))
    migrator.migrate(migrator.drop_table('gemeente'))
    migrator.migrate(migrator.drop_table('escalation_signal'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('assessment_change'))
    migrator.migrate(migrator.drop_table('answer'))
    migrator.migrate(migrator.drop_table('assessment'))
    migrator.migrate(migrator.drop_table('app_user'))
    migrator.migrate(migrator.drop_table('cycle'))
    migrator.migrate(migrator.drop_table('organisation'))
    migrator.migrate(migrator.drop_table('region'))
    migrator.migrate(migrator.drop_table('agreement_kind'))
    migrator.migrate(migrator.drop_table('agreement'))
    migrator.migrate(migrator.drop_table('source_document'))
    migrator.migrate(migrator.drop_table('theme'))
    migrator.migrate(migrator.drop_table('framework_version'))
