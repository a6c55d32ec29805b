"""What the reports show, read in bulk from the stored results.

`CycleData.load` reads one cycle's figures (and the trend over the cycles
before it) with a handful of queries, optionally narrowed to some
organisations; `scope_report` turns that into the content of one report for
an organisation, gemeente or region. The Excel workbooks, the PDFs and the
HTML result pages all read from here, so they always show the same figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import Case, fn

from domain import norms, results, rules
from domain.computation import signal as signal_for
from domain.inputs import LIMITS, printable, shortened
from domain.results import Figure
from models import (
    Agreement,
    Answer,
    Assessment,
    Cycle,
    EscalationSignal,
    Gemeente,
    ImprovementAction,
    IndicatorDefinition,
    IndicatorStamp,
    Organisation,
    OrganisationGemeente,
    PartnerRating,
    RecomputeRequest,
    Region,
    Theme,
)
from reports import dutch

TREND_CYCLES = 8
WEAKEST = 5
OPEN_ACTION_STATES = ("open", "in_uitvoering")
DONE_ACTION_STATES = ("gereed",)
NOT_YET_DUE = "nog_open"  # the signal of RESPONS while the due date has not passed
POOL_KEPT_FROM = 50  # organisations: larger pools of agreement scores are kept (stats_for)


@dataclass(frozen=True)
class Norm:
    norm: float
    green: float
    orange: float
    regional: bool = False

    def name(self, region: Region | None) -> str:
        """Which norm this is, for the sheet or page that shows its signal."""
        if self.regional and region is not None:
            return f"eigen norm van regio {region.name}"
        return "landelijke norm"


@dataclass
class AgreementStat:
    """Scores on one agreement, summed over some organisations; on a
    bilateral agreement also the ratings their partners gave them, each
    paired with the rated organisation's own score (as PARTNER counts)."""

    score_sum: float = 0.0
    scored: int = 0
    paired_own_sum: float = 0.0  # own score, once per partner rating
    partner_sum: float = 0.0  # the partners' ratings
    partner_ratings: int = 0
    gap_sum: float = 0.0  # |own score − rating| summed over the ratings (as PARTNER)

    def add(self, other: AgreementStat) -> None:
        self.gap_sum += other.gap_sum
        self.score_sum += other.score_sum
        self.scored += other.scored
        self.paired_own_sum += other.paired_own_sum
        self.partner_sum += other.partner_sum
        self.partner_ratings += other.partner_ratings

    @property
    def percent(self) -> float | None:
        """Mean score as a percentage of the maximum (4)."""
        return 100.0 * self.score_sum / self.scored / 4.0 if self.scored else None

    @property
    def own_mean(self) -> float | None:
        """'Eigen oordeel' beside the partners': the own score over the same pairs."""
        return self.paired_own_sum / self.partner_ratings if self.partner_ratings else None

    @property
    def partner_mean(self) -> float | None:
        """'Oordeel van partners': the mean rating partners gave."""
        return self.partner_sum / self.partner_ratings if self.partner_ratings else None

    @property
    def gap(self) -> float | None:
        """'Verschil': the mean gap per rating, without sign, as PARTNER counts it."""
        return self.gap_sum / self.partner_ratings if self.partner_ratings else None


