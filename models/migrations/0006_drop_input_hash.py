"""Drop indicator_result.input_hash: the per-cycle stamps (0004) replaced it.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    migrator.migrate(migrator.drop_column('indicator_result', 'input_hash'))


def down(migrator, db):
    migrator.migrate(migrator.add_column(
        'indicator_result', 'input_hash', CharField(max_length=64, default='')))  # noqa: F405
