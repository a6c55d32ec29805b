"""Service heartbeats: each scheduler process writes one row (host, pid)
every minute, so the status page can tell whether a scheduler is alive.

Frozen, independent of the app models.
"""
from peewee import *  # noqa: F403


def up(migrator, db):
    class ServiceHeartbeat(Model):
        service = CharField(max_length=32)
        host = CharField(max_length=128)
        pid = IntegerField()
        started_at = DateTimeField()
        beat_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'service_heartbeat'
            indexes = ((('service', 'host', 'pid'), True), (('beat_at',), False))
    db.create_tables([ServiceHeartbeat])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_heartbeat'))
