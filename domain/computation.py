"""Computing the succesindicatoren.

Every computation kind is an SQL aggregate. One query over the answers of the
submitted assessments gives per cycle and organisation every sum the
answer-based indicators need (an aggregate FILTER per agreement filter); a
regional indicator gets its own query over its region's answers; small
queries do the same over escalation signals, assessments (response) and
improvement actions. The queries share two connections (threads): on SQLite
the big ones go per cycle, PostgreSQL runs each once and parallelises it
itself.

Each gives, per cycle and organisation, a numerator and a denominator; those
are added up per gemeente (over the organisations serving it), region and
country, so a ratio is always pooled over what was counted, never a mean of
means. The sums, values, signals and changes are worked out for all scopes at
once as numpy arrays.

Results are stored per scope and cycle (`domain.results`) with their signal
against the national thresholds and the change since the previous cycle. A
fingerprint per cycle lets a nightly run skip cycles whose inputs did not
change, and only rows that differ are written: by writer threads on
connections of their own (one on SQLite, two on PostgreSQL), a transaction
per cycle, while the next cycle is worked out."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import queue
import struct
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import TypeVar

import numpy as np
from peewee import SQL, fn

from domain import rules
from domain.results import FIGURE, SIGNALS, encode
from models import (
    Agreement,
    Assessment,
    Cycle,
    ImprovementAction,
    IndicatorDefinition,
    IndicatorStamp,
    Organisation,
    OrganisationGemeente,
    RegionalNorm,
    Theme,
    db,
    is_postgres,
    utcnow,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

ANSWER_KINDS = (
    "mean_compliance",
    "share_at_least",
    "share_in_writing",
    "share_evaluated_within",
)
# What a value is per unit of numerator over denominator.
SCALE = {"mean_compliance": 25.0, "partner_gap": 1.0}  # mean: 100 % over a 0-4 score
WORKERS = 2  # connections the aggregate queries share
WRITERS = 2  # connections that write results at once (PostgreSQL)


def signal(value: float | None, direction: str, green: float, orange: float) -> str:
    """groen / oranje / rood against the thresholds; geen without a value."""
    if value is None:
        return "geen"
    if direction == "lager_beter":
        return "groen" if value <= green else "oranje" if value <= orange else "rood"
    return "groen" if value >= green else "oranje" if value >= orange else "rood"


def windows(cycles_in_order: list[Cycle]) -> dict[int, tuple[dt.date, dt.date]]:
    """Each cycle's window for improvement actions (`rules.action_windows`):
    the day before its first day, and its last day."""
    return {
        cycle_id: (first - dt.timedelta(days=1), last)
        for cycle_id, (first, last) in rules.action_windows(cycles_in_order).items()
    }


# --- the aggregate queries ---------------------------------------------------


def _filter_key(ind: IndicatorDefinition) -> tuple:
    return (
        tuple(sorted(ind.filter_themes or [])),
        tuple(sorted(ind.filter_levels or [])),
        tuple(sorted(ind.filter_frequencies or [])),
    )


def _matches(key: tuple, theme: str, level: str, frequency: str) -> bool:
    themes, levels, frequencies = key
    return (
        (not themes or theme in themes)
        and (not levels or level in levels)
        and (not frequencies or frequency in frequencies)
    )


def _count(*conditions: str | None) -> str:
    where = " AND ".join(c for c in conditions if c)
    return f"COUNT(*) FILTER (WHERE {where})" if where else "COUNT(*)"


def _sum(expression: str, *conditions: str | None) -> str:
    where = " AND ".join(c for c in conditions if c)
    return f"SUM({expression}) FILTER (WHERE {where})" if where else f"SUM({expression})"


class _Plan:
    """The aggregate queries of one recompute and where each indicator reads
    its numerator, denominator and secondary sum in their rows.

    `tally_cycle` holds each cycle's dates (the window of improvement actions,
    the response deadline and the cut-off dates of 'evaluated within N
    months'): a temporary table on SQLite (`setup`), a VALUES list on
    PostgreSQL (`_with`). Which agreements an indicator filter counts is a
    flag per filter (f0, f1, …) in `tally_agreement`, looked up by key: a
    temporary table on SQLite, a VALUES list on PostgreSQL (one hash probe
    per answer costs it less than a hashed IN list per filtered column)."""

    def __init__(self, indicators: list[IndicatorDefinition], cycles, all_cycles) -> None:
        self.cycles = cycles
        keys = sorted({_filter_key(i) for i in indicators if any(_filter_key(i))})
        rows = Agreement.select(Agreement.id, Theme.code, Agreement.level, Agreement.frequency)
        self.agreements = [
            (agreement_id, *(int(_matches(key, *attrs)) for key in keys))
            for agreement_id, *attrs in rows.join(Theme).tuples()
        ]
        # A filter's condition; {agreement} stands for the agreement column.
        self.flag: dict[tuple, str | None] = {((), (), ()): None}
        for n, key in enumerate(keys):
            if not is_postgres():
                self.flag[key] = f"g.f{n} = 1"
            elif any(row[1 + n] for row in self.agreements):
                self.flag[key] = f"g.f{n}"
            else:
                self.flag[key] = "FALSE"
        self.months = sorted(
            {i.params["months"] for i in indicators if i.computation == "share_evaluated_within"}
        )
        spans = windows(all_cycles)
        self.cycle_rows = [
            (
                c.id,
                spans[c.id][0],
                spans[c.id][1],
                rules.deadline(c.due_on),
                *(rules.evaluation_window(c.due_on, m)[0] for m in self.months),
            )
            for c in cycles
        ]
        # The columns of each query: "answers", "answers:<region id>" (a
        # regional indicator reads only its region's answers), "escalations"
        # and "actions".
        self.columns: dict[str, list[str]] = {}
        self.region_organisations = {
            region_id: [
                o
                for (o,) in db.execute(
                    Organisation.select(Organisation.id).where(Organisation.region == region_id)
                )
            ]
            for region_id in {i.region_id for i in indicators if i.region_id}
        }
        # (indicator position, query, numerator, denominator, secondary column)
        self.reads: list[tuple[int, str, int, int, int | None]] = []
        for position, ind in enumerate(indicators):
            self._plan(position, ind)

    def _column(self, query: str, expression: str) -> int:
        columns = self.columns.setdefault(query, [])
        if expression not in columns:
            columns.append(expression)
        return columns.index(expression)

    def _plan(self, position: int, ind: IndicatorDefinition) -> None:
        flag = self.flag[_filter_key(ind)]
        kind = ind.computation
        if kind in ANSWER_KINDS:
            answers = f"answers:{ind.region_id}" if ind.region_id else "answers"

            def col(expression: str) -> int:
                return self._column(answers, expression)

            # Scored answers in the filter: the denominator of most kinds.
            scored = _count(flag)
            if kind == "mean_compliance":
                read = (col(_sum("a.score", flag)), col(scored), None)
            elif kind == "share_at_least":
                at_least = f"a.score >= {int(ind.params['min_score'])}"
                read = (col(_count(flag, at_least)), col(scored), None)
            elif kind == "share_in_writing":
                # Empty counts as not in writing (and cannot be submitted any more).
                read = (col(_count(flag, "a.in_writing")), col(scored), None)
            elif kind == "share_evaluated_within":
                first = f"k.evaluated_{self.months.index(ind.params['months'])}"
                evaluated = (
                    f"a.last_evaluated_on >= {first} AND a.last_evaluated_on <= k.window_until"
                )
                read = (col(_count(flag, evaluated)), col(scored), None)
            self.reads.append((position, answers, *read))
        elif kind == "partner_gap":
            # Rows are (own answer a, a partner's rating r of this organisation).
            partners = f"partners:{ind.region_id}" if ind.region_id else "partners"
            self.reads.append(
                (
                    position,
                    partners,
                    self._column(partners, _sum("ABS(a.score - r.score)", flag)),
                    self._column(partners, _count(flag)),
                    self._column(partners, _sum("a.score - r.score", flag)),
                )
            )
        elif kind == "escalations":
            self.reads.append(
                (
                    position,
                    "escalations",
                    self._column("escalations", _count(flag, "e.resolved")),
                    self._column("escalations", _count(flag)),
                    self._column("escalations", _sum("e.times_not_followed", flag)),
                )
            )
        elif kind == "actions_on_time":
            on_time = "x.status = 'gereed' AND x.completed_on <= x.due_on"
            self.reads.append(
                (
                    position,
                    "actions",
                    self._column("actions", _count(flag, on_time)),
                    self._column("actions", _count(flag)),
                    None,
                )
            )
        # response_rate_on_time reads the response query, always run.

    # The queries, each grouped by cycle and organisation. CROSS JOIN keeps
    # SQLite's join order (the cycle, its assessments, their rows, then the
    # flags); PostgreSQL plans them as ordinary joins.

    def _columns(self) -> tuple[list[str], list[str]]:
        flags = [f"f{n}" for n in range(len(self.flag) - 1)]
        dates = [f"evaluated_{n}" for n in range(len(self.months))]
        return flags, dates

    def setup(self) -> list[tuple[str, list]]:
        """Statements (with their rows) run before the queries on each
        connection. PostgreSQL: room to add up in memory, and no JIT
        compilation (it costs more than it saves here). SQLite: the two small
        tables, as temporary tables with an integer key."""
        if is_postgres():
            scope = "LOCAL " if db.in_transaction() else ""
            return [(f"SET {scope}work_mem = '64MB'", []), (f"SET {scope}jit = off", [])]
        flags, dates = self._columns()
        out = [
            ("DROP TABLE IF EXISTS tally_agreement", []),
            ("DROP TABLE IF EXISTS tally_cycle", []),
            (
                "CREATE TEMPORARY TABLE tally_agreement "
                f"(id INTEGER PRIMARY KEY{''.join(f', {f} INTEGER' for f in flags)})",
                [],
            ),
            (
                "CREATE TEMPORARY TABLE tally_cycle (id INTEGER PRIMARY KEY, window_after DATE, "
                f"window_until DATE, deadline TIMESTAMP{''.join(f', {d} DATE' for d in dates)})",
                [],
            ),
        ]
        for table, rows in (("tally_agreement", self.agreements), ("tally_cycle", self.cycle_rows)):
            if rows:
                marks = ", ".join([db.param] * len(rows[0]))
                out.append((f"INSERT INTO {table} VALUES ({marks})", rows))  # noqa: S608
        return out

    def teardown(self) -> list[tuple[str, list]]:
        if is_postgres():
            return []
        return [("DROP TABLE tally_agreement", []), ("DROP TABLE tally_cycle", [])]

    def _with(self) -> tuple[str, list]:
        """PostgreSQL: the cycles and the agreements' flags as VALUES lists,
        which (unlike temporary tables) a parallel query may read in every
        worker."""
        if not is_postgres():
            return "", []
        flags, dates = self._columns()
        columns = ["id", "window_after", "window_until", "deadline", *dates]
        row = f"({', '.join([db.param] * len(columns))})"
        rows = ", ".join([row] * len(self.cycle_rows))
        params = [value for r in self.cycle_rows for value in r]
        out = f"WITH tally_cycle ({', '.join(columns)}) AS (VALUES {rows}) "
        if flags and self.agreements:
            values = ", ".join(
                f"({int(agreement_id)}, {', '.join('TRUE' if f else 'FALSE' for f in counts)})"
                for agreement_id, *counts in self.agreements
            )
            out += f", tally_agreement (id, {', '.join(flags)}) AS (VALUES {values}) "
        return out, params

    @staticmethod
    def _select(columns: list[str], agreement: str) -> tuple[str, bool, bool]:
        """The select list with `agreement` as the agreement column, whether it
        reads the flags (g) and whether it reads the agreement at all."""
        text = ", ".join(columns)
        flags = "g." in text
        return text.replace("{agreement}", agreement), flags, flags or "{agreement}" in text

    def _actions_by_bucket(self, select: str, flags: bool, agreement: bool) -> str:
        """PostgreSQL: the actions query reading the actions once, each
        placed in its cycle's window by a binary search over the windows'
        bounds (width_bucket) rather than a range scan per cycle."""
        windows = sorted(
            (after + dt.timedelta(days=1), until + dt.timedelta(days=1), cycle_id)
            for cycle_id, after, until, *_ in self.cycle_rows
        )
        # Bucket n holds [bounds[n - 1], bounds[n]): a cycle's window or a gap.
        bounds = sorted({day for start, end, _ in windows for day in (start, end)})
        starts = {start: cycle_id for start, _, cycle_id in windows}
        cycle_of = [starts.get(day) for day in bounds[:-1]]
        cycles = ", ".join("NULL" if c is None else str(int(c)) for c in [None, *cycle_of])
        days = ", ".join(f"DATE '{day.isoformat()}'" for day in bounds)
        return (
            f"SELECT x.cycle_id, s.organisation_id, {select} "  # noqa: S608
            f"FROM (SELECT (ARRAY[{cycles}]::integer[])[width_bucket(x.due_on, "
            f"ARRAY[{days}]) + 1] AS cycle_id, x.* FROM improvement_action x "
            f"WHERE x.due_on >= DATE '{bounds[0].isoformat()}' "
            f"AND x.due_on < DATE '{bounds[-1].isoformat()}' AND x.status <> 'vervallen') x "
            "CROSS JOIN assessment s "
            + ("CROSS JOIN answer a " if agreement else "")
            + ("CROSS JOIN tally_agreement g " if flags else "")
            + "WHERE x.cycle_id IS NOT NULL AND s.id = x.assessment_id "
            "AND s.state = 'ingediend' "
            + ("AND a.id = x.answer_id " if agreement else "")
            + ("AND g.id = a.agreement_id " if flags else "")
            + "GROUP BY x.cycle_id, s.organisation_id"
        )

    def _partners(self, select: str, flags: bool, where: str, chunk: list[int]) -> str:
        """PARTNER: per rated organisation, each rating a partner gave it (r,
        in the partner's submitted assessment t) beside its own scored answer
        a on the same agreement in the same cycle (its submitted assessment
        s). From the ratings' side: an assessment's ratings by their own
        index, the rated organisation's answer by (assessment, agreement).

        PostgreSQL would rather hash-join every answer (a second pass over
        the whole table, for a few per cent of its rows); the LATERAL
        subquery, kept apart by OFFSET 0, makes it look up each rating's
        answer in the unique (assessment, agreement) index instead."""
        if is_postgres():
            return (
                f"SELECT s.cycle_id, s.organisation_id, {select} "  # noqa: S608
                "FROM assessment t CROSS JOIN partner_rating r CROSS JOIN assessment s "
                "CROSS JOIN LATERAL (SELECT a.agreement_id, a.score FROM answer a "
                "WHERE a.assessment_id = s.id AND a.agreement_id = r.agreement_id "
                "AND a.score IS NOT NULL OFFSET 0) a "
                + ("CROSS JOIN tally_agreement g " if flags else "")
                + f"WHERE t.cycle_id IN ({_ids(chunk)}) AND t.state = 'ingediend' "
                + ("AND g.id = a.agreement_id " if flags else "")
                + "AND r.assessment_id = t.id AND s.organisation_id = r.partner_id "
                f"AND s.cycle_id = t.cycle_id AND s.state = 'ingediend' {where}GROUP BY s.id"
            )
        return (
            f"SELECT s.cycle_id, s.organisation_id, {select} "  # noqa: S608
            "FROM tally_cycle k CROSS JOIN assessment t CROSS JOIN partner_rating r "
            "CROSS JOIN assessment s CROSS JOIN answer a "
            + ("CROSS JOIN tally_agreement g " if flags else "")
            + "WHERE t.cycle_id = k.id AND t.state = 'ingediend' AND r.assessment_id = t.id "
            "AND s.organisation_id = r.partner_id AND s.cycle_id = t.cycle_id "
            "AND s.state = 'ingediend' AND a.assessment_id = s.id "
            "AND a.agreement_id = r.agreement_id AND a.score IS NOT NULL "
            + ("AND g.id = a.agreement_id " if flags else "")
            + f"{where}AND k.id IN ({_ids(chunk)}) GROUP BY s.id"
        )

    def queries(self) -> list[tuple[str, str, list]]:
        """(name, SQL, parameters) of every aggregate query. SQLite gets the big ones per
        cycle, to share them out over the connections; PostgreSQL gets each
        once, for all cycles, and spreads it over its own workers."""
        ids = [c.id for c in self.cycles]
        chunks = [[i] for i in ids] if not is_postgres() else [ids]
        out = []
        for name, columns in self.columns.items():
            if not name.startswith(("answers", "partners")):
                continue
            where = ""
            if ":" in name:
                organisations = self.region_organisations[int(name.split(":")[1])]
                if not organisations:
                    continue
                where = f"AND s.organisation_id IN ({_ids(organisations)}) "
            select, flags, _ = self._select(columns, "a.agreement_id")
            for chunk in chunks:
                if name.startswith("partners"):
                    out.append((name, self._partners(select, flags, where, chunk)))
                    continue
                out.append(
                    (
                        name,
                        f"SELECT s.cycle_id, s.organisation_id, {select} "  # noqa: S608
                        "FROM tally_cycle k CROSS JOIN assessment s CROSS JOIN answer a "
                        + ("CROSS JOIN tally_agreement g " if flags else "")
                        + "WHERE s.cycle_id = k.id AND a.assessment_id = s.id "
                        + ("AND g.id = a.agreement_id " if flags else "")
                        + f"AND s.state = 'ingediend' {where}"
                        f"AND a.score IS NOT NULL AND k.id IN ({_ids(chunk)}) GROUP BY s.id",
                    )
                )
        # Actions of any submitted assessment whose due date falls in the
        # cycle's window (rules.action_windows); on time when done by the due date. The agreement
        # (through the answer) only when a filter asks for it.
        columns = self.columns.get("actions", [])
        select, flags, agreement = self._select(columns, "a.agreement_id")
        if columns and is_postgres():
            out.append(("actions", self._actions_by_bucket(select, flags, agreement)))
        for chunk in chunks if columns and not is_postgres() else []:
            out.append(
                (
                    "actions",
                    f"SELECT k.id, s.organisation_id, {select} "  # noqa: S608
                    "FROM tally_cycle k CROSS JOIN improvement_action x CROSS JOIN assessment s "
                    + ("CROSS JOIN answer a " if agreement else "")
                    + ("CROSS JOIN tally_agreement g " if flags else "")
                    + "WHERE x.due_on > k.window_after AND x.due_on <= k.window_until "
                    "AND s.id = x.assessment_id AND s.state = 'ingediend' "
                    + ("AND a.id = x.answer_id " if agreement else "")
                    + ("AND g.id = a.agreement_id " if flags else "")
                    + f"AND x.status <> 'vervallen' AND k.id IN ({_ids(chunk)}) "
                    "GROUP BY k.id, s.organisation_id",
                )
            )
        columns = self.columns.get("escalations", [])
        select, flags, _ = self._select(columns, "e.agreement_id")
        if columns:
            out.append(
                (
                    "escalations",
                    f"SELECT s.cycle_id, s.organisation_id, {select} "  # noqa: S608
                    "FROM tally_cycle k CROSS JOIN assessment s CROSS JOIN escalation_signal e "
                    + ("CROSS JOIN tally_agreement g " if flags else "")
                    + "WHERE s.cycle_id = k.id AND e.assessment_id = s.id "
                    + ("AND g.id = e.agreement_id " if flags else "")
                    + "AND s.state = 'ingediend' AND e.times_not_followed > 0 "
                    "AND e.highest_step >= 1 GROUP BY s.id",
                )
            )
        # Every assessment (one per organisation and cycle): submitted ones
        # count for the answer-based indicators; those first submitted before
        # the end of the due date (Amsterdam time) for the response rate,
        # whatever happened after (a reopening).
        out.append(
            (
                "response",
                "SELECT s.cycle_id, s.organisation_id, 1, "
                "CASE WHEN s.state = 'ingediend' THEN 1 ELSE 0 END, "
                "CASE WHEN s.first_submitted_at < k.deadline THEN 1 ELSE 0 END "
                "FROM tally_cycle k CROSS JOIN assessment s WHERE s.cycle_id = k.id",
            )
        )
        # The big ones first and the small per-cycle pieces last, so the
        # connections finish at about the same time. On PostgreSQL the
        # actions are one query that runs in a single process: started last,
        # it would leave the other core idle while it runs.
        order = {"answers": 0, "partners": 1, "escalations": 1, "response": 2, "actions": 4}
        if is_postgres():
            order.update(escalations=2, actions=1)
        out.sort(key=lambda query: order.get(query[0], 3))  # 3: a region's answers
        prefix, params = self._with()
        return [(name, prefix + sql, params) for name, sql in out]


def _ids(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _own_connections() -> bool:
    """Whether other connections (in threads) see what this one sees: not
    while a transaction is open here, nor on an in-memory database."""
    return not (db.in_transaction() or db.database in ("", ":memory:"))


def _beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` in a thread on a connection of its own (or do it here
    when that is not possible); returns a function that waits for its result."""
    if not _own_connections():
        result = work()
        return lambda: result

    def run() -> T:
        with db.connection_context():
            return work()

    pool = ThreadPoolExecutor(1, thread_name_prefix="recompute-beside")
    future = pool.submit(run)
    pool.shutdown(wait=False)  # the thread ends with the work
    return future.result


def _prepare(statements: list[tuple[str, list]]) -> None:
    cursor = db.cursor()
    for sql, rows in statements:
        if rows:
            cursor.executemany(sql, rows)
        else:
            cursor.execute(sql)


def _fetch(sql: str, args) -> np.ndarray:
    """A query's rows as an array of floats (NULL as NaN)."""
    cursor = db.execute_sql(sql, args)
    rows = cursor.fetchall()
    return np.array(rows, dtype=float).reshape(len(rows), len(cursor.description))


def _run(plan: _Plan) -> list[tuple[str, np.ndarray]]:
    """Every query of the plan with its rows: on connections of their own,
    WORKERS at a time, when those see what this one sees (no transaction open
    here, a database on disk or a server); else one after another here."""
    setup, queries = plan.setup(), plan.queries()
    if WORKERS < 2 or not _own_connections():
        _prepare(setup)
        try:
            return [(name, _fetch(sql, args)) for name, sql, args in queries]
        finally:
            _prepare(plan.teardown())
    results: list = [None] * len(queries)
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for n in range(len(queries)):
        todo.put(n)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with db.connection_context():
                _prepare(setup)
                while not failures:
                    try:
                        n = todo.get_nowait()
                    except queue.Empty:
                        return
                    name, sql, args = queries[n]
                    results[n] = (name, _fetch(sql, args))
        except BaseException as exc:  # handed to the caller below
            failures.append(exc)

    threads = [threading.Thread(target=work, name=f"recompute-{n}") for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


# --- adding up ---------------------------------------------------------------

# The quantities summed per organisation and added up per scope, in this order
# on the last axis of the arrays below.
NUM, DEN, SEC, COUNTED, PRESENT = range(5)


@dataclass
class Scopes:
    """Every scope results are stored for, and the organisations each adds up."""

    org_ids: list[int]
    keys: list[tuple[str, int]]  # (scope type, scope id) in the order of the arrays
    groups: list[tuple[np.ndarray, np.ndarray]]  # (members, group starts) per scope type
    regions: np.ndarray  # per organisation its region id

    @classmethod
    def load(cls) -> Scopes:
        # Raw cursor rows: peewee's row objects cost more than the query here.
        region_of = dict(db.execute(Organisation.select(Organisation.id, Organisation.region)))
        org_ids = sorted(region_of)
        position = {o: n for n, o in enumerate(org_ids)}
        served = sorted(
            (g, position[o])
            for o, g in db.execute(
                OrganisationGemeente.select(
                    OrganisationGemeente.organisation, OrganisationGemeente.gemeente
                )
            )
            if o in position
        )
        keys = [("organisatie", o) for o in org_ids]
        groups = []
        for scope_type, pairs in (
            ("gemeente", served),
            ("regio", sorted((region_of[o], n) for n, o in enumerate(org_ids))),
        ):
            ids = [scope_id for scope_id, _ in pairs]
            starts = [n for n in range(len(ids)) if n == 0 or ids[n] != ids[n - 1]]
            keys += [(scope_type, ids[n]) for n in starts]
            groups.append((np.array([m for _, m in pairs], dtype=np.intp), np.array(starts)))
        keys.append(("land", 0))
        regions = np.array([region_of[o] for o in org_ids])
        return cls(org_ids, keys, groups, regions)

    @cached_property
    def kinds(self) -> np.ndarray:
        return np.array([kind for kind, _ in self.keys])

    @cached_property
    def ids(self) -> np.ndarray:
        return np.array([scope_id for _, scope_id in self.keys])

    def add_up(self, per_org: np.ndarray) -> np.ndarray:
        """(cycles, organisations, …) sums → (cycles, scopes, …) sums."""
        # Organisations first, so each member's sums are one contiguous row.
        rows = np.ascontiguousarray(np.moveaxis(per_org, 1, 0))
        out = np.empty((len(self.keys), *rows.shape[1:]))
        out[: len(rows)] = rows
        at = len(rows)
        for members, starts in self.groups:
            # A sum per scope: np.add.reduceat is many times slower here.
            for start, end in pairwise([*starts.tolist(), len(members)]):
                out[at] = rows[members[start:end]].sum(axis=0)
                at += 1
        out[at] = rows.sum(axis=0)
        return np.ascontiguousarray(np.moveaxis(out, 0, 1))


def _per_organisation(sums: np.ndarray, plan: _Plan, indicators, cycles, scopes) -> None:
    """Run the plan's queries and put their sums in place per cycle and organisation."""
    cycle_ids = np.array([c.id for c in cycles])
    cycle_order = np.argsort(cycle_ids)
    org_ids = np.array(scopes.org_ids)  # sorted
    by_query: dict[str, list[np.ndarray]] = {}
    for name, rows in _run(plan):
        by_query.setdefault(name, []).append(rows)
    placed = {}
    for name, parts in by_query.items():
        table = np.concatenate(parts)
        if not len(table):
            continue
        keys = table[:, :2].astype(np.int64)
        o = np.minimum(np.searchsorted(org_ids, keys[:, 1]), len(org_ids) - 1)
        known = org_ids[o] == keys[:, 1]  # an organisation added since the scopes were read
        c = cycle_order[np.searchsorted(cycle_ids, keys[:, 0], sorter=cycle_order)]
        # SUM over no rows is NULL
        placed[name] = (c[known], o[known], np.nan_to_num(table[known, 2:]))
    nothing = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros((0, 3)))
    response = placed.get("response", nothing)
    for position, name, num, den, sec in plan.reads:
        answers = name.startswith(("answers", "partners"))
        if answers:
            # Every organisation with a submitted assessment takes part.
            c, o, values = response
            sums[c, o, position, PRESENT] = values[:, 1] > 0
        if name not in placed:
            continue
        c, o, values = placed[name]
        sums[c, o, position, NUM] = values[:, num]
        sums[c, o, position, DEN] = values[:, den]
        if sec is not None:
            sums[c, o, position, SEC] = values[:, sec]
        if not answers:
            sums[c, o, position, PRESENT] = values[:, den] > 0
    c, o, values = response
    for position, ind in enumerate(indicators):
        if ind.computation == "response_rate_on_time":
            sums[c, o, position, NUM] = values[:, 2]
            sums[c, o, position, DEN] = values[:, 0]
            sums[c, o, position, PRESENT] = 1


def compute(
    cycles: list[Cycle], all_cycles: list[Cycle] | None = None, scopes: Scopes | None = None
) -> tuple[list[IndicatorDefinition], np.ndarray]:
    """The active indicators and their sums per cycle, scope and indicator:
    an array (cycles, scopes, indicators, [NUM, DEN, SEC, COUNTED, PRESENT])."""
    all_cycles = all_cycles or list(Cycle.select().order_by(Cycle.period))
    scopes = scopes or Scopes.load()
    indicators = list(
        IndicatorDefinition.select()
        .where(IndicatorDefinition.active == True)  # noqa: E712
        .order_by(IndicatorDefinition.id)
    )
    shape = (len(cycles), len(scopes.org_ids), len(indicators), 5)
    sums = np.zeros(shape)
    if cycles and indicators and scopes.org_ids:
        _per_organisation(sums, _Plan(indicators, cycles, all_cycles), indicators, cycles, scopes)
    sums[..., COUNTED] = (sums[..., DEN] > 0) & (sums[..., PRESENT] > 0)
    # A region's own indicator counts its organisations only, and no country.
    regional = [(n, i.region_id) for n, i in enumerate(indicators) if i.region_id]
    for position, region_id in regional:
        sums[:, scopes.regions != region_id, position, :] = 0
    total = scopes.add_up(sums.reshape(*shape[:2], shape[2] * 5)).reshape(
        len(cycles), len(scopes.keys), *shape[2:]
    )
    for position, _ in regional:
        total[:, -1, position, :] = 0
    return indicators, total


def figures(
    indicators: list[IndicatorDefinition], sums: np.ndarray, previous: np.ndarray
) -> np.ndarray:
    """Values, signals and changes of summed results: a `FIGURE` array per
    scope and indicator from sums (scopes, indicators, 5) and the previous
    cycle's values (NaN where there is none or the trend breaks)."""
    num, den, sec = sums[..., NUM], sums[..., DEN], sums[..., SEC]
    scale = np.array([SCALE.get(i.computation, 100.0) for i in indicators])
    counted = den > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.round(np.where(counted, num / den * scale, np.nan), 6)
        gap = np.where(counted, sec / den, np.nan)
    kinds = np.array([i.computation for i in indicators])
    secondary = np.full(value.shape, np.nan)
    secondary = np.where(kinds == "partner_gap", gap, secondary)
    secondary = np.round(np.where(kinds == "escalations", sec, secondary), 6)
    lower = np.array([i.direction == "lager_beter" for i in indicators])
    green = np.array([i.green_threshold for i in indicators])
    orange = np.array([i.orange_threshold for i in indicators])
    # Higher is better unless lower is: flip signs so one comparison serves both.
    sign = np.where(lower, -1.0, 1.0)
    with np.errstate(invalid="ignore"):
        level = np.where(
            value * sign >= green * sign, 1, np.where(value * sign >= orange * sign, 2, 3)
        )
    out = np.zeros(value.shape, FIGURE)
    out["indicator"] = [i.id for i in indicators]
    out["value"] = value
    out["numerator"] = num
    out["denominator"] = den
    out["secondary"] = secondary
    out["n_organisations"] = sums[..., COUNTED]
    out["signal"] = np.where(np.isnan(value), SIGNALS.index("geen"), level)
    out["previous"] = previous
    out["change"] = np.round(value - previous, 6)
    return out


# --- incremental storage -----------------------------------------------------


def fingerprints(cycles: list[Cycle]) -> dict[int, str]:
    """Per cycle a hash of its inputs: the assessments (count, versions, last
    change), the improvement actions due in its window, the indicator
    definitions and regional norms, and the organisation structure."""
    per_cycle = {
        cycle_id: (n, total_version, str(last))
        for cycle_id, n, total_version, last in Assessment.select(
            Assessment.cycle,
            fn.COUNT(Assessment.id),
            fn.SUM(Assessment.version),
            fn.MAX(Assessment.updated_at),
        )
        .group_by(Assessment.cycle)
        .tuples()
    }
    definitions = [
        (i, r, str(u))
        for i, r, u in IndicatorDefinition.select(
            IndicatorDefinition.id, IndicatorDefinition.revision, IndicatorDefinition.updated_at
        )
        .order_by(IndicatorDefinition.id)
        .tuples()
    ]
    norms = RegionalNorm.select(fn.COUNT(RegionalNorm.id), fn.MAX(RegionalNorm.updated_at)).tuples()
    structure = (
        Organisation.select(
            fn.COUNT(Organisation.id), fn.SUM(Organisation.region), fn.MAX(Organisation.id)
        )
        .tuples()
        .first(),
        OrganisationGemeente.select(
            fn.COUNT(OrganisationGemeente.id), fn.SUM(OrganisationGemeente.gemeente)
        )
        .tuples()
        .first(),
    )
    shared = repr((definitions, list(norms), structure))
    all_cycles = list(Cycle.select().order_by(Cycle.period))
    spans = windows(all_cycles)
    out, previous = {}, ""
    for cycle in all_cycles:
        start, end = spans[cycle.id]
        # COUNT(*), not COUNT(id): the same number (id is never NULL), read
        # from the (due_on, updated_at) index alone instead of the table.
        actions = ImprovementAction.select(
            fn.COUNT(SQL("*")), fn.MAX(ImprovementAction.updated_at)
        ).where(ImprovementAction.due_on <= end)
        if start is not None:
            actions = actions.where(ImprovementAction.due_on > start)
        text = repr(
            (
                cycle.id,
                cycle.framework_id,
                cycle.due_on,
                per_cycle.get(cycle.id),
                actions.tuples().first(),
                shared,
                previous,
            )
        )
        out[cycle.id] = hashlib.sha256(text.encode()).hexdigest()
        # The change since the previous cycle depends on that cycle too.
        previous = out[cycle.id]
    return {c.id: out[c.id] for c in cycles}


def comparable(previous: Cycle | None, cycle: Cycle) -> bool:
    """A trend line joins two cycles when their frameworks hold the same agreement codes."""
    if previous is None:
        return False
    if previous.framework_id == cycle.framework_id:
        return True
    codes = [
        {c for (c,) in Agreement.select(Agreement.code).where(Agreement.framework == f).tuples()}
        for f in (previous.framework_id, cycle.framework_id)
    ]
    return codes[0] == codes[1]


@dataclass
class RecomputeReport:
    cycles_checked: int = 0
    cycles_recomputed: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0


def recompute(
    force: bool = False, cycles: Iterable[Cycle] | None = None, progress=None
) -> RecomputeReport:
    """Recompute the results of cycles whose inputs changed (all with force),
    writing only rows that differ. Each cycle is one transaction."""
    say = progress or (lambda message: None)
    all_cycles = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period))
    targets = list(cycles) if cycles is not None else all_cycles
    stored = {s.cycle_id: s.stamp for s in IndicatorStamp.select()}
    report = RecomputeReport(cycles_checked=len(targets))
    order = {c.id: n for n, c in enumerate(all_cycles)}
    if force or not any(c.id in stored for c in targets):
        # Every target is recomputed whatever its fingerprint (forced, or
        # never computed): work the fingerprints out beside the queries.
        changed, stamps_of = list(targets), _beside(lambda: fingerprints(targets))
    else:
        stamps = fingerprints(targets)
        changed, stamps_of = [c for c in targets if stored.get(c.id) != stamps[c.id]], None
    changed.sort(key=lambda c: order.get(c.id, -1))
    if not changed:
        say("niets veranderd")
        return report
    scopes = Scopes.load()
    # One set of aggregate queries for every changed cycle; stored per cycle.
    indicators, sums = compute(changed, all_cycles, scopes)
    if stamps_of is not None:
        stamps = stamps_of()
    values = None
    writer = _Writer(report, say, len(changed))
    try:
        for n, cycle in enumerate(changed):
            position = order.get(cycle.id)
            previous = all_cycles[position - 1] if position else None
            trend_break = not comparable(previous, cycle)
            if trend_break:
                before = np.full(sums.shape[1:3], np.nan)
            elif n and changed[n - 1].id == previous.id:
                before = values  # computed just now
            else:
                before = _stored_values(previous, indicators, scopes)
            figures_now = figures(indicators, sums[n], before)
            values = figures_now["value"]
            present = sums[n, ..., PRESENT] > 0
            writer.put(_changes(cycle, stamps[cycle.id], scopes, figures_now, present, trend_break))
    except BaseException:
        writer.close(quiet=True)
        raise
    writer.close()
    return report


