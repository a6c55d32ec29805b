"""The PDF management report per organisation or region (reportlab).

An embedded DejaVu Sans (so ĳ, ë and € render), title, author and language in
the document information, page numbers, Dutch dates and numbers. Text typed by
people is escaped before it reaches a Paragraph (which parses markup), and
put in table cells as plain strings elsewhere."""

from __future__ import annotations

import copy
import functools
import math
import re
import threading
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics import renderPDF, shapes
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import DirectDraw, Drawing, Group, Rect, String, UserNode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import _ExpandedCellTuple

from reports import dutch, maps, practice
from reports.data import ActionRow, EscalationRow, ScopeReport
from reports.rows import ManagementReport, management_report

FONTS = Path(__file__).resolve().parent / "fonts"
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"

SIGNAL_COLOURS = {
    "groen": colors.HexColor("#C6EFCE"),
    "oranje": colors.HexColor("#FFEB9C"),
    "rood": colors.HexColor("#FFC7CE"),
    "geen": colors.white,
    "nog_open": colors.HexColor("#E8E8E8"),  # RESPONS before the due date: not judged
}
LINE_COLOURS = (colors.HexColor("#1F4E79"), colors.HexColor("#C55A11"), colors.HexColor("#7F7F7F"))
HEADER = colors.HexColor("#1F4E79")
LEGEND_ROW = 9  # points per line of a chart legend
GRID = colors.HexColor("#BFBFBF")

_registered = False

# Chart parts that are the same in many charts: the axes of a trend chart (the
# same periods and scale in every organisation's report) and a legend (the
# same names under every trend chart of a report). Each is laid out once per
# process and written once per document, as a PDF form that every chart with
# that part places. Keys hold every input of a part; the styling is fixed in
# this module.
_PARTS: dict[tuple, _Shared] = {}
PARTS_KEPT = 512
FORM_BOX = 2000  # points around a part's origin that its form may draw in


class _Shared(DirectDraw):
    """A chart part drawn once per document (as a form) and placed by reference.

    The form's drawing operators are worked out once per process and written
    again into later documents, when they cannot differ between documents:
    the document had already named the fonts the part uses, drawing it added
    no other resource (graphics states, colour spaces, forms, links), and
    the fonts encode its texts in this document as they did when it was
    recorded (see _encodes_alike)."""

    def __init__(self, key: tuple, group: Group):
        self._key, self._group = key, group  # private: no graphics state of its own
        self._portable = _plain(group)
        # Per set of the document's font names: the operators and the texts encoded.
        self._operators: dict[tuple, tuple[list[str], tuple]] = {}

    def drawDirectly(self, renderer) -> None:  # noqa: N802 - reportlab's name
        canvas = renderer._canvas
        forms = canvas.__dict__.setdefault("_shared_parts", {})
        name = forms.get(self._key)
        if name is None:
            name = forms[self._key] = f"ChartPart{len(forms)}"
            drawing = canvas.__dict__.get("_drawing")  # the drawing being rendered
            canvas.beginForm(name, -FORM_BOX, -FORM_BOX, FORM_BOX, FORM_BOX)
            resources = _resources(canvas) if self._portable else None
            recorded = self._operators.get(resources[0]) if resources else None
            if recorded is not None and _encoded_alike(canvas._doc, recorded[1]):
                canvas._code.extend(recorded[0])
            elif resources is None or _recording() is not None:
                self._render(canvas)
            else:
                _RECORDING.runs = runs = []
                try:
                    self._render(canvas)
                finally:
                    _RECORDING.runs = None
                if _resources(canvas) == resources:
                    if len(self._operators) >= PARTS_KEPT:
                        self._operators.clear()
                    encoded = _encoded(canvas._doc, runs)
                    self._operators[resources[0]] = (list(canvas._code), encoded)
            canvas.endForm()
            if drawing is not None:
                canvas.__dict__["_drawing"] = drawing
        canvas.doForm(name)

    def _render(self, canvas) -> None:
        """Draw the part (into its form)."""
        renderPDF.draw(Drawing(1, 1, self._group), canvas, 0, 0)


class _LegendPart(_Shared):
    """A legend written straight into its form: what renderPDF wrote for the
    group a Legend drew (per row a swatch, then its name), from the places
    of a legend with the same number of rows laid out before (a name on one
    line takes the same place whatever it says: see _legend_rows)."""

    def __init__(self, key: tuple, rows: tuple, texts: list[str]):
        self._key, self._group, self._portable, self._operators = key, None, True, {}
        self._rows, self._texts = rows, texts

    def _render(self, canvas) -> None:
        code = canvas._code
        code += (*_DRAWING_START, *_GROUP_START, *_GROUP_START)  # the form's drawing, the legend
        for (box, colour, (x, y)), text in zip(self._rows, self._texts, strict=True):
            code += (
                "q", _colour(colour, "rg"), "0 0 0 RG", "1 w", "0 J", "0 j", "[] 0 d",
                f"n {fp_str(*box)} re B*", "Q",
            )  # fmt: skip
            name = canvas.beginText(x, y)
            name.setFont(FONT, 7, 7 * 1.2)
            name.textLine(text)
            code += ("q", "0 0 0 rg", name.getCode(), "Q")
        code += ("Q", "Q", "Q")


def _plain(node) -> bool:
    """Whether a (fully expanded) drawing holds only shapes: nothing drawn
    out of sight of _Shared's recording."""
    if isinstance(node, Group):
        return all(_plain(child) for child in node.contents)
    return not isinstance(node, (UserNode, DirectDraw))


def _resources(canvas) -> tuple:
    """What a form's operators may refer to in its document, and what drawing
    it would add: the document's font names; the graphics states, colour
    spaces, shadings, forms and links used so far in the form."""
    return (
        tuple(sorted(canvas._doc.fontMapping.items())),
        tuple(sorted(canvas._extgstate._c.items())),
        bool(canvas._colorsUsed or canvas._shadingUsed),
        bool(canvas._formsinuse or canvas._annotationrefs),
    )


def _part(key: tuple, make) -> _Shared:
    """A chart part, laid out once per key and expanded down to plain shapes
    (so it no longer depends on the widgets that made it)."""
    part = _PARTS.get(key)
    if part is None:
        if len(_PARTS) >= PARTS_KEPT:
            _PARTS.clear()
        part = _PARTS[key] = _Shared(key, _expanded(make()))
    return part


def _expanded(node):
    """A node with every widget in it replaced by what it draws, as the
    renderer would at drawing time."""
    while isinstance(node, UserNode):
        node = node.provideNode()
    if isinstance(node, Group):
        node.contents = [_expanded(child) for child in node.contents]
    return node


class _Dots(DirectDraw):
    """The points of one line of a trend chart: filled circles of radius 1.5
    with a thin black edge (what makeMarker("FilledCircle", size=3) draws),
    as one path instead of a widget and a graphics state per point."""

    def __init__(self, points, colour):
        self._points, self._colour = points, colour

    def drawDirectly(self, renderer) -> None:  # noqa: N802 - reportlab's name
        self.write(renderer._canvas._code)

    def write(self, code: list[str]) -> None:
        """The operators: in their own graphics state, the colours and line,
        then one path of all the dots, filled and stroked (even-odd, the
        canvas's default fill mode)."""
        path = ["n"]
        for x, y in self._points:
            path += _circle(x, y)
        code += (
            "q", _colour(self._colour, "rg"), "0 0 0 RG", ".1 w", "0 J", "0 j",
            " ".join(path), "B*", "Q",
        )  # fmt: skip


# A circle as PDFPathObject.circle(x, y, DOT) writes it: four Bézier arcs from
# pdfgeom.bezierArc, with its arithmetic done in the same order (so the same
# numbers come out) but the sines and cosines, which never change, worked out
# once; and the operators of the points that recur (the region's and the
# country's lines are in many reports) remembered.
DOT = 1.5
_HALF_ANGLE = 90.0 * math.pi / 360.0
_KAPPA = abs(4.0 / 3.0 * (1.0 - math.cos(_HALF_ANGLE)) / math.sin(_HALF_ANGLE))
_ARCS = []
for _n in range(4):
    _c0, _s0 = math.cos(_n * 90.0 * math.pi / 180.0), math.sin(_n * 90.0 * math.pi / 180.0)
    _c1 = math.cos((_n + 1) * 90.0 * math.pi / 180.0)
    _s1 = math.sin((_n + 1) * 90.0 * math.pi / 180.0)
    _ARCS.append(
        (_c0, _s0, _c0 - _KAPPA * _s0, _s0 + _KAPPA * _c0, _c1 + _KAPPA * _s1, _s1 - _KAPPA * _c1,
         _c1, _s1)
    )  # fmt: skip
