"""Regions, gemeenten and the organisations that work in them."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from models.base import BaseModel, utcnow


class Region(BaseModel):
    code = CharField(max_length=8, unique=True)  # VR24
    name = CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Gemeente(BaseModel):
    code = CharField(max_length=8, unique=True)  # GM0935 (CBS)
    name = CharField(max_length=100)
    region = ForeignKeyField(Region, backref="gemeenten", on_delete="RESTRICT")
    active = BooleanField(default=True)  # false after a municipal merger
    # The years the gemeente existed (None: since/until before or after the
    # reference data we know), and the gemeente it merged into.
    valid_from = IntegerField(null=True)
    valid_until = IntegerField(null=True)
    successor = ForeignKeyField("self", null=True, backref="predecessors", on_delete="SET NULL")

    def __str__(self) -> str:
        return self.name


class ReferenceYear(BaseModel):
    """A year of gemeenten loaded as reference data; the newest is current."""

    year = IntegerField(unique=True)
    gemeenten = IntegerField()
    loaded_at = DateTimeField(default=utcnow)


class Organisation(BaseModel):
    name = CharField(max_length=200)
    kind = CharField(max_length=32, index=True)
    region = ForeignKeyField(Region, backref="organisations", on_delete="RESTRICT")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("region", "name"), True),)

    def __str__(self) -> str:
        return self.name


class OrganisationGemeente(BaseModel):
    """An organisation serves a gemeente."""

    organisation = ForeignKeyField(Organisation, backref="served", on_delete="CASCADE")
    gemeente = ForeignKeyField(Gemeente, backref="served_by", on_delete="RESTRICT")

    class Meta:
        indexes = ((("organisation", "gemeente"), True),)