def _stored_values(cycle: Cycle, indicators, scopes: Scopes) -> np.ndarray:
    """The stored values of a cycle, as an array (scopes, indicators)."""
    out = np.full((len(scopes.keys), len(indicators)), np.nan)
    scope_at = {key: n for n, key in enumerate(scopes.keys)}
    indicator_at = {i.id: n for n, i in enumerate(indicators)}
    cursor = db.execute_sql(
        f"SELECT scope_type, scope_id, figures FROM scope_result WHERE cycle_id = {db.param}",  # noqa: S608
        (cycle.id,),
    )
    for scope_type, scope_id, blob in cursor.fetchall():
        row = scope_at.get((scope_type, scope_id))
        if row is None:
            continue
        stored = np.frombuffer(blob, FIGURE)
        for ind, value in zip(stored["indicator"].tolist(), stored["value"].tolist(), strict=True):
            if ind in indicator_at:
                out[row, indicator_at[ind]] = value
    return out


def _encoded(records: np.ndarray, present: np.ndarray, rows: np.ndarray):
    """The stored form of `rows`: per pattern of indicators present, the
    positions (in `rows`) of the scopes with that pattern and their figures
    as an array of equal-length byte strings. Most scopes share one of a few
    patterns, so each pattern is encoded in one go."""
    chosen = present[rows]
    bits = np.packbits(chosen, axis=1)
    keys = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    for n, row in enumerate(first.tolist()):
        pattern = chosen[row]
        members = np.flatnonzero(which.ravel() == n)
        width = int(pattern.sum()) * FIGURE.itemsize
        yield members, np.frombuffer(encode(records[rows[members]][:, pattern]), f"V{width}")