_CIRCLES: dict[tuple[float, float], tuple[str, ...]] = {}
CIRCLES_KEPT = 20_000


def _circle(x_centre: float, y_centre: float) -> tuple[str, ...]:
    """The path operators of a dot at (x_centre, y_centre)."""
    found = _CIRCLES.get((x_centre, y_centre))
    if found is not None:
        return found
    # PDFPathObject.circle and .ellipse, then bezierArc's corners and centre.
    x1, y1 = x_centre - DOT, y_centre - DOT
    width = height = 2 * DOT
    x2, y2 = x1 + width, y1 + height
    x1, y1, x2, y2 = min(x1, x2), max(y1, y2), max(x1, x2), min(y1, y2)
    x_cen, y_cen = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    rx, ry = (x2 - x1) / 2.0, (y2 - y1) / 2.0
    out = [f"{fp_str(x_cen + rx * _ARCS[0][0], y_cen - ry * _ARCS[0][1])} m"]
    for _, _, a, b, c, d, e, f in _ARCS:
        points = (x_cen + rx * a, y_cen - ry * b, x_cen + rx * c, y_cen - ry * d)
        out.append(f"{fp_str(*points, x_cen + rx * e, y_cen - ry * f)} c")
    if len(_CIRCLES) >= CIRCLES_KEPT:
        _CIRCLES.clear()
    found = _CIRCLES[(x_centre, y_centre)] = tuple(out)
    return found


class _TrendLineChart(HorizontalLineChart):
    """A HorizontalLineChart as _trend_layout sets it up (no grid, background,
    fill or labels), laid out only: _TrendChart draws the lines."""

    def layout(self) -> _Shared:
        """Place the axes and the points (as HorizontalLineChart.draw does);
        the axes as a shared part."""
        value_axis, category_axis = self.valueAxis, self.categoryAxis
        value_axis.setPosition(self.x, self.y, self.height)
        value_axis.joinAxis, category_axis.joinAxis = category_axis, value_axis
        value_axis.configure(self.data)
        y = self.y
        crosses = value_axis.scale(0)
        if not (crosses > y + self.height or crosses < y):
            y = crosses
        category_axis.setPosition(self.x, y, self.width)
        category_axis.configure(self.data)
        self.calcPositions()
        key = (
            "trend-axes", self.x, y, self.width, self.height,
            tuple(category_axis.categoryNames), category_axis._catCount,
            value_axis._valueMin, value_axis._valueMax, tuple(value_axis._tickValues),
        )  # fmt: skip
        return _part(key, lambda: Group(category_axis.draw(), value_axis.draw()))


class _Renderer:
    """What a _Shared part needs of renderPDF's renderer: the canvas."""

    def __init__(self, canvas):
        self._canvas = canvas


def _colour(colour, operator: str) -> str:
    """The operator that sets an RGB colour, as the canvas writes it."""
    return f"{fp_str(colour.red, colour.green, colour.blue)} {operator}"


# What renderPDF writes before a drawing's first node: its defaults
# (shapes.STATE_DEFAULTS, in that order), then the drawing's own group.
_DRAWING_START = ("q", "1 0 0 1 0 0 cm", "0 0 0 RG", "1 w", "0 J", "0 j", "[] 0 d", "0 0 0 rg")
_GROUP_START = ("q", "1 0 0 1 0 0 cm")


class _Chart(Flowable):
    """A chart drawn straight onto the canvas: the operators renderPDF wrote
    for the Drawing it replaces, without building and walking a tree of
    shapes; the canvas's state untouched."""

    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height = width, height

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802, N803 - reportlab's names
        """Flowable.drawOn's and renderPDF.draw's operators around the drawing's."""
        x = self._hAlignAdjust(x, _sW)
        canvas._code += ("q", f"{fp_str(1, 0, 0, 1, x, y)} cm", *_DRAWING_START, *_GROUP_START)
        self.write(canvas)
        canvas._code += ("Q", "Q", "Q")  # the drawing's group, the drawing, the flowable

    def write(self, canvas) -> None:
        """The operators of what the drawing held."""
        raise NotImplementedError


class _ComparisonChart(_Chart):
    """The comparison's bar chart and its legend (a shared part)."""

    def __init__(self, width: float, height: float, chart, legend: _Shared):
        super().__init__(width, height)
        self._chart, self._legend = chart, legend

    def write(self, canvas) -> None:  # noqa: D102 - _Chart's
        self._chart.draw()
        self._chart.write(canvas)
        canvas._code.append("q")
        self._legend.drawDirectly(_Renderer(canvas))
        canvas._code.append("Q")


class _TrendChart(_Chart):
    """A trend chart: the title, the chart's axes as a shared part, per line
    (points, colour, width, joined) its joined line and its points, the
    shared legend; as a _TrendLineChart in a Drawing was drawn."""

    def __init__(self, width, height, title: str, axes: _Shared, lines: list, legend: _Shared):
        super().__init__(width, height)
        self._title, self._axes, self._lines, self._legend = title, axes, lines, legend

    def write(self, canvas) -> None:  # noqa: D102 - _Chart's
        code = canvas._code
        # The title: a String in the bold font, black.
        text = canvas.beginText(0, self.height - 10)
        text.setFont(BOLD, 7.5, 7.5 * 1.2)
        text.textLine(self._title)
        code += ("q", "0 0 0 rg", text.getCode(), "Q")
        # The chart's group: its axes, then a group of its lines.
        code += _GROUP_START
        code.append("q")
        self._axes.drawDirectly(_Renderer(canvas))
        code = canvas._code
        code.append("Q")
        code += _GROUP_START
        for row, colour, width, joined in self._lines:
            if joined:
                # A PolyLine: its state (stroke colour, width, cap, join, no dash), then the path.
                path = ["n"]
                for n, (px, py) in enumerate(row):
                    path.append(f"{fp_str(px, py)} {'l' if n else 'm'}")
                code += (
                    "q", _colour(colour, "RG"), f"{fp_str(width)} w", "0 J", "1 j", "[] 0 d",
                    " ".join(path), "S", "Q",
                )  # fmt: skip
            if row:
                code.append("q")
                _Dots(row, colour).write(code)
                code.append("Q")
        code += ("Q", "Q")  # the lines, the chart
        code.append("q")
        self._legend.drawDirectly(_Renderer(canvas))
        canvas._code.append("Q")


class _ComparisonBarChart(HorizontalBarChart):
    """A HorizontalBarChart as _comparison sets it up (no grid, background or
    annotations), its axes drawn as a shared part (the same indicator codes
    and scale in every report of a region)."""

    def _drawFinish(self):  # noqa: N802 - reportlab's name
        category_axis, value_axis = self.categoryAxis, self.valueAxis
        category_axis.configure(self._configureData)
        self.calcBarPositions()
        key = (
            "bar-axes", self.x, self.y, self.width, self.height,
            category_axis._x, category_axis._y, category_axis._length,
            value_axis._x, value_axis._y, value_axis._length,
            tuple(category_axis.categoryNames), category_axis._catCount,
            value_axis._valueMin, value_axis._valueMax, tuple(value_axis._tickValues),
        )  # fmt: skip
        self._axes = _part(key, lambda: Group(category_axis.draw(), value_axis.draw()))
        return Group()  # laid out only: _ComparisonChart draws it

    def write(self, canvas) -> None:
        """After draw(): what renderPDF wrote for the group HorizontalBarChart
        drew (its bars, then an empty group of their labels; then the axes)."""
        code = canvas._code
        code += (*_GROUP_START, *_GROUP_START)  # the chart's group, its bars' group
        styles = self.bars
        for row_number, row in enumerate(self._barPositions):
            row_style = styles[row_number % len(styles)]
            for x, y, width, height in row:
                # _makeBars: a Rect for a bar of some size, here never stroked.
                if abs(width) > 1e-7 and abs(height) >= 1e-7:
                    code += (
                        "q", _colour(row_style.fillColor, "rg"),
                        f"{fp_str(row_style.strokeWidth)} w", "0 J", "0 j", "[] 0 d",
                        f"n {fp_str(x, y, width, height)} re f*", "Q",
                    )  # fmt: skip
        code += (*_GROUP_START, "Q", "Q", "q")  # the labels' group, the bars' group
        self._axes.drawDirectly(_Renderer(canvas))
        canvas._code += ("Q", "Q")  # the axes, the chart's group


