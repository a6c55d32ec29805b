"""Maps of the country by region and of a region by gemeente, coloured by an
indicator's value: inline SVG for the pages, a reportlab drawing for the
region PDF and a PNG for the region comparison workbook, all from the same
shapes (`domain.geography`).

The classes are the indicator's signal bands (groen, oranje, rood against the
norm and thresholds that apply), so a shape's colour and its row's signal
never disagree, in a palette that stays readable with colour-vision
deficiency; every shape names its value in its title, names are drawn where
they fit, a hatch marks "geen gegevens" and the legend gives each band's
range and the norm, so the map never relies on colour alone."""

from __future__ import annotations

import functools
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from domain import reference, results
from domain.computation import signal as signal_for
from domain.geography import ATTRIBUTION, Projection, topology
from models import Cycle, Gemeente, IndicatorDefinition, Region

# The signal bands in a palette that stays apart with colour-vision
# deficiency (Okabe–Ito: bluish green, orange, vermillion) and differs in
# lightness too; grey for an indicator not judged yet ("nog open").
SIGNAL_FILLS = {
    "groen": "#009E73",
    "oranje": "#E69F00",
    "rood": "#D55E00",
    "nog_open": "#BDBDBD",
}
PALETTE = tuple(SIGNAL_FILLS.values())
NO_DATA = "#FFFFFF"
HATCH = "#737373"
OUTLINE = "#404040"
LABEL_SIZE = 11  # px of a name drawn in its shape
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
    """The indicator's signal bands: a shape is coloured by the signal its
    value gets against the norm and thresholds, the same signal its row in
    the table and the scorecard show."""

    unit: str
    direction: str
    norm: float | None
    green: float
    orange: float
    not_yet_due: bool = False

    @classmethod
    def for_indicator(cls, ind, norm, not_yet_due: bool = False) -> Scale:
        """The bands of an indicator under a norm (a `reports.data.Norm`)."""
        return cls(ind.unit, ind.direction, norm.norm, norm.green, norm.orange, not_yet_due)

    def signal(self, value: float | None) -> str:
        """The signal of a value: groen, oranje, rood, geen or nog_open."""
        if self.not_yet_due:
            return "nog_open" if value is not None else "geen"
        return signal_for(value, self.direction, self.green, self.orange)

    def colour(self, value: float | None) -> str | None:
        """The fill for a value; None for no value (drawn hatched)."""
        return SIGNAL_FILLS.get(self.signal(value))

    def bands(self) -> list[tuple[str, str]]:
        """(signal, range) per class of the legend, green first."""
        if self.not_yet_due:
            return [("nog_open", "")]
        g, o = _number(self.green, self.unit), _number(self.orange, self.unit)
        if self.direction == "lager_beter":
            return [("groen", f"≤ {g}"), ("oranje", f"{g} – {o}"), ("rood", f"> {o}")]
        return [("groen", f"≥ {g}"), ("oranje", f"{o} – {g}"), ("rood", f"< {o}")]


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
    signals: dict[str, str] = field(
        default_factory=lambda: {
            "groen": "groen",
            "oranje": "oranje",
            "rood": "rood",
            "nog_open": "nog open",
        }
    )
    names: bool = True  # names drawn in the shapes where they fit


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


def name_labels(
    shapes: Sequence[Shape], project: Projection, size: float, char_width: float = 0.58
) -> list[tuple[float, float, str]]:
    """(x, y, name) for each shape whose name fits inside its largest part:
    the text's width (about `char_width` × size per character) within 90% of
    that part's width at its centre, and the label's height within its height."""
    out = []
    for shape in shapes:
        best = None
        for ring in shape.rings:
            points = [project(lon, lat) for lon, lat in ring]
            if len(points) < 3:
                continue
            area = _area(points)
            if best is None or abs(area) > abs(best[0]):
                best = (area, points)
        if best is None:
            continue
        points = best[1]
        ys = [y for _, y in points]
        cx, cy = _centroid(points, best[0])
        # The room at the label's height, and above and below it.
        width = _span(points, cy)
        room = min(_span(points, cy - size * 0.5), width, _span(points, cy + size * 0.5))
        if len(shape.name) * char_width * size <= room * 0.9 and max(ys) - min(ys) >= size * 1.6:
            out.append((cx, cy, shape.name))
    return out


