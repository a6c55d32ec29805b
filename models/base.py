"""Base model, shared field helpers and time helpers."""

from __future__ import annotations

import datetime as dt
import json

from peewee import Model, TextField

from models.db import db


def utcnow() -> dt.datetime:
    """The current time in UTC, naive, as stored in every timestamp column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class JSONField(TextField):
    """JSON kept as text, so SQLite and PostgreSQL store it the same way."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        if value is None:
            return None
        return json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