# While a paragraph or a chart part is recorded: every text its fonts encoded
# (see _Font, _Parsed.drawOn and _Shared), per thread.
_RECORDING = threading.local()  # .runs: that list, in the thread recording


def _recording() -> list | None:
    """The texts encoded so far for what this thread is recording, if it is."""
    return getattr(_RECORDING, "runs", None)


class _Formatted(pdfdoc.PDFObject):
    """A PDF object as an earlier document formatted it: its bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document) -> bytes:
        return self.data


class _FormattedStream(_Formatted):
    """A stream as an earlier document formatted it (always an indirect object)."""

    __RefOnly__ = 1


# A font subset's parts that do not name other objects, formatted, per font,
# subset number and characters: its widths, its ToUnicode map and the subset
# font file (compressed). Most reports use the same few characters beyond
# ASCII in the same order, so most of their subsets were formatted before.
_SUBSET_PARTS: dict[tuple, tuple[bytes, bytes, bytes]] = {}
SUBSETS_KEPT = 256


class _Font(TTFont):
    """A TrueType font that tells a paragraph being recorded which texts it
    encoded for the document, and how; and writes the subsets it wrote before
    from their formatted bytes."""

    def splitString(self, text, doc, encoding="utf-8"):  # noqa: N802 - reportlab's name
        found = super().splitString(text, doc, encoding)
        runs = _recording()
        if runs is not None:
            runs.append((self, text, found))
        return found

    def addObjects(self, doc) -> None:  # noqa: N802 - reportlab's name
        """TTFont.addObjects, the same objects in the same order, with the
        parts of a subset formatted before written from their bytes."""
        if not isinstance(doc.encrypt, pdfdoc.NoEncryption):
            super().addObjects(doc)
            return
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        face = self.face
        for n, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(n, doc)[1:]
            base = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            key = (self.fontName, n, tuple(subset), doc.compression, FLATE_LEVEL)
            parts = _SUBSET_PARTS.get(key)
            if parts is None:
                parts = self._subset_parts(doc, base, subset)
                if len(_SUBSET_PARTS) >= SUBSETS_KEPT:
                    _SUBSET_PARTS.clear()
                _SUBSET_PARTS[key] = parts
            widths, unicode_map, font_file = parts
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {n}"
            font.Name = internal
            font.BaseFont = base
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = _Formatted(widths)
            font.ToUnicode = doc.Reference(_FormattedStream(unicode_map), "toUnicodeCMap:" + base)
            file_ref = doc.Reference(
                _FormattedStream(font_file), f"fontFile:{face.filename}({base})"
            )
            font.FontDescriptor = doc.Reference(
                pdfdoc.PDFDictionary(
                    {
                        "Type": "/FontDescriptor",
                        "Ascent": face.ascent,
                        "CapHeight": face.capHeight,
                        "Descent": face.descent,
                        "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                        "FontBBox": pdfdoc.PDFArray(face.bbox),
                        "FontName": pdfdoc.PDFName(base),
                        "ItalicAngle": face.italicAngle,
                        "StemV": face.stemV,
                        "FontFile2": file_ref,
                        "MissingWidth": face.defaultWidth,
                    }
                ),
                "fontDescriptor:" + base,
            )
            doc.Reference(font, internal)
            doc.idToObject["BasicFonts"].dict[internal] = font
        del self.state[doc]

    def _subset_parts(self, doc, base: str, subset: list[int]) -> tuple[bytes, bytes, bytes]:
        """A subset's widths, ToUnicode stream and font file stream, formatted
        as TTFont.addObjects and TTFontFace.addSubsetObjects make them."""
        face = self.face
        filters = [pdfdoc.PDFZCompress] if doc.compression else None
        widths = pdfdoc.PDFArray(list(map(face.getCharWidth, subset))).format(doc)
        unicode_map = pdfdoc.PDFStream(content=makeToUnicodeCMap(base, subset), filters=filters)
        content = face.makeSubset(subset)
        font_file = pdfdoc.PDFStream(content=content, filters=filters)
        font_file.dictionary["Length1"] = len(content)
        return widths, unicode_map.format(doc), font_file.format(doc)


# zlib's level for every stream of a PDF (pages, forms, font subsets):
# reportlab's default, 6, costs twice the time of 1 for files about 8 % smaller.
FLATE_LEVEL = 1


def _flate(data: bytes | str) -> bytes:
    """PDFStreamFilterZCompress.encode at FLATE_LEVEL."""
    if isinstance(data, str):
        data = data.encode("utf8")
    return zlib.compress(data, FLATE_LEVEL)


# Texts encoded for the PDF file (names, numbers, object headers): the same
# few thousand recur in every report, and looking up reportlab's codec for
# each costs more than the encoding. Short texts only.
_ENCODED: dict[str, bytes] = {}
ENCODED_KEPT = 20_000
_NOT_PDFDOC = re.compile("[\x18-\x1f]")


def _pdfdoc_encoded(text):
    """pdfdoc.pdfdocEnc (str to PDFDocEncoding bytes, bytes as they are), remembered."""
    if not isinstance(text, str):
        return text
    found = _ENCODED.get(text)
    if found is None:
        # PDFDocEncoding is ASCII but for 0x18-0x1F (which it has not): long
        # texts (a page's stream in ASCII85) are ASCII, and encoded in C.
        if text.isascii() and _NOT_PDFDOC.search(text) is None:
            found = text.encode("ascii")
        else:
            found = text.encode("extpdfdoc")
        if len(text) <= 64:
            if len(_ENCODED) >= ENCODED_KEPT:
                _ENCODED.clear()
            _ENCODED[text] = found
    return found


@functools.lru_cache(maxsize=4096)
def _pdf_name(data: str, lo: str = "!", hi: str = "~") -> str:
    """pdfdoc.PDFName (a name with its odd characters escaped), remembered."""
    return _PDF_NAME(data, lo, hi)


_PDF_NAME = pdfdoc.PDFName


def _setup() -> None:
    """Register the fonts once. Shape attribute checking is switched off: it
    validates every attribute set on every chart element and costs a third of
    the time of a report, for shapes that only this module builds. Streams
    are compressed faster (FLATE_LEVEL), and the PDF's names and short texts
    are encoded once per process."""
    global _registered
    rl_config.shapeChecking = 0
    pdfdoc.PDFZCompress.encode = _flate  # the one Flate filter every stream names
    pdfdoc.pdfdocEnc = _pdfdoc_encoded
    pdfdoc.PDFName = _pdf_name
    if not _registered:
        pdfmetrics.registerFont(_Font(FONT, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(_Font(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
        # Charts start every drawing in this font: else Helvetica is embedded too.
        shapes.STATE_DEFAULTS["fontName"] = FONT
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
        _registered = True


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, made once per process (never changed after)."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "h1": ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=22, leading=28),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=BOLD,
            fontSize=13,
            leading=17,
            spaceBefore=8,
            spaceAfter=6,
            keepWithNext=1,  # a heading never ends a page without what it heads
        ),
        "cover": ParagraphStyle("cover", parent=body, fontSize=12, leading=18),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
        "overdue": ParagraphStyle(
            "overdue", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#B00020")
        ),
        "right": ParagraphStyle("right", parent=body, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle(
            "head", parent=body, fontName=BOLD, fontSize=8, leading=10, textColor=colors.white
        ),
        "head_right": ParagraphStyle(
            "head_right",
            parent=body,
            fontName=BOLD,
            fontSize=8,
            leading=10,
            textColor=colors.white,
            alignment=TA_RIGHT,
        ),
        "banner": ParagraphStyle(
            "banner",
            parent=body,
            fontName=BOLD,
            fontSize=10,
            leading=14,
            backColor=colors.HexColor("#FFEB9C"),
            borderPadding=(4, 6, 4, 6),
            textColor=colors.HexColor("#5C4600"),
        ),
    }


class NumberedCanvas(Canvas):
    """Draws 'Pagina n van m' on every page once the page count is known."""

    footer_text = ""
    footer_name = ""  # cut first when the footer is too long

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.HexColor("#595959"))
            label = f"Pagina {self._pageNumber} van {total}"
            self.drawRightString(A4[0] - 18 * mm, 10 * mm, label)
            # The footer never runs into the page number or off the page.
            room = A4[0] - 36 * mm - pdfmetrics.stringWidth(label, FONT, 7.5) - 6 * mm
            self.drawString(18 * mm, 10 * mm, footer_line(self.footer_text, self.footer_name, room))
            super().showPage()
        super().save()


def footer_line(footer: str, name: str, room: float, size: float = 7.5) -> str:
    """The footer in `room` points: a long name is cut (with …) rather than
    the end, so every page keeps its cycle and, while open, "voorlopig" with
    the peildatum."""
    if pdfmetrics.stringWidth(footer, FONT, size) <= room or not name or name not in footer:
        return _fit(footer, room, size)
    footer = footer.removeprefix("Afsprakenmonitor · ")  # the least needed part goes first
    if pdfmetrics.stringWidth(footer, FONT, size) <= room:
        return footer
    rest = pdfmetrics.stringWidth(footer.replace(name, "", 1), FONT, size)
    if rest >= room:
        return _fit(footer, room, size)
    return footer.replace(name, _fit(name, room - rest, size), 1)


_ATOMIC = (int, float, str, bool, type(None))


class _Frame(Frame):
    """reportlab's Frame, copied faster: KeepTogether measures its content on
    a deep copy of the frame, and a frame holds mostly numbers."""

    def __deepcopy__(self, memo):
        new = object.__new__(type(self))
        new.__dict__.update(
            (name, value if type(value) in _ATOMIC else copy.deepcopy(value, memo))
            for name, value in self.__dict__.items()
        )
        return new


class _Document(SimpleDocTemplate):
    """SimpleDocTemplate, with its frames copied faster (_Frame)."""

    def addPageTemplates(self, pageTemplates):  # noqa: N802, N803 - reportlab's names
        templates = pageTemplates if isinstance(pageTemplates, list | tuple) else [pageTemplates]
        for template in templates:
            for frame in template.frames:
                if type(frame) is Frame:  # (Frame.__setattr__ would keep it as an attribute)
                    object.__setattr__(frame, "__class__", _Frame)
        super().addPageTemplates(pageTemplates)


def write_pdf(report: ScopeReport, path: Path | str) -> None:
    """Write the management report of one organisation, gemeente or region."""
    write_management_report(management_report(report), path)


def write_management_report(content: ManagementReport, path: Path | str) -> None:
    """Lay out a management report's sections and save the PDF."""
    _setup()
    styles = _styles()
    report = content.report

    def make_canvas(*args, **kwargs):
        canvas = NumberedCanvas(*args, **kwargs)
        canvas.footer_text = content.footer
        canvas.footer_name = report.name
        return canvas

    doc = _Document(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=content.title,
        author="Afsprakenmonitor",
        subject=f"Naleving van samenwerkingsafspraken, ronde {report.cycle.period}",
        creator="Afsprakenmonitor",
        lang="nl-NL",
        initialFontName=FONT,  # else the canvas starts with (and embeds) Helvetica
        initialFontSize=9,
    )
    story = _cover(content, styles)
    story += _scorecard(content, styles)
    story += _comparison(content, styles)
    story += _region_map(content, styles)
    story += _matrix(report, styles)
    story += _trends(content, styles)
    story += _weakest(content, styles)
    story += _partner_gaps(report, styles)
    story += (
        _action_summary(report, styles)
        if report.scope_type == "regio"
        else _actions(report, styles)
    )
    story += _escalations(report, styles)
    story += _response(content, styles)
    doc.build(story, canvasmaker=make_canvas)