@dataclass
class CycleData:
    """Everything the reports of one cycle need, read once."""

    cycle: Cycle
    trend: list[Cycle]  # the last cycles up to and including `cycle`, oldest first
    data_date: dt.datetime | None
    indicators: list[IndicatorDefinition]
    regions: dict[int, Region]
    gemeenten: dict[int, Gemeente]
    organisations: dict[int, Organisation]
    serves: dict[int, list[int]]  # organisation → gemeenten
    served_by: dict[int, list[int]]  # gemeente → organisations
    results: dict[tuple, Figure]  # (indicator, cycle, scope type, scope id)
    regional_norms: dict[tuple[int, int], Norm]  # (indicator, region)
    agreements: dict[int, Agreement]  # this cycle's framework, with .theme
    agreement_stats: dict[int, dict[int, AgreementStat]]  # organisation → agreement → stat
    responses: dict[int, Assessment]  # organisation → assessment
    actions: dict[int, list[dict]] = field(default_factory=dict)  # organisation → open actions
    escalations: dict[int, list[dict]] = field(default_factory=dict)
    # organisation → agreement id → [open, overdue, done] improvement actions
    action_counts: dict[int, dict[int, list[int]]] = field(default_factory=dict)
    _pooled: dict[tuple, dict] = field(default_factory=dict, repr=False)  # see stats_for
    # Row models that every gemeente workbook of a region (or of the cycle)
    # shares, made once (reports.rows.shared): kept on the data they are made
    # of, so they can never reach a workbook of another cycle or load.
    _shared: dict[tuple, object] = field(default_factory=dict, repr=False, compare=False)
    recomputed: str | None = None  # "herberekend op … omdat …" after a deliberate recompute

    # --- reading --------------------------------------------------------------

    @classmethod
    def load(
        cls,
        cycle: Cycle,
        organisations: list[int] | None = None,
        scopes: list[tuple[str, int]] | None = None,
    ) -> CycleData:
        """Read a cycle's report data; `organisations` narrows the per-organisation
        parts (answers, actions, results) to those ids, for one page; `scopes`
        narrows the stored figures to those (scope type, scope id) pairs (one
        page needs its own scope, its region and the country)."""
        trend = list(
            Cycle.select()
            .where(Cycle.state != "gepland", Cycle.period <= cycle.period)
            .order_by(Cycle.period.desc())
            .limit(TREND_CYCLES)
        )[::-1]
        stamp = IndicatorStamp.get_or_none(IndicatorStamp.cycle == cycle)
        # The definitions and norms in force for the cycle (frozen when it closed).
        indicators = sorted(
            norms.definitions_for(cycle), key=lambda i: (i.region_id is not None, i.position)
        )
        org_query = Organisation.select().order_by(Organisation.name)
        if organisations is not None:
            org_query = org_query.where(Organisation.id.in_(organisations))
        orgs = {o.id: o for o in org_query}
        serves: dict[int, list[int]] = defaultdict(list)
        served_by: dict[int, list[int]] = defaultdict(list)
        links = OrganisationGemeente.select(
            OrganisationGemeente.organisation, OrganisationGemeente.gemeente
        )
        if organisations is not None:
            links = links.where(OrganisationGemeente.organisation.in_(organisations))
        for org_id, gemeente_id in links.tuples():
            serves[org_id].append(gemeente_id)
            served_by[gemeente_id].append(org_id)
        data = cls(
            cycle=cycle,
            trend=trend,
            data_date=stamp.computed_at if stamp else None,
            indicators=indicators,
            regions={r.id: r for r in Region.select().order_by(Region.name)},
            gemeenten={g.id: g for g in Gemeente.select().order_by(Gemeente.name)},
            organisations=orgs,
            serves=dict(serves),
            served_by=dict(served_by),
            # A page narrowed to some organisations still gets every gemeente,
            # region and the country.
            results=results.figures(
                [c.id for c in trend],
                organisations=None if organisations is None else orgs,
                scopes=scopes,
            ),
            regional_norms={
                key: Norm(*values, True) for key, values in norms.regional_norms_for(cycle).items()
            },
            agreements={
                a.id: a
                for a in Agreement.select(Agreement, Theme)
                .join(Theme)
                .where(Agreement.framework == cycle.framework_id)
                .order_by(Theme.position, Agreement.position)
            },
            agreement_stats=_agreement_stats(cycle, organisations),
            responses=_responses(cycle, organisations),
        )
        data.recomputed = recompute_note(cycle)
        data.actions = _open_actions(cycle, organisations)
        data.escalations = _escalations(cycle, organisations)
        data.action_counts = _action_counts(cycle, organisations)
        _printable(data)
        return data

    # --- lookups --------------------------------------------------------------

    @classmethod
    def load_scope(cls, cycle: Cycle, scope_type: str, scope_id: int) -> CycleData:
        """The cycle's data as one organisation's, gemeente's or region's page
        (and its PDF) needs it: its organisations, and the figures of the
        scope, its organisations (the organisations × indicators overview),
        its region and the country. A few hundred rows, not the country's."""
        if scope_type == "organisatie":
            organisations = [scope_id]
            region_id = (
                Organisation.select(Organisation.region).where(Organisation.id == scope_id).scalar()
            )
        elif scope_type == "gemeente":
            organisations = [
                o
                for (o,) in OrganisationGemeente.select(OrganisationGemeente.organisation)
                .where(OrganisationGemeente.gemeente == scope_id)
                .tuples()
            ]
            region_id = Gemeente.select(Gemeente.region).where(Gemeente.id == scope_id).scalar()
        else:
            organisations = [
                o
                for (o,) in Organisation.select(Organisation.id)
                .where(Organisation.region == scope_id)
                .tuples()
            ]
            region_id = scope_id
        scopes = [(scope_type, scope_id), ("regio", region_id), ("land", 0)]
        if scope_type != "organisatie":
            scopes += [("organisatie", o) for o in organisations]
        return cls.load(cycle, organisations, scopes=scopes)

    @property
    def provisional(self) -> bool:
        """An open cycle's figures are voorlopig: more assessments may come in."""
        return self.cycle.state == "open"

    @property
    def national(self) -> list[IndicatorDefinition]:
        """The national set: the only one compared across regions."""
        return [i for i in self.indicators if i.region_id is None]

    def indicators_for(self, region_id: int | None) -> list[IndicatorDefinition]:
        """The national set plus the region's own indicators."""
        return [i for i in self.indicators if i.region_id in (None, region_id)]

    def figure(self, ind, scope_type: str, scope_id: int, cycle_id: int | None = None):
        return self.results.get((ind.id, cycle_id or self.cycle.id, scope_type, scope_id))

    def norm(self, ind, region_id: int | None = None) -> Norm:
        """The norm that applies: the region's own where it set one."""
        own = self.regional_norms.get((ind.id, region_id)) if region_id else None
        # A region's own indicator carries the region's own norm.
        return own or Norm(
            ind.norm, ind.green_threshold, ind.orange_threshold, ind.region_id is not None
        )

    def not_yet_due(self, ind) -> bool:
        """Whether an indicator cannot be judged yet: the response on time
        while the open cycle's due date has not passed."""
        return not_yet_due(ind, self.cycle)

    def signal(self, ind, value: float | None, region_id: int | None = None) -> str:
        if self.not_yet_due(ind):
            return NOT_YET_DUE
        norm = self.norm(ind, region_id)
        return signal_for(value, ind.direction, norm.green, norm.orange)

    def stats_for(self, org_ids) -> dict[int, AgreementStat]:
        """Agreement scores pooled over organisations. The pools of many
        organisations (a region, the country: in every gemeente workbook and
        region report of a cycle) are summed once and shared, so callers only
        read what they get."""
        org_ids = tuple(org_ids)
        kept = len(org_ids) >= POOL_KEPT_FROM
        pooled = self._pooled.get(org_ids) if kept else None
        if pooled is not None:
            return pooled
        total: dict[int, AgreementStat] = defaultdict(AgreementStat)
        for org_id in org_ids:
            for agreement_id, stat in self.agreement_stats.get(org_id, {}).items():
                total[agreement_id].add(stat)
        pooled = dict(total)
        if kept:
            self._pooled[org_ids] = pooled
        return pooled

    def organisations_in(self, scope_type: str, scope_id: int) -> list[int]:
        if scope_type == "organisatie":
            return [scope_id] if scope_id in self.organisations else []
        if scope_type == "gemeente":
            return [o for o in self.served_by.get(scope_id, []) if o in self.organisations]
        if scope_type == "regio":
            return [o.id for o in self.organisations.values() if o.region_id == scope_id]
        return list(self.organisations)


