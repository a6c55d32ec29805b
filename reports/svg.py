"""Small SVG charts for the result pages. Each is an image with a title and a
description (role="img", aria-labelledby); the page shows the same figures in
a table beside it. Series differ in dash pattern and marker as well as
colour, so the lines can be told apart without colour. Presentation
attributes only (no inline style), as the CSP forbids inline styles."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

COLOURS = ("#1F4E79", "#C55A11", "#595959")
DASHES = ("", "6 3", "2 3")
LEGEND_LINE = 16  # one legend entry per line
_ids = itertools.count(1)


def _cut(name: str, chars: int = 60) -> str:
    """A legend name short enough for the chart's width."""
    return name if len(name) <= chars else name[: chars - 1].rstrip() + "…"


def _axis_max(values: list[float], unit: str) -> float:
    if unit == "%":
        return 100.0
    top = max(values, default=1.0)
    return max(1.0, round(top * 1.25 + 0.049, 1))


def line_chart(
    title: str,
    description: str,
    periods: list[str],
    series: list[tuple[str, list[float | None]]],
    unit: str,
    width: int = 440,
    height: int = 220,
) -> Markup:
    """A line per series over the periods; gaps where a value is missing.
    Text at 11–12 units: about 9–9.5 px where a phone shows the chart 366 px
    wide, the period labels apart."""
    n = next(_ids)
    # Room at the right for half of the last period label, and below the axis
    # for one legend line per series (they never share a line, so never overlap).
    left, right, top = 38, 30, 12
    bottom = 32 + LEGEND_LINE * len(series)
    height += LEGEND_LINE * len(series) - 26
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    y_max = _axis_max(values, unit)
    step = plot_w / max(1, len(periods) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(periods) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v / y_max) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart{n}-title chart{n}-desc">',
        f'<title id="chart{n}-title">{escape(title)}</title>',
        f'<desc id="chart{n}-desc">{escape(description)}</desc>',
    ]
    for k in range(5):
        v = y_max * k / 4
        label = f"{v:.0f}" if y_max >= 4 else f"{v:.2f}".replace(".", ",")
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#D9D9D9" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#404040">{label}</text>'
        )
    for i, period in enumerate(periods):
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 17}" text-anchor="middle" font-size="11" '
            f'fill="#404040">{escape(period)}</text>'
        )
    for s, (name, vs) in enumerate(series):
        colour, dash = COLOURS[s % 3], DASHES[s % 3]
        run: list[str] = []
        segments = []
        for i, v in enumerate(vs):
            if v is None:
                if run:
                    segments.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{3 + s}" fill="{colour}"/>'
                if s != 1
                else f'<rect x="{x(i) - 3:.1f}" y="{y(v) - 3:.1f}" width="6" height="6" '
                f'fill="{colour}"/>'
            )
        if run:
            segments.append(run)
        for points in segments:
            if len(points) > 1:
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr}/>'
                )
        lx = 8
        ly = top + plot_h + 32 + LEGEND_LINE * s
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 22:.1f}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 27:.1f}" y="{ly + 4}" font-size="12" fill="#262626">'
            f"{escape(_cut(name, 56))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or a number


def _wrap(name: str, chars: int, lines: int = 2) -> list[str]:
    """A label in at most `lines` lines of about `chars` characters, the last
    cut with … where the name is longer."""
    words, out, line = name.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > chars:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[: lines - 1] + [_cut(" ".join(out[lines - 1 :]), chars)]
    return [_cut(part, chars) for part in out]