def _p(text: str, style) -> Paragraph:
    """A paragraph of text that may come from a person: always escaped."""
    return _paragraph(escape(text), style)


# Parsed paragraph markup per (markup, style): most of a report's texts (names
# of indicators and agreements, headers, values) recur in many reports, and
# parsing the markup costs more than laying the paragraph out.
_PARSED: dict[tuple[str, int, str | None], tuple] = {}
PARSED_KEPT = 20_000
# A paragraph's line breaks per (markup, style, width): the same texts recur
# in the same columns of every report, and breaking them into lines is most
# of the cost of a table. Kept as long as the parsed markup (same limit).
_WRAPPED: dict[tuple, tuple[dict, tuple]] = {}
# A paragraph's drawing operators per (markup, style, width), relative to its
# origin, with the texts its fonts encoded (see _Parsed.drawOn): the last few
# ways it came out (a character beyond ASCII gets another code in a document
# where other such characters came first).
_DRAWN: dict[tuple, tuple[tuple[list[str], tuple, tuple], ...]] = {}
DRAWN_WAYS = 4
# What Paragraph.wrap (and its breakLines) sets on a paragraph.
_WRAP_STATE = (
    "blPara", "frags", "width", "height", "_wrapWidths", "_width_max",
    "_splitLongWordCount", "_hyphenations",
)  # fmt: skip