def recompute_note(cycle: Cycle) -> str | None:
    """What a cycle's reports say after a deliberate recompute: "herberekend
    op 6 december 2026 omdat …"; None when it never was."""
    done = (
        RecomputeRequest.select()
        .where(RecomputeRequest.cycle == cycle.id, RecomputeRequest.state == "gereed")
        .order_by(RecomputeRequest.finished_at.desc())
        .first()
    )
    if done is None:
        return None
    return f"herberekend op {dutch.date(done.finished_at.date())} omdat {done.reason}"


def not_yet_due(ind, cycle: Cycle, now: dt.datetime | None = None) -> bool:
    """RESPONS is not judged before the due date has passed: until then an
    organisation that has not submitted is not late ("nog open")."""
    if ind.computation != "response_rate_on_time" or cycle.state != "open":
        return False
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now < rules.deadline(cycle.due_on)


def _agreement_stats(cycle: Cycle, organisations) -> dict[int, dict[int, AgreementStat]]:
    query = (
        Answer.select(
            Assessment.organisation,
            Answer.agreement,
            fn.SUM(Answer.score),
            fn.COUNT(Answer.score),
        )
        .join(Assessment)
        .where(Assessment.cycle == cycle, Assessment.state == "ingediend")
        .group_by(Assessment.organisation, Answer.agreement)
    )
    if organisations is not None:
        query = query.where(Assessment.organisation.in_(organisations))
    out: dict[int, dict[int, AgreementStat]] = defaultdict(dict)
    for org_id, agreement_id, s, n in query.tuples().iterator():
        out[org_id][agreement_id] = AgreementStat(float(s or 0), n)
    for org_id, agreement_id, own, given, n, gaps in _partner_ratings(cycle, organisations):
        stat = out[org_id].setdefault(agreement_id, AgreementStat())
        stat.paired_own_sum, stat.partner_sum, stat.partner_ratings = float(own), float(given), n
        stat.gap_sum = float(gaps or 0)
    return dict(out)


