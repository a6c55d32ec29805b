"""Succesindicatoren: their definitions, regional norms and computed results."""

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.accounts import User
from models.base import BaseModel, JSONField, utcnow
from models.cycles import Cycle
from models.geo import Region


class IndicatorDefinition(BaseModel):
    """A succesindicator. `region` is empty for the national set, which every
    cross-region comparison uses; a region may add indicators of its own."""

    code = CharField(max_length=32)
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE", backref="indicators")
    name = CharField(max_length=200)
    description = TextField(default="")
    computation = CharField(max_length=32)
    params = JSONField(default=dict)  # e.g. {"min_score": 3}, {"months": 12}
    # Filter on the agreements counted; empty lists mean "all".
    filter_themes = JSONField(default=list)
    filter_levels = JSONField(default=list)
    filter_frequencies = JSONField(default=list)
    unit = CharField(max_length=16, default="%")
    direction = CharField(max_length=16, default="hoger_beter")
    norm = DoubleField()
    green_threshold = DoubleField()
    orange_threshold = DoubleField()
    active = BooleanField(default=True)
    position = IntegerField(default=0)
    # Bumped on every edit, so the batch knows which results are stale.
    revision = IntegerField(default=1)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("code", "region"), True),)


class RegionalNorm(BaseModel):
    """A region's own norm and thresholds for a national indicator, used in
    that region's own reports only."""

    indicator = ForeignKeyField(IndicatorDefinition, backref="regional_norms", on_delete="CASCADE")
    region = ForeignKeyField(Region, backref="norms", on_delete="CASCADE")
    norm = DoubleField()
    green_threshold = DoubleField()
    orange_threshold = DoubleField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("indicator", "region"), True),)


class ScopeResult(BaseModel):
    """The indicator results of one scope in one cycle. `scope_id` is the id of
    the organisation, gemeente or region, and 0 for the whole country.
    `figures` packs, per indicator, the value, numerator, denominator,
    secondary value, organisations counted, signal, previous value and change
    (layout and reading in `domain.results`).

    Derived data that only the batch writes: keyed by (cycle, scope), with no
    foreign key to cycle, whose per-row check doubled the time of writing a
    full recompute on PostgreSQL. Cycles are never deleted."""

    cycle_id = IntegerField()
    scope_type = CharField(max_length=12)
    scope_id = IntegerField()
    figures = BlobField()
    trend_break = BooleanField(default=False)  # no trend line from the previous cycle
    computed_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("cycle_id", "scope_type", "scope_id")


class IndicatorStamp(BaseModel):
    """A fingerprint of everything a cycle's indicator results were computed
    from; a nightly run skips cycles whose fingerprint has not changed."""

    cycle = ForeignKeyField(Cycle, backref="stamps", on_delete="CASCADE", unique=True)
    stamp = CharField(max_length=64)
    computed_at = DateTimeField(default=utcnow)


class FingerprintPart(BaseModel):
    """A part of the batch's fingerprints that is costly to read, kept with
    the key it was read under (`domain.fingerprint`): the improvement actions
    per due date. The key holds what changes whenever an action does (its
    assessment's version, the actions' removals (`RemovalCount`), highest id
    and last change),
    so a run in which nothing changed reads the key and not every action."""

    name = CharField(max_length=32, primary_key=True)
    key = CharField(max_length=64)
    rows = TextField()  # JSON
    updated_at = DateTimeField(default=utcnow)


class RemovalCount(BaseModel):
    """How many rows were ever removed from a table, counted by a trigger on
    that table (migration 0023; for now `improvement_action`): the batch's
    fingerprint sees any removal — by a form, a cascade or by hand — by
    reading this row, without counting every row of the table."""

    name = CharField(max_length=32, primary_key=True)
    removed = BigIntegerField(default=0)


class CycleNorms(BaseModel):
    """The indicator definitions, norms and thresholds (national and
    regional) in force for a cycle, frozen when it closes: a later change
    applies from the open cycle on, and a closed cycle's figures are only
    recomputed against new ones on purpose (`RecomputeRequest`). `digest`
    hashes `indicators` and `regional_norms` for the fingerprint."""

    cycle = ForeignKeyField(Cycle, backref="+", on_delete="CASCADE", unique=True)
    indicators = JSONField(default=list)
    regional_norms = JSONField(default=list)
    digest = CharField(max_length=64)
    frozen_at = DateTimeField(default=utcnow)


class RecomputeRequest(BaseModel):
    """A beheerder's deliberate recompute of a cycle ("Nu herberekenen"),
    with the reason the rewritten reports state. The scheduler process does
    it, once: gevraagd → bezig → gereed (or mislukt)."""

    cycle = ForeignKeyField(Cycle, backref="+", on_delete="CASCADE")
    reason = TextField()
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    requested_at = DateTimeField(default=utcnow)
    state = CharField(max_length=12, default="gevraagd", index=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    progress = TextField(default="")
    error = TextField(null=True)
