"""Norms over time: a closed cycle keeps the indicator definitions, norms and
thresholds (national and regional) that were in force when it closed; a
change applies from the open cycle on. Only a beheerder's deliberate
recompute (`jobs.recompute`) judges a closed cycle against newer ones.

A cycle's definitions are frozen in `CycleNorms` when it closes (and, for a
cycle closed before this existed, at the first recompute after). Everything
that computes or shows a cycle's figures reads its definitions through
`definitions_for` / `in_force`, so a stored figure, a page, a report and the
feed judge it against the same norm."""

from __future__ import annotations

import hashlib
import json

from domain.indicators import DEFINITION_FIELDS
from models import (
    Cycle,
    CycleNorms,
    IndicatorDefinition,
    RegionalNorm,
    db,
    utcnow,
)

# The fields of a definition that are frozen (all that a figure, its
# judgement or its description depends on).
FIELDS = (
    "id",
    "code",
    "region_id",
    *DEFINITION_FIELDS,
    "active",
    "position",
    "revision",
)
NORM_FIELDS = ("indicator_id", "region_id", "norm", "green_threshold", "orange_threshold")


def _live() -> tuple[list[dict], list[dict]]:
    """The definitions (active ones) and regional norms in force now."""
    indicators = [
        {field: getattr(d, field) for field in FIELDS}
        for d in IndicatorDefinition.select()
        .where(IndicatorDefinition.active == True)  # noqa: E712
        .order_by(IndicatorDefinition.id)
    ]
    regional = [
        dict(zip(NORM_FIELDS, row, strict=True))
        for row in RegionalNorm.select(
            RegionalNorm.indicator,
            RegionalNorm.region,
            RegionalNorm.norm,
            RegionalNorm.green_threshold,
            RegionalNorm.orange_threshold,
        )
        .order_by(RegionalNorm.indicator, RegionalNorm.region)
        .tuples()
    ]
    return indicators, regional


def digest(indicators: list[dict], regional: list[dict]) -> str:
    text = json.dumps([indicators, regional], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def freeze(cycle: Cycle, again: bool = False) -> CycleNorms:
    """Freeze the definitions in force now for `cycle` (when it closes; with
    `again` on a deliberate recompute, replacing what was frozen)."""
    indicators, regional = _live()
    fields = {
        "indicators": indicators,
        "regional_norms": regional,
        "digest": digest(indicators, regional),
        "frozen_at": utcnow(),
    }
    with db.atomic():
        existing = CycleNorms.get_or_none(CycleNorms.cycle == cycle.id)
        if existing is None:
            return CycleNorms.create(cycle=cycle.id, **fields)
        if again:
            CycleNorms.update(**fields).where(CycleNorms.id == existing.id).execute()
            return CycleNorms.get_by_id(existing.id)
        return existing


def freeze_closed() -> None:
    """Freeze the closed cycles that have no frozen definitions yet (closed
    before norms were frozen, or by a path that did not freeze them): one
    query when there are none."""
    missing = list(
        Cycle.select().where(
            Cycle.state == "gesloten",
            Cycle.id.not_in(CycleNorms.select(CycleNorms.cycle)),
        )
    )
    for cycle in missing:
        freeze(cycle)


def digests() -> dict[int, str]:
    """Per frozen cycle the digest of its definitions."""
    return dict(CycleNorms.select(CycleNorms.cycle, CycleNorms.digest).tuples())


def live_digest() -> str:
    """A hash of the definitions and norms in force now, for the fingerprint:
    from their revisions and last changes (every edit bumps them), without
    reading the definitions themselves."""
    text = repr(
        (
            db.execute_sql(
                "SELECT id, revision, updated_at, active FROM indicator_definition ORDER BY id"
            ).fetchall(),
            db.execute_sql(
                "SELECT indicator_id, region_id, norm, green_threshold, orange_threshold, "
                "updated_at FROM regional_norm ORDER BY indicator_id, region_id"
            ).fetchall(),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _definition(fields: dict) -> IndicatorDefinition:
    """A frozen definition as an (unsaved) model instance."""
    known = {f: fields.get(f) for f in FIELDS if f in fields}
    region_id = known.pop("region_id", None)
    definition = IndicatorDefinition(**known)
    definition.region_id = region_id
    return definition


def in_force(cycles: list[Cycle]) -> dict[int, tuple[str, list[IndicatorDefinition]]]:
    """Per cycle the key of its definitions (the digest of their content)
    and the active definitions in force for it, ordered by id."""
    digest_of = dict(
        CycleNorms.select(CycleNorms.cycle, CycleNorms.digest)
        .where(CycleNorms.cycle.in_([c.id for c in cycles]))
        .tuples()
    )
    # Each set of frozen definitions read once, however many cycles share it.
    shared: dict[str, tuple[str, list[IndicatorDefinition]]] = {}
    for cycle_id, key in digest_of.items():
        if key not in shared:
            norms = CycleNorms.get(CycleNorms.cycle == cycle_id)
            definitions = [_definition(d) for d in norms.indicators if d.get("active", True)]
            shared[key] = (norms.digest, sorted(definitions, key=lambda d: d.id))
    live = None
    out = {}
    for cycle in cycles:
        key = digest_of.get(cycle.id)
        if key is None:
            if live is None:
                # Keyed by content, so cycles frozen with the definitions in
                # force now share one set of queries with the open ones.
                live = (
                    digest(*_live()),
                    list(
                        IndicatorDefinition.select()
                        .where(IndicatorDefinition.active == True)  # noqa: E712
                        .order_by(IndicatorDefinition.id)
                    ),
                )
            out[cycle.id] = live
        else:
            out[cycle.id] = shared[key]
    return out


def definitions_for(cycle: Cycle) -> list[IndicatorDefinition]:
    """The active indicator definitions in force for one cycle."""
    return in_force([cycle])[cycle.id][1]


def regional_norms_for(cycle: Cycle) -> dict[tuple[int, int], tuple[float, float, float]]:
    """(indicator id, region id) → (norm, green, orange) in force for a cycle."""
    norms = CycleNorms.get_or_none(CycleNorms.cycle == cycle.id)
    rows = norms.regional_norms if norms is not None else _live()[1]
    return {
        (r["indicator_id"], r["region_id"]): (
            r["norm"],
            r["green_threshold"],
            r["orange_threshold"],
        )
        for r in rows
    }


def regional_in_force(cycles: list[Cycle]) -> dict[int, dict[tuple[int, int], tuple]]:
    """Per cycle: (indicator id, region id) → (norm, green, orange) in force."""
    frozen = dict(
        CycleNorms.select(CycleNorms.cycle, CycleNorms.regional_norms)
        .where(CycleNorms.cycle.in_([c.id for c in cycles]))
        .tuples()
    )
    live = None
    out = {}
    for cycle in cycles:
        rows = frozen.get(cycle.id)
        if rows is None:
            live = live if live is not None else _live()[1]
            rows = live
        elif isinstance(rows, str):
            rows = json.loads(rows)
        out[cycle.id] = {
            (r["indicator_id"], r["region_id"]): tuple(r[f] for f in NORM_FIELDS[2:]) for r in rows
        }
    return out
