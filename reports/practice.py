"""Good practice beside the weakest agreements of a report: what the results
page and the organisation and region PDFs show under "De vijf zwakste
afspraken" — the agreement's approach, its praktijkvoorbeelden with their
source, and "wat werkt elders".

The batch writes hundreds of PDFs of one cycle: `preloaded(cycle)` reads the
good practice of every agreement once, before the worker processes fork, so
each PDF adds no query. Outside it (a results page, a single PDF) a report's
own is read in three queries."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from typing import TypeVar
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from domain.practice import GoodPractice
from models import Cycle
from reports import dutch

# Who is named under "wat werkt elders": the people who work on the
# agreements (an organisation's and a region's reports), not the gemeente
# comparison.
CONTACT_SCOPES = ("organisatie", "regio")

_PRELOADED: dict[int, GoodPractice] = {}
T = TypeVar("T")


@contextlib.contextmanager
def preloaded(cycle: Cycle) -> Iterator[None]:
    """Read the good practice of every agreement of the cycle once, for the
    reports written inside this block."""
    _PRELOADED[cycle.id] = GoodPractice.load(cycle)
    try:
        yield
    finally:
        _PRELOADED.pop(cycle.id, None)


def while_preloaded(cycle: Cycle, items: Iterable[T]) -> Iterator[T]:
    """`items`, consumed with the cycle's good practice preloaded (the
    reports rendered while they are produced use it); forgotten once the
    items are done or abandoned."""
    with preloaded(cycle):
        yield from items


def _kinds(report) -> list[str]:
    return sorted({o.kind for o in report.organisations})


def for_report(report) -> list[dict]:
    """Per weak agreement of a ScopeReport: the row, its guidance, its
    praktijkvoorbeelden and the organisations elsewhere that may be asked."""
    if not report.weakest:
        return []
    contacts = report.scope_type in CONTACT_SCOPES
    kinds = _kinds(report) if contacts else []
    found = _PRELOADED.get(report.cycle.id)
    if found is None:
        found = GoodPractice.load(
            report.cycle,
            [row.code for row in report.weakest],
            kinds=kinds,
            elsewhere=contacts,
        )
    region_id = report.region.id if report.region is not None else None
    return [
        {"row": row, **found.for_agreement(row.code, kinds=kinds, outside_region=region_id)}
        for row in report.weakest
    ]


@functools.cache
def _styles(body: ParagraphStyle, small: ParagraphStyle) -> dict[str, ParagraphStyle]:
    """Indented items under an agreement, made once per process."""
    grey = colors.HexColor("#555555")
    return {
        "item": ParagraphStyle("practice_item", parent=body, leftIndent=10, bulletIndent=2),
        "source": ParagraphStyle(
            "practice_source", parent=small, leftIndent=10, textColor=grey, spaceAfter=2
        ),
        "label": ParagraphStyle("practice_label", parent=body, spaceBefore=2),
        "contact": ParagraphStyle("practice_contact", parent=small, leftIndent=10, bulletIndent=2),
    }


def flowables(found: list[dict], styles: dict, paragraph=Paragraph) -> list:
    """The PDF's good practice under the weakest agreements table (the
    entries of `for_report`): per agreement its approach, praktijkvoorbeelden
    with their source, and the organisations elsewhere that may be asked.
    `paragraph(markup, style, bullet=None)` makes a paragraph (the PDF
    module's remembers parsed markup and line breaks)."""
    entries = [e for e in found if e["guidance"] or e["examples"] or e["contacts"]]
    if not entries:
        return []
    own = _styles(styles["body"], styles["small"])
    story = [Spacer(1, 3 * mm), paragraph("Wat helpt bij deze afspraken", styles["h2"])]
    for entry in entries:
        row = entry["row"]
        block = [
            paragraph(
                f"<b>{escape(row.code)} – {escape(row.title)}</b> "
                f"(naleving {dutch.value(row.percent, '%')})",
                styles["body"],
            )
        ]
        if entry["guidance"]:
            block.append(paragraph(f"Aanpak: {escape(entry['guidance'])}", styles["body"]))
        for example in entry["examples"]:
            where = f" ({escape(example.place)})" if example.place else ""
            block.append(
                paragraph(
                    f"<b>{escape(example.title)}</b>{where}. {escape(example.text)}",
                    own["item"],
                    "•",
                )
            )
            block.append(
                paragraph(
                    f"Bron: {escape(example.source_code)} – {escape(example.source_title)}",
                    own["source"],
                )
            )
        if entry["contacts"]:
            block.append(paragraph("<b>Wat werkt elders</b>", own["label"]))
            block += [
                paragraph(
                    f"{escape(c.organisation)} ({escape(c.region)}) – {escape(c.contact)}",
                    own["contact"],
                    "•",
                )
                for c in entry["contacts"]
            ]
        story += [KeepTogether(block), Spacer(1, 3 * mm)]
    return story
