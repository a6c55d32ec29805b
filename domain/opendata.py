"""What the open data feed holds: cycles, indicator definitions, the scopes a
person may read and their stored figures, as plain rows (dicts) that the API
writes as JSON or CSV. Every scope goes through `ResultAccess`, the same rule
as the result pages."""

from __future__ import annotations

import datetime as dt

from peewee import JOIN, fn

from domain import norms, results
from domain.scope import ResultAccess, organisation_condition
from domain.tally import counts, signal  # counts: the workbook's own rule
from models import (
    AuditEvent,
    Cycle,
    CycleNorms,
    Gemeente,
    IndicatorDefinition,
    IndicatorStamp,
    Organisation,
    ReferenceYear,
    Region,
    RegionalNorm,
)

SCOPE_TYPES = ("land", "regio", "gemeente", "organisatie")
MAX_ID = 2**31 - 1

RESULT_FIELDS = (
    "cycle",
    "scope_type",
    "scope_id",
    "scope_code",
    "scope_name",
    "indicator",
    "indicator_name",
    "unit",
    "value",
    "numerator",
    "denominator",
    "signal",
    "norm",
    "norm_source",
    "national_signal",
    "national_norm",
    "change",
    "trend_break",
    "n_organisations",
)


def published_cycles() -> list[Cycle]:
    """Cycles with results (opened at least once), newest first."""
    return list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period.desc()))


def cycle_rows() -> list[dict]:
    """The cycles of the feed."""
    return [
        {
            "period": c.period,
            "state": c.state,
            "opens_on": c.opens_on.isoformat(),
            "due_on": c.due_on.isoformat(),
            "closes_on": c.closes_on.isoformat(),
        }
        for c in published_cycles()
    ]


def indicator_rows() -> list[dict]:
    """The active indicators with their definitions and norms."""
    query = (
        IndicatorDefinition.select(IndicatorDefinition, Region)
        .join(Region, on=IndicatorDefinition.region == Region.id, join_type=JOIN.LEFT_OUTER)
        .where(IndicatorDefinition.active == True)  # noqa: E712
        .order_by(IndicatorDefinition.region.is_null(False), IndicatorDefinition.position)
    )
    return [
        {
            "code": i.code,
            "name": i.name,
            "description": i.description,
            "computation": i.computation,
            "unit": i.unit,
            "direction": i.direction,
            "norm": i.norm,
            "green_threshold": i.green_threshold,
            "orange_threshold": i.orange_threshold,
            "region": i.region.code if i.region_id else None,
        }
        for i in query
    ]


def readable_regions(access: ResultAccess) -> set[int] | None:
    """The regions whose figures the person's pages show (None: all): a
    coordinator's, and the region of each gemeente and organisation they may
    see, which its page sets beside its own figures."""
    if access.admin:
        return None
    regions = set(access.regions)
    if access.own_gemeenten:
        regions |= {
            r
            for (r,) in Gemeente.select(Gemeente.region)
            .where(Gemeente.id.in_(list(access.own_gemeenten)))
            .tuples()
        }
    if access.own_organisations:
        regions |= {
            r
            for (r,) in Organisation.select(Organisation.region)
            .where(Organisation.id.in_(list(access.own_organisations)))
            .tuples()
        }
    return regions


def reads_country(access: ResultAccess) -> bool:
    """Every results page shows the country beside its own figures."""
    return access.admin or access.compares_regions or bool(access.own_organisations)


def _scope_query(access: ResultAccess, scope_type: str):
    """A query of (id, code, name) rows of the scopes of a type the person may read."""
    if scope_type == "regio":
        query = Region.select(Region.id, Region.code, Region.name)
        regions = readable_regions(access)
        return query if regions is None else query.where(Region.id.in_(sorted(regions)))
    if scope_type == "gemeente":
        query = Gemeente.select(Gemeente.id, Gemeente.code, Gemeente.name)
        if access.admin:
            return query
        return query.where(
            Gemeente.id.in_(list(access.own_gemeenten)) | Gemeente.region.in_(list(access.regions))
        )
    query = Organisation.select(Organisation.id, Organisation.kind, Organisation.name)
    condition = organisation_condition(access.user, gemeente=False)
    return query if condition is None else query.where(condition)


def scopes(
    access: ResultAccess, scope_type: str, offset: int = 0, limit: int = 100
) -> tuple[list[dict], int]:
    """The scopes of a type the person may read, a page of them, and how many in all."""
    if scope_type == "land":
        rows = [{"type": "land", "id": 0, "code": "NL", "name": "Nederland"}]
        rows = rows if reads_country(access) else []
        return rows[offset : offset + limit], len(rows)
    query = _scope_query(access, scope_type)
    model = query.model
    total = query.count()
    page = query.order_by(model.id).offset(offset).limit(limit).tuples()
    return [_scope_row(scope_type, row) for row in page], total


