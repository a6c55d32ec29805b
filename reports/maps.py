"""Maps of the country by region and of a region by gemeente, coloured by an
indicator's value: inline SVG for the pages, a reportlab drawing for the
region PDF and a PNG for the region comparison workbook, all from the same
shapes (`domain.geography`).

The colours come from a sequential palette that stays readable with
colour-vision deficiency (ColorBrewer YlGnBu, light is low); every shape
names its value in its title, a hatch marks "geen gegevens" and the legend
marks the norm, so the map never relies on colour alone."""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from domain import reference, results
from domain.geography import ATTRIBUTION, Projection, topology
from models import Cycle, Gemeente, IndicatorDefinition, Region

PALETTE = ("#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494")
NO_DATA = "#FFFFFF"
HATCH = "#737373"
OUTLINE = "#404040"
_ids = itertools.count(1)

LonLat = tuple[float, float]


@dataclass
class Shape:
    """One region or gemeente on a map."""

    scope_type: str
    scope_id: int
    name: str
    rings: Sequence[Sequence[LonLat]]
    value: float | None = None
    href: str | None = None
    highlight: bool = False


@dataclass
class Scale:
    """Five equal classes from `low` to `high`, and the norm."""

    unit: str
    low: float
    high: float
    norm: float | None
    classes: int = len(PALETTE)

    @classmethod
    def for_values(cls, unit: str, values: Sequence[float | None], norm: float | None) -> Scale:
        if unit == "%":
            return cls(unit, 0.0, 100.0, norm)
        top = max([v for v in values if v is not None] + [norm or 0.0, 0.0])
        step = _nice_step(top / len(PALETTE)) if top > 0 else 1.0
        return cls(unit, 0.0, step * len(PALETTE), norm)

    @property
    def bounds(self) -> list[float]:
        width = (self.high - self.low) / self.classes
        return [self.low + width * k for k in range(self.classes + 1)]

    def colour(self, value: float | None) -> str | None:
        """The fill for a value; None for no value (drawn hatched)."""
        if value is None:
            return None
        share = (value - self.low) / (self.high - self.low) if self.high > self.low else 0
        return PALETTE[min(self.classes - 1, max(0, int(share * self.classes)))]

    def position(self, value: float) -> float:
        """Where a value lies along the legend, 0–1."""
        return min(1.0, max(0.0, (value - self.low) / (self.high - self.low or 1)))


def _nice_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    for nice in (1, 2, 2.5, 5, 10):
        if raw <= nice * power:
            return nice * power
    return 10 * power


@dataclass
class Texts:
    """The words on a map, in the page's language."""

    @property
    def credits(self) -> str:
        return f"{self.attribution} · {self.division}" if self.division else self.attribution

    title: str
    description: str
    no_data: str = "geen gegevens"
    norm: str = "norm"
    attribution: str = ATTRIBUTION
    division: str = ""  # which year's gemeenten: "gemeentelijke indeling 2024"
    label: Callable[[Shape], str] = field(default=lambda shape: shape.name)


# --- shapes from the reference data ---------------------------------------------


def cycle_year(cycle: Cycle) -> int:
    """The year whose gemeenten a cycle's figures belong to."""
    return cycle.opens_on.year


def division(cycle: Cycle) -> str:
    """Which year's gemeenten a cycle's map shows (Dutch)."""
    return f"gemeentelijke indeling {reference.year_for(cycle_year(cycle))}"


@functools.lru_cache(maxsize=2048)
def outline(codes: tuple[str, ...]) -> tuple[tuple[LonLat, ...], ...]:
    """The outline of some gemeenten of the map in longitude/latitude, merged
    when more than one (cached: the map never changes while running)."""
    topo = topology()
    rings = topo.rings(codes[0]) if len(codes) == 1 else topo.merged(codes)
    return tuple(tuple(topo.lonlat(p) for p in ring) for ring in rings)


def region_shapes() -> list[Shape]:
    """Every region, its outline merged from its gemeenten on the map."""
    topo = topology()
    codes: dict[int, list[str]] = defaultdict(list)
    for code, region_id in Gemeente.select(Gemeente.code, Gemeente.region).tuples():
        if code in topo.polygons:
            codes[region_id].append(code)
    return [
        Shape("regio", region.id, region.name, outline(tuple(sorted(codes[region.id]))))
        for region in Region.select().order_by(Region.name)
        if codes[region.id]
    ]


def exists_in(gemeente: Gemeente, year: int) -> bool:
    """Whether a gemeente existed in a year."""
    return (gemeente.valid_from is None or gemeente.valid_from <= year) and (
        gemeente.valid_until is None or gemeente.valid_until >= year
    )


