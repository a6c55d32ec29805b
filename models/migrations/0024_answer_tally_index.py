"""A covering index for the recompute's answers queries, on PostgreSQL (issue
24, item 6).

The recompute reads, per assessment of the cycles it counts, every answer's
agreement, score, "schriftelijk" and last evaluation; and for PARTNER one
answer per (assessment, agreement). With those columns in the index
PostgreSQL reads the index alone (an index-only scan) instead of fetching
every answer's row from the table: the answers queries of a full national
recompute take about a third less. SQLite has no INCLUDE, and a wider key
there would make its planner read it for every query over the answers; it
reads its answers through the existing indexes.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403

NAME = "answer_tally"


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):  # noqa: F405
        db.execute_sql(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON answer (assessment_id, agreement_id) "
            "INCLUDE (score, in_writing, last_evaluated_on)"
        )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):  # noqa: F405
        db.execute_sql(f"DROP INDEX IF EXISTS {NAME}")