def _blobs(records: np.ndarray, present: np.ndarray, rows: np.ndarray) -> list[bytes]:
    """The stored form of each of `rows`."""
    out: list[bytes] = [b""] * len(rows)
    for members, blobs in _encoded(records, present, rows):
        whole, width = blobs.tobytes(), blobs.dtype.itemsize
        for k, member in enumerate(members.tolist()):
            out[member] = whole[k * width : (k + 1) * width]
    return out


@dataclass
class _Changes:
    """What one cycle's write does: rows to insert (as PostgreSQL COPY data or
    SQLite parameters), to update and to delete, and the cycle's stamp."""

    cycle: Cycle
    stamp: str
    inserts: bytes | list[tuple]
    inserted: int
    updates: list[tuple]
    deletes: list[tuple]
    unchanged: int


def _changes(cycle, stamp, scopes: Scopes, records, present, trend_break: bool) -> _Changes:
    """Compare one cycle's figures with what is stored: the rows to write."""
    cursor = db.execute_sql(
        "SELECT scope_type, scope_id, figures, trend_break FROM scope_result "  # noqa: S608
        f"WHERE cycle_id = {db.param}",
        (cycle.id,),
    )
    existing = {(t, s): (bytes(blob), bool(b)) for t, s, blob, b in cursor.fetchall()}
    now, cycle_id = utcnow(), cycle.id
    rows = np.flatnonzero(present.any(axis=1))
    if not existing and is_postgres():
        # Nothing stored yet (a first or full recompute): every row is new and
        # goes to COPY as it is encoded, grouped by scope type.
        groups = []
        for members, blobs in _encoded(records, present, rows):
            kinds = scopes.kinds[rows[members]]
            # sorted(set()) rather than np.unique, which imports numpy.ma
            # (a tenth of a second) the first time.
            for kind in sorted(set(kinds.tolist())):
                chosen = kinds == kind
                groups.append((kind, scopes.ids[rows[members][chosen]], blobs[chosen]))
        data = _copy_data(cycle_id, groups, trend_break, now)
        return _Changes(cycle, stamp, data, len(rows), [], [], 0)
    inserts, updates, unchanged = [], [], 0
    for n, blob in zip(rows.tolist(), _blobs(records, present, rows), strict=True):
        key = scopes.keys[n]
        stored = existing.pop(key, None)
        if stored is None:
            inserts.append((*key, blob))
        elif stored != (blob, trend_break):
            updates.append((blob, trend_break, now, cycle_id, *key))
        else:
            unchanged += 1
    if is_postgres():
        data = _copy_data(cycle_id, _grouped(inserts), trend_break, now) if inserts else b""
    else:
        at = now.isoformat(" ")
        data = [(cycle_id, *row, trend_break, at) for row in inserts]
    deletes = [(cycle_id, *key) for key in existing]  # scopes that no longer have figures
    return _Changes(cycle, stamp, data, len(inserts), updates, deletes, unchanged)


