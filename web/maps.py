"""The maps on the result pages: the country by region (its own page) and a
region by gemeente (on the region's and its gemeenten's pages), each beside
a table of the same figures. Shapes link to the results of their scope where
the user may see them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from domain import reference, results
from domain.computation import signal as signal_for
from domain.scope import ResultAccess
from models import Cycle, IndicatorDefinition, Region, RegionalNorm
from models.choices import SIGNALS
from reports import maps
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


@dataclass
class Map:
    indicator: IndicatorDefinition
    indicators: list[IndicatorDefinition]
    svg: Markup
    rows: list[MapRow]
    norm: float
    caption: str


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


def build(
    cycle: Cycle,
    shapes: list[maps.Shape],
    region_id: int | None,
    title: str,
    wanted: str | None,
) -> Map | None:
    """Colour the shapes by the chosen indicator (the first when none is chosen)."""
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
    norm, green, orange = (
        (own.norm, own.green_threshold, own.orange_threshold)
        if own
        else (indicator.norm, indicator.green_threshold, indicator.orange_threshold)
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
    scale = maps.Scale.for_values(indicator.unit, [s.value for s in shapes], norm)
    caption = _(
        "%(indicator)s in ronde %(period)s: %(title)s",
        indicator=f"{indicator.code} – {indicator.name}",
        period=cycle.period,
        title=title,
    )
    texts = maps.Texts(
        title=caption,
        description=_(
            "Kaart waarop elk gebied gekleurd is naar zijn waarde: hoe donkerder, hoe hoger. "
            "Gebieden zonder gegevens zijn gearceerd. De cijfers staan in de tabel bij de kaart."
        ),
        no_data=_("geen gegevens"),
        norm=_("norm"),
        attribution=_("Kaart: CBS, PDOK"),
        division=_(
            "gemeentelijke indeling %(year)s", year=reference.year_for(maps.cycle_year(cycle))
        ),
        label=lambda s: f"{s.name}: {_value_text(s.value, indicator.unit)}",
    )
    rows = [
        MapRow(
            s.name,
            s.href,
            s.value,
            signal_for(s.value, indicator.direction, green, orange),
            s.highlight,
        )
        for s in sorted(shapes, key=lambda s: s.name)
    ]
    return Map(indicator, indicators, maps.svg_map(shapes, scale, texts), rows, norm, caption)


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
    """The whole country: its figures, and a map and table of the regions."""
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
        (wanted,),
        lambda: _build_country_page(cycle, wanted),
    )
    return render_template("results/country.html", cycles=cycles, cycle=cycle, page=page)


@dataclass(frozen=True)
class CountryPage:
    """The country page's content as built from the batch's figures."""

    map_indicator: str | None
    body: Markup


def _build_country_page(cycle: Cycle, wanted: str) -> CountryPage:
    country_map = build(cycle, maps.region_shapes(), None, _("Nederland per regio"), wanted or None)
    figures = results.figures([cycle.id], "land", [0])
    scorecard = []
    for indicator in _indicators(None):
        figure = figures.get((indicator.id, cycle.id, "land", 0))
        scorecard.append((indicator, figure))
    body = render_template(
        "results/_country_body.html",
        cycle=cycle,
        map=country_map,
        scorecard=scorecard,
        SIGNALS=SIGNALS,
    )
    return CountryPage(
        map_indicator=country_map.indicator.code if country_map else None,
        body=Markup(body),  # noqa: S704 - rendered by our own autoescaping template
    )
