"""Planning the aggregate queries of a recompute (part of `domain.computation`).

Every computation kind is an SQL aggregate. One query over the answers of the
submitted assessments gives per cycle and organisation every sum the
answer-based indicators need (an aggregate FILTER per agreement filter); a
regional indicator gets its own query over its region's answers; small
queries do the same over escalation signals, assessments (response) and
improvement actions. `_Plan` works out those queries and where each
indicator reads its numerator, denominator and secondary sum in their rows.
On SQLite the big ones go a cycle at a time, oldest first, so each cycle can
be stored while the next ones are counted; PostgreSQL reads the answers
and the actions once, the answers in parallel itself, and PARTNER a few
cycles at a time."""

from __future__ import annotations

import datetime as dt

import numpy as np

from domain import rules
from models import Agreement, Cycle, IndicatorDefinition, Organisation, Theme, db, is_postgres

# Cycles per PARTNER query on PostgreSQL (SQLite: one cycle per
# big query).
CHUNK_POSTGRES = 5

ANSWER_KINDS = (
    "mean_compliance",
    "share_at_least",
    "share_in_writing",
    "share_evaluated_within",
)


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
        self.keys = keys
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
        # Per region of a regional indicator its organisations' ids, as SQL.
        self.region_organisations = {
            region_id: _ids(
                [
                    o
                    for (o,) in db.execute(
                        Organisation.select(Organisation.id).where(Organisation.region == region_id)
                    )
                ]
            )
            for region_id in {i.region_id for i in indicators if i.region_id}
        }
        # (indicator position, query, numerator, denominator, secondary column)
        self.reads: list[tuple[int, str, int, int, int | None]] = []
        # Per column of the answers queries: what it adds up (1 or a.score),
        # under which condition and which filter (see `_pack`).
        self.specs: dict[tuple[str, str], tuple[str, str | None, tuple]] = {}
        for position, ind in enumerate(indicators):
            self._plan(position, ind)
        # SQLite: the answers queries' columns packed (`_pack`), and the
        # weights (p0, p1, …) per agreement that they add up.
        self.packed: dict[str, tuple[list[str], list[list[tuple[int, int | None]]]]] = {}
        self.weights: list[list[int]] = []
        # PostgreSQL: per bucket of the actions query its cycle (see `_actions_by_bucket`).
        self.buckets: np.ndarray | None = None
        if not is_postgres():
            self._pack()

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

            def col(value: str, condition: str | None = None) -> int:
                """The column adding up `value` (1: a count) over the
                answers in the filter that meet `condition`."""
                if value == "1":
                    expression = _count(flag, condition)
                else:
                    expression = _sum(value, flag, condition)
                self.specs[(answers, expression)] = (value, condition, _filter_key(ind))
                return self._column(answers, expression)

            # Scored answers in the filter: the denominator of most kinds.
            scored = col("1")
            if kind == "mean_compliance":
                read = (col("a.score"), scored, None)
            elif kind == "share_at_least":
                read = (col("1", f"a.score >= {int(ind.params['min_score'])}"), scored, None)
            elif kind == "share_in_writing":
                # Empty counts as not in writing (and cannot be submitted any more).
                read = (col("1", "a.in_writing"), scored, None)
            elif kind == "share_evaluated_within":
                first = f"k.evaluated_{self.months.index(ind.params['months'])}"
                evaluated = (
                    f"a.last_evaluated_on >= {first} AND a.last_evaluated_on <= k.window_until"
                )
                read = (col("1", evaluated), scored, None)
            self.reads.append((position, answers, *read))
        elif kind == "partner_gap":
            partners = f"partners:{ind.region_id}" if ind.region_id else "partners"
            if is_postgres():
                # Rows are (own answer a, the ratings r partners gave this
                # organisation on its agreement, added up: see `_partners`).
                gap = (
                    "CASE a.score "
                    + " ".join(f"WHEN {v} THEN r.gap_{v}" for v in range(4))
                    + " ELSE r.gap_4 END"
                )
                read = (_sum(gap, flag), _sum("r.n", flag), _sum("a.score * r.n - r.total", flag))
            else:
                # Rows are (own answer a, a partner's rating r of this organisation).
                read = (
                    _sum("ABS(a.score - r.score)", flag),
                    _count(flag),
                    _sum("a.score - r.score", flag),
                )
            self.reads.append((position, partners, *(self._column(partners, c) for c in read)))
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

    def _pack(self) -> None:
        """SQLite: the columns of each answers query that add up the same
        value under the same condition for different filters, added up as
        one: each agreement weighs in with a bit field per filter (1 where
        the filter counts it), so one SUM gives every filter's sum, each in
        its own bits: five aggregates a row instead of eleven (a tenth less
        CPU for a full recompute on SQLite; PostgreSQL gains nothing from it,
        measured, so it keeps its FILTERs). A sum per assessment (the queries
        group by assessment) is at most 4 × its answers, at most one per
        agreement, so a field of that many bits never carries into the
        next; as many fields as fit in 53 bits, which a float holds exactly.
        `unpack` takes them apart again."""
        width = (4 * max(1, len(self.agreements))).bit_length()
        per = 53 // width
        for query, columns in self.columns.items():
            if not query.startswith("answers"):
                continue
            groups: dict[tuple[str, str | None], list[tuple[int, tuple]]] = {}
            for n, expression in enumerate(columns):
                value, condition, key = self.specs[(query, expression)]
                groups.setdefault((value, condition), []).append((n, key))
            selects, layout = [], []
            for (value, condition), members in groups.items():
                if len(members) == 1:
                    selects.append(columns[members[0][0]])
                    layout.append([(members[0][0], None)])
                    continue
                for start in range(0, len(members), per):
                    part = members[start : start + per]
                    weight = f"g.p{len(self.weights)}"
                    self.weights.append(
                        [
                            sum(
                                self._counts(key, row) << (width * i)
                                for i, (_, key) in enumerate(part)
                            )
                            for row in self.agreements
                        ]
                    )
                    summed = weight if value == "1" else f"{value} * {weight}"
                    selects.append(_sum(summed, condition))
                    layout.append([(n, width * i) for i, (n, _) in enumerate(part)])
            self.packed[query] = (selects, layout, (1 << width) - 1)

    def _counts(self, key: tuple, row: tuple) -> int:
        """Whether the filter `key` counts the agreement of `row` (0 or 1)."""
        return 1 if not any(key) else row[1 + self.keys.index(key)]

    def width(self, query: str) -> int:
        """How many columns the query of that name gives: the cycle, the
        organisation and its sums."""
        if query == "response":
            return 5
        return 2 + len(self.packed.get(query, (self.columns[query],))[0])

    def unpack(self, query: str, table):
        """A query's rows with packed columns (`_pack`) taken apart into the
        columns of `self.columns`."""
        if query == "actions" and self.buckets is not None:
            # PostgreSQL: the first column holds the bucket of the due date.
            table = table.copy()
            table[:, 0] = self.buckets[table[:, 0].astype(np.intp)]
            return table[~np.isnan(table[:, 0])]
        if query not in self.packed:
            return table
        _, layout, mask = self.packed[query]
        out = np.empty((len(table), 2 + len(self.columns[query])))
        out[:, :2] = table[:, :2]
        for at, members in enumerate(layout, start=2):
            if members[0][1] is None:
                out[:, 2 + members[0][0]] = table[:, at]
                continue
            packed = np.nan_to_num(table[:, at]).astype(np.int64)  # SUM over no rows is NULL
            for n, shift in members:
                out[:, 2 + n] = (packed >> shift) & mask
        return out

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
            return [
                (f"SET {scope}work_mem = '64MB'", []),
                (f"SET {scope}jit = off", []),
                # The connections of a recompute share its queries out
                # themselves (`tally._run`): parallel workers beside them
                # would add work (a hash table each, partial sums to gather)
                # on cores that are busy already.
                (f"SET {scope}max_parallel_workers_per_gather = 0", []),
            ]
        flags, dates = self._columns()
        flags += [f"p{n}" for n in range(len(self.weights))]
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
        agreements = [
            (*row, *(weights[n] for weights in self.weights))
            for n, row in enumerate(self.agreements)
        ]
        for table, rows in (("tally_agreement", agreements), ("tally_cycle", self.cycle_rows)):
            if rows:
                marks = ", ".join([db.param] * len(rows[0]))
                out.append((f"INSERT INTO {table} VALUES ({marks})", rows))  # noqa: S608
        return out

    def teardown(self) -> list[tuple[str, list]]:
        if is_postgres():
            return []
        return [("DROP TABLE tally_agreement", []), ("DROP TABLE tally_cycle", [])]

    def _with(self, chunk: list[int]) -> tuple[str, list]:
        """PostgreSQL: the cycles of `chunk` and the agreements' flags as
        VALUES lists, which (unlike temporary tables) a parallel query may
        read in every worker."""
        if not is_postgres():
            return "", []
        flags, dates = self._columns()
        columns = ["id", "window_after", "window_until", "deadline", *dates]
        row = f"({', '.join([db.param] * len(columns))})"
        wanted = set(chunk)
        chosen = [r for r in self.cycle_rows if r[0] in wanted]
        rows = ", ".join([row] * len(chosen))
        params = [value for r in chosen for value in r]
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

    def _actions_by_bucket(self, select: str, flags: bool, agreement: bool, chunk) -> str:
        """PostgreSQL: the actions query of the cycles in `chunk`, reading
        their actions once, each placed in its cycle's window by a binary
        search over the windows' bounds (width_bucket) rather than a range
        scan per cycle."""
        wanted = set(chunk)
        windows = sorted(
            (after + dt.timedelta(days=1), until + dt.timedelta(days=1), cycle_id)
            for cycle_id, after, until, *_ in self.cycle_rows
            if cycle_id in wanted
        )
        # Bucket n holds [bounds[n - 1], bounds[n]): a cycle's window or a gap.
        bounds = sorted({day for start, end, _ in windows for day in (start, end)})
        starts = {start: cycle_id for start, _, cycle_id in windows}
        # Per bucket its cycle (NaN for a gap between windows): `unpack`
        # puts the cycle in place of the bucket, so the server works the
        # bucket out once an action, and groups by it.
        self.buckets = np.array(
            [np.nan, *(np.nan if starts.get(day) is None else starts[day] for day in bounds[:-1])]
        )
        days = ", ".join(f"DATE '{day.isoformat()}'" for day in bounds)
        return (
            f"SELECT width_bucket(x.due_on, ARRAY[{days}]), s.organisation_id, {select} "  # noqa: S608
            "FROM improvement_action x CROSS JOIN assessment s "
            + ("CROSS JOIN answer a " if agreement else "")
            + ("CROSS JOIN tally_agreement g " if flags else "")
            + f"WHERE x.due_on >= DATE '{bounds[0].isoformat()}' "
            f"AND x.due_on < DATE '{bounds[-1].isoformat()}' AND x.status <> 'vervallen' "
            "AND s.id = x.assessment_id AND s.state = 'ingediend' "
            + ("AND a.id = x.answer_id " if agreement else "")
            + ("AND g.id = a.agreement_id " if flags else "")
            + "GROUP BY 1, 2"
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
        answer in the unique (assessment, agreement) index instead, in the
        order of that index (sorted first), so that one lookup finds the
        index and table pages of the one before."""
        if is_postgres():
            # Each rated answer is looked up once, with its ratings added up
            # beforehand: how many (n), their sum (total) and, for each score
            # the answer may have (0-4, a CHECK on answer), the sum of the
            # differences (gap_0 … gap_4).
            gaps = ", ".join(f"SUM(ABS({v} - r.score))::integer AS gap_{v}" for v in range(5))
            return (
                f"SELECT r.cycle_id, r.organisation_id, {select} "  # noqa: S608
                "FROM (SELECT s.id, s.cycle_id, s.organisation_id, r.agreement_id, "
                f"COUNT(*)::integer AS n, SUM(r.score)::integer AS total, {gaps} "
                "FROM assessment t CROSS JOIN partner_rating r CROSS JOIN assessment s "
                f"WHERE t.cycle_id IN ({_ids(chunk)}) AND t.state = 'ingediend' "
                "AND r.assessment_id = t.id AND s.organisation_id = r.partner_id "
                # The chunk's cycles for s too: PostgreSQL would otherwise
                # hash every submitted assessment to find the few it needs.
                f"AND s.cycle_id = t.cycle_id AND s.cycle_id IN ({_ids(chunk)}) "
                f"AND s.state = 'ingediend' {where}"
                "GROUP BY s.id, r.agreement_id ORDER BY s.id, r.agreement_id OFFSET 0) r "
                "CROSS JOIN LATERAL (SELECT a.agreement_id, a.score FROM answer a "
                "WHERE a.assessment_id = r.id AND a.agreement_id = r.agreement_id "
                "AND a.score IS NOT NULL OFFSET 0) a "
                + ("CROSS JOIN tally_agreement g WHERE g.id = a.agreement_id " if flags else "")
                + "GROUP BY r.id, r.cycle_id, r.organisation_id"
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

    def queries(self) -> list[tuple[str, str, list, tuple[int, ...]]]:
        """(name, SQL, parameters, the cycles it covers) of every aggregate
        query, in the order to run them: the small ones over every cycle
        first, then the big ones a cycle at a time, oldest first. The
        connections share them out, and each cycle is ready to be stored as
        soon as its own queries are done, while the next ones run.
        PostgreSQL reads the answers once for every cycle (in parallel
        itself), before anything else, the actions once too, and PARTNER a
        few cycles at a time."""
        ids = [c.id for c in self.cycles]
        size = CHUNK_POSTGRES if is_postgres() else 1
        chunks = [ids[n : n + size] for n in range(0, len(ids), size)]
        small: list[tuple[str, str, list[int]]] = []
        columns = self.columns.get("escalations", [])
        select, flags, _ = self._select(columns, "e.agreement_id")
        if columns:
            small.append(
                (
                    "escalations",
                    f"SELECT s.cycle_id, s.organisation_id, {select} "  # noqa: S608
                    "FROM tally_cycle k CROSS JOIN assessment s CROSS JOIN escalation_signal e "
                    + ("CROSS JOIN tally_agreement g " if flags else "")
                    + "WHERE s.cycle_id = k.id AND e.assessment_id = s.id "
                    + ("AND g.id = e.agreement_id " if flags else "")
                    + "AND s.state = 'ingediend' AND e.times_not_followed > 0 "
                    "AND e.highest_step >= 1 GROUP BY s.id",
                    ids,
                )
            )
        # Every assessment (one per organisation and cycle): submitted ones
        # count for the answer-based indicators; those first submitted before
        # the end of the due date (Amsterdam time) for the response rate,
        # also when reopened since while the cycle is open — but not when
        # still not submitted again when it closed.
        still_open = [c.id for c in self.cycles if c.state != "gesloten"]
        small.append(
            (
                "response",
                "SELECT s.cycle_id, s.organisation_id, 1, "  # noqa: S608 - ids as integers
                "CASE WHEN s.state = 'ingediend' THEN 1 ELSE 0 END, "
                "CASE WHEN s.first_submitted_at < k.deadline "
                f"AND (s.state = 'ingediend' OR s.cycle_id IN ({_ids(still_open) or 'NULL'})) "
                "THEN 1 ELSE 0 END "
                "FROM tally_cycle k CROSS JOIN assessment s WHERE s.cycle_id = k.id",
                ids,
            )
        )
        out = [(name, sql, chunk) for name, sql, chunk in small]
        if is_postgres():
            # The actions once, for every cycle (one pass, each action placed
            # in its cycle's window); the answers a few cycles at a time
            # (an index lookup per assessment costs no more in all than one
            # pass over every answer) and PARTNER (a lookup per rated answer)
            # a few more at a time: the two connections share them, without
            # PostgreSQL's own parallel workers (`setup`), and the oldest
            # cycles are ready to be stored while the newer ones are counted.
            out = self._chunk(ids, "actions") + out
            for chunk in chunks:
                out += self._chunk(chunk, "answers", "partners")
        else:
            for chunk in chunks:
                out += self._chunk(chunk, "answers", "partners", "actions")
        return [(name, *self._prefixed(sql, chunk), tuple(chunk)) for name, sql, chunk in out]

    def _prefixed(self, sql: str, chunk: list[int]) -> tuple[str, list]:
        prefix, params = self._with(chunk)
        return prefix + sql, params

    def _chunk(self, chunk: list[int], *kinds: str) -> list[tuple[str, str, list[int]]]:
        """The big queries of the cycles in `chunk` of the kinds asked for:
        the answers (the country's and each region's own), PARTNER and the
        actions."""
        out = []
        for name, columns in self.columns.items():
            if not name.startswith(tuple(k for k in kinds if k in ("answers", "partners"))):
                continue
            where = ""
            if ":" in name:
                organisations = self.region_organisations[int(name.split(":")[1])]
                if not organisations:
                    continue
                where = f"AND s.organisation_id IN ({organisations}) "
            select, flags, _ = self._select(self.packed.get(name, (columns,))[0], "a.agreement_id")
            if name.startswith("partners"):
                out.append((name, self._partners(select, flags, where, chunk), chunk))
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
                    chunk,
                )
            )
        # Actions of any submitted assessment whose due date falls in the
        # cycle's window (rules.action_windows); on time when done by the due
        # date. The agreement (through the answer) only when a filter asks for
        # it. SQLite reads them from the due-date index alone.
        columns = self.columns.get("actions", []) if "actions" in kinds else []
        select, flags, agreement = self._select(columns, "a.agreement_id")
        if columns and is_postgres():
            out.append(("actions", self._actions_by_bucket(select, flags, agreement, chunk), chunk))
        elif columns:
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
                    chunk,
                )
            )
        return out


def _ids(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)
