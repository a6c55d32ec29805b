"""The fingerprint of a cycle's inputs (part of `domain.computation`): a
nightly run recomputes only the cycles whose fingerprint changed."""

from __future__ import annotations

import hashlib

from peewee import SQL, fn

from domain.query_plan import windows
from models import (
    Assessment,
    Cycle,
    ImprovementAction,
    IndicatorDefinition,
    Organisation,
    OrganisationGemeente,
    RegionalNorm,
)


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
