"""Computing the figures of a recompute (part of `domain.computation`).

The planned queries (`domain.query_plan`) run on two connections (threads)
and give, per cycle and organisation, a numerator and a denominator; those
are added up per gemeente (over the organisations serving it), region and
country, so a ratio is always pooled over what was counted, never a mean of
means. The sums, values, signals and changes are worked out for all scopes at
once as numpy arrays."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np

from domain.query_plan import _Plan
from domain.results import FIGURE, SIGNALS, Figure
from models import (
    Agreement,
    Cycle,
    IndicatorDefinition,
    Organisation,
    OrganisationGemeente,
    db,
    is_postgres,
)

T = TypeVar("T")

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


def counts(ind: IndicatorDefinition, figure: Figure) -> tuple[float | None, float | None]:
    """Teller and Noemer as a reader divides them: Teller / Noemer is the value
    in its unit (a fraction shown as a percentage for "%"). The stored
    numerator and denominator are what the computation sums (for mean
    compliance the score points and the scored answers); the denominator is
    rescaled to match: mean compliance counts 4 points per scored answer."""
    if figure.numerator is None or figure.denominator is None:
        return figure.numerator, figure.denominator
    per_unit = 100.0 if ind.unit == "%" else 1.0
    scale = SCALE.get(ind.computation, 100.0)
    return figure.numerator, figure.denominator * per_unit / scale


def _own_connections() -> bool:
    """Whether other connections (in threads) see what this one sees: not
    while a transaction is open here, nor on an in-memory database."""
    return not (db.in_transaction() or db.database in ("", ":memory:"))


class _Beside:
    """`work` in a thread of its own on a connection of its own (or done here
    at once when another connection would not see what this one sees).
    `result()` waits for it; `join()` waits without asking for the result,
    on every path out of the caller (a recompute that fails half-way too),
    so the thread never outlives the recompute that started it."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.thread: threading.Thread | None = None
        self.value = None
        self.failure: BaseException | None = None
        if not _own_connections():
            self.value = work()
            return

        def run() -> None:
            try:
                with db.connection_context():
                    self.value = work()
            except BaseException as exc:  # handed to the caller by result()
                self.failure = exc

        self.thread = threading.Thread(target=run, name="recompute-beside", daemon=True)
        self.thread.start()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def result(self):
        self.join()
        if self.failure is not None:
            raise self.failure
        return self.value


