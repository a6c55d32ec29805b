"""The web charts: every label inside the picture, legend entries apart."""

import xml.etree.ElementTree as ET

from reports.svg import bar_chart, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
CHAR = 6.0  # a generous width per character at font-size 10


def _texts(svg: str):
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    out = []
    for text in root.iterfind(".//svg:text", NS):
        x, y = float(text.get("x")), float(text.get("y"))
        length = CHAR * len(text.text)
        anchor = text.get("text-anchor", "start")
        x0 = {"start": x, "middle": x - length / 2, "end": x - length}[anchor]
        out.append({"text": text.text, "x0": x0, "x1": x0 + length, "y": y})
    return width, height, out


def _overlapping(texts):
    return [
        (a["text"], b["text"])
        for n, a in enumerate(texts)
        for b in texts[n + 1 :]
        if abs(a["y"] - b["y"]) < 10 and min(a["x1"], b["x1"]) > max(a["x0"], b["x0"])
    ]


PERIODS = [f"202{5 + n // 4}-Q{n % 4 + 1}" for n in range(8)]
NAMES = [
    "Buurtteam Jeugd en Gezin Brunssum",
    "Veiligheidsregio Midden- en West-Brabant",
    "Nederland",
]


def test_line_chart_keeps_the_last_label_and_legend_apart():
    svg = line_chart("t", "d", PERIODS, [(n, [50.0] * 8) for n in NAMES], "%")
    width, height, texts = _texts(svg)
    for text in texts:
        assert text["x0"] >= 0, text
        assert text["x1"] <= width, text
        assert 0 < text["y"] <= height, text
    assert any(t["text"] == "2026-Q4" for t in texts)  # the whole last label
    assert _overlapping(texts) == []


def test_bar_chart_legend_apart_and_inside():
    svg = bar_chart("t", "d", ["A", "B"], [(n, [50.0, 60.0]) for n in NAMES])
    width, height, texts = _texts(svg)
    for text in texts:
        assert text["x0"] >= 0, text
        assert text["x1"] <= width, text
        assert 0 < text["y"] <= height, text
    assert _overlapping(texts) == []


def test_ranked_bars_keep_names_values_and_norm_inside():
    from reports.svg import RANK_FILLS, ranked_bars

    rows = [
        ("Valkenburg aan de Geul en nog een heel lange naam", 64.0, "rood", False),
        ("Heerlen", 58.0, "rood", True),
        ("Vaals", None, "geen", False),
    ]
    svg = ranked_bars("t", "d", rows, "%", 80.0, "norm 80%", lambda v: f"{v}%" if v else "–")
    width, height, texts = _texts(svg)
    for text in texts:
        assert text["x0"] >= 0, text
        assert text["x1"] <= width, text
        assert 0 < text["y"] <= height, text
    assert _overlapping(texts) == []
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    bars = [r for r in root.iterfind(".//svg:rect", NS)]
    assert [b.get("fill") for b in bars] == [RANK_FILLS["rood"], RANK_FILLS["rood"]]
    assert bars[1].get("stroke-width") == "2"  # the page's own area stands out
    assert any(t["text"] == "norm 80%" for t in texts)
    names = [t["text"] for t in texts if t["text"].startswith(("Valk", "Heer", "Vaals"))]
    assert names[1:] == ["Heerlen", "Vaals"]  # in the given (ranked) order


def test_ranked_bars_keep_the_longest_region_names_whole():
    """Every region's name fits left of the bars at font-size 13 (about 7.4
    units a character): none is cut, none runs off the left edge."""
    from reports.svg import ranked_bars

    names = ["Noord- en Oost-Gelderland", "Midden- en West-Brabant", "Valkenburg aan de Geul"]
    svg = ranked_bars(
        "t", "d", [(n, 50.0, "rood", False) for n in names], "%", 80.0, "norm", str
    )  # fmt: skip
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    labels = [t for t in root.iterfind(".//svg:text", NS) if t.get("text-anchor") == "end"]
    assert [t.text for t in labels] == names
    for label in labels:
        assert float(label.get("x")) - 7.4 * len(label.text) >= 0, label.text


def test_text_stays_readable_where_a_phone_shows_the_chart_366_px_wide():
    """The charts scale with their box: on a 390 px screen the box is 366 px
    wide, and no text may shrink below 9 px there (it was 7 px)."""
    from reports.svg import ranked_bars

    labels = ["Afspraken geëvalueerd in het afgelopen jaar", "Respons vóór de uiterste datum"]
    charts = {
        "line": line_chart("t", "d", PERIODS, [(n, [50.0] * 8) for n in NAMES], "%"),
        "bars": bar_chart("t", "d", labels, [(n, [50.0, 60.0]) for n in NAMES]),
        "ranking": ranked_bars(
            "t", "d", [("Valkenburg aan de Geul", 64.0, "rood", True)], "%", 80.0, "norm 80%",
            lambda v: f"{v}%",
        ),
    }  # fmt: skip
    for kind, svg in charts.items():
        root = ET.fromstring(str(svg))  # noqa: S314 - our own output
        width = float(root.get("viewBox").split()[2])
        smallest = min(float(t.get("font-size")) for t in root.iterfind(".//svg:text", NS))
        assert smallest * 366 / width >= 9, (kind, smallest, width)
    # Bar labels wrap in up to three lines rather than lose their words.
    texts = [t["text"] for t in _texts(charts["bars"])[2]]
    assert "Afspraken" in texts[6]
    assert "afgelopen jaar" in " ".join(texts)
    assert not any("…" in t for t in texts)
