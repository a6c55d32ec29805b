"""What a reader sees first of a scope's report: the signals "in één oogopslag"
and "wat aandacht vraagt".

One function serves the PDF cover, the results pages and the quarterly mail,
so the three never differ. The sentences are plain text (escape them where
markup is parsed); each point also carries what a link or a table needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from reports import dutch
from reports.data import ScopeReport

SIGNAL_ORDER = ("groen", "oranje", "rood", "geen")
NOT_YET_DUE = "nog_open"  # RESPONS before the due date: counted apart, named only when there


@dataclass(frozen=True)
class AttentionPoint:
    """One line of "wat aandacht vraagt"."""

    kind: str  # indicator, agreement, actions, escalations, response
    text: str
    indicator_code: str | None = None
    agreement_code: str | None = None
    value: float | None = None
    norm: float | None = None
    unit: str | None = None
    regional_norm: bool = False


@dataclass(frozen=True)
class Glance:
    """The signal counts and the points that need attention first."""

    counts: dict[str, int]
    points: list[AttentionPoint] = field(default_factory=list)

    def counts_line(self) -> str:
        """ "6 groen · 2 oranje · 2 rood · 1 geen oordeel"."""
        names = [*SIGNAL_ORDER, NOT_YET_DUE] if self.counts.get(NOT_YET_DUE) else SIGNAL_ORDER
        return " · ".join(f"{self.counts[name]} {dutch.SIGNALS[name].lower()}" for name in names)


def signal_counts(report: ScopeReport) -> dict[str, int]:
    """How many indicators of the scorecard carry each signal."""
    counts = dict.fromkeys((*SIGNAL_ORDER, NOT_YET_DUE), 0)
    for row in report.scorecard:
        counts[row.signal] += 1
    return counts


def attention(report: ScopeReport, today: dt.date | None = None) -> list[AttentionPoint]:
    """What needs attention first, in plain sentences (escaped by the caller)."""
    today = today or dt.date.today()
    points = []
    for row in report.scorecard:
        if row.signal == "rood":
            ind = row.indicator
            points.append(
                AttentionPoint(
                    kind="indicator",
                    text=(
                        f"{ind.name}: {dutch.value(row.value, ind.unit)} tegen een "
                        f"{'eigen regionorm' if row.norm.regional else 'landelijke norm'} van "
                        f"{dutch.value(row.norm.norm, ind.unit)} (rood)."
                    ),
                    indicator_code=ind.code,
                    value=row.value,
                    norm=row.norm.norm,
                    unit=ind.unit,
                    regional_norm=row.norm.regional,
                )
            )
    if report.weakest:
        weakest = report.weakest[0]
        points.append(
            AttentionPoint(
                kind="agreement",
                text=(
                    f"Zwakst nageleefde afspraak: {weakest.code} – {weakest.title} "
                    f"({dutch.value(weakest.percent, '%')})."
                ),
                agreement_code=weakest.code,
                value=weakest.percent,
                unit="%",
            )
        )
    overdue = [a for a in report.actions if a.due_on is not None and a.due_on < today]
    if overdue:
        points.append(
            AttentionPoint(
                kind="actions",
                text=(
                    "1 verbeteractie is over haar streefdatum."
                    if len(overdue) == 1
                    else f"{len(overdue)} verbeteracties zijn over hun streefdatum."
                ),
                value=len(overdue),
            )
        )
    unresolved = [e for e in report.escalations if not e.resolved]
    if unresolved:
        points.append(
            AttentionPoint(
                kind="escalations",
                text=(
                    "1 escalatie is nog niet opgelost."
                    if len(unresolved) == 1
                    else f"{len(unresolved)} escalaties zijn nog niet opgelost."
                ),
                value=len(unresolved),
            )
        )
    if report.response["open"] and report.scope_type != "organisatie":
        waiting = report.response["open"]
        points.append(
            AttentionPoint(
                kind="response",
                text=(
                    "1 organisatie heeft nog niet ingediend."
                    if waiting == 1
                    else f"{waiting} organisaties hebben nog niet ingediend."
                ),
                value=waiting,
            )
        )
    return points


def glance(report: ScopeReport, today: dt.date | None = None) -> Glance:
    """The report's "in één oogopslag" and "wat aandacht vraagt"."""
    return Glance(counts=signal_counts(report), points=attention(report, today))