def _write(changes: _Changes) -> RecomputeReport:
    """Write one cycle's changes and its stamp in one transaction; what was written."""
    where = f"cycle_id = {db.param} AND scope_type = {db.param} AND scope_id = {db.param}"
    with db.atomic():
        if is_postgres():
            # Results and stamp commit together; should the server crash
            # before this commit reaches disk, the next run recomputes it.
            db.execute_sql("SET LOCAL synchronous_commit = off")
        if changes.deletes:
            db.cursor().executemany(
                f"DELETE FROM scope_result WHERE {where}",  # noqa: S608
                changes.deletes,
            )
        if changes.inserted and is_postgres():
            db.cursor().copy_expert(
                "COPY scope_result (cycle_id, scope_type, scope_id, figures, trend_break, "
                "computed_at) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(changes.inserts),
            )
        elif changes.inserted:
            db.cursor().executemany(
                "INSERT INTO scope_result (cycle_id, scope_type, scope_id, figures, trend_break, "
                "computed_at) VALUES (?, ?, ?, ?, ?, ?)",
                changes.inserts,
            )
        if changes.updates:
            db.cursor().executemany(
                f"UPDATE scope_result SET figures = {db.param}, trend_break = {db.param}, "  # noqa: S608
                f"computed_at = {db.param} WHERE {where}",
                changes.updates,
            )
        IndicatorStamp.insert(
            cycle=changes.cycle.id, stamp=changes.stamp, computed_at=utcnow()
        ).on_conflict(
            conflict_target=[IndicatorStamp.cycle],
            update={IndicatorStamp.stamp: changes.stamp, IndicatorStamp.computed_at: utcnow()},
        ).execute()
    return RecomputeReport(
        cycles_recomputed=1,
        rows_written=changes.inserted + len(changes.updates),
        rows_unchanged=changes.unchanged,
        rows_deleted=len(changes.deletes),
    )