def gemeenten_of(gemeenten: Iterable[Gemeente], cycle: Cycle) -> list[int]:
    """The ids of the gemeenten that existed in a cycle's year (before and
    after a merger the same organisations serve both the old and the new)."""
    year = cycle_year(cycle)
    return [g.id for g in gemeenten if exists_in(g, year)]


def gemeente_shapes(region_id: int, year: int) -> list[Shape]:
    """The gemeenten of a region as they were in a year: a gemeente of the
    map's year as drawn, a later merger as its predecessors merged."""
    topo = topology()
    everyone = list(Gemeente.select().order_by(Gemeente.name))
    predecessors: dict[int, list[Gemeente]] = defaultdict(list)
    for g in everyone:
        if g.successor_id is not None:
            predecessors[g.successor_id].append(g)

    def codes_of(g: Gemeente, depth: int = 0) -> list[str]:
        if g.code in topo.polygons or depth > 20:
            return [g.code] if g.code in topo.polygons else []
        return [c for p in predecessors[g.id] for c in codes_of(p, depth + 1)]

    shapes = []
    for g in everyone:
        if g.region_id != region_id or not exists_in(g, year):
            continue
        codes = codes_of(g)
        if codes:
            shapes.append(Shape("gemeente", g.id, g.name, outline(tuple(sorted(codes)))))
    return shapes


