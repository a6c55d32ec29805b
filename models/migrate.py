"""Versioned schema migrations (playhouse.migrations), recorded in the
`schema_migration` table of the database they were applied to."""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import Database, PostgresqlDatabase
from playhouse.migrations import Runner
from playhouse.schema_diff import SchemaDiff, diff_models

from models import ALL_MODELS

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def runner(database: Database) -> Runner:
    """A migration runner over the project's migration files."""
    return Runner(database, str(MIGRATIONS_DIR))


def upgrade(database: Database) -> list[str]:
    """Apply every pending migration in order; return the names applied."""
    applied = runner(database).up()
    for name in applied:
        logger.info("migration applied: %s", name)
    return applied


def pending(database: Database) -> list[str]:
    """Names of the migrations not yet applied."""
    return [m.name for m in runner(database).status() if m.applied is None and m.path]


# Indexes a migration adds on PostgreSQL only, for a query of its own there
# (the models describe what both kinds of database have).
POSTGRES_INDEXES = {"answer_tally"}  # 0024: the recompute's index-only scans


def schema_drift(database: Database) -> SchemaDiff:
    """The difference between the database schema and the models (falsy when none)."""
    diff = diff_models(database, ALL_MODELS)
    if not isinstance(database, PostgresqlDatabase):
        return diff
    return diff._replace(
        drop_indexes=[d for d in diff.drop_indexes if d.name not in POSTGRES_INDEXES]
    )
