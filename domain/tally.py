"""Computing the figures of a recompute (part of `domain.computation`).

The planned queries (`domain.query_plan`) run on two connections (threads)
and give, per cycle and organisation, a numerator and a denominator; those
are added up per gemeente (over the organisations serving it), region and
country, so a ratio is always pooled over what was counted, never a mean of
means. The sums, values, signals and changes are worked out for all scopes at
once as numpy arrays."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import TypeVar

import numpy as np

from domain.query_plan import _Plan
from domain.results import FIGURE, SIGNALS, Figure
from models import Agreement, Cycle, IndicatorDefinition, Organisation, OrganisationGemeente, db

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
    cycles: list[Cycle],
    all_cycles: list[Cycle] | None = None,
    scopes: Scopes | None = None,
    indicators: list[IndicatorDefinition] | None = None,
) -> tuple[list[IndicatorDefinition], np.ndarray]:
    """The indicators (the active ones, unless given: those in force for the
    cycles) and their sums per cycle, scope and indicator: an array
    (cycles, scopes, indicators, [NUM, DEN, SEC, COUNTED, PRESENT])."""
    all_cycles = all_cycles or list(Cycle.select().order_by(Cycle.period))
    scopes = scopes or Scopes.load()
    if indicators is None:
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