def _partner_ratings(cycle: Cycle, organisations):
    """Per rated organisation and agreement: the sum of its own score once
    per rating, the sum of the ratings its partners gave it, and how many;
    both assessments submitted, in this cycle, its own answer scored."""
    rater = Assessment.alias()
    query = (
        PartnerRating.select(
            Assessment.organisation,
            Answer.agreement,
            fn.SUM(Answer.score),
            fn.SUM(PartnerRating.score),
            fn.COUNT(PartnerRating.id),
            fn.SUM(fn.ABS(Answer.score - PartnerRating.score)),
        )
        .join(rater, on=PartnerRating.assessment == rater.id)
        .join(
            Assessment,
            on=(Assessment.organisation == PartnerRating.partner)
            & (Assessment.cycle == rater.cycle),
        )
        .join(
            Answer,
            on=(Answer.assessment == Assessment.id) & (Answer.agreement == PartnerRating.agreement),
        )
        .where(
            rater.cycle == cycle,
            rater.state == "ingediend",
            Assessment.state == "ingediend",
            Answer.score.is_null(False),
        )
        .group_by(Assessment.organisation, Answer.agreement)
    )
    if organisations is not None:
        query = query.where(Assessment.organisation.in_(organisations))
    return query.tuples().iterator()


def _responses(cycle: Cycle, organisations) -> dict[int, Assessment]:
    query = Assessment.select(
        Assessment.id,
        Assessment.organisation,
        Assessment.state,
        Assessment.submitted_at,
        Assessment.first_submitted_at,
    ).where(Assessment.cycle == cycle)
    if organisations is not None:
        query = query.where(Assessment.organisation.in_(organisations))
    return {a.organisation_id: a for a in query}


def _open_actions(cycle: Cycle, organisations) -> dict[int, list[dict]]:
    query = (
        ImprovementAction.select(
            Assessment.organisation.alias("org_id"),
            Agreement.code.alias("agreement"),
            Agreement.title.alias("title"),
            ImprovementAction.description,
            ImprovementAction.owner,
            ImprovementAction.due_on,
            ImprovementAction.status,
        )
        .join(Answer)
        .join(Assessment)
        .switch(Answer)
        .join(Agreement)
        .where(_actions_of(cycle), ImprovementAction.status.in_(OPEN_ACTION_STATES))
        .order_by(ImprovementAction.due_on.asc(nulls="LAST"), Agreement.code)
    )
    return _per_organisation(query, organisations)


def _action_counts(cycle: Cycle, organisations) -> dict[int, dict[int, list[int]]]:
    """Per organisation and agreement: how many improvement actions are open
    (not yet done), how many of those are past their due date, and how many
    are done, in one grouped query over the actions the report lists."""
    today = dt.date.today()
    still_open = ImprovementAction.status.in_(OPEN_ACTION_STATES)
    done = ImprovementAction.status.in_(DONE_ACTION_STATES)
    overdue = Case(None, [(still_open & (ImprovementAction.due_on < today), 1)], 0)
    query = (
        ImprovementAction.select(
            Assessment.organisation,
            Answer.agreement,
            fn.SUM(Case(None, [(still_open, 1)], 0)),
            fn.SUM(overdue),
            fn.SUM(Case(None, [(done, 1)], 0)),
        )
        .join(Answer)
        .join(Assessment)
        .where(_actions_of(cycle))
        .group_by(Assessment.organisation, Answer.agreement)
    )
    if organisations is not None:
        query = query.where(Assessment.organisation.in_(organisations))
    out: dict[int, dict[int, list[int]]] = defaultdict(dict)
    for org_id, agreement_id, n_open, n_overdue, n_done in query.tuples().iterator():
        out[org_id][agreement_id] = [int(n_open or 0), int(n_overdue or 0), int(n_done or 0)]
    return dict(out)