class _Writer:
    """Writes cycles one transaction each, on connections of their own in
    threads, while the caller works out the next cycle; or right away on the
    caller's connection where another connection would not see what it sees
    (an open transaction, an in-memory database). Progress is told from the
    caller's thread, once a cycle is committed.

    PostgreSQL takes two cycles at once (two writers: a COPY keeps one core
    busy, and a full recompute writes more than the caller works out in the
    meantime); SQLite writes one transaction at a time anyway."""

    def __init__(self, report: RecomputeReport, say, total: int) -> None:
        self.report, self.say, self.total = report, say, total
        self.inline = not _own_connections()
        # Two cycles waiting at most: their rows are held in memory until written.
        self.todo: queue.Queue = queue.Queue(maxsize=2)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.failure: BaseException | None = None
        self.told = 0
        self.threads: list[threading.Thread] = []
        if not self.inline:
            writers = WRITERS if is_postgres() else 1
            self.threads = [
                threading.Thread(target=self._work, name="recompute-writer")
                for _ in range(max(1, min(writers, total)))
            ]
            for thread in self.threads:
                thread.start()

    def _work(self) -> None:
        finished = False
        try:
            with db.connection_context():
                while (changes := self.todo.get()) is not None:
                    if self.failure is None:  # another writer failed: write no more
                        self.done.put((changes.cycle.period, _write(changes)))
                finished = True
        except BaseException as exc:  # handed to the caller's thread
            self.failure = exc
        while not finished:  # keep taking work, so the caller never waits on a full queue
            finished = self.todo.get() is None

    def _tell(self) -> None:
        while not self.done.empty():
            period, written = self.done.get()
            for field in ("cycles_recomputed", "rows_written", "rows_unchanged", "rows_deleted"):
                setattr(self.report, field, getattr(self.report, field) + getattr(written, field))
            self.told += 1
            self.say(f"ronde {period} herberekend ({self.told}/{self.total})")

    def put(self, changes: _Changes) -> None:
        if self.inline:
            self.done.put((changes.cycle.period, _write(changes)))
        elif self.failure is not None:
            raise self.failure
        else:
            self.todo.put(changes)
        self._tell()

    def close(self, quiet: bool = False) -> None:
        """Wait for every write; raise what went wrong unless `quiet` (the
        caller is raising already)."""
        for _ in self.threads:  # one end mark for each writer
            self.todo.put(None)
        for thread in self.threads:
            thread.join()
        self._tell()
        if self.failure is not None and not quiet:
            raise self.failure


