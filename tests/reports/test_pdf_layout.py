"""The PDF layout read back with pdfplumber: no two text runs overlap, no text
runs over a table's column line, and nothing lies outside the page."""

import itertools
import math

import pdfplumber
import pytest

from models import (
    Cycle,
    EscalationSignal,
    ImprovementAction,
    Organisation,
    Region,
)
from reports.data import CycleData, scope_report
from reports.pdf import write_pdf

TOLERANCE = 0.5  # points: glyph boxes of neighbouring characters may touch


def _runs(page) -> list[dict]:
    """Text runs: words as pdfplumber groups them (a run of characters with
    no gap wider than a space, on one line)."""
    return page.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=1.5)


def _overlap(a: dict, b: dict) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > TOLERANCE
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > TOLERANCE
    )


def _in_direction(char: dict, ux: float, uy: float) -> dict:
    """A character's box in the frame of its writing direction (upright text:
    its own box); x along the line, top/bottom across it."""
    if (ux, uy) == (1.0, 0.0):
        return {**char, "at": (char["x0"], char["top"])}
    e, f = char["matrix"][4:]
    along = e * ux + f * uy
    across = -e * uy + f * ux
    size = char["size"] * 0.75  # the glyph box, without the rotation's slack
    return {
        "text": char["text"],
        "x0": along,
        "x1": along + char["adv"],
        "top": -(across + 0.8 * size),
        "bottom": -(across - 0.2 * size),
        "at": (char["x0"], char["top"]),
    }


def layout_problems(path) -> list[str]:
    """Every overlap, crossing or text outside the page, described."""
    problems = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            runs = _runs(page)
            for run in runs:
                if (
                    run["x0"] < 0
                    or run["top"] < 0
                    or run["x1"] > page.width
                    or run["bottom"] > page.height
                ):
                    problems.append(f"page {number}: {run['text']!r} outside the page")
            # Overlap is checked per character: pdfplumber joins characters
            # drawn over each other into one word ("Rood+0,41"). Rotated text
            # (chart labels) is compared in its own direction, with other text
            # of the same direction; its upright box would overlap its neighbours.
            chars = [c for c in page.chars if c["text"].strip()]
            by_direction: dict[tuple, list[dict]] = {}
            for c in chars:
                a, b = c["matrix"][:2]
                key = (round(a / math.hypot(a, b), 3), round(b / math.hypot(a, b), 3))
                by_direction.setdefault(key, []).append(_in_direction(c, *key))
            for group in by_direction.values():
                group.sort(key=lambda c: c["x0"])
                for n, a in enumerate(group):
                    for b in itertools.islice(group, n + 1, None):
                        if b["x0"] > a["x1"] - TOLERANCE:
                            break
                        if _overlap(a, b):
                            problems.append(
                                f"page {number}: {a['text']!r} overlaps {b['text']!r} "
                                f"at ({a['at'][0]:.0f}, {a['at'][1]:.0f})"
                            )
            # A table's column lines (vertical edges of its cells) never cross text.
            verticals = [e for e in page.edges if e["orientation"] == "v"]
            for run in runs:
                for edge in verticals:
                    inside = run["x0"] + TOLERANCE < edge["x0"] < run["x1"] - TOLERANCE
                    beside = (
                        min(run["bottom"], edge["bottom"]) - max(run["top"], edge["top"])
                        > TOLERANCE
                    )
                    if inside and beside:
                        problems.append(f"page {number}: {run['text']!r} runs over a column line")
                        break
    return problems


@pytest.fixture
def data(reports_world):
    o = reports_world["orgs"]
    # The long texts that ran over their columns: the highest escalation step,
    # a long organisation name, long action owners, a long region name.
    EscalationSignal.update(highest_step=2).execute()
    Organisation.update(
        name="Stichting Jeugdgezondheidszorg en Centrum voor Jeugd en Gezin Zuid-Limburg Oost"
    ).where(Organisation.id == o["A"].id).execute()
    ImprovementAction.update(
        owner="Aandachtsfunctionaris kindermishandeling en huiselijk geweld"
    ).execute()
    Region.update(name="Veiligheidsregio Midden- en West-Brabant en omstreken").where(
        Region.id == reports_world["r1"].id
    ).execute()
    return CycleData.load(Cycle.get(Cycle.period == "2026-Q2"))


@pytest.mark.parametrize(("scope_type", "key"), [("organisatie", "A"), ("regio", "r1")])
def test_no_text_overlaps_or_leaves_the_page(data, reports_world, tmp_path, scope_type, key):
    scope = reports_world["orgs"][key] if scope_type == "organisatie" else reports_world[key]
    path = tmp_path / f"{scope_type}.pdf"
    write_pdf(scope_report(data, scope_type, scope.id), path)
    assert layout_problems(path) == []


def test_the_check_finds_overlapping_text(tmp_path):
    """The check itself: two strings drawn over each other, one off the page
    and one across a table line are each reported."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "bad.pdf"
    canvas = Canvas(str(path), pagesize=A4)
    canvas.drawString(100, 700, "Rood")
    canvas.drawString(110, 700, "+0,41")
    canvas.drawString(A4[0] - 20, 600, "Nederland")
    canvas.line(300, 490, 300, 520)
    canvas.drawString(280, 500, "Aandachtsfunctionaris")
    canvas.save()
    problems = layout_problems(path)
    assert any("overlaps" in p for p in problems), problems
    assert any("outside the page" in p for p in problems), problems
    assert any("column line" in p for p in problems), problems