def _actions_of(cycle: Cycle):
    """The actions a cycle's report lists: those of its own assessments, and
    those the indicator ACTIES counts for it — due in its window, in any
    submitted assessment (an action from an earlier cycle due now)."""
    in_order = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period))
    window = rules.action_windows(in_order).get(cycle.id)
    own = Assessment.cycle == cycle
    if window is None:
        return own
    first, last = window
    return own | (ImprovementAction.due_on.between(first, last) & (Assessment.state == "ingediend"))


def _escalations(cycle: Cycle, organisations) -> dict[int, list[dict]]:
    query = (
        EscalationSignal.select(
            Assessment.organisation.alias("org_id"),
            Agreement.code.alias("agreement"),
            Agreement.title.alias("title"),
            EscalationSignal.times_not_followed,
            EscalationSignal.highest_step,
            EscalationSignal.resolved,
        )
        .join(Assessment)
        .switch(EscalationSignal)
        .join(Agreement)
        .where(
            Assessment.cycle == cycle,
            Assessment.state == "ingediend",
            EscalationSignal.times_not_followed > 0,
        )
        .order_by(EscalationSignal.times_not_followed.desc(), Agreement.code)
    )
    return _per_organisation(query, organisations)


# The length each shown text is cut to (domain.inputs.LIMITS).
_SHOWN = {
    ("organisations", "name"): LIMITS["name"],
    ("regions", "name"): LIMITS["region_name"],
    ("gemeenten", "name"): LIMITS["gemeente_name"],
    ("agreements", "code"): LIMITS["code"],
    ("agreements", "title"): LIMITS["title"],
}
# Text people typed, per kind of object the reports show (in memory only).
_TEXT_FIELDS = {
    "organisations": ("name",),
    "regions": ("name",),
    "gemeenten": ("name",),
    "agreements": ("code", "title", "goal"),
}


def _shown(value: str, limit: int, *, multiline: bool = False) -> str:
    return printable(shortened(value, limit), multiline=multiline)


def _printable(data: CycleData) -> None:
    """Remove control characters from the text a report shows, so text stored
    before they were refused cannot put invisible or broken glyphs in a report
    or stop a writer (openpyxl refuses them), and shorten text stored before
    lengths were limited to its limit (with …), so no name fails or stalls a
    layout. Nothing is written back."""
    for attribute, fields in _TEXT_FIELDS.items():
        for obj in getattr(data, attribute).values():
            for name in fields:
                value = getattr(obj, name)
                if isinstance(value, str):
                    setattr(obj, name, _shown(value, _SHOWN.get((attribute, name), LIMITS["text"])))
    for agreement in data.agreements.values():
        agreement.theme.title = _shown(agreement.theme.title, LIMITS["title"])
    for indicator in data.indicators:
        indicator.name = _shown(indicator.name, LIMITS["name"])
        indicator.description = _shown(indicator.description or "", LIMITS["text"], multiline=True)
    for rows in (*data.actions.values(), *data.escalations.values()):
        for row in rows:
            for key, value in row.items():
                if isinstance(value, str):
                    row[key] = _shown(value, LIMITS["short_text"])


def _per_organisation(query, organisations) -> dict[int, list[dict]]:
    """The query's rows (with an "org_id") as lists per organisation."""
    if organisations is not None:
        query = query.where(Assessment.organisation.in_(organisations))
    out: dict[int, list[dict]] = defaultdict(list)
    for row in query.dicts().iterator():
        out[row.pop("org_id")].append(row)
    return dict(out)


# --- one report's content ------------------------------------------------------


@dataclass
class ScoreRow:
    indicator: IndicatorDefinition
    value: float | None
    norm: Norm
    signal: str
    change: float | None
    trend_break: bool
    region_value: float | None
    country_value: float | None
    n_organisations: int


@dataclass
class TrendLine:
    indicator: IndicatorDefinition
    periods: list[str]
    own: list[float | None]
    region: list[float | None]
    country: list[float | None]
    breaks: list[str]  # periods where the line is broken by a framework change