class _Parsed(Paragraph):
    """A Paragraph of markup parsed before: it shares the parsed fragments
    until it needs its own, and its line breaks for a width are worked out
    once per process (the same markup, style and width always break the
    same way; drawing reads the line breaks and never changes them)."""

    def __init__(self, key: tuple, text: str, style: ParagraphStyle, frags: list, bullet):
        self._parsed_key, self._parsed_frags, self._own_frags = key, frags, False
        super().__init__(text, style, bullet, frags=frags)

    def _own(self) -> None:
        """Its own copies of the parsed fragments: line breaking may change them."""
        if not self._own_frags:
            self.frags = [fragment.clone() for fragment in self._parsed_frags]
            self._own_frags = True

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        key = (self._parsed_key, availWidth)
        done = _WRAPPED.get(key)
        if done is not None:
            state, size = done
            self.__dict__.update(state)
            self._drawn_key = key
            return size
        self._own()
        frags = self.frags
        self._drawn_key = None
        size = super().wrap(availWidth, availHeight)
        if hasattr(self, "blPara"):  # wrapped (not too narrow to hold a line)
            if len(_WRAPPED) >= PARSED_KEPT:
                _WRAPPED.clear()
                _DRAWN.clear()
            self._drawn_key = key
            state = {name: self.__dict__[name] for name in _WRAP_STATE if name in self.__dict__}
            if state.get("frags") is frags:
                del state["frags"]  # unchanged: this paragraph's own copies
            _WRAPPED[key] = (state, size)
        return size

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802, N803 - reportlab's names
        """Flowable.drawOn, with what the paragraph draws inside its state
        (saveState, translate, restoreState) recorded the first time and
        written again later. Drawing a paragraph depends on nothing but its
        line breaks, except through the document's fonts: the characters
        each subset of a font encodes, and their order, differ between
        documents. So each text the fonts encoded is encoded again for this
        document (which also puts its characters in the document's subsets)
        and the recorded operators are used only where that gives the same
        bytes and font names; else the paragraph is drawn as usual."""
        key = self.__dict__.get("_drawn_key")
        ways = _DRAWN.get(key) if key is not None else None
        drawn = _drawn_alike(canvas, key, ways) if ways else None
        if drawn is not None:
            x = self._hAlignAdjust(x, _sW)
            code = canvas._code
            code.append("q")
            code.append(f"{fp_str(1, 0, 0, 1, x, y)} cm")
            code.extend(drawn[0])
            code.append("Q")
            return
        if key is None or _recording() is not None:
            super().drawOn(canvas, x, y, _sW)
            return
        used = _used(canvas)
        start = len(canvas._code)
        _RECORDING.runs = runs = []
        try:
            super().drawOn(canvas, x, y, _sW)
        finally:
            _RECORDING.runs = None
        code = canvas._code
        # Kept: q, the translation, what the paragraph drew, Q; not when the
        # drawing named a font or used anything else for the first time.
        if _used(canvas) != used or code[start] != "q" or code[-1] != "Q":
            return
        body = code[start + 2 : -1]
        if len(_DRAWN) >= PARSED_KEPT:
            _DRAWN.clear()
        drawn = (body, _encoded(canvas._doc, runs), _fixed_fonts(canvas._doc, body))
        _DRAWN[key] = (drawn, *(ways or ())[: DRAWN_WAYS - 1])
        canvas.__dict__.setdefault("_paragraphs_encoded", {})[key] = drawn

    def split(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        """Splitting changes the fragments: on fresh copies, broken anew, as
        an ordinary Paragraph from here on (its pieces are of its class)."""
        self._own_frags = False
        self._own()
        self.__class__ = Paragraph
        Paragraph.wrap(self, availWidth, availHeight)
        return Paragraph.split(self, availWidth, availHeight)

    def minWidth(self):  # noqa: N802 - reportlab's name
        self._own()
        return super().minWidth()


def _used(canvas) -> tuple:
    """What a page has drawn besides operators: links, forms, colour spaces;
    and how many fonts its document has named."""
    return (
        len(canvas._doc.fontMapping),
        len(canvas._annotationrefs),
        len(canvas._formsinuse),
        len(canvas._colorsUsed),
        len(canvas._shadingUsed),
    )


def _readable(font, text: str, found: list) -> bool:
    """Whether a font encodes a text as itself in every document: printable
    ASCII that the font has (codes 32-127 of its first subset, given to
    those characters before any text is encoded)."""
    if not text.isascii() or found != [(0, text.encode("ascii"))] or not font._asciiReadable:
        return False
    glyphs = font.face.charToGlyph
    return all(32 <= ord(char) < 128 and ord(char) in glyphs for char in text)


def _encoded(doc, runs: list) -> tuple:
    """The texts a drawing's fonts encoded for a document, as _encoded_alike
    checks them: per text its font, the text (None where it is readable
    ASCII, the same in every document), its encoding and its font names."""
    return tuple(
        (
            font,
            None if _readable(font, text, found) else text,
            found,
            tuple(font.getSubsetInternalName(s, doc) for s, _ in found),
        )
        for font, text, found in runs
    )


def _encoded_alike(doc, encoded: tuple) -> bool:
    """Whether the fonts encode recorded texts in this document as they did
    when they were recorded (encoding them in the same order as drawing
    would, so also when they do not: the drawing that follows gets the same
    codes as without this check)."""
    known = doc.__dict__.setdefault("_subset_names", {})
    for font, text, found, names in encoded:
        if text is not None and font.splitString(text, doc) != found:
            return False
        for (subset, _), recorded in zip(found, names, strict=True):
            name = known.get((font, subset))
            if name is None:
                # Names the font in the document the first time (as drawing
                # would); the same name from then on.
                name = known[font, subset] = font.getSubsetInternalName(subset, doc)
            if name != recorded:
                return False
    return True


def _fixed_fonts(doc, operators: list[str]) -> tuple:
    """The fonts without subsets (a bullet's Helvetica) that operators name,
    with the name the document gave them."""
    return tuple(
        (font, name)
        for font, name in doc.fontMapping.items()
        if not pdfmetrics.getFont(font)._dynamicFont
        and any(f"{name} " in operator for operator in operators)
    )


def _drawn_alike(canvas, key: tuple, ways: tuple) -> tuple | None:
    """The way a recorded paragraph came out that it comes out in this
    document, if any: the fonts without subsets that it names have the same
    names, and its texts encode the same (_encoded_alike; encoding the same
    texts in the same order for each way). Once so, always so in the same
    document: a font keeps its name and a character its code."""
    done = canvas.__dict__.setdefault("_paragraphs_encoded", {})
    drawn = done.get(key)
    if drawn is not None and any(drawn is way for way in ways):
        return drawn
    doc = canvas._doc
    for drawn in ways:
        if any(doc.fontMapping.get(font) != name for font, name in drawn[2]):
            continue
        if _encoded_alike(doc, drawn[1]):
            done[key] = drawn
            return drawn
    return None


def _paragraph(markup: str, style: ParagraphStyle, bullet: str | None = None) -> Paragraph:
    """Paragraph(markup, style, bullet), with the markup parsed once per
    process and its line breaks worked out once per width (see _Parsed)."""
    key = (markup, id(style), bullet)
    parsed = _PARSED.get(key)
    if parsed is None:
        paragraph = Paragraph(markup, style, bullet)
        if paragraph.bulletText != bullet:  # a <bullet> in the markup
            return paragraph
        if len(_PARSED) >= PARSED_KEPT:
            _PARSED.clear()
            _WRAPPED.clear()  # its keys name the styles the parsed entries keep alive
        frags = [fragment.clone() for fragment in paragraph.frags]
        parsed = _PARSED[key] = (paragraph.text, paragraph.style, frags, style)
    text, parsed_style, frags, _ = parsed
    return _Parsed(key, text, parsed_style, frags, bullet)


class _Grid(Table):
    """reportlab's Table, for the tables of these reports (fixed column
    widths, no spans), with less work done twice: laid out again at the same
    width, it keeps the rows it measured (KeepTogether measures its tables
    before the frame does); and a cell holding one paragraph at the top left
    is drawn without measuring the paragraph again. Same drawing."""

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        done = self.__dict__.get("_grid_size")
        if done is not None and not self._spanCmds:
            width, height, complete, size = done
            # Every row was measured (a long table stops measuring where the
            # height runs out): the same rows, as long as they all fit again.
            if width == availWidth and (
                height == availHeight or (complete and size[1] <= availHeight)
            ):
                self.availWidth = availWidth
                return size
        size = super().wrap(availWidth, availHeight)
        complete = len(self._rowHeights) == self._nrows and None not in self._rowHeights
        self._grid_size = (availWidth, availHeight, complete, size)
        return size

    def _drawCell(self, cellval, cellstyle, pos, size):  # noqa: N802 - reportlab's name
        if (
            type(cellval) is not _ExpandedCellTuple
            or len(cellval) != 1
            or type(cellval[0]) is not _Parsed
            or cellstyle.valign != "TOP"
            or cellstyle.alignment != "LEFT"
            or cellstyle.href
            or cellstyle.destination
        ):
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        # Table._drawCell and _listCellGeom for this case, step by step.
        canvas = self.canv
        if self._curcellstyle is not cellstyle:
            current = self._curcellstyle
            if current is None or cellstyle.color != current.color:
                canvas.setFillColor(cellstyle.color)
            if (
                current is None
                or cellstyle.leading != current.leading
                or cellstyle.fontname != current.fontname
                or cellstyle.fontsize != current.fontsize
            ):
                canvas.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            self._curcellstyle = cellstyle
        colpos, rowpos = pos
        colwidth, rowheight = size
        width = colwidth - cellstyle.leftPadding - cellstyle.rightPadding
        if width < 0:
            super()._drawCell(cellval, cellstyle, pos, size)  # reportlab's error
            return
        paragraph = cellval[0]
        _, height = paragraph.wrapOn(
            canvas, width, rowheight - cellstyle.topPadding - cellstyle.bottomPadding
        )
        before = paragraph.getSpaceBefore()
        y = rowpos + rowheight - cellstyle.topPadding
        y += before
        y -= before
        y -= height
        paragraph.drawOn(canvas, colpos + cellstyle.leftPadding, y)


def _table(
    rows: list[list],
    widths: list[float],
    extra: list | None = None,
    right: tuple[int, ...] = (),
    styles: dict | None = None,
) -> Table:
    """A table whose text wraps inside its columns: every plain text cell
    becomes an (escaped) Paragraph, right-aligned in the `right` columns."""
    styles = styles or _styles()
    cells = []
    for n, row in enumerate(rows):
        line = []
        for col, cell in enumerate(row):
            if isinstance(cell, str):
                name = (
                    ("head" if n == 0 else "cell")
                    if col not in right
                    else ("head_right" if n == 0 else "right")
                )
                cell = _p(cell, styles[name])
            line.append(cell)
        cells.append(line)
    table = _Grid(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8),
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER),
                ("GRID", (0, 0), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *(extra or []),
            ]
        )
    )
    return table


def _provisional(report: ScopeReport) -> str:
    """The line an open cycle's report carries: voorlopig, with its peildatum."""
    return (
        f"Voorlopige cijfers: ronde {report.cycle.period} loopt nog tot "
        f"{dutch.date(report.cycle.closes_on)}. Peildatum: {dutch.datetime(report.data_date)}; "
        "zelfevaluaties die later worden ingediend, tellen nog niet mee."
    )


def _cover(content: ManagementReport, styles) -> list:
    """The first page: who and when, then what a manager reads first — the
    signals at a glance, the response and what needs attention."""
    report = content.report
    story = [
        _paragraph("Afsprakenmonitor", styles["cover"]),
        _paragraph(f"Managementrapportage {report.scope_type}", styles["h1"]),
        _p(report.name, styles["h1"]),
        Spacer(1, 4 * mm),
    ]
    if report.provisional:
        story += [_p(_provisional(report), styles["banner"]), Spacer(1, 4 * mm)]
    story.append(
        _Grid(
            [[_p(k + ":", styles["body"]), _p(v, styles["body"])] for k, v in content.facts],
            colWidths=[42 * mm, 132 * mm],
            style=[
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ],
        )
    )
    at_a_glance = content.glance
    story += [
        _paragraph("In één oogopslag", styles["h2"]),
        _paragraph(
            at_a_glance.counts_line() + " (van de signalen van de succesindicatoren)",
            styles["body"],
        ),
        Spacer(1, 2 * mm),
        _signal_grid(report, styles),
        _paragraph("Respons", styles["h2"]),
        _paragraph(escape(content.response_line), styles["body"]),
        _paragraph("Wat aandacht vraagt", styles["h2"]),
    ]
    if at_a_glance.points:
        story += [_p("• " + point.text, styles["body"]) for point in at_a_glance.points]
    else:
        story.append(_paragraph("Geen rode signalen en niets over datum.", styles["body"]))
    story += [
        Spacer(1, 4 * mm),
        _paragraph(
            "Deze rapportage laat zien hoe de samenwerkingsafspraken in de jeugdketen "
            "worden nageleefd, op basis van de ingediende zelfevaluaties van deze ronde. "
            "Alleen ingediende zelfevaluaties tellen mee; antwoorden met ‘niet van toepassing’ "
            "tellen niet mee. De signaalkleuren zetten elke indicator af tegen de norm: de "
            "landelijke, of de eigen norm van de regio waar de scorekaart dat zegt.",
            styles["small"],
        ),
        PageBreak(),
    ]
    return story