def scope(access: ResultAccess, scope_type: str, scope_id: int) -> dict | None:
    """One scope, or None when it does not exist or the person may not read it."""
    if scope_type not in SCOPE_TYPES or not 0 <= scope_id <= MAX_ID:
        return None
    if scope_type == "land":
        found, _ = scopes(access, "land")
        return found[0] if found and scope_id == 0 else None
    if scope_type != "regio" and not access.may_see(scope_type, scope_id):
        return None
    query = _scope_query(access, scope_type)
    row = query.where(query.model.id == scope_id).tuples().first()
    if row is None:
        return None
    return _scope_row(scope_type, row)


def _scope_row(scope_type: str, row: tuple) -> dict:
    # Organisations have no public code; their kind is not one.
    code = None if scope_type == "organisatie" else row[1]
    return {"type": scope_type, "id": row[0], "code": code, "name": row[2]}


def _regions_of(scope_type: str, ids: list[int]) -> dict[int, int]:
    """Per scope the region whose norms its page judges it by."""
    if scope_type == "regio":
        return {i: i for i in ids}
    if scope_type == "gemeente":
        return dict(
            Gemeente.select(Gemeente.id, Gemeente.region).where(Gemeente.id.in_(ids)).tuples()
        )
    if scope_type == "organisatie":
        query = Organisation.select(Organisation.id, Organisation.region)
        return dict(query.where(Organisation.id.in_(ids)).tuples())
    return {}


def result_rows(cycles: list[Cycle], scope_rows: list[dict]) -> list[dict]:
    """The stored figures of these scopes in these cycles, one row per
    cycle, scope and indicator, as the pages and the workbook show them:

    - numerator and denominator in the unit of the workbook's Gegevens
      (value = numerator / denominator, a fraction shown as a percentage for
      unit %; mean compliance counts 4 points per scored answer);
    - the signal against the norm the scope's page uses (its region's own
      where the region set one), with the national judgement beside it;
    - the definitions and norms in force for the cycle (frozen when it closed)."""
    if not cycles or not scope_rows:
        return []
    in_force = norms.in_force(cycles)
    regional = norms.regional_in_force(cycles)
    by_cycle = {c.id: c for c in cycles}
    scope_type = scope_rows[0]["type"]
    ids = [s["id"] for s in scope_rows]
    found = results.figures(list(by_cycle), scope_type, ids)
    region_of = _regions_of(scope_type, ids)
    rows = []
    for cycle in cycles:
        indicators = sorted(
            in_force[cycle.id][1], key=lambda i: (i.region_id is not None, i.position)
        )
        for s in scope_rows:
            region_id = region_of.get(s["id"])
            for ind in indicators:
                figure = found.get((ind.id, cycle.id, scope_type, s["id"]))
                if figure is None:
                    continue
                numerator, denominator = counts(ind, figure)
                national = ind.region_id is None
                own = regional[cycle.id].get((ind.id, region_id)) if national else None
                if own is not None:
                    norm, green, orange = own
                    shown = signal(figure.value, ind.direction, green, orange)
                else:
                    norm, shown = ind.norm, figure.signal
                rows.append(
                    {
                        "cycle": cycle.period,
                        "scope_type": scope_type,
                        "scope_id": s["id"],
                        "scope_code": s["code"],
                        "scope_name": s["name"],
                        "indicator": ind.code,
                        "indicator_name": ind.name,
                        "unit": ind.unit,
                        "value": figure.value,
                        "numerator": numerator,
                        "denominator": denominator,
                        "signal": shown,
                        "norm": norm,
                        "norm_source": "landelijk" if national and own is None else "regionaal",
                        "national_signal": figure.signal if national else None,
                        "national_norm": ind.norm if national else None,
                        "change": figure.change,
                        "trend_break": figure.trend_break,
                        "n_organisations": figure.n_organisations,
                    }
                )
    return rows


def last_modified() -> dt.datetime:
    """When anything the feed shows last changed: results, definitions and
    norms, cycles, reference data and names (UTC, whole seconds)."""
    moments = [
        IndicatorStamp.select(fn.MAX(IndicatorStamp.computed_at)).scalar(),
        IndicatorDefinition.select(fn.MAX(IndicatorDefinition.updated_at)).scalar(),
        Cycle.select(fn.MAX(Cycle.created_at)).scalar(),
        Cycle.select(fn.MAX(Cycle.opened_at)).scalar(),
        Cycle.select(fn.MAX(Cycle.closed_at)).scalar(),
        ReferenceYear.select(fn.MAX(ReferenceYear.loaded_at)).scalar(),
        # Names: a region, gemeente or organisation saved or imported.
        AuditEvent.select(fn.MAX(AuditEvent.at))
        .where(
            AuditEvent.object_type.in_(("region", "gemeente", "organisation"))
            | AuditEvent.action.in_(("import", "reference_year_loaded", "recompute_done"))
        )
        .scalar(),
        CycleNorms.select(fn.MAX(CycleNorms.frozen_at)).scalar(),
        RegionalNorm.select(fn.MAX(RegionalNorm.updated_at)).scalar(),
    ]
    # SQLite hands back MAX() of a timestamp as text.
    known = [dt.datetime.fromisoformat(m) if isinstance(m, str) else m for m in moments if m]
    latest = max(known, default=dt.datetime(2026, 1, 1))
    return latest.replace(microsecond=0)