@dataclass
class AgreementRow:
    code: str
    title: str
    theme: str
    percent: float | None
    scored: int
    own_mean: float | None = None
    partner_mean: float | None = None
    partner_ratings: int = 0  # how many ratings partners gave
    per_rating_gap: float | None = None  # the mean |own − rating|, as PARTNER counts it

    @property
    def gap(self) -> float | None:
        """'Verschil': the indicator PARTNER's own gap per rating (without sign)."""
        return self.per_rating_gap


@dataclass
class ActionSummary:
    """Improvement actions on one agreement, counted over a scope's organisations."""

    code: str
    title: str
    open: int  # not yet done (overdue ones included)
    overdue: int
    done: int


@dataclass(slots=True)
class ActionRow:
    """An open improvement action (the organisation's name when a report covers several)."""

    agreement: str  # the agreement's code
    title: str
    description: str
    owner: str | None
    due_on: dt.date | None
    status: str
    overdue: bool
    organisation: str | None = None


@dataclass(slots=True)
class EscalationRow:
    """An agreement reported as not followed (the organisation's name when a
    report covers several)."""

    agreement: str  # the agreement's code
    title: str
    times_not_followed: int
    highest_step: int
    resolved: bool
    organisation: str | None = None


@dataclass
class MatrixRow:
    """One organisation's figures beside each other, with their signals."""

    organisation: Organisation
    cells: list[tuple[float | None, str]]  # (value, signal) per indicator of the matrix


@dataclass
class ScopeReport:
    """The content of one management report (PDF and HTML)."""

    scope_type: str
    scope_id: int
    name: str
    region: Region | None
    cycle: Cycle
    data_date: dt.datetime | None
    scorecard: list[ScoreRow]
    trends: list[TrendLine]
    weakest: list[AgreementRow]
    partner_gaps: list[AgreementRow]
    actions: list[ActionRow]
    escalations: list[EscalationRow]
    response: dict  # counts per state, on time, late, not submitted names
    organisations: list[Organisation]
    provisional: bool = False  # the cycle is still open
    action_summary: list[ActionSummary] = field(default_factory=list)
    matrix: list[MatrixRow] = field(default_factory=list)  # for a gemeente or region

    @property
    def overdue_actions(self) -> int:
        """How many improvement actions are past their due date and not done."""
        return sum(row.overdue for row in self.action_summary)

    recomputed: str | None = None  # "herberekend op … omdat …"


def scope_name(data: CycleData, scope_type: str, scope_id: int) -> str:
    if scope_type == "organisatie":
        return data.organisations[scope_id].name
    if scope_type == "gemeente":
        return data.gemeenten[scope_id].name
    if scope_type == "regio":
        return data.regions[scope_id].name
    return "Nederland"


