"""Queries whose SQL is composed once, then run again with new values.

peewee composes a query's SQL anew each time it runs: for the select of one
assessment with its organisation that is about half a millisecond, some
thirty times what SQLite then takes to answer it. A page or a save runs a
dozen such queries of always the same shape, only for another assessment or
person. A `CompiledQuery` is written as a function of its values; it is
composed once per database with placeholders for them, and each run only
fills them in. The rows come back as peewee makes them (models, tuples,
dicts), through the query's own cursor wrapper.

    ANSWERS = CompiledQuery(lambda of: Answer.select().where(Answer.assessment == of))
    answers = list(ANSWERS(assessment))

Only for values compared with `==`, `!=`, `<` and the like, or given to
`limit`: a list for `IN` changes the SQL with its length, so it cannot be a
placeholder. Values are converted as the compared field converts them (a
model becomes its id)."""

from __future__ import annotations

import inspect
import itertools
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from peewee import Database, Model, Node, PostgresqlDatabase, Query

from models.db import db


class _Placeholder:
    """Stands, among a composed query's parameters, for the index'th value."""

    __slots__ = ("index", "converter")

    def __init__(self, index: int, converter: Callable | None):
        self.index = index
        self.converter = converter


class _Slot(Node):
    """The index'th value of a compiled query, as a node of the query."""

    def __init__(self, index: int):
        self.index = index

    def __sql__(self, ctx):
        # The field compared with takes its converter along, to apply later.
        return ctx.value(_Placeholder(self.index, ctx.state.converter), converter=False)


# PostgreSQL plans every statement it is sent anew, which on a save's dozen
# small queries took the server more time than running them. A compiled
# query is therefore prepared once per connection (PREPARE), and run by
# name (EXECUTE): PostgreSQL then plans it once, or keeps a generic plan.
# Prepared statements outlive transactions, rolled back or not, and end with
# their connection; which ones a connection holds is kept beside it.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()
_names = itertools.count(1)


def _prepared(database: PostgresqlDatabase, name: str, sql: str) -> None:
    """Prepare the statement on this thread's connection, unless it is."""
    connection = database.connection()
    with _prepared_lock:
        held = _prepared_on.setdefault(connection, set())
    if name in held:
        return
    numbered = itertools.count(1)
    # psycopg2's placeholders become PostgreSQL's numbered ones ($1, $2, …).
    text = re.sub(r"%[%s]", lambda m: "%" if m.group() == "%%" else f"${next(numbered)}", sql)
    database.execute_sql(f"PREPARE {name} AS {text}")
    held.add(name)


class CompiledQuery:
    """A select (or an update) built by `build(*values)`, composed once per
    database."""

    def __init__(self, build: Callable[..., Query]):
        self._build = build
        self._arity = len(inspect.signature(build).parameters)
        self._compiled: weakref.WeakKeyDictionary[Database, tuple] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._name = f"compiled_{next(_names)}"

    def _for(self, database: Database) -> tuple[Query, str, tuple, tuple | None]:
        compiled = self._compiled.get(database)
        if compiled is None:
            query = self._build(*(_Slot(i) for i in range(self._arity)))
            sql, params = database.get_sql_context().sql(query).query()
            if isinstance(database, PostgresqlDatabase) and params:
                # Run by name; the text is prepared on each connection first.
                text = sql
                sql = f"EXECUTE {self._name} ({', '.join(['%s'] * len(params))})"
                prepare = (self._name, text)
            else:
                prepare = None
            plan = tuple(
                (p.index, p.converter) if isinstance(p, _Placeholder) else (None, p) for p in params
            )
            compiled = (query, sql, plan, prepare)
            with self._lock:
                self._compiled[database] = compiled
        return compiled

    def _bound(self, values: tuple) -> tuple[Database, Query, str, list]:
        if len(values) != self._arity:
            raise TypeError(f"{self._arity} values expected, {len(values)} given")
        database = db.obj
        query, sql, plan, prepare = self._for(database)
        if prepare is not None:
            _prepared(database, *prepare)
        params = []
        for index, item in plan:
            if index is None:
                params.append(item)  # a value written into the query itself
            else:
                value = values[index]
                if isinstance(value, Model):
                    value = value._pk  # as peewee writes a model in a query
                params.append(item(value) if item else value)  # item: the field's converter
        return database, query, sql, params

    def __call__(self, *values: Any):
        """Run it; the rows, to iterate once (or `list`)."""
        database, query, sql, params = self._bound(values)
        # The wrapper the query itself would read its rows with (peewee's own
        # Query.execute does the same after composing).
        return query._get_cursor_wrapper(database.execute_sql(sql, params))

    def execute(self, *values: Any) -> int:
        """Run an update or delete; the number of rows it changed. Values set
        by an update go to the driver as they are (a model as its id)."""
        database, _query, sql, params = self._bound(values)
        return database.rows_affected(database.execute_sql(sql, params))

    def first(self, *values: Any):
        """The first row, or None. The rest is read too, so nothing is left
        open on a pooled connection (select one row by its key)."""
        rows = list(self(*values))
        return rows[0] if rows else None

    def scalar(self, *values: Any):
        """The first column of the first row, or None."""
        cursor = self(*values).cursor
        row = cursor.fetchone()
        cursor.close()
        return row[0] if row else None