def bar_chart(
    title: str,
    description: str,
    labels: list[str],
    series: list[tuple[str, list[float | None]]],
    width: int = 420,
) -> Markup:
    """Horizontal grouped bars on a 0–100 scale (percentages), each group
    labelled with a name in up to three lines. Narrow, with text at 12–13
    units, so a phone (about 366 px for the chart) shows it at 10–11 px."""
    n = next(_ids)
    bar, gap, left, right, top = 10, 12, 150, 18, 8
    group = max(bar * len(series) + gap, 44)
    plot_w = width - left - right
    legend = LEGEND_LINE * len(series)
    height = top + group * len(labels) + 30 + legend
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart{n}-title chart{n}-desc">',
        f'<title id="chart{n}-title">{escape(title)}</title>',
        f'<desc id="chart{n}-desc">{escape(description)}</desc>',
    ]
    for k in range(6):
        gx = left + plot_w * k / 5
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top}" y2="{height - legend - 22}" '
            'stroke="#D9D9D9"/>'
            f'<text x="{gx:.1f}" y="{height - legend - 8}" text-anchor="middle" font-size="12" '
            f'fill="#404040">{k * 20}%</text>'
        )
    for i, label in enumerate(labels):
        gy = top + i * group
        lines = _wrap(label, 19, lines=3)
        for k, line in enumerate(lines):
            ly = gy + group / 2 + 4 + (k - (len(lines) - 1) / 2) * 13
            parts.append(
                f'<text x="{left - 6}" y="{ly:.1f}" text-anchor="end" font-size="13" '
                f'fill="#262626">{escape(line)}</text>'
            )
        for s, (_, values) in enumerate(series):
            v = values[i]
            if v is None:
                continue
            parts.append(
                f'<rect x="{left}" y="{gy + s * bar:.1f}" width="{plot_w * min(v, 100) / 100:.1f}" '
                f'height="{bar - 1}" fill="{COLOURS[s % 3]}"/>'
            )
    for s, (name, _) in enumerate(series):
        ly = height - legend + LEGEND_LINE * s
        parts.append(
            f'<rect x="8" y="{ly}" width="10" height="10" fill="{COLOURS[s % 3]}"/>'
            f'<text x="22" y="{ly + 10}" font-size="12" fill="#262626">'
            f"{escape(_cut(name, 56))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or a number


# The signal colours of the ranking, as on the maps (colour-vision safe).
RANK_FILLS = {
    "groen": "#009E73",
    "oranje": "#E69F00",
    "rood": "#D55E00",
    "nog_open": "#BDBDBD",
    "geen": "#FFFFFF",
}


def ranked_bars(
    title: str,
    description: str,
    rows: list[tuple[str, float | None, str, bool]],
    unit: str,
    norm: float | None,
    norm_label: str,
    value_text,
    width: int = 480,
) -> Markup:
    """Areas ranked on one indicator: a bar per (name, value, signal,
    highlighted) in the given order, coloured by its signal, the highlighted
    one in bold with a black edge, and the norm as a dashed line."""
    n = next(_ids)
    # Names of up to 25 characters whole ("Noord- en Oost-Gelderland"): about
    # 7.4 units a character at font-size 13.
    bar, left, right, top = 22, 192, 62, 26
    plot_w = width - left - right
    height = top + bar * len(rows) + 24
    values = [v for _, v, _, _ in rows if v is not None]
    x_max = 100.0 if unit == "%" else (max([*values, norm or 0.0, 0.0]) * 1.15 or 1.0)

    def x(v: float) -> float:
        return left + plot_w * max(0.0, min(v, x_max)) / x_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart ranking" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart{n}-title chart{n}-desc">',
        f'<title id="chart{n}-title">{escape(title)}</title>',
        f'<desc id="chart{n}-desc">{escape(description)}</desc>',
    ]
    for k in range(5):
        v = x_max * k / 4
        label = f"{v:.0f}%" if unit == "%" else f"{v:.2f}".replace(".", ",")
        parts.append(
            f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top}" y2="{height - 20}" '
            'stroke="#D9D9D9"/>'
            f'<text x="{x(v):.1f}" y="{height - 6}" text-anchor="middle" font-size="12" '
            f'fill="#404040">{label}</text>'
        )
    for i, (name, value, signal, highlight) in enumerate(rows):
        y = top + i * bar
        weight = ' font-weight="bold"' if highlight else ""
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 7}" text-anchor="end" font-size="13" '
            f'fill="#262626"{weight}>{escape(_cut(name, 25))}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{left + 4}" y="{y + bar - 7}" font-size="12" fill="#404040">'
                f"{escape(value_text(None))}</text>"
            )
            continue
        edge = (
            'stroke="#000000" stroke-width="2"'
            if highlight
            else 'stroke="#404040" stroke-width="0.5"'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 2}" width="{max(1.0, x(value) - left):.1f}" '
            f'height="{bar - 4}" fill="{RANK_FILLS.get(signal, "#FFFFFF")}" {edge}/>'
            f'<text x="{x(value) + 4:.1f}" y="{y + bar - 7}" font-size="12" fill="#262626"'
            f"{weight}>{escape(value_text(value))}</text>"
        )
    if norm is not None:
        parts.append(
            f'<line x1="{x(norm):.1f}" x2="{x(norm):.1f}" y1="{top - 4}" y2="{height - 20}" '
            'stroke="#000000" stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{x(norm):.1f}" y="{top - 8}" text-anchor="middle" font-size="12" '
            f'font-weight="bold" fill="#000000">{escape(norm_label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or a number