def scope_report(data: CycleData, scope_type: str, scope_id: int) -> ScopeReport:
    """The report of one organisation, gemeente or region in the data's cycle."""
    if scope_type == "organisatie":
        region_id = data.organisations[scope_id].region_id
    elif scope_type == "gemeente":
        region_id = data.gemeenten[scope_id].region_id
    else:
        region_id = scope_id
    org_ids = data.organisations_in(scope_type, scope_id)
    indicators = data.indicators_for(region_id)
    scorecard, trends = [], []
    for ind in indicators:
        own = data.figure(ind, scope_type, scope_id)
        region = data.figure(ind, "regio", region_id)
        country = data.figure(ind, "land", 0)
        value = own.value if own else None
        scorecard.append(
            ScoreRow(
                indicator=ind,
                value=value,
                norm=data.norm(ind, region_id),
                signal=data.signal(ind, value, region_id),
                change=own.change if own else None,
                trend_break=bool(own and own.trend_break and len(data.trend) > 1),
                region_value=region.value if region else None,
                country_value=country.value if country else None,
                n_organisations=own.n_organisations if own else 0,
            )
        )
        line = TrendLine(ind, [c.period for c in data.trend], [], [], [], [])
        for position, c in enumerate(data.trend):
            figures = [
                data.figure(ind, t, i, c.id)
                for t, i in ((scope_type, scope_id), ("regio", region_id), ("land", 0))
            ]
            line.own.append(figures[0].value if figures[0] else None)
            line.region.append(figures[1].value if figures[1] else None)
            line.country.append(figures[2].value if figures[2] else None)
            if position and any(f is not None and f.trend_break for f in figures):
                line.breaks.append(c.period)
        trends.append(line)
    stats = data.stats_for(org_ids)
    rows = [
        AgreementRow(
            a.code, a.title, a.theme.title, stats[a.id].percent, stats[a.id].scored,
            stats[a.id].own_mean, stats[a.id].partner_mean, stats[a.id].partner_ratings,
            stats[a.id].gap,
        )
        for a in data.agreements.values()
        if a.id in stats and (stats[a.id].scored or stats[a.id].partner_ratings)
    ]  # fmt: skip
    weakest = sorted((r for r in rows if r.scored), key=lambda r: (r.percent, r.code))[:WEAKEST]
    # Every bilateral agreement with partner ratings, the biggest differences first.
    gaps = sorted(
        (r for r in rows if r.gap is not None),
        key=lambda r: (-abs(r.gap), r.code),
    )
    names = {o: data.organisations[o].name for o in org_ids}
    several = scope_type != "organisatie"
    today = dt.date.today()
    actions, escalations = [], []
    for org_id in org_ids:
        organisation = names[org_id] if several else None
        actions += [
            ActionRow(
                **row,
                organisation=organisation,
                overdue=row["due_on"] is not None and row["due_on"] < today,
            )
            for row in data.actions.get(org_id, [])
        ]
        escalations += [
            EscalationRow(**row, organisation=organisation)
            for row in data.escalations.get(org_id, [])
        ]
    actions.sort(key=lambda r: (r.due_on or dt.date.max, r.agreement))
    escalations.sort(key=lambda r: (-r.times_not_followed, r.agreement))
    return ScopeReport(
        scope_type=scope_type,
        scope_id=scope_id,
        name=scope_name(data, scope_type, scope_id),
        region=data.regions.get(region_id),
        cycle=data.cycle,
        data_date=data.data_date,
        scorecard=scorecard,
        trends=trends,
        weakest=weakest,
        partner_gaps=gaps,
        actions=actions,
        escalations=escalations,
        response=response_status(data, org_ids),
        organisations=[data.organisations[o] for o in org_ids],
        provisional=data.provisional,
        action_summary=action_summary(data, org_ids),
        matrix=organisation_matrix(data, org_ids, indicators, region_id)
        if scope_type in ("gemeente", "regio")
        else [],
        recomputed=data.recomputed,
    )


def action_summary(data: CycleData, org_ids: list[int]) -> list[ActionSummary]:
    """Per agreement: open, overdue and done improvement actions of the
    organisations; the most overdue first."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id in org_ids:
        for agreement_id, numbers in data.action_counts.get(org_id, {}).items():
            for k, n in enumerate(numbers):
                totals[agreement_id][k] += n
    rows = [
        ActionSummary(data.agreements[a].code, data.agreements[a].title, *numbers)
        for a, numbers in totals.items()
        if a in data.agreements and any(numbers)
    ]
    rows.sort(key=lambda r: (-r.overdue, -r.open, -r.done, r.code))
    return rows


def organisation_matrix(
    data: CycleData, org_ids: list[int], indicators, region_id: int | None
) -> list[MatrixRow]:
    """Organisations × indicators, each value with its signal against the
    norm that applies in the region; organisations by name."""
    rows = []
    for org_id in sorted(org_ids, key=lambda o: data.organisations[o].name.casefold()):
        cells = []
        for ind in indicators:
            figure = data.figure(ind, "organisatie", org_id)
            value = figure.value if figure else None
            cells.append((value, data.signal(ind, value, region_id)))
        rows.append(MatrixRow(data.organisations[org_id], cells))
    return rows


def response_status(data: CycleData, org_ids: list[int]) -> dict:
    """How many organisations submitted, on time or late, and who did not."""
    status = {"total": 0, "on_time": 0, "late": 0, "open": 0, "missing": []}
    for org_id in org_ids:
        assessment = data.responses.get(org_id)
        if assessment is None:
            continue
        status["total"] += 1
        closed = data.cycle.state == "gesloten"
        if assessment.first_submitted_at is not None and (
            assessment.state == "ingediend" or not closed
        ):
            # On time or late by the first submission, as RESPONS counts it.
            # One still reopened when the cycle closed does not count as
            # submitted (no indicator counts it): it is listed with its state.
            on_time = rules.on_time(assessment.first_submitted_at, data.cycle.due_on)
            status["on_time" if on_time else "late"] += 1
        else:
            status["open"] += 1
            status["missing"].append((data.organisations[org_id].name, assessment.state))
    return status
