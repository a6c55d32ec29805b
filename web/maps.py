"""The maps on the result pages: the country by region (its own page) and a
region by gemeente (on the region's and its gemeenten's pages), each beside
a table of the same figures. Shapes link to the results of their scope where
the user may see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from domain import reference
from domain.scope import ResultAccess
from models import Cycle, IndicatorDefinition, Region, RegionalNorm
from models.choices import SIGNALS
from reports import maps, svg
from reports.data import CycleData, Norm, not_yet_due, scope_report
from reports.glance import NOT_YET_DUE, SIGNAL_ORDER, glance
from web import prepared
from web.access import access, deny
from web.formatting import getal

bp = Blueprint("maps", __name__)


@dataclass
class MapRow:
    name: str
    href: str | None
    value: float | None
    signal: str
    highlight: bool
    rank: int | None = None


@dataclass
class Map:
    indicator: IndicatorDefinition
    indicators: list[IndicatorDefinition]
    svg: Markup
    rows: list[MapRow]  # ranked: the best first, areas without a figure last
    norm: float
    caption: str
    ranking: Markup | None = None  # the same rows as ranked bars with the norm
    not_yet_due: bool = False


def _indicators(region_id: int | None) -> list[IndicatorDefinition]:
    query = IndicatorDefinition.select().where(IndicatorDefinition.active == True)  # noqa: E712
    query = query.where(
        IndicatorDefinition.region.is_null()
        if region_id is None
        else (IndicatorDefinition.region.is_null() | (IndicatorDefinition.region == region_id))
    )
    return list(
        query.order_by(IndicatorDefinition.region.is_null(False), IndicatorDefinition.position)
    )


def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return _("geen gegevens")
    return f"{getal(value)} {unit}".strip() if unit != "%" else f"{getal(value)}%"


def ranked(rows: list[MapRow], direction: str) -> list[MapRow]:
    """The rows best first (by the indicator's direction), those without a
    figure last by name; equal values share a place."""
    lower = direction == "lager_beter"
    known = sorted(
        (r for r in rows if r.value is not None),
        key=lambda r: ((r.value if lower else -r.value), r.name.casefold()),
    )
    place, previous = 0, None
    for n, row in enumerate(known, start=1):
        if row.value != previous:
            place, previous = n, row.value
        row.rank = place
    return known + sorted((r for r in rows if r.value is None), key=lambda r: r.name.casefold())


def build(
    cycle: Cycle,
    shapes: list[maps.Shape],
    region_id: int | None,
    title: str,
    wanted: str | None,
) -> Map | None:
    """Colour the shapes by the chosen indicator's signal bands (the first
    indicator when none is chosen), and rank them."""
    indicators = _indicators(region_id)
    if not indicators or not shapes:
        return None
    indicator = next((i for i in indicators if i.code == wanted), indicators[0])
    maps.with_values(shapes, cycle, indicator)
    own = (
        RegionalNorm.get_or_none(
            RegionalNorm.indicator == indicator, RegionalNorm.region == region_id
        )
        if region_id
        else None
    )
    norm = (
        Norm(own.norm, own.green_threshold, own.orange_threshold, True)
        if own
        else Norm(indicator.norm, indicator.green_threshold, indicator.orange_threshold)
    )
    allowed = ResultAccess(current_user.user)
    for shape in shapes:
        if allowed.may_see(shape.scope_type, shape.scope_id):
            shape.href = url_for(
                "results.scope",
                scope_type=shape.scope_type,
                scope_id=shape.scope_id,
                ronde=cycle.period,
            )
    waiting = not_yet_due(indicator, cycle)
    # One scale decides both the colour of a shape and the signal of its row.
    scale = maps.Scale.for_indicator(indicator, norm, waiting)
    caption = _(
        "%(indicator)s in ronde %(period)s: %(title)s",
        indicator=indicator.name,
        period=cycle.period,
        title=title,
    )
    texts = maps.Texts(
        title=caption,
        description=_(
            "Kaart waarop elk gebied de kleur van zijn signaal heeft: groen, oranje of rood "
            "tegen de norm. Gebieden zonder gegevens zijn gearceerd. De cijfers staan in de "
            "tabel bij de kaart."
        ),
        no_data=_("geen gegevens"),
        norm=_("norm"),
        attribution=_("Kaart: CBS, PDOK"),
        division=_(
            "gemeentelijke indeling %(year)s", year=reference.year_for(maps.cycle_year(cycle))
        ),
        label=lambda s: f"{s.name}: {_value_text(s.value, indicator.unit)}",
        signals={key: _(SIGNALS[key]).lower() for key in ("groen", "oranje", "rood", "nog_open")},
    )
    rows = ranked(
        [MapRow(s.name, s.href, s.value, scale.signal(s.value), s.highlight) for s in shapes],
        indicator.direction,
    )
    ranking = svg.ranked_bars(
        _("Rangorde: %(caption)s", caption=caption),
        _(
            "Staafdiagram met de gebieden van hoog naar laag op %(indicator)s, gekleurd naar "
            "hun signaal, met de norm als stippellijn. De cijfers staan in de tabel.",
            indicator=indicator.name,
        ),
        [(r.name, r.value, r.signal, r.highlight) for r in rows],
        indicator.unit,
        norm.norm,
        f"{_('norm')} {_value_text(norm.norm, indicator.unit)}",
        lambda value: _value_text(value, indicator.unit),
    )
    return Map(
        indicator,
        indicators,
        maps.svg_map(shapes, scale, texts),
        rows,
        norm.norm,
        caption,
        ranking,
        waiting,
    )


def region_map(
    cycle: Cycle, region: Region, wanted: str | None, highlight: int | None = None
) -> Map | None:
    """A region by gemeente; `highlight` marks one gemeente."""
    shapes = maps.gemeente_shapes(region.id, maps.cycle_year(cycle))
    for shape in shapes:
        shape.highlight = shape.scope_id == highlight
    return build(cycle, shapes, region.id, _("%(region)s per gemeente", region=region.name), wanted)


def for_scope(cycle: Cycle, scope_type: str, target) -> Map | None:
    """The map for a region's or gemeente's result page (none for an organisation)."""
    wanted = request.args.get("kaart")
    if scope_type == "regio":
        return region_map(cycle, target, wanted)
    if scope_type == "gemeente":
        return region_map(cycle, target.region, wanted, highlight=target.id)
    return None


@bp.route("/resultaten/nederland")
@access("user")
def country():
    """The whole country: its figures at a glance, and the regions ranked,
    on a map and in a table."""
    allowed = ResultAccess(current_user.user)
    if not allowed.may_see("land", 0):
        return deny(404)
    cycles = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period.desc()))
    if not cycles:
        return render_template("results/empty.html", target={"name": _("Nederland")})
    cycle = next((c for c in cycles if c.period == request.args.get("ronde")), cycles[0])
    wanted = request.args.get("kaart") or ""
    page = prepared.page(
        "country",
        cycle,
        current_user.user,
        (wanted, dt.date.today()),
        lambda: _build_country_page(cycle, wanted),
    )
    return render_template("results/country.html", cycles=cycles, cycle=cycle, page=page)


@dataclass(frozen=True)
class CountryPage:
    """The country page's content as built from the batch's figures."""

    map_indicator: str | None
    data_date: dt.datetime | None
    provisional: bool
    body: Markup


def _build_country_page(cycle: Cycle, wanted: str) -> CountryPage:
    country_map = build(cycle, maps.region_shapes(), None, _("Nederland per regio"), wanted or None)
    # The country's own figures only: no organisation's answers are read.
    data = CycleData.load(cycle, [], scopes=[("land", 0)])
    report = scope_report(data, "land", 0)
    at_a_glance = glance(report)
    body = render_template(
        "results/_country_body.html",
        cycle=cycle,
        map=country_map,
        map_heading=_("Vergelijking van de regio's"),
        report=report,
        scorecard=report.scorecard,
        glance=at_a_glance,
        glance_order=glance_order(at_a_glance),
        SIGNALS=SIGNALS,
    )
    return CountryPage(
        map_indicator=country_map.indicator.code if country_map else None,
        data_date=report.data_date,
        provisional=report.provisional,
        body=Markup(body),  # noqa: S704 - rendered by our own autoescaping template
    )


def glance_order(at_a_glance) -> list[str]:
    """The signals "in één oogopslag" counts, "nog open" only where there is one."""
    if at_a_glance.counts.get(NOT_YET_DUE):
        return [*SIGNAL_ORDER, NOT_YET_DUE]
    return list(SIGNAL_ORDER)
