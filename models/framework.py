"""The versioned agreement framework (afsprakenkader): themes and agreements."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, utcnow


class FrameworkVersion(BaseModel):
    """One version of a framework. Published versions are never edited: a
    change is a new version, so past assessments keep pointing at what they
    answered."""

    slug = CharField(max_length=64)
    version = IntegerField()
    title = CharField(max_length=200)
    description = TextField(default="")
    state = CharField(max_length=16, default="concept")
    published_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("slug", "version"), True),)

    def __str__(self) -> str:
        return f"{self.title} (versie {self.version})"


class Theme(BaseModel):
    framework = ForeignKeyField(FrameworkVersion, backref="themes", on_delete="CASCADE")
    code = CharField(max_length=32)
    title = CharField(max_length=200)
    description = TextField(default="")
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("framework", "code"), True),)


class SourceDocument(BaseModel):
    """A document the framework was built from (a seed)."""

    framework = ForeignKeyField(FrameworkVersion, backref="sources", on_delete="CASCADE")
    code = CharField(max_length=32)
    title = CharField(max_length=300)
    reference = TextField(default="")

    class Meta:
        indexes = ((("framework", "code"), True),)


class Agreement(BaseModel):
    framework = ForeignKeyField(FrameworkVersion, backref="agreements", on_delete="CASCADE")
    theme = ForeignKeyField(Theme, backref="agreements", on_delete="CASCADE")
    source = ForeignKeyField(SourceDocument, backref="agreements", on_delete="RESTRICT")
    code = CharField(max_length=32)
    title = CharField(max_length=300)
    goal = TextField(default="")
    level = CharField(max_length=16, index=True)
    frequency = CharField(max_length=16, index=True)
    guidance = TextField(default="")
    position = IntegerField(default=0)
    bilateral = BooleanField(default=False)

    class Meta:
        indexes = ((("framework", "code"), True),)

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AgreementKind(BaseModel):
    """An organisation kind an agreement applies to (side 'applies'), or the
    kind of partner on the other side of a bilateral agreement ('partner')."""

    agreement = ForeignKeyField(Agreement, backref="kinds", on_delete="CASCADE")
    kind = CharField(max_length=32)
    side = CharField(max_length=8, default="applies")

    class Meta:
        indexes = (
            (("agreement", "side", "kind"), True),
            (("kind", "side"), False),
        )


class Practice(BaseModel):
    """A praktijkvoorbeeld: what worked elsewhere, from a source document,
    attached to the agreements it helps with. Part of the framework version,
    so it never changes once that version is published."""

    framework = ForeignKeyField(FrameworkVersion, backref="practices", on_delete="CASCADE")
    source = ForeignKeyField(SourceDocument, backref="practices", on_delete="RESTRICT")
    code = CharField(max_length=32)
    title = CharField(max_length=300)
    place = CharField(max_length=100, default="")
    text = TextField()
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("framework", "code"), True),)


class AgreementPractice(BaseModel):
    """A praktijkvoorbeeld attached to an agreement."""

    agreement = ForeignKeyField(Agreement, backref="practice_links", on_delete="CASCADE")
    practice = ForeignKeyField(Practice, backref="agreement_links", on_delete="CASCADE")
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("agreement", "practice"), True),)