def _beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` beside (see `_Beside`); returns a function that waits for its result."""
    return _Beside(work).result


def _prepare(statements: list[tuple[str, list]]) -> None:
    cursor = db.cursor()
    for sql, rows in statements:
        if rows:
            cursor.executemany(sql, rows)
        else:
            cursor.execute(sql)


class _Sink:
    """Where psycopg2 copies COPY's output: one `write` a row, a C call each."""

    __slots__ = ("write",)


COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def _fetch(sql: str, args, width: int | None = None) -> np.ndarray:
    """A query's rows as an array of floats (NULL as NaN). On PostgreSQL,
    given the number of columns, the rows come as binary COPY data, every
    column as a double: read by numpy in one go, without a Python object
    per value (which cost more than the server's own work on the
    actions and response queries)."""
    if width and is_postgres():
        return _fetch_binary(sql, args, width)
    cursor = db.execute_sql(sql, args)
    rows = cursor.fetchall()
    return np.array(rows, dtype=float).reshape(len(rows), len(cursor.description))


def _fetch_binary(sql: str, args, width: int) -> np.ndarray:
    cursor = db.cursor()
    query = cursor.mogrify(sql, args).decode()
    names = ", ".join(f"c{n}" for n in range(width))
    # Every column a double (counts and sums are whole numbers far below
    # 2^53, so exact), NULL as NaN: each row then has the same layout.
    columns = ", ".join(f"COALESCE(q.c{n}::float8, 'NaN')" for n in range(width))
    chunks: list[bytes] = []
    sink = _Sink()
    sink.write = chunks.append
    cursor.copy_expert(
        f"COPY (SELECT {columns} FROM ({query}) q ({names})) TO STDOUT WITH (FORMAT binary)",  # noqa: S608 - our own planned query, its parameters bound by mogrify
        sink,
    )
    data = b"".join(chunks)
    # A header (signature, flags, extension length), then per row the number
    # of fields and per field its length and value, then -1.
    header = len(COPY_SIGNATURE) + 8
    if data[: len(COPY_SIGNATURE)] != COPY_SIGNATURE:
        raise ValueError("unexpected COPY output")
    row = np.dtype(
        [("fields", ">i2")]
        + [field for n in range(width) for field in ((f"l{n}", ">i4"), (f"v{n}", ">f8"))]
    )
    count, rest = divmod(len(data) - header - 2, row.itemsize)
    if rest:
        raise ValueError("unexpected COPY output")
    records = np.frombuffer(data, row, count=count, offset=header)
    out = np.empty((count, width))
    for n in range(width):
        out[:, n] = records[f"v{n}"]
    return out


def _tasks(queries: list) -> list[list[int]]:
    """The queries (their positions) in the turns a connection takes them.
    SQLite: a cycle's queries together, on one connection in one read
    transaction, so its answers are read from disk once (the lookups of
    PARTNER find them in that connection's cache) and the writer's commits
    in between do not empty that cache. PostgreSQL: one query a turn."""
    if is_postgres():
        return [[n] for n in range(len(queries))]
    tasks: list[list[int]] = []
    for n, (*_, cycles) in enumerate(queries):
        if tasks and queries[tasks[-1][-1]][3] == cycles:
            tasks[-1].append(n)
        else:
            tasks.append([n])
    return tasks


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """SQLite: one read transaction around a turn's queries (see `_tasks`)."""
    if is_postgres():
        yield
        return
    with db.atomic():
        yield


def _run(plan: _Plan, queries: list) -> Iterator[tuple[str, tuple[int, ...], np.ndarray]]:
    """The plan's queries with their rows, (name, cycles covered, rows), as
    each is done: on connections of their own, WORKERS at a time, when those
    see what this one sees (no transaction open here, a database on disk or
    a server); else one after another here. Closing it early stops the
    queries not yet started and waits for the running ones: no thread it
    starts outlives it."""
    setup = plan.setup()
    if WORKERS < 2 or not _own_connections():
        _prepare(setup)
        try:
            for name, sql, args, cycles in queries:
                yield name, cycles, _fetch(sql, args, plan.width(name))
        finally:
            _prepare(plan.teardown())
        return
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for task in _tasks(queries):
        todo.put(task)
    done: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            with db.connection_context():
                _prepare(setup)
                while not stop.is_set():
                    try:
                        task = todo.get_nowait()
                    except queue.Empty:
                        return
                    with _snapshot():
                        for n in task:
                            name, sql, args, cycles = queries[n]
                            done.put((name, cycles, _fetch(sql, args, plan.width(name))))
        except BaseException as exc:  # handed to the caller below
            done.put(exc)

    threads = [threading.Thread(target=work, name=f"recompute-{n}") for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(len(queries)):
            item = done.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()


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
            # A sum per scope over its members (each a run in `members`). The
            # sums are whole numbers, so the order of adding cannot change them.
            if len(starts):
                out[at : at + len(starts)] = np.add.reduceat(rows[members], starts, axis=0)
            at += len(starts)
        out[at] = rows.sum(axis=0)
        return np.ascontiguousarray(np.moveaxis(out, 0, 1))


def _placed(table: np.ndarray, cycles: tuple[int, ...], org_ids: np.ndarray):
    """A query's rows (cycle, organisation, sums…) per cycle it covers:
    {cycle id: (organisation positions, sums)}."""
    if not len(table):
        return {}
    keys = table[:, :2].astype(np.int64)
    o = np.minimum(np.searchsorted(org_ids, keys[:, 1]), len(org_ids) - 1)
    known = org_ids[o] == keys[:, 1]  # an organisation added since the scopes were read
    values = np.nan_to_num(table[:, 2:])  # SUM over no rows is NULL
    if len(cycles) == 1:
        return {cycles[0]: (o[known], values[known])}
    out = {}
    for cycle_id in cycles:
        chosen = known & (keys[:, 0] == cycle_id)
        out[cycle_id] = (o[chosen], values[chosen])
    return out


def _cycle_sums(parts: dict[str, list], plan: _Plan, indicators, scopes: Scopes) -> np.ndarray:
    """One cycle's sums per scope and indicator from its queries' rows
    (`parts`: per query name, (organisation positions, sums) pieces): an
    array (scopes, indicators, [NUM, DEN, SEC, COUNTED, PRESENT])."""
    shape = (1, len(scopes.org_ids), len(indicators), 5)
    sums = np.zeros(shape)
    placed = {
        name: (np.concatenate([o for o, _ in pieces]), np.concatenate([v for _, v in pieces]))
        for name, pieces in parts.items()
    }
    nothing = (np.zeros(0, np.intp), np.zeros((0, 3)))
    response = placed.get("response", nothing)
    for position, name, num, den, sec in plan.reads:
        answers = name.startswith(("answers", "partners"))
        if answers:
            # Every organisation with a submitted assessment takes part.
            o, values = response
            sums[0, o, position, PRESENT] = values[:, 1] > 0
        if name not in placed:
            continue
        o, values = placed[name]
        sums[0, o, position, NUM] = values[:, num]
        sums[0, o, position, DEN] = values[:, den]
        if sec is not None:
            sums[0, o, position, SEC] = values[:, sec]
        if not answers:
            sums[0, o, position, PRESENT] = values[:, den] > 0
    o, values = response
    for position, ind in enumerate(indicators):
        if ind.computation == "response_rate_on_time":
            sums[0, o, position, NUM] = values[:, 2]
            sums[0, o, position, DEN] = values[:, 0]
            sums[0, o, position, PRESENT] = 1
    return _totals(sums, indicators, scopes)[0]


def _totals(sums: np.ndarray, indicators, scopes: Scopes) -> np.ndarray:
    """Sums per organisation (cycles, organisations, indicators, 5) added up
    per scope: (cycles, scopes, indicators, 5)."""
    shape = sums.shape
    sums[..., COUNTED] = (sums[..., DEN] > 0) & (sums[..., PRESENT] > 0)
    # A region's own indicator counts its organisations only, and no country.
    regional = [(n, i.region_id) for n, i in enumerate(indicators) if i.region_id]
    for position, region_id in regional:
        sums[:, scopes.regions != region_id, position, :] = 0
    total = scopes.add_up(sums.reshape(*shape[:2], shape[2] * 5)).reshape(
        shape[0], len(scopes.keys), *shape[2:]
    )
    for position, _ in regional:
        total[:, -1, position, :] = 0
    return total


def _sums(cycles: list[Cycle], all_cycles, scopes: Scopes, indicators) -> Iterator[np.ndarray]:
    """Each cycle's sums (see `compute`), in the order of `cycles`, as soon
    as its queries are done."""
    if not (cycles and indicators and scopes.org_ids):
        for _ in cycles:
            yield _totals(
                np.zeros((1, len(scopes.org_ids), len(indicators), 5)), indicators, scopes
            )[0]
        return
    plan = _Plan(indicators, cycles, all_cycles)
    queries = plan.queries()
    pending = {c.id: 0 for c in cycles}
    for *_, covered in queries:
        for cycle_id in covered:
            pending[cycle_id] += 1
    org_ids = np.array(scopes.org_ids)  # sorted
    parts: dict[int, dict[str, list]] = {c.id: {} for c in cycles}
    results = _run(plan, queries)
    try:
        at = 0  # the next cycle to hand out
        for name, covered, table in results:
            table = plan.unpack(name, table)
            for cycle_id, piece in _placed(table, covered, org_ids).items():
                parts[cycle_id].setdefault(name, []).append(piece)
            for cycle_id in covered:
                pending[cycle_id] -= 1
            while at < len(cycles) and pending[cycles[at].id] == 0:
                yield _cycle_sums(parts.pop(cycles[at].id), plan, indicators, scopes)
                at += 1
    finally:
        results.close()


def compute(
    cycles: list[Cycle],
    all_cycles: list[Cycle] | None = None,
    scopes: Scopes | None = None,
    indicators: list[IndicatorDefinition] | None = None,
) -> tuple[list[IndicatorDefinition], Iterator[np.ndarray]]:
    """The indicators (the active ones, unless given: those in force for the
    cycles) and, per cycle in the order of `cycles`, its sums per scope and
    indicator: an array (scopes, indicators, [NUM, DEN, SEC, COUNTED,
    PRESENT]). The sums come as each cycle's queries are done, so a cycle
    is stored while the next ones are counted; the iterator runs the
    queries, and closing it early stops them."""
    all_cycles = all_cycles or list(Cycle.select().order_by(Cycle.period))
    scopes = scopes or Scopes.load()
    if indicators is None:
        indicators = list(
            IndicatorDefinition.select()
            .where(IndicatorDefinition.active == True)  # noqa: E712
            .order_by(IndicatorDefinition.id)
        )
    return indicators, _sums(cycles, all_cycles, scopes, indicators)


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
