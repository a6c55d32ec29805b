"""Indicator figures in double precision on PostgreSQL (peewee's FloatField is
a 4-byte REAL there, which rounds 66.666667 to 66.666664). SQLite's REAL is
already 8 bytes, so nothing changes there.
"""
from peewee import *  # noqa: F403

COLUMNS = {
    'indicator_definition': ('norm', 'green_threshold', 'orange_threshold'),
    'regional_norm': ('norm', 'green_threshold', 'orange_threshold'),
    'indicator_result': ('value', 'numerator', 'denominator', 'secondary_value',
                         'previous_value', 'change'),
}


def _alter(migrator, db, field_class):
    if not isinstance(db, PostgresqlDatabase):  # noqa: F405
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            migrator.migrate(migrator.alter_column_type(table, column, field_class(null=True)))


def up(migrator, db):
    _alter(migrator, db, DoubleField)  # noqa: F405


def down(migrator, db):
    _alter(migrator, db, FloatField)  # noqa: F405