POSTGRES_EPOCH = dt.datetime(2000, 1, 1)


def _grouped(rows: list[tuple]) -> list[tuple]:
    """(scope type, scope id, figures) rows as `_copy_data` groups."""
    groups: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[0], len(row[2])), []).append(row)
    return [
        (
            kind,
            np.array([row[1] for row in members]),
            np.frombuffer(b"".join(row[2] for row in members), f"V{width}"),
        )
        for (kind, width), members in groups.items()
    ]


def _copy_data(cycle_id: int, groups, trend_break: bool, computed_at: dt.datetime) -> bytes:
    """Rows in PostgreSQL's binary COPY format: many times faster than INSERT
    for a full recompute, and the figures go over as they are. `groups` holds
    (scope type, scope ids, figures of equal length): rows of one group have
    the same layout, so each is written as one numpy record array."""
    # Microseconds since 2000 for the timestamp.
    micros = (computed_at - POSTGRES_EPOCH) // dt.timedelta(microseconds=1)
    parts = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)]
    for scope_type, scope_ids, blobs in groups:
        kind, width = scope_type.encode(), blobs.dtype.itemsize
        # Per field its byte length, then its value.
        layout = np.dtype(
            [
                ("fields", ">i2"),
                ("cycle_len", ">i4"),
                ("cycle", ">i4"),
                ("kind_len", ">i4"),
                ("kind", f"S{len(kind)}"),
                ("scope_len", ">i4"),
                ("scope", ">i4"),
                ("figures_len", ">i4"),
                ("figures", f"V{width}"),
                ("break_len", ">i4"),
                ("trend_break", "u1"),
                ("at_len", ">i4"),
                ("at", ">i8"),
            ]
        )
        records = np.empty(len(scope_ids), layout)
        values = (6, 4, cycle_id, len(kind), kind, 4, scope_ids, width, blobs, 1, trend_break, 8)
        for name, value in zip(layout.names, (*values, micros), strict=True):
            records[name] = value
        parts.append(records.tobytes())
    parts.append(struct.pack(">h", -1))
    return b"".join(parts)