def _signal_grid(report: ScopeReport, styles) -> Table:
    """Every indicator as a coloured signal, its value and name: two columns."""
    cells, extra = [], []
    items = report.scorecard
    half = (len(items) + 1) // 2
    for n in range(half):
        line = []
        for col, item in enumerate((items[n], items[n + half] if n + half < len(items) else None)):
            if item is None:
                line += ["", "", ""]
                continue
            ind = item.indicator
            line += [
                _p(dutch.SIGNALS[item.signal], styles["cell"]),
                _p(dutch.value(item.value, ind.unit), styles["right"]),
                _p(ind.name, styles["cell"]),
            ]
            extra.append(("BACKGROUND", (3 * col, n), (3 * col, n), SIGNAL_COLOURS[item.signal]))
        cells.append(line)
    widths = [21 * mm, 22 * mm, 44 * mm] * 2
    return _Grid(
        cells or [[""]],
        colWidths=widths if cells else None,
        style=[
            ("FONT", (0, 0), (-1, -1), FONT, 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ],
    )


def _scorecard(content: ManagementReport, styles) -> list:
    report = content.report
    rows = [["Indicator", "Waarde", "Norm", "Signaal", "Verschil", "Regio", "Nederland"]]
    extra = []
    for n, row in enumerate(report.scorecard, start=1):
        ind = row.indicator
        name = ind.name + (" (eigen indicator regio)" if ind.region_id else "")
        change = dutch.change(row.change, ind.unit)
        if row.trend_break:
            change = "trendbreuk"
        elif row.signal == "nog_open":
            change = "–"  # an open response is not set against a closed cycle's
        rows.append(
            [
                _p(name, styles["cell"]),
                dutch.value(row.value, ind.unit),
                dutch.value(row.norm.norm, ind.unit) + (" (regio)" if row.norm.regional else ""),
                dutch.SIGNALS[row.signal],
                change,
                dutch.value(row.region_value, ind.unit),
                dutch.value(row.country_value, ind.unit),
            ]
        )
        extra.append(("BACKGROUND", (3, n), (3, n), SIGNAL_COLOURS[row.signal]))
    widths = [42 * mm, 21 * mm, 24 * mm, 21 * mm, 24 * mm, 21 * mm, 21 * mm]
    story = [
        _paragraph("Scorekaart", styles["h2"]),
        _table(rows, widths, extra, right=(1, 2, 4, 5, 6), styles=styles),
        Spacer(1, 2 * mm),
        _paragraph(
            "Signaal: groen op of boven de norm, oranje tussen de drempels, rood daaronder "
            "(bij ‘lager is beter’ omgekeerd). Verschil: ten opzichte van de vorige ronde, bij "
            "percentages in procentpunten. " + escape(content.norm_note),
            styles["small"],
        ),
    ]
    return story


def _comparison(content: ManagementReport, styles) -> list:
    """Own value against region and country for the percentage indicators."""
    rows, names = content.comparison, content.names
    if not rows:
        return []
    series = [
        [r.value or 0 for r in rows],
        [r.region_value or 0 for r in rows],
        [r.country_value or 0 for r in rows],
    ][-len(names) :]
    # Names in up to two lines in the room left of the axis (cut only beyond).
    labels = [_fit_lines(r.indicator.name, 142, 7) for r in rows]
    per_group = max(14 * len(series) / 3, 8.5 * max(label.count("\n") + 1 for label in labels) + 3)
    height = per_group * len(rows) + 40
    legend_height = LEGEND_ROW * len(names) + 4
    chart = _ComparisonBarChart()
    chart.x, chart.y = 150, 16 + legend_height
    chart.width, chart.height = 170 * mm - 170, height
    chart.data = [list(reversed(s)) for s in series]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.textAnchor = "end"  # both lines against the axis
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.barSpacing, chart.groupSpacing = 0.5, 4
    for n, colour in enumerate(LINE_COLOURS[: len(series)]):
        chart.bars[n].fillColor = colour
        chart.bars[n].strokeColor = None
    legend = _legend(names, 150, legend_height - 2, 170 * mm - 160)
    drawing = _ComparisonChart(170 * mm, height + 20 + legend_height, chart, legend)
    return [
        KeepTogether(
            [
                _paragraph("Vergelijking met regio en land", styles["h2"]),
                drawing,
                _paragraph(
                    "Percentage-indicatoren van deze ronde; de waarden staan in de scorekaart.",
                    styles["small"],
                ),
            ]
        )
    ]


def _fit_lines(name: str, width: float, size: float = 7, lines: int = 2) -> str:
    """A name in up to `lines` lines of `width` points (joined by newlines),
    broken between words; only what does not fit in the last line is cut."""
    out: list[str] = []
    words = name.split()
    while words and len(out) < lines - 1:
        line = words.pop(0)
        while words and pdfmetrics.stringWidth(f"{line} {words[0]}", FONT, size) <= width:
            line = f"{line} {words.pop(0)}"
        out.append(_fit(line, width, size))
    if words:
        out.append(_fit(" ".join(words), width, size))
    return "\n".join(out)


def _fit(name: str, width: float, size: float = 7) -> str:
    """A name cut (with …) to fit `width` points in the font, in time linear in
    the width, whatever the name's length: no glyph that shows is narrower
    than a fifth of the size, so no more characters than that can fit, and
    the cut is found by halving."""
    name = name[: int(width / (size * 0.2)) + 2]
    if pdfmetrics.stringWidth(name, FONT, size) <= width:
        return name
    low, high = 0, len(name)  # name[:low] + "…" fits; name[:high] + "…" does not
    while high - low > 1:
        middle = (low + high) // 2
        if pdfmetrics.stringWidth(name[:middle] + "…", FONT, size) <= width:
            low = middle
        else:
            high = middle
    return name[:low].rstrip() + "…"


def _legend(names: list[str], x: float, top: float, width: float) -> _Shared:
    """One series per line, from `top` down (LEGEND_ROW points a line), names
    cut to `width`: never wider than the drawing, never into the next chart.
    Drawn once per set of names and place (every trend chart of a report has
    the same legend)."""
    key = ("legend", tuple(names), x, top, width)
    part = _PARTS.get(key)
    if part is not None:
        return part
    texts = [_fit(name, width - 16) for name in names[: len(LINE_COLOURS)]]
    rows = _legend_rows(len(texts), x, top, width)
    if rows is None or not all(text and "\n" not in text for text in texts):
        return _part(key, lambda: _make_legend(names, x, top, width).draw())
    if len(_PARTS) >= PARTS_KEPT:
        _PARTS.clear()
    part = _PARTS[key] = _LegendPart(key, rows, texts)
    return part


@functools.cache
def _legend_rows(count: int, x: float, top: float, width: float) -> tuple | None:
    """Per row of a legend: its swatch (x, y, width, height), colour and the
    place of its name, as a Legend of names on one line lays them out; None
    if the Legend draws anything _LegendPart does not write."""
    group = _expanded(_make_legend(["X"] * count, x, top, width).draw())
    drawn = getattr(group, "contents", ())
    if type(group) is not Group or group.transform != (1, 0, 0, 1, 0, 0) or len(drawn) != 2 * count:
        return None
    rows = []
    for box, name in zip(drawn[::2], drawn[1::2], strict=True):
        if not (
            type(box) is Rect and type(name) is String
            and box.rx == box.ry == 0 and box.strokeColor == colors.black
            and box.strokeWidth == 1 and box.strokeLineCap == box.strokeLineJoin == 0
            and not box.strokeDashArray and box.fillOpacity is None and box.strokeOpacity is None
            and name.fontName == FONT and name.fontSize == 7 and name.textAnchor == "start"
            and name.fillColor == colors.black and name.text == "X"
        ):  # fmt: skip
            return None
        rows.append(((box.x, box.y, box.width, box.height), box.fillColor, (name.x, name.y)))
    return tuple(rows)


def _make_legend(names: list[str], x: float, top: float, width: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, top
    legend.boxAnchor = "nw"
    legend.alignment = "right"
    legend.columnMaximum = len(names)
    legend.fontName, legend.fontSize = FONT, 7
    legend.dxTextSpace = 4
    legend.dx = legend.dy = 6
    legend.deltay = LEGEND_ROW
    legend.colorNamePairs = [
        (colour, _fit(name, width - 16)) for colour, name in zip(LINE_COLOURS, names, strict=False)
    ]
    return legend


# A trend chart's axes laid out, per place, size, scale and periods: the same
# in many reports (see _trend_layout).
_TREND_LAYOUTS: dict[tuple, tuple] = {}


def _trend_layout(key: tuple) -> tuple:
    """The axes of a trend chart as a shared part, where its points go across
    (per period) and how a value goes up (the value axis's scale), laid out
    by a _TrendLineChart once per key: x, y, width, height, the value axis's
    minimum, maximum and step, the periods, the number of values per line."""
    found = _TREND_LAYOUTS.get(key)
    if found is not None:
        return found
    x, y, width, height, low, high, step, periods, count = key
    chart = _TrendLineChart()
    chart.x, chart.y, chart.width, chart.height = x, y, width, height
    chart.data = [[None] * count]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    if step is not None:
        chart.valueAxis.valueStep = step
    chart.categoryAxis.categoryNames = list(periods)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6
    axes = chart.layout()
    # HorizontalLineChart.calcPositions: a point at the middle of its period's group.
    spacing = chart.groupSpacing
    half = 0.5 * spacing * (chart.categoryAxis.scale(0)[1] / spacing)
    across = tuple(chart.categoryAxis.scale(n)[0] + half for n in range(count))
    if len(_TREND_LAYOUTS) >= PARTS_KEPT:
        _TREND_LAYOUTS.clear()
    found = _TREND_LAYOUTS[key] = (axes, across, chart.valueAxis.scale)
    return found


def _trend_chart(line, names: list[str], width: float) -> _TrendChart:
    legend_height = LEGEND_ROW * len(names) + 4
    height = 62 * mm + legend_height
    title = _fit(line.indicator.name, width, 7.5)
    data = [line.own, line.region, line.country][-len(names) :]
    values = [v for series in data for v in series if v is not None]
    top = max(values, default=1)
    if line.indicator.unit == "%":
        low, high, step = 0, 100, 25
    else:
        low, high, step = 0, max(1.0, round(top * 1.2, 1)), None
    y = 30 + legend_height
    key = (28, y, width - 44, height - 20 - y, low, high, step, tuple(line.periods),
           max(len(series) for series in data))  # fmt: skip
    axes, across, scale = _trend_layout(key)
    lines = []
    for n, series in enumerate(data):
        points = [(across[col], scale(v)) for col, v in enumerate(series) if v is not None]
        # A line needs two points; a single point is drawn as a marker only.
        lines.append((points, LINE_COLOURS[n], 1.5 if n == 0 else 1, len(points) >= 2))
    return _TrendChart(
        width, height, title, axes, lines, _legend(names, 4, legend_height, width - 8)
    )


def _trends(content: ManagementReport, styles) -> list:
    report, names = content.report, content.names
    width = (A4[0] - 36 * mm) / 2 - 2 * mm
    charts = [_trend_chart(line, names, width) for line in report.trends]
    grid = [
        charts[n : n + 2] + [""] * (2 - len(charts[n : n + 2])) for n in range(0, len(charts), 2)
    ]
    story = [
        PageBreak(),
        _paragraph(f"Trend over de laatste {len(report.trends[0].periods) if report.trends else 0} "
                  "rondes", styles["h2"]),
    ]  # fmt: skip
    breaks = content.trend_breaks
    if breaks:
        story.append(
            _paragraph(
                "Trendbreuk: vanaf ronde "
                + ", ".join(escape(p) for p in breaks)
                + " geldt een ander afsprakenkader; de lijn is daar niet vergelijkbaar.",
                styles["small"],
            )
        )
    if grid:
        story.append(
            _Grid(grid, colWidths=[width + 2 * mm] * 2, style=[("FONT", (0, 0), (-1, -1), FONT)])
        )
    return story


def _weakest(content: ManagementReport, styles) -> list:
    report = content.report
    story = [_paragraph("De vijf zwakste afspraken", styles["h2"])]
    if not report.weakest:
        return story + [_paragraph("Geen ingediende antwoorden in deze ronde.", styles["body"])]
    rows = [["Code", "Afspraak", "Thema", "Naleving", "Antwoorden"]]
    for row in report.weakest:
        rows.append(
            [
                row.code,
                _p(row.title, styles["cell"]),
                _p(row.theme, styles["cell"]),
                dutch.value(row.percent, "%"),
                str(row.scored),
            ]
        )
    widths = [16 * mm, 78 * mm, 38 * mm, 18 * mm, 24 * mm]
    story.append(_table(rows, widths, right=(3, 4), styles=styles))
    # The agreements' good practice.
    return story + practice.flowables(content.practice, styles, _paragraph)


def _partner_gaps(report: ScopeReport, styles) -> list:
    """Per bilateral agreement, 'eigen oordeel' beside 'oordeel van partners'."""
    story = [_paragraph("Eigen oordeel en oordeel van partners", styles["h2"])]
    if not report.partner_gaps:
        return story + [
            _paragraph(
                "Nog geen oordelen van partnerorganisaties op bilaterale afspraken.",
                styles["body"],
            )
        ]
    rows = [["Code", "Afspraak", "Eigen\noordeel", "Oordeel van\npartners", "Oordelen", "Verschil"]]
    for row in report.partner_gaps:
        rows.append(
            [
                row.code,
                _p(row.title, styles["cell"]),
                dutch.number(row.own_mean, 2),
                dutch.number(row.partner_mean, 2),
                str(row.partner_ratings),
                dutch.number(row.gap, 2),
            ]
        )
    widths = [16 * mm, 68 * mm, 20 * mm, 24 * mm, 18 * mm, 28 * mm]
    name = escape(report.name)
    partner = next(
        (f"‘{r.indicator.name}’" for r in report.scorecard
         if r.indicator.computation == "partner_gap"),
        "voor het verschil met partners",
    )  # fmt: skip
    own = (
        f"de score die {name} zichzelf gaf"
        if report.scope_type == "organisatie"
        else f"de scores die de organisaties van {name} zichzelf gaven"
    )
    return story + [
        _table(rows, widths, right=(2, 3, 4, 5), styles=styles),
        Spacer(1, 2 * mm),
        _paragraph(
            f"Schaal 0–4. Eigen oordeel: {own}; oordeel van partners: het gemiddelde van de "
            "oordelen die partnerorganisaties (van de partnersoorten bij de afspraak) in hun "
            "ingediende zelfevaluatie van deze ronde erover gaven; oordelen: hoeveel. Het eigen "
            "oordeel telt één keer per partneroordeel, zoals in de indicator "
            f"{escape(partner)}; verschil: het gemiddelde verschil per partneroordeel, zonder "
            "teken (de waarde van die indicator).",
            styles["small"],
        ),
    ]


LISTED = 200  # rows per list in a PDF; the web page shows them all


def _listing(report: ScopeReport, items: list, header, widths, wide_widths, cells, styles):
    """A table of actions or escalations, with the organisation in front when
    the report covers several, cut off at LISTED rows with a line saying so."""
    several = report.scope_type != "organisatie"
    if several:
        header, widths = ["Organisatie", *header], wide_widths
    rows = [header]
    for item in items[:LISTED]:
        row = cells(item)
        if several:
            row.insert(0, _p(item.organisation, styles["cell"]))
        rows.append(row)
    story = [_table(rows, widths, styles=styles)]
    if len(items) > LISTED:
        story.append(
            _paragraph(f"En nog {len(items) - LISTED} (zie de webpagina).", styles["small"])
        )
    return story


SIGNAL_MARKS = {"groen": "✓", "oranje": "!", "rood": "✕"}
SUMMARY_ROWS = 30  # agreements in the region's summary of actions: it fits one page


class _Rotated(Flowable):
    """A column heading set upright (read bottom to top), in up to three
    lines, so narrow columns can carry whole indicator names."""

    def __init__(self, text: str, height: float, size: float = 6.0):
        super().__init__()
        self.size, self.leading, self.height = size, size + 1, height
        self.lines = simpleSplit(text, BOLD, size, height - 4)[:3]

    def wrap(self, available_width, available_height):  # noqa: D102 - reportlab's API
        return len(self.lines) * self.leading, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(BOLD, self.size)
        canvas.setFillColor(colors.white)
        canvas.rotate(90)
        for n, line in enumerate(self.lines):
            canvas.drawString(2, -(n + 1) * self.leading + 1.5, line)
        canvas.restoreState()


def _matrix(report: ScopeReport, styles) -> list:
    """Organisations × indicators, each value with its signal mark and colour."""
    if not report.matrix:
        return []
    indicators = [row.indicator for row in report.scorecard]
    small = ParagraphStyle("matrix", parent=styles["cell"], fontSize=6, leading=7)
    small_right = ParagraphStyle("matrix_right", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle("matrix_head", parent=styles["head"], fontSize=7, leading=8)
    rows = [[_paragraph("Organisatie", head)] + [_Rotated(ind.name, 32 * mm) for ind in indicators]]
    extra = []
    for n, line in enumerate(report.matrix, start=1):
        cells = [_p(line.organisation.name, small)]
        for col, ((value, signal), ind) in enumerate(zip(line.cells, indicators, strict=True), 1):
            if value is None:
                cells.append(_paragraph("–", small_right))
                continue
            mark = SIGNAL_MARKS.get(signal, "")
            cells.append(_p(f"{mark} {dutch.value(value, ind.unit)}".strip(), small_right))
            extra.append(
                ("BACKGROUND", (col, n), (col, n), SIGNAL_COLOURS.get(signal, colors.white))
            )
        rows.append(cells)
    first = 44 * mm
    rest = (A4[0] - 36 * mm - first) / max(1, len(indicators))
    extra += [
        ("LEFTPADDING", (1, 0), (-1, -1), 1.5),
        ("RIGHTPADDING", (1, 0), (-1, -1), 1.5),
        ("VALIGN", (1, 0), (-1, 0), "BOTTOM"),
    ]
    return [
        PageBreak(),
        _paragraph("Organisaties naast elkaar", styles["h2"]),
        _paragraph(
            "Elke waarde met haar signaal tegen de norm die in de regio geldt: ✓ groen, "
            "! oranje, ✕ rood; – geen gegevens (nog niet ingediend).",
            styles["small"],
        ),
        Spacer(1, 2 * mm),
        _table(rows, [first] + [rest] * len(indicators), extra, styles=styles),
    ]


def _action_summary(report: ScopeReport, styles) -> list:
    """A region's improvement actions per agreement: open, overdue and done,
    the most overdue first, on at most one page."""
    story = [_paragraph("Verbeteracties per afspraak", styles["h2"])]
    summary = report.action_summary
    if not summary:
        return [*story, _paragraph("Geen verbeteracties in deze ronde.", styles["body"])]
    overdue = sum(row.overdue for row in summary)
    still_open = sum(row.open for row in summary)
    done = sum(row.done for row in summary)
    story.append(
        _paragraph(
            f"{still_open} open, waarvan {overdue} over hun streefdatum; {done} gereed. "
            "De afspraken met de meeste acties over datum staan bovenaan.",
            styles["body"],
        )
    )
    story.append(Spacer(1, 2 * mm))
    rows = [["Code", "Afspraak", "Open", "Over datum", "Gereed"]]
    extra = []
    shown = summary[:SUMMARY_ROWS]
    for n, row in enumerate(shown, start=1):
        rows.append(
            [
                row.code,
                _fit(row.title, 96 * mm, 8),
                str(row.open),
                str(row.overdue),
                str(row.done),
            ]
        )
        if row.overdue:
            extra.append(("BACKGROUND", (3, n), (3, n), SIGNAL_COLOURS["rood"]))
    story.append(
        _table(rows, [18 * mm, 100 * mm, 18 * mm, 20 * mm, 18 * mm], extra, right=(2, 3, 4),
               styles=styles)
    )  # fmt: skip
    rest = len(summary) - len(shown)
    tail = f"En nog {rest} afspraken met verbeteracties. " if rest > 0 else ""
    story.append(Spacer(1, 2 * mm))
    story.append(
        _paragraph(
            tail + "De volledige lijst per organisatie en afspraak staat in het werkboek "
            "Regiovergelijking (blad Verbeteracties); elke actie met eigenaar en datum op de "
            "resultatenpagina van de regio en in de rapportage van elke organisatie.",
            styles["small"],
        )
    )
    return [PageBreak(), KeepTogether(story)]


def _actions(report: ScopeReport, styles) -> list:
    story = [_paragraph("Openstaande verbeteracties", styles["h2"])]
    if not report.actions:
        return story + [_paragraph("Geen openstaande verbeteracties.", styles["body"])]

    def cells(action: ActionRow):
        return [
            action.agreement,
            _p(action.description, styles["cell"]),
            _p(action.owner or "–", styles["cell"]),
            _p(dutch.date(action.due_on), styles["overdue" if action.overdue else "cell"]),
            dutch.ACTION_STATES.get(action.status, action.status),
        ]

    return story + _listing(
        report, report.actions,
        ["Code", "Actie", "Eigenaar", "Gereed op", "Status"],
        [16 * mm, 74 * mm, 34 * mm, 28 * mm, 22 * mm],
        [38 * mm, 16 * mm, 44 * mm, 32 * mm, 24 * mm, 20 * mm],
        cells, styles,
    )  # fmt: skip


def _escalations(report: ScopeReport, styles) -> list:
    story = [_paragraph("Escalaties", styles["h2"])]
    if not report.escalations:
        return story + [
            _paragraph("Geen afspraken gemeld die niet zijn nageleefd.", styles["body"])
        ]

    def cells(signal: EscalationRow):
        return [
            signal.agreement,
            _p(signal.title, styles["cell"]),
            str(signal.times_not_followed),
            dutch.ESCALATION_STEPS.get(signal.highest_step, str(signal.highest_step)),
            "ja" if signal.resolved else "nee",
        ]

    return story + _listing(
        report, report.escalations,
        ["Code", "Afspraak", "Keer niet nageleefd", "Hoogste stap", "Opgelost"],
        [16 * mm, 80 * mm, 22 * mm, 38 * mm, 18 * mm],
        [38 * mm, 16 * mm, 44 * mm, 20 * mm, 38 * mm, 18 * mm],
        cells, styles,
    )  # fmt: skip


def _response(content: ManagementReport, styles) -> list:
    report = content.report
    status = report.response
    story = [_paragraph("Responsstatus", styles["h2"])]
    if report.scope_type == "organisatie":
        return story + [_paragraph(escape(content.response_line), styles["body"])]
    rows = [
        ["Organisaties", "Op tijd ingediend", "Te laat ingediend", "Niet ingediend"],
        [str(status["total"]), str(status["on_time"]), str(status["late"]), str(status["open"])],
    ]
    story.append(_table(rows, [40 * mm] * 4, right=(0, 1, 2, 3), styles=styles))
    if status["missing"]:
        story.append(Spacer(1, 3 * mm))
        missing = [["Niet ingediend", "Status"]] + [
            [_p(name, styles["cell"]), dutch.ASSESSMENT_STATES.get(state, state)]
            for name, state in status["missing"]
        ]
        story.append(_table(missing, [120 * mm, 40 * mm], styles=styles))
    return story


def _region_map(content: ManagementReport, styles) -> list:
    """A region's report: the region by gemeente, coloured by the signal
    bands of its first indicator (as the scorecard judges it)."""
    found = content.region_map
    if found is None:
        return []
    shapes, scale, title = found.shapes, found.scale, found.title
    texts = maps.Texts(title=title, description=title, division=found.division)
    drawing = maps.pdf_drawing(shapes, scale, texts, 120 * mm, FONT)
    drawing.hAlign = "LEFT"
    return [
        KeepTogether(
            [
                _paragraph(f"Kaart: {escape(title)}", styles["h2"]),
                _paragraph(
                    "Elke gemeente in de kleur van haar signaal tegen de norm (groen, oranje, "
                    "rood; de grenzen staan in de legenda); gearceerd: geen gegevens.",
                    styles["body"],
                ),
                Spacer(1, 2 * mm),
                drawing,
            ]
        )
    ]