def _area(points) -> float:
    return (
        sum(
            x0 * y1 - x1 * y0
            for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
        )
        / 2
    )


def _centroid(points, area: float) -> tuple[float, float]:
    if abs(area) < 1e-9:
        return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * area), cy / (6 * area)


def _span(points, y: float) -> float:
    """The width of the run of the polygon that holds its centre line at
    height y (the widest run when the line crosses it several times)."""
    crossings = sorted(
        x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
        if (y0 <= y < y1) or (y1 <= y < y0)
    )
    runs = [crossings[k + 1] - crossings[k] for k in range(0, len(crossings) - 1, 2)]
    return max(runs, default=0.0)


def svg_map(shapes: list[Shape], scale: Scale, texts: Texts) -> Markup:
    """The map as inline SVG: a link per shape where it has one (reachable by
    keyboard), its name and value in its title, names drawn where they fit,
    and the legend of the signal bands below."""
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
        signal = scale.signal(shape.value)
        colour = SIGNAL_FILLS.get(signal) or f"url(#map{n}-none)"
        label = texts.label(shape)
        stroke = (
            'stroke="#000000" stroke-width="3"'
            if shape.highlight
            else f'stroke="{OUTLINE}" stroke-width="0.8"'
        )
        path = (
            f'<path d="{_path(shape.rings, project)}" fill="{colour}" fill-rule="evenodd" '
            f'data-signal="{signal}" {stroke} stroke-linejoin="round">'
            f"<title>{escape(label)}</title></path>"
        )
        if shape.href:
            parts.append(f'<a href="{escape(shape.href)}" aria-label="{escape(label)}">{path}</a>')
        else:
            parts.append(f'<g role="img" aria-label="{escape(label)}">{path}</g>')
    if texts.names:
        # Names over the shapes, for the eye only: each shape's title says it.
        parts.append(
            f'<g class="map-names" aria-hidden="true" font-size="{LABEL_SIZE}" '
            'text-anchor="middle" fill="#000000" stroke="#FFFFFF" stroke-width="2.5" '
            'paint-order="stroke" stroke-linejoin="round" pointer-events="none">'
        )
        for x, y, name in name_labels(shapes, project, LABEL_SIZE):
            parts.append(f'<text x="{x:.1f}" y="{y + LABEL_SIZE * 0.35:.1f}">{escape(name)}</text>')
        parts.append("</g>")
    parts.append(_svg_legend(n, scale, texts, MAP_HEIGHT))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or a number


