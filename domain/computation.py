"""Computing the succesindicatoren: the recompute, in four modules.

- `domain.query_plan` plans the aggregate queries: one over the answers of
  the submitted assessments (an aggregate FILTER per agreement filter), one
  per regional indicator, small ones over escalations, response and
  improvement actions.
- `domain.tally` runs them (two connections in threads) and computes the
  figures: numerators and denominators per organisation added up per
  gemeente, region and country (pooled, never a mean of means), values,
  signals and changes for all scopes at once as numpy arrays.
- `domain.result_store` stores them: only rows that differ, by writer threads
  on connections of their own, a transaction per cycle.
- `domain.fingerprint` hashes each cycle's inputs, so a nightly run skips
  cycles whose inputs did not change.

This module ties them together (`recompute`) and keeps the names other code
imports from it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from domain import result_store
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
    _beside,
    _fetch,
    _prepare,
    _run,
    comparable,
    compute,
    figures,
    signal,
)
from models import Cycle, IndicatorStamp

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