def with_values(shapes: list[Shape], cycle: Cycle, indicator: IndicatorDefinition) -> list[Shape]:
    """Give each shape the indicator's stored value in the cycle."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for shape in shapes:
        by_type[shape.scope_type].append(shape.scope_id)
    found = {}
    for scope_type, ids in by_type.items():
        found.update(results.figures([cycle.id], scope_type, ids))
    for shape in shapes:
        figure = found.get((indicator.id, cycle.id, shape.scope_type, shape.scope_id))
        shape.value = figure.value if figure else None
    return shapes


# --- SVG ---------------------------------------------------------------------------

WIDTH, MAP_HEIGHT, LEGEND_HEIGHT = 480, 540, 96


def _path(rings, project: Projection) -> str:
    parts = []
    for ring in rings:
        points, last = [], None
        for lon, lat in ring:
            x, y = project(lon, lat)
            point = f"{x:.1f},{y:.1f}"
            if point != last:  # points closer than the drawing shows are dropped
                points.append(point)
                last = point
        if len(points) > 2:
            parts.append("M" + "L".join(points) + "Z")
    return "".join(parts)


def projection_for(shapes: Sequence[Shape], width: float, height: float) -> Projection:
    return Projection.fit(
        (p for s in shapes for ring in s.rings for p in ring), width, height, margin=8
    )


def svg_map(shapes: list[Shape], scale: Scale, texts: Texts) -> Markup:
    """The map as inline SVG: a link per shape where it has one (reachable by
    keyboard), its name and value in its title, and the legend below."""
    n = next(_ids)
    height = MAP_HEIGHT + LEGEND_HEIGHT
    project = projection_for(shapes, WIDTH, MAP_HEIGHT)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="map{n}-title map{n}-desc">',
        f'<title id="map{n}-title">{escape(texts.title)}</title>',
        f'<desc id="map{n}-desc">{escape(texts.description)}</desc>',
        f'<defs><pattern id="map{n}-none" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH}" stroke-width="2"/></pattern></defs>',
    ]
    ordered = sorted(shapes, key=lambda s: s.highlight)  # the highlighted one on top
    for shape in ordered:
        colour = scale.colour(shape.value) or f"url(#map{n}-none)"
        label = texts.label(shape)
        stroke = (
            'stroke="#000000" stroke-width="3"'
            if shape.highlight
            else f'stroke="{OUTLINE}" stroke-width="0.8"'
        )
        path = (
            f'<path d="{_path(shape.rings, project)}" fill="{colour}" fill-rule="evenodd" '
            f'{stroke} stroke-linejoin="round"><title>{escape(label)}</title></path>'
        )
        if shape.href:
            parts.append(f'<a href="{escape(shape.href)}" aria-label="{escape(label)}">{path}</a>')
        else:
            parts.append(f'<g role="img" aria-label="{escape(label)}">{path}</g>')
    parts.append(_svg_legend(n, scale, texts, MAP_HEIGHT))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or a number


def _svg_legend(n: int, scale: Scale, texts: Texts, top: float) -> str:
    left, bar_w, bar_h = 16, 300, 14
    step = bar_w / scale.classes
    parts = ['<g font-size="13" fill="#262626">']
    for k, colour in enumerate(PALETTE[: scale.classes]):
        parts.append(
            f'<rect x="{left + k * step:.1f}" y="{top + 18}" width="{step:.1f}" '
            f'height="{bar_h}" fill="{colour}" stroke="{OUTLINE}" stroke-width="0.5"/>'
        )
    for k, bound in enumerate(scale.bounds):
        parts.append(
            f'<text x="{left + k * step:.1f}" y="{top + 46}" text-anchor="middle">'
            f"{escape(_number(bound, scale.unit))}</text>"
        )
    if scale.norm is not None:
        x = left + scale.position(scale.norm) * bar_w
        parts.append(
            f'<path d="M{x:.1f},{top + 14}L{x - 5:.1f},{top + 6}L{x + 5:.1f},{top + 6}Z" '
            f'fill="#000000"/><line x1="{x:.1f}" x2="{x:.1f}" y1="{top + 14}" '
            f'y2="{top + 18 + bar_h + 4}" stroke="#000000" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{top + 2}" text-anchor="middle" font-weight="bold">'
            f"{escape(texts.norm)} {escape(_number(scale.norm, scale.unit))}</text>"
        )
    parts.append(
        f'<rect x="{left + bar_w + 24}" y="{top + 18}" width="22" height="{bar_h}" '
        f'fill="url(#map{n}-none)" stroke="{OUTLINE}" stroke-width="0.5"/>'
        f'<text x="{left + bar_w + 52}" y="{top + 29}">{escape(texts.no_data)}</text>'
        f'<text x="{WIDTH - 8}" y="{top + LEGEND_HEIGHT - 8}" text-anchor="end" '
        f'font-size="12" fill="#404040">{escape(texts.credits)}</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def _number(value: float, unit: str) -> str:
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    return text + ("%" if unit == "%" else "")


# --- PDF (reportlab) and PNG ------------------------------------------------------


def pdf_drawing(shapes: list[Shape], scale: Scale, texts: Texts, width: float, font: str):
    """The same map as a reportlab Drawing (width in points)."""
    from reportlab.graphics.shapes import Drawing, Line, Path, Polygon, Rect, String
    from reportlab.lib import colors

    map_h = width * MAP_HEIGHT / WIDTH
    legend_h = 64
    drawing = Drawing(width, map_h + legend_h)
    project = projection_for(shapes, width, map_h)
    for shape in sorted(shapes, key=lambda s: s.highlight):
        fill = scale.colour(shape.value)
        path = Path(
            fillColor=colors.HexColor(fill or NO_DATA),
            strokeColor=colors.black if shape.highlight else colors.HexColor(OUTLINE),
            strokeWidth=2 if shape.highlight else 0.4,
            fillMode=0,  # even-odd: holes stay holes
        )
        for ring in shape.rings:
            points = [project(lon, lat) for lon, lat in ring]
            path.moveTo(points[0][0], legend_h + map_h - points[0][1])
            for x, y in points[1:]:
                path.lineTo(x, legend_h + map_h - y)
            path.closePath()
        drawing.add(path)
        if fill is None:
            _pdf_hatch(drawing, shape, project, legend_h + map_h)
    bar_w = min(300, width * 0.6)
    step = bar_w / scale.classes
    for k, colour in enumerate(PALETTE[: scale.classes]):
        drawing.add(
            Rect(12 + k * step, 34, step, 10, fillColor=colors.HexColor(colour),
                 strokeColor=colors.HexColor(OUTLINE), strokeWidth=0.4)
        )  # fmt: skip
    for k, bound in enumerate(scale.bounds):
        drawing.add(
            String(12 + k * step, 24, _number(bound, scale.unit), fontName=font, fontSize=7,
                   textAnchor="middle")
        )  # fmt: skip
    if scale.norm is not None:
        x = 12 + scale.position(scale.norm) * bar_w
        drawing.add(Line(x, 30, x, 48, strokeWidth=1.5))
        drawing.add(Polygon([x, 48, x - 3, 53, x + 3, 53], fillColor=colors.black))
        drawing.add(
            String(x, 55, f"{texts.norm} {_number(scale.norm, scale.unit)}",
                   fontName=font, fontSize=7, textAnchor="middle")
        )  # fmt: skip
    nx = 12 + bar_w + 16
    drawing.add(Rect(nx, 34, 16, 10, fillColor=colors.white, strokeColor=colors.HexColor(OUTLINE),
                     strokeWidth=0.4))  # fmt: skip
    for k in range(4):
        drawing.add(Line(nx + 4 * k, 34, nx + 4 * k + 6, 44, strokeColor=colors.HexColor(HATCH),
                         strokeWidth=0.6))  # fmt: skip
    drawing.add(String(nx + 20, 36, texts.no_data, fontName=font, fontSize=7))
    drawing.add(String(width, 4, texts.credits, fontName=font, fontSize=7, textAnchor="end"))
    return drawing


def _pdf_hatch(drawing, shape: Shape, project: Projection, flip: float) -> None:
    """Diagonal lines over a shape without a value, clipped by testing their
    midpoints against the shape (reportlab has no clipping paths in drawings)."""
    from reportlab.graphics.shapes import Line
    from reportlab.lib import colors

    from domain.geography import contains

    projected = [[project(lon, lat) for lon, lat in ring] for ring in shape.rings]
    xs = [x for ring in projected for x, _ in ring]
    ys = [y for ring in projected for _, y in ring]
    if not xs:
        return
    step = 3.0
    y = min(ys)
    while y < max(ys):
        x = min(xs)
        while x < max(xs):
            if contains(projected, (x + 1, y + 1)):
                drawing.add(
                    Line(x, flip - y, x + 2, flip - y - 2,
                         strokeColor=colors.HexColor(HATCH), strokeWidth=0.5)
                )  # fmt: skip
            x += step
        y += step


def png_map(shapes: list[Shape], scale: Scale, texts: Texts, width: int, font_path: str) -> bytes:
    """The map as a PNG image (Pillow), for the workbook."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    map_h = int(width * MAP_HEIGHT / WIDTH)
    legend_h = 110
    image = Image.new("RGB", (width, map_h + legend_h), "white")
    draw = ImageDraw.Draw(image)
    project = projection_for(shapes, width, map_h)
    hatch = _hatch_tile(image.size)
    for shape in sorted(shapes, key=lambda s: s.highlight):
        fill = scale.colour(shape.value)
        mask = Image.new("1", image.size, 0)
        for ring in shape.rings:  # even-odd: each ring flips what it covers
            ring_mask = Image.new("1", image.size, 0)
            ImageDraw.Draw(ring_mask).polygon([project(lon, lat) for lon, lat in ring], fill=1)
            mask = ImageChops.logical_xor(mask, ring_mask)
        if fill is None:
            image.paste(hatch, (0, 0), mask)
        else:
            image.paste(fill, (0, 0, *image.size), mask)
        for ring in shape.rings:
            points = [project(lon, lat) for lon, lat in ring]
            draw.line(points + points[:1], fill=OUTLINE if not shape.highlight else "#000000",
                      width=1 if not shape.highlight else 3)  # fmt: skip
    font = ImageFont.truetype(font_path, 14)
    small = ImageFont.truetype(font_path, 12)
    top = map_h + 30
    bar_w = min(360, width - 220)
    step = bar_w / scale.classes
    for k, colour in enumerate(PALETTE[: scale.classes]):
        box = (16 + k * step, top, 16 + (k + 1) * step, top + 16)
        draw.rectangle(box, fill=colour, outline=OUTLINE)
    for k, bound in enumerate(scale.bounds):
        draw.text((16 + k * step, top + 22), _number(bound, scale.unit), fill="#262626",
                  font=small, anchor="ma")  # fmt: skip
    if scale.norm is not None:
        x = 16 + scale.position(scale.norm) * bar_w
        draw.line([(x, top - 6), (x, top + 20)], fill="black", width=3)
        draw.polygon([(x, top - 6), (x - 6, top - 14), (x + 6, top - 14)], fill="black")
        draw.text((x, top - 16), f"{texts.norm} {_number(scale.norm, scale.unit)}",
                  fill="black", font=font, anchor="mb")  # fmt: skip
    nx = 16 + bar_w + 24
    image.paste(hatch.crop((0, 0, 26, 16)), (int(nx), int(top)))
    draw.rectangle((nx, top, nx + 26, top + 16), outline=OUTLINE)
    draw.text((nx + 32, top), texts.no_data, fill="#262626", font=font)
    draw.text((width - 8, map_h + legend_h - 8), texts.credits, fill="#404040", font=small,
              anchor="rd")  # fmt: skip
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _hatch_tile(size: tuple[int, int]):
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", size, NO_DATA)
    draw = ImageDraw.Draw(tile)
    w, h = size
    for k in range(-h, w, 8):
        draw.line([(k, h), (k + h, 0)], fill=HATCH, width=2)
    return tile