def _svg_legend(n: int, scale: Scale, texts: Texts, top: float) -> str:
    """The bands with their ranges on one line; "geen gegevens" and the norm below."""
    left, box_w, box_h = 16, 22, 14
    parts = ['<g font-size="13" fill="#262626">']
    x = left
    for signal, band in scale.bands():
        words = f"{texts.signals[signal]} {band}".strip()
        parts.append(
            f'<rect x="{x}" y="{top + 12}" width="{box_w}" height="{box_h}" '
            f'fill="{SIGNAL_FILLS[signal]}" stroke="{OUTLINE}" stroke-width="0.5"/>'
            f'<text x="{x + box_w + 5}" y="{top + 24}">{escape(words)}</text>'
        )
        x += box_w + 16 + 7.5 * len(words)
    parts.append(
        f'<rect x="{left}" y="{top + 36}" width="{box_w}" height="{box_h}" '
        f'fill="url(#map{n}-none)" stroke="{OUTLINE}" stroke-width="0.5"/>'
        f'<text x="{left + box_w + 5}" y="{top + 48}">{escape(texts.no_data)}</text>'
    )
    if scale.norm is not None:
        parts.append(
            f'<text x="{left + 180}" y="{top + 48}" font-weight="bold">'
            f"{escape(texts.norm)} {escape(_number(scale.norm, scale.unit))}</text>"
        )
    parts.append(
        f'<text x="{WIDTH - 8}" y="{top + LEGEND_HEIGHT - 8}" text-anchor="end" '
        f'font-size="12" fill="#404040">{escape(texts.credits)}</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def _number(value: float, unit: str) -> str:
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")
    return text.replace(".", ",") + ("%" if unit == "%" else "")


# --- PDF (reportlab) and PNG ------------------------------------------------------


def pdf_drawing(shapes: list[Shape], scale: Scale, texts: Texts, width: float, font: str):
    """The same map as a reportlab Drawing (width in points)."""
    from reportlab.graphics.shapes import Drawing, Path, Rect, String
    from reportlab.lib import colors

    map_h = width * MAP_HEIGHT / WIDTH
    legend_h = 40
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
    if texts.names:
        size = 6.5
        for x, y, name in name_labels(shapes, project, size):
            drawing.add(
                String(x, legend_h + map_h - y - size * 0.35, name, fontName=font,
                       fontSize=size, textAnchor="middle", fillColor=colors.black)
            )  # fmt: skip
    x = 12.0
    for signal, band in scale.bands():
        words = f"{texts.signals[signal]} {band}".strip()
        drawing.add(
            Rect(x, 22, 14, 9, fillColor=colors.HexColor(SIGNAL_FILLS[signal]),
                 strokeColor=colors.HexColor(OUTLINE), strokeWidth=0.4)
        )  # fmt: skip
        drawing.add(String(x + 17, 24, words, fontName=font, fontSize=7))
        x += 17 + 4.2 * len(words) + 10
    drawing.add(Rect(x, 22, 14, 9, fillColor=colors.white,
                     strokeColor=colors.HexColor(OUTLINE), strokeWidth=0.4))  # fmt: skip
    from reportlab.graphics.shapes import Line

    for k in range(3):
        drawing.add(Line(x + 4 * k, 22, x + 4 * k + 6, 31, strokeColor=colors.HexColor(HATCH),
                         strokeWidth=0.6))  # fmt: skip
    drawing.add(String(x + 17, 24, texts.no_data, fontName=font, fontSize=7))
    if scale.norm is not None:
        drawing.add(
            String(12, 10, f"{texts.norm} {_number(scale.norm, scale.unit)}", fontName=font,
                   fontSize=7)
        )  # fmt: skip
    drawing.add(String(width, 2, texts.credits, fontName=font, fontSize=7, textAnchor="end"))
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
    legend_h = 90
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
    if texts.names:
        for x, y, name in name_labels(shapes, project, 12, char_width=0.62):
            draw.text((x, y), name, fill="black", font=small, anchor="mm",
                      stroke_width=2, stroke_fill="white")  # fmt: skip
    top = map_h + 16
    x = 16.0
    for signal, band in scale.bands():
        words = f"{texts.signals[signal]} {band}".strip()
        draw.rectangle((x, top, x + 26, top + 16), fill=SIGNAL_FILLS[signal], outline=OUTLINE)
        draw.text((x + 32, top), words, fill="#262626", font=font)
        x += 32 + draw.textlength(words, font=font) + 18
    # "geen gegevens" and the norm on a second line, so the legend never runs off.
    x, below = 16.0, top + 26
    image.paste(hatch.crop((0, 0, 26, 16)), (int(x), int(below)))
    draw.rectangle((x, below, x + 26, below + 16), outline=OUTLINE)
    draw.text((x + 32, below), texts.no_data, fill="#262626", font=font)
    if scale.norm is not None:
        draw.text((x + 200, below), f"{texts.norm} {_number(scale.norm, scale.unit)}",
                  fill="black", font=font)  # fmt: skip
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
