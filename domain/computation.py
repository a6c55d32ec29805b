"""Computing the succesindicatoren: the recompute, in four modules.

- `domain.query_plan` plans the aggregate queries: one over the answers of
  the submitted assessments (an aggregate FILTER per agreement filter), one
  per regional indicator, small ones over escalations, response and
  improvement actions.
- `domain.tally` runs them (two connections in threads) and computes the
  figures: numerators and denominators per organisation added up per
  gemeente, region and country (pooled, never a mean of means), values,
  signals and changes for all scopes at once as numpy arrays, a cycle at a
  time as soon as its queries are done.
- `domain.result_store` stores them: only rows that differ, by writer threads
  on connections of their own, a transaction per cycle, while the next
  cycles are counted.
- `domain.fingerprint` hashes each cycle's inputs, so a nightly run skips
  cycles whose inputs did not change.

This module ties them together (`recompute`) and keeps the names other code
imports from it."""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterable, Iterator

import numpy as np

from domain import norms, result_store
from domain.fingerprint import fingerprints
from domain.query_plan import ANSWER_KINDS, _Plan, windows
from domain.result_store import RecomputeReport, _changes, _stored_values, _Writer
from domain.tally import (
    COUNTED,
    DEN,
    NUM,
    PRESENT,
    SCALE,
    SEC,
    Scopes,
    _Beside,
    _beside,
    _fetch,
    _prepare,
    _run,
    comparable,
    compute,
    figures,
    signal,
)
from models import Cycle, IndicatorStamp, db, is_postgres

__all__ = [
    "ANSWER_KINDS",
    "COUNTED",
    "DEN",
    "NUM",
    "PRESENT",
    "SCALE",
    "SEC",
    "RecomputeReport",
    "Scopes",
    "_Plan",
    "_Beside",
    "_beside",
    "_fetch",
    "_prepare",
    "_run",
    "comparable",
    "compute",
    "figures",
    "fingerprints",
    "recompute",
    "result_store",
    "signal",
    "windows",
]


def recompute(
    force: bool = False, cycles: Iterable[Cycle] | None = None, progress=None
) -> RecomputeReport:
    """Recompute the results of cycles whose inputs changed (all with force),
    writing only rows that differ. Each cycle is one transaction, computed
    with the definitions and norms in force for it (`domain.norms`). A
    forced cycle takes the next one along: its change since the previous
    cycle depends on the forced one. No thread this starts outlives it."""
    say = progress or (lambda message: None)
    with _exclusive():
        return _recompute(force, cycles, say)


_LOCK = threading.Lock()
LOCK_KEY = zlib.crc32(b"recompute-figures")


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One recompute at a time (the nightly, the light recompute of the open
    cycles, a requested one): a lock in this process, and on PostgreSQL an
    advisory lock across processes and hosts. The one that waits then finds
    little or nothing changed."""
    with _LOCK:
        if not is_postgres():
            yield
            return
        db.execute_sql("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _recompute(force: bool, cycles, say) -> RecomputeReport:
    norms.freeze_closed()
    all_cycles = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period))
    order = {c.id: n for n, c in enumerate(all_cycles)}
    targets = list(cycles) if cycles is not None else all_cycles
    if force and cycles is not None:
        ids = {c.id for c in targets}
        for cycle in list(targets):
            position = order.get(cycle.id)
            after = all_cycles[position + 1] if position is not None else None
            if position is not None and position + 1 < len(all_cycles) and after.id not in ids:
                targets.append(after)
                ids.add(after.id)
    stored = {s.cycle_id: s.stamp for s in IndicatorStamp.select()}
    report = RecomputeReport(cycles_checked=len(targets))
    beside = None
    try:
        if force or not any(c.id in stored for c in targets):
            # Every target is recomputed whatever its fingerprint (forced, or
            # never computed): work the fingerprints out beside the queries.
            changed, beside = list(targets), _Beside(lambda: fingerprints(targets))
        else:
            stamps = fingerprints(targets)
            changed = [c for c in targets if stored.get(c.id) != stamps[c.id]]
        changed.sort(key=lambda c: order.get(c.id, -1))
        if not changed:
            say("niets veranderd")
            return report
        _store(changed, all_cycles, order, beside, report, say, None if beside else stamps)
    finally:
        if beside is not None:
            beside.join()
    return report


def _store(changed, all_cycles, order, beside, report, say, stamps) -> None:
    """Compute the changed cycles (one set of aggregate queries per set of
    definitions in force) and write them, a cycle at a time, oldest first:
    each as soon as its queries are done, while the next ones are counted."""
    scopes = Scopes.load()
    in_force = norms.in_force(changed)
    groups: dict[str, list[Cycle]] = {}
    for cycle in changed:
        groups.setdefault(in_force[cycle.id][0], []).append(cycle)
    streams = []  # the sums of each group, closed on every way out
    try:
        if len(groups) == 1:
            indicators, sums = compute(changed, all_cycles, scopes, in_force[changed[0].id][1])
            streams.append(sums)
            each = ((cycle, indicators, s) for cycle, s in zip(changed, sums, strict=True))
        else:
            # Cycles under other definitions (a norm changed, a closed cycle
            # recomputed on purpose): each group's figures first, then
            # stored oldest first, as every cycle's change needs the one before.
            computed: dict[int, tuple[list, np.ndarray]] = {}
            for members in groups.values():
                indicators, sums = compute(members, all_cycles, scopes, in_force[members[0].id][1])
                streams.append(sums)
                for cycle, cycle_sums in zip(members, sums, strict=True):
                    computed[cycle.id] = (indicators, cycle_sums)
            each = ((cycle, *computed.pop(cycle.id)) for cycle in changed)
        _write_each(each, all_cycles, order, beside, report, say, stamps, scopes, len(changed))
    finally:
        for sums in streams:
            sums.close()


def _write_each(each, all_cycles, order, beside, report, say, stamps, scopes, total) -> None:
    """Work out each cycle's figures (values, signals, the change since the
    cycle before) and hand them to the writer."""
    last: tuple[int, list, np.ndarray] | None = None  # the cycle worked out just before
    writer = _Writer(report, say, total)
    try:
        for cycle, indicators, sums in each:
            if beside is not None:
                stamps = beside.result()
            position = order.get(cycle.id)
            previous = all_cycles[position - 1] if position else None
            trend_break = not comparable(previous, cycle)
            if trend_break:
                before = np.full(sums.shape[:2], np.nan)
            elif last is not None and last[0] == previous.id:
                before = _aligned(last[2], last[1], indicators)  # computed just now
            else:
                before = _stored_values(previous, indicators, scopes)
            figures_now = figures(indicators, sums, before)
            last = (cycle.id, indicators, figures_now["value"])
            present = sums[..., PRESENT] > 0
            writer.put(_changes(cycle, stamps[cycle.id], scopes, figures_now, present, trend_break))
    except BaseException:
        writer.close(quiet=True)
        raise
    writer.close()


def _aligned(values: np.ndarray, indicators: list, to: list) -> np.ndarray:
    """Values (scopes, indicators) of one set of definitions in the order of
    another (NaN for an indicator the first does not have)."""
    if [i.id for i in indicators] == [i.id for i in to]:
        return values
    at = {i.id: n for n, i in enumerate(indicators)}
    out = np.full((values.shape[0], len(to)), np.nan)
    for n, indicator in enumerate(to):
        if indicator.id in at:
            out[:, n] = values[:, at[indicator.id]]
    return out
