"""Removed improvement actions counted by a trigger (issue 24, item 6).

The batch's fingerprint keeps the actions per due date with the key it read
them under. A removal showed in that key through the actions' count, which
PostgreSQL can only get by reading every action (tens of milliseconds at
national scale, in every run in which nothing changed). `removal_count`
holds, per table, how many of its rows were ever removed: a trigger on
`improvement_action` adds to it on every removal (by a form, a cascade from
an answer or assessment, or by hand), so the key reads one row instead.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403

# The row is added when missing (a table emptied by hand, or by the tests).
SQLITE_TRIGGER = (
    "CREATE TRIGGER improvement_action_removed AFTER DELETE ON improvement_action "
    "BEGIN INSERT INTO removal_count (name, removed) VALUES ('improvement_action', 1) "
    "ON CONFLICT (name) DO UPDATE SET removed = removed + 1; END"
)
# One statement that removes many actions adds as many (the transition table).
POSTGRES_FUNCTION = (
    "CREATE FUNCTION count_removals() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO removal_count AS c (name, removed) "
    "SELECT TG_TABLE_NAME, COUNT(*) FROM removed_rows "
    "ON CONFLICT (name) DO UPDATE SET removed = c.removed + excluded.removed; "
    "RETURN NULL; END $$"
)
POSTGRES_TRIGGER = (
    "CREATE TRIGGER improvement_action_removed AFTER DELETE ON improvement_action "
    "REFERENCING OLD TABLE AS removed_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION count_removals()"
)


def up(migrator, db):
    class RemovalCount(Model):
        name = CharField(max_length=32, primary_key=True)
        removed = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = 'removal_count'

    db.create_tables([RemovalCount])
    db.execute_sql("INSERT INTO removal_count (name, removed) VALUES ('improvement_action', 0)")
    if isinstance(db, PostgresqlDatabase):  # noqa: F405
        db.execute_sql(POSTGRES_FUNCTION)
        db.execute_sql(POSTGRES_TRIGGER)
    else:
        db.execute_sql(SQLITE_TRIGGER)


def down(migrator, db):
    db.execute_sql("DROP TRIGGER IF EXISTS improvement_action_removed"
                   + (" ON improvement_action" if isinstance(db, PostgresqlDatabase) else ""))  # noqa: F405
    if isinstance(db, PostgresqlDatabase):  # noqa: F405
        db.execute_sql("DROP FUNCTION IF EXISTS count_removals()")
    migrator.migrate(migrator.drop_table('removal_count'))
