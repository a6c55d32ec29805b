"""Writing the demo's rows fast: plain tuples in bulk (executemany on
SQLite, multi-row VALUES on PostgreSQL), with ids and sequences kept in step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from peewee import Field

from models import db, is_postgres


def bulk_insert(model, fields: Sequence[Field], rows: Iterable[tuple], batch: int = 5000) -> int:
    """Insert plain tuples fast: executemany on SQLite, multi-row VALUES otherwise.
    Columns left out get their model default, evaluated once."""
    given = {f.name for f in fields}  # names: a Field's == builds SQL, not a bool
    extra = [
        f
        for f in model._meta.sorted_fields
        if f.name not in given and not f.primary_key and f.default is not None
    ]
    tail = tuple(f.db_value(f.default() if callable(f.default) else f.default) for f in extra)
    if extra:
        fields = [*fields, *extra]
        rows = (row + tail for row in rows)
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    table = model._meta.table_name
    count = 0
    if is_postgres():
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= 1000:
                model.insert_many(chunk, fields=list(fields)).execute()
                count += len(chunk)
                chunk = []
        if chunk:
            model.insert_many(chunk, fields=list(fields)).execute()
            count += len(chunk)
        return count
    placeholders = ", ".join("?" for _ in fields)
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})'  # noqa: S608
    cursor = db.cursor()
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            cursor.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


def fix_sequences(models) -> None:
    """After inserting explicit ids on PostgreSQL, move each serial past them."""
    if not is_postgres():
        return
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


def next_id(model) -> int:
    """The id after the highest one in the table."""
    return (model.select(model.id).order_by(model.id.desc()).scalar() or 0) + 1
