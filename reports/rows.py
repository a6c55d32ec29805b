"""The rows of every workbook sheet and every PDF section, built from one
cycle's data (`reports.data`) before anything is laid out.

The PDF's sections read the scope's report (`ScopeReport`: scorecard, trends,
matrix, agreements, actions, escalations, response, each a list of rows);
`management_report` adds what only the PDF shows beside it (the cover's
facts, the map, the good practice).

One row model per sheet or section: its values are final (the figure, the
norm that applies, the signal in words, the label of a state), so the
writers (`reports.excel`, `reports.pdf`) only lay them out — number formats,
styles, widths, colours — and never ask `CycleData` anything. The sheets'
titles, subtitles and notes are built here too: they name the cycle, the
peildatum and the norms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from domain import rules
from domain.tally import counts
from reports import dutch, maps, practice
from reports.data import CycleData, Norm, ScopeReport, ScoreRow
from reports.glance import Glance, glance

NATIONAL_NORM_NOTE = (
    "Signaalkleuren: getoetst aan de landelijke norm en drempels (zie Toelichting); "
    "vergelijkingen tussen regio's gebruiken altijd de landelijke norm."
)
EXPLANATION_LINES = (
    "Alleen ingediende zelfevaluaties tellen mee (de respons telt elke zelfevaluatie); "
    "antwoorden met ‘niet van toepassing’ tellen niet mee. De rekenregel per indicator "
    "staat hieronder.",
    "Datums en tijden in Nederlandse tijd (Europe/Amsterdam); een uiterste datum telt mee "
    "tot en met 23:59 uur die dag.",
    "Een gemeente telt de organisaties die er werken; een organisatie die meerdere "
    "gemeenten bedient, telt in elk van die gemeenten mee.",
    "Percentages zijn gepoold over alle tellingen (geen gemiddelde van gemiddelden).",
    "Vergelijkingen tussen regio's gebruiken altijd de landelijke indicatoren en normen.",
    "Gegevens: Teller gedeeld door Noemer is de waarde; bij een percentage als fractie "
    "(0,629 is 62,9%). Bij de gemiddelde naleving is de teller de som van de scores en de "
    "noemer 4 punten per beoordeeld antwoord. Verandering: ten opzichte van de vorige "
    "ronde, bij percentages in procentpunten.",
)
T = TypeVar("T")
SCOPE_ORDER = {"land": 0, "regio": 1, "gemeente": 2, "organisatie": 3}


# --- shared parts of the workbooks ----------------------------------------------


@dataclass(slots=True)
class Heading:
    """A sheet's first three rows: title, subtitle and a note (each may be empty)."""

    title: str
    subtitle: str = ""
    note: str = ""


@dataclass(slots=True)
class IndicatorColumn:
    """An indicator as a column of figures: its header, its unit (which number
    format) and the norm its traffic lights stand for; `lights` is None when
    the indicator is not judged yet ("nog open": the column stays white)."""

    header: str
    unit: str
    direction: str
    lights: Norm | None


@dataclass(slots=True)
class FigureRow:
    """A scope's figures, one per indicator column (a region on Overzicht and
    Regio's, the country beneath them)."""

    code: str
    name: str
    values: list[float | None]
    bold: bool = False


@dataclass(slots=True)
class FigureSheet:
    """Scopes beside each other: the region comparison's Overzicht, the
    gemeente workbook's Regio's. `norms` (the national norm per column) is
    the last row of Overzicht; Regio's has none."""

    heading: Heading
    columns: list[IndicatorColumn]
    rows: list[FigureRow]
    country: FigureRow
    norms: list[float] | None = None


@dataclass(slots=True)
class CountryMap:
    """Kaart: the regions coloured by the signal bands of the first indicator."""

    heading: Heading
    shapes: list[maps.Shape]
    scale: maps.Scale
    division: str


@dataclass(slots=True)
class TrendRow:
    """One cycle of an indicator's trend: a value per scope, and whether the
    framework changed since the cycle before."""

    period: str
    values: list[float | None]
    broken: bool


@dataclass(slots=True)
class TrendBlock:
    """One indicator's block on Trend, with its line chart."""

    header: str
    name: str  # the chart's title
    unit: str
    rows: list[TrendRow]


@dataclass(slots=True)
class TrendSheet:
    """Trend: a block per indicator, a value column per scope."""

    heading: Heading
    scopes: list[str]  # the names over the value columns
    blocks: list[TrendBlock]


@dataclass(slots=True)
class GemeenteRow:
    """A gemeente on the region comparison's Gemeenten."""

    code: str
    name: str
    region: str
    organisations: int
    values: list[float | None]


@dataclass(slots=True)
class GemeenteSheet:
    """Gemeenten of the region comparison."""

    heading: Heading
    columns: list[IndicatorColumn]
    rows: list[GemeenteRow]


@dataclass(slots=True)
class OrganisationRow:
    """An organisation on Organisaties: kind and assessment state in words."""

    name: str
    kind: str
    region: str
    state: str
    values: list[float | None]


@dataclass(slots=True)
class OrganisationSheet:
    """Organisaties: in the region comparison, and a gemeente's own."""

    heading: Heading
    columns: list[IndicatorColumn]
    rows: list[OrganisationRow]


@dataclass(slots=True)
class AgreementScoreRow:
    """A region's mean score on one agreement beside the country's (Afspraken)."""

    region: str
    code: str
    title: str
    theme: str
    level: str
    percent: float | None
    national: float | None
    difference: float | None  # percentage points


@dataclass(slots=True)
class AgreementSheet:
    """Afspraken: per region its agreements, weakest first."""

    heading: Heading
    rows: list[AgreementScoreRow]


@dataclass(slots=True)
class PartnerRow:
    """'Eigen oordeel' beside 'oordeel van partners' on one bilateral
    agreement, for a scope (an area or an organisation)."""

    scope: str
    code: str
    title: str
    own_mean: float | None
    partner_mean: float | None
    ratings: int
    gap: float | None


@dataclass(slots=True)
class PartnerSheet:
    """Partners: per scope its bilateral agreements that partners rated."""

    heading: Heading
    rows: list[PartnerRow]


@dataclass(slots=True)
class ActionCountRow:
    """An organisation's improvement actions on one agreement (Verbeteracties)."""

    region: str
    organisation: str
    code: str
    title: str
    open: int
    overdue: int
    done: int


@dataclass(slots=True)
class ActionCountSheet:
    """Verbeteracties: counts per organisation and agreement."""

    heading: Heading
    rows: list[ActionCountRow]


@dataclass(slots=True)
class FigureLine:
    """One stored figure on Gegevens: a scope, an indicator, the value with
    Teller and Noemer, the signal in words and the norm it was judged by."""

    period: str
    level: str
    code: str
    name: str
    region: str
    indicator: str
    indicator_name: str
    unit: str
    value: float | None
    teller: float | None
    noemer: float | None
    organisations: int
    signal: str
    norm: float
    judged: str
    change: float | None


@dataclass(slots=True)
class ExplanationRow:
    """An indicator's rule, filters and thresholds (Toelichting)."""

    code: str
    name: str
    description: str
    rule: str
    computation: str
    filters: str
    direction: str
    norm: float
    green: float
    orange: float


@dataclass(slots=True)
class ExplanationSheet:
    """Toelichting: how the figures are counted, then a row per indicator."""

    heading: Heading
    lines: list[str]
    rows: list[ExplanationRow]


@dataclass(slots=True)
class RegionWorkbook:
    """The region comparison of one cycle, sheet by sheet."""

    title: str
    units: list[str]  # of every indicator of the cycle (the number formats of Gegevens)
    overview: FigureSheet
    map: CountryMap | None
    trend: TrendSheet
    gemeenten: GemeenteSheet
    organisations: OrganisationSheet
    agreements: AgreementSheet
    partners: PartnerSheet
    actions: ActionCountSheet
    figures: list[FigureLine]
    explanation: ExplanationSheet


@dataclass(slots=True)
class GemeenteFigureRow:
    """An indicator on a gemeente's Overzicht: the gemeente beside its region
    and the country, the national norm with its signal and, where the region
    set its own norm, that norm with its signal."""

    header: str
    unit: str
    direction: str
    value: float | None
    region_value: float | None
    country_value: float | None
    national_norm: float | None  # None for the region's own indicator
    signal: str  # against the national norm, in words; "–" for the region's own indicator
    regional: tuple[float, str] | None  # (the region's norm, the signal against it)
    lights: Norm | None  # the norm that colours the values; None: not judged yet


@dataclass(slots=True)
class GemeenteOverview:
    """A gemeente workbook's Overzicht: its header names the gemeente and region."""

    heading: Heading
    header: list[str]
    rows: list[GemeenteFigureRow]


@dataclass(slots=True)
class GemeenteWorkbook:
    """One gemeente's workbook of one cycle, sheet by sheet."""

    title: str
    overview: GemeenteOverview
    organisations: OrganisationSheet
    regions: FigureSheet
    partners: PartnerSheet
    actions: ActionCountSheet
    trend: TrendSheet
    explanation: ExplanationSheet


# --- texts that name the cycle and the norms ----------------------------------------


def indicator_header(ind) -> str:
    """An indicator as a person reads it: its name and unit (the code is in
    the Gegevens and Toelichting sheets, for machines and look-ups)."""
    return f"{ind.name} ({ind.unit})"


def provisional(data: CycleData, text: str) -> str:
    """A sheet's subtitle, with "VOORLOPIG" and the peildatum while the cycle is open."""
    if not data.provisional:
        return text
    mark = f"VOORLOPIG (peildatum {dutch.datetime(data.data_date)})"
    return f"{mark} · {text}" if text else mark


def subtitle(data: CycleData) -> str:
    """The cycle, its peildatum and due date (and recompute, and voorlopig)."""
    text = (
        f"Ronde {data.cycle.period} · peildatum {dutch.datetime(data.data_date)} · "
        f"uiterste inleverdatum {dutch.date(data.cycle.due_on)}"
    )
    if data.recomputed:
        text += f" · {data.recomputed}"
    if data.provisional:
        text = f"VOORLOPIG (de ronde loopt nog tot {dutch.date(data.cycle.closes_on)}) · " + text
    return text


def norm_note(data: CycleData, indicators, region_id: int | None) -> str:
    """Which norm the colours of a sheet stand for."""
    if region_id is None:
        return NATIONAL_NORM_NOTE
    region = data.regions[region_id]
    own = [i.name for i in indicators if data.norm(i, region_id).regional]
    if not own:
        return NATIONAL_NORM_NOTE
    return (
        f"Signaalkleuren: getoetst aan de eigen norm van regio {region.name} voor "
        f"{', '.join(own)}; aan de landelijke norm voor de andere indicatoren."
    )


def partner_indicator(data: CycleData) -> str:
    """The partner indicator by its name (a reader meets names, not codes)."""
    named = next((i.name for i in data.indicators if i.computation == "partner_gap"), None)
    return f"‘{named}’" if named else "de partnerindicator"


# --- the rows of the sheets -------------------------------------------------------


def indicator_columns(
    data: CycleData, indicators, region_id: int | None = None
) -> list[IndicatorColumn]:
    """The indicators as columns, coloured against the norm that applies in
    the region (the national one without a region)."""
    return [
        IndicatorColumn(
            indicator_header(ind),
            ind.unit,
            ind.direction,
            None if data.not_yet_due(ind) else data.norm(ind, region_id),
        )
        for ind in indicators
    ]


def _values(data: CycleData, indicators, scope_type: str, scope_id: int) -> list[float | None]:
    out = []
    for ind in indicators:
        figure = data.figure(ind, scope_type, scope_id)
        out.append(figure.value if figure else None)
    return out


def region_overview(data: CycleData, indicators) -> FigureSheet:
    """Overzicht of the region comparison: every region, the country and the national norms."""
    return FigureSheet(
        Heading(f"Regiovergelijking {data.cycle.period}", subtitle(data), NATIONAL_NORM_NOTE),
        indicator_columns(data, indicators),
        [
            FigureRow(region.code, region.name, _values(data, indicators, "regio", region.id))
            for region in data.regions.values()
        ],
        FigureRow("NL", "Nederland", _values(data, indicators, "land", 0), bold=True),
        [ind.norm for ind in indicators],
    )


def country_map(data: CycleData, indicators) -> CountryMap | None:
    """Kaart: the regions in the colour of their signal on the first indicator
    (against the national norm, as Overzicht colours it); None without
    indicators or region shapes."""
    if not indicators:
        return None
    ind = indicators[0]
    shapes = maps.region_shapes()
    for shape in shapes:
        figure = data.figure(ind, "regio", shape.scope_id)
        shape.value = figure.value if figure else None
    if not shapes:
        return None
    title = f"Kaart: {ind.name} per regio, ronde {data.cycle.period}"
    return CountryMap(
        Heading(
            title,
            provisional(
                data,
                "Elke regio in de kleur van haar signaal tegen de landelijke norm; gearceerd: "
                "geen gegevens. De cijfers staan op het blad Overzicht.",
            ),
        ),
        shapes,
        maps.Scale.for_indicator(ind, data.norm(ind), data.not_yet_due(ind)),
        maps.division(data.cycle),
    )


def trend_sheet(data: CycleData, indicators, scopes: list[tuple[str, int, str]]) -> TrendSheet:
    """Trend: per indicator the cycles down and a value per scope across."""
    blocks = []
    for ind in indicators:
        rows = []
        for position, cycle in enumerate(data.trend):
            values, broken = [], False
            for scope_type, scope_id, _ in scopes:
                figure = data.figure(ind, scope_type, scope_id, cycle.id)
                values.append(figure.value if figure else None)
                broken |= bool(position and figure and figure.trend_break)
            rows.append(TrendRow(cycle.period, values, broken))
        blocks.append(TrendBlock(indicator_header(ind), ind.name, ind.unit, rows))
    return TrendSheet(
        Heading(
            f"Trend over de laatste {len(data.trend)} rondes",
            provisional(
                data, "Een trendlijn verbindt alleen rondes met vergelijkbare afsprakenkaders."
            ),
        ),
        [name for _, _, name in scopes],
        blocks,
    )


def gemeente_sheet(data: CycleData, indicators, gemeente_ids: list[int]) -> GemeenteSheet:
    """Gemeenten: each gemeente's figures over the organisations that work there."""
    rows = []
    for gemeente_id in gemeente_ids:
        gemeente = data.gemeenten[gemeente_id]
        rows.append(
            GemeenteRow(
                gemeente.code,
                gemeente.name,
                data.regions[gemeente.region_id].name,
                len(data.served_by.get(gemeente_id, [])),
                _values(data, indicators, "gemeente", gemeente_id),
            )
        )
    return GemeenteSheet(
        Heading(
            f"Gemeenten in ronde {data.cycle.period}",
            provisional(data, "Per gemeente gerekend over de organisaties die er werken."),
            NATIONAL_NORM_NOTE,
        ),
        indicator_columns(data, indicators),
        rows,
    )


def organisation_sheet(
    data: CycleData, indicators, org_ids: list[int], region_id: int | None = None
) -> OrganisationSheet:
    """Organisaties: each organisation's figures, coloured against the norm
    of `region_id` (the national one without)."""
    rows = []
    for org_id in org_ids:
        org = data.organisations[org_id]
        assessment = data.responses.get(org_id)
        rows.append(
            OrganisationRow(
                org.name,
                dutch.ORGANISATION_KINDS.get(org.kind, org.kind),
                data.regions[org.region_id].name,
                dutch.ASSESSMENT_STATES.get(assessment.state, "") if assessment else "–",
                _values(data, indicators, "organisatie", org_id),
            )
        )
    return OrganisationSheet(
        Heading(
            f"Organisaties in ronde {data.cycle.period}",
            subtitle(data),
            norm_note(data, indicators, region_id),
        ),
        indicator_columns(data, indicators, region_id),
        rows,
    )


def agreement_sheet(data: CycleData) -> AgreementSheet:
    """Afspraken: per region with submitted answers its agreements, weakest
    first (those without answers last), beside the country's score."""
    country = data.stats_for(data.organisations)
    agreements = list(data.agreements.values())
    out = []
    for region in data.regions.values():
        stats = data.stats_for(
            o.id for o in data.organisations.values() if o.region_id == region.id
        )
        if not any(stat.scored for stat in stats.values()):
            continue  # no submitted answers in the region: nothing to rank
        rows = []
        for agreement in agreements:
            stat = stats.get(agreement.id)
            own = stat.percent if stat else None
            national = country.get(agreement.id)
            national = national.percent if national else None
            rows.append((agreement, own, national))
        rows.sort(key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0.0))
        for agreement, own, national in rows:
            out.append(
                AgreementScoreRow(
                    region.name,
                    agreement.code,
                    agreement.title,
                    agreement.theme.title,
                    dutch.LEVELS.get(agreement.level, agreement.level),
                    own,
                    national,
                    own - national if own is not None and national is not None else None,
                )
            )
    return AgreementSheet(
        Heading(
            f"Naleving per afspraak in ronde {data.cycle.period}",
            provisional(
                data,
                "Gemiddelde score als percentage van de maximale score (4), over de ingediende "
                "zelfevaluaties; n.v.t. telt niet mee. Per regio de zwakste afspraken eerst.",
            ),
        ),
        out,
    )


def partner_sheet(data: CycleData, scopes: list[tuple[str, list[int]]]) -> PartnerSheet:
    """Partners: per scope (name, organisations) every bilateral agreement
    that partners rated."""
    bilateral = [a for a in data.agreements.values() if a.bilateral]
    rows = []
    for name, org_ids in scopes:
        stats = data.stats_for(org_ids)
        for agreement in bilateral:
            stat = stats.get(agreement.id)
            if stat is None or not stat.partner_ratings:
                continue
            rows.append(
                PartnerRow(
                    name,
                    agreement.code,
                    agreement.title,
                    stat.own_mean,
                    stat.partner_mean,
                    stat.partner_ratings,
                    stat.gap,
                )
            )
    return PartnerSheet(
        Heading(
            f"Eigen oordeel en oordeel van partners in ronde {data.cycle.period}",
            provisional(
                data,
                "Bilaterale afspraken, schaal 0–4: de eigen score naast de oordelen die "
                "partnerorganisaties in hun ingediende zelfevaluatie van deze ronde over de "
                "organisaties gaven; het eigen oordeel telt één keer per partneroordeel "
                f"(zoals in de indicator {partner_indicator(data)}). Verschil: het gemiddelde "
                "verschil per partneroordeel, zonder teken (de waarde van die indicator).",
            ),
        ),
        rows,
    )


def action_count_sheet(data: CycleData, org_ids: list[int]) -> ActionCountSheet:
    """Verbeteracties: per organisation (by region and name) and agreement its
    open, overdue and done actions, the most overdue agreement first."""
    ordered = sorted(
        (o for o in org_ids if data.action_counts.get(o)),
        key=lambda o: (
            data.regions[data.organisations[o].region_id].name,
            data.organisations[o].name.casefold(),
        ),
    )
    rows = []
    for org_id in ordered:
        org = data.organisations[org_id]
        counts_by_agreement = sorted(
            (
                (data.agreements[a], numbers)
                for a, numbers in data.action_counts[org_id].items()
                if a in data.agreements and any(numbers)
            ),
            key=lambda item: (-item[1][1], item[0].code),
        )
        for agreement, (n_open, n_overdue, n_done) in counts_by_agreement:
            rows.append(
                ActionCountRow(
                    data.regions[org.region_id].name,
                    org.name,
                    agreement.code,
                    agreement.title,
                    n_open,
                    n_overdue,
                    n_done,
                )
            )
    return ActionCountSheet(
        Heading(
            f"Verbeteracties per organisatie en afspraak in ronde {data.cycle.period}",
            provisional(
                data,
                "Open: nog niet gereed; over datum: open en over de streefdatum; gereed: "
                "afgerond. De omschrijving en eigenaar staan in de rapportage van de organisatie.",
            ),
        ),
        rows,
    )


def figure_lines(data: CycleData) -> list[FigureLine]:
    """Gegevens: every stored figure of the cycle, the country first, then
    regions, gemeenten and organisations (by id), indicators in their order."""
    # Stored signals are against the national thresholds; a region's own
    # indicator has only its region's.
    judged = {i.id: data.norm(i).name(data.regions.get(i.region_id)) for i in data.indicators}
    by_id = {i.id: i for i in data.indicators}
    names = {
        "regio": {r.id: (r.code, r.name, r.name) for r in data.regions.values()},
        "gemeente": {
            g.id: (g.code, g.name, data.regions[g.region_id].name) for g in data.gemeenten.values()
        },
        "organisatie": {
            o.id: (str(o.id), o.name, data.regions[o.region_id].name)
            for o in data.organisations.values()
        },
        "land": {0: ("NL", "Nederland", "")},
    }
    period = data.cycle.period
    keys = sorted(
        (k for k in data.results if k[1] == data.cycle.id and k[0] in by_id),
        key=lambda k: (SCOPE_ORDER[k[2]], k[3], by_id[k[0]].position),
    )
    out = []
    for ind_id, _cycle_id, scope_type, scope_id in keys:
        scope = names[scope_type].get(scope_id)
        if scope is None:
            continue
        ind = by_id[ind_id]
        figure = data.results[(ind_id, data.cycle.id, scope_type, scope_id)]
        teller, noemer = counts(ind, figure)
        out.append(
            FigureLine(
                period,
                dutch.SCOPE_TYPES[scope_type],
                scope[0],
                scope[1],
                scope[2],
                ind.code,
                ind.name,
                ind.unit,
                figure.value,
                teller,
                noemer,
                figure.n_organisations,
                dutch.SIGNALS["nog_open"]
                if data.not_yet_due(ind)
                else dutch.SIGNALS.get(figure.signal, figure.signal),
                ind.norm,
                judged[ind_id],
                figure.change,
            )
        )
    return out


def explanation_sheet(
    data: CycleData, indicators, region_id: int | None = None
) -> ExplanationSheet:
    """Toelichting: how the figures are counted, and per indicator its rule,
    filters and the norm that applies (the region's own where it set one).
    Themes by their title, as a reader knows them."""
    titles = {a.theme.code: a.theme.title for a in data.agreements.values()}
    rows = []
    for ind in indicators:
        norm = data.norm(ind, region_id)
        themes = ", ".join(titles.get(c, c) for c in ind.filter_themes or []) or "alle thema's"
        levels = (
            ", ".join(dutch.LEVELS.get(v, v) for v in ind.filter_levels or []) or "alle niveaus"
        )
        frequencies = ", ".join(ind.filter_frequencies or []) or "alle frequenties"
        params = ", ".join(f"{k} = {v}" for k, v in (ind.params or {}).items())
        computation = dutch.COMPUTATIONS.get(ind.computation, ind.computation)
        rows.append(
            ExplanationRow(
                ind.code,
                ind.name,
                ind.description,
                "\n".join(rules.rule(ind, themes=titles)),
                f"{computation}{f' ({params})' if params else ''}",
                f"{themes}; {levels}; {frequencies}",
                dutch.DIRECTIONS.get(ind.direction, ind.direction),
                norm.norm,
                norm.green,
                norm.orange,
            )
        )
    return ExplanationSheet(
        Heading("Toelichting op de indicatoren en normen", subtitle(data)),
        [*EXPLANATION_LINES, norm_note(data, indicators, region_id)],
        rows,
    )


# --- the workbooks ------------------------------------------------------------------


def region_workbook_rows(data: CycleData) -> RegionWorkbook:
    """Every sheet of the region comparison of the data's cycle."""
    indicators = data.national
    regions = [
        (r.name, [o.id for o in data.organisations.values() if o.region_id == r.id])
        for r in data.regions.values()
    ]
    return RegionWorkbook(
        title=f"Regiovergelijking {data.cycle.period}"
        + (" (voorlopig)" if data.provisional else ""),
        units=[i.unit for i in data.indicators],
        overview=region_overview(data, indicators),
        map=country_map(data, indicators),
        trend=trend_sheet(
            data,
            indicators,
            [("regio", r.id, r.name) for r in data.regions.values()] + [("land", 0, "Nederland")],
        ),
        gemeenten=gemeente_sheet(
            data, indicators, maps.gemeenten_of(data.gemeenten.values(), data.cycle)
        ),
        organisations=organisation_sheet(data, indicators, list(data.organisations)),
        agreements=agreement_sheet(data),
        partners=partner_sheet(data, [*regions, ("Nederland", list(data.organisations))]),
        actions=action_count_sheet(data, list(data.organisations)),
        figures=figure_lines(data),
        explanation=explanation_sheet(data, indicators),
    )


def gemeente_overview(data: CycleData, gemeente_id: int, indicators) -> GemeenteOverview:
    """A gemeente's Overzicht: per indicator (the national set and its region's
    own) the gemeente beside its region and the country, with the signal
    against the national norm and, where the region set its own, against that."""
    gemeente = data.gemeenten[gemeente_id]
    region = data.regions[gemeente.region_id]
    # Both norms where the region set its own: the national one (as in the
    # region comparison) and the region's (as in the region's own reports).
    differs = [i for i in indicators if i.region_id or data.norm(i, region.id) != data.norm(i)]
    header = ["Indicator", gemeente.name, region.name, "Nederland", "Landelijke norm", "Signaal"]
    if differs:
        header += [f"Eigen norm regio {region.name}", "Signaal (eigen norm)"]
        note = norm_note(data, indicators, region.id).replace(
            "Signaalkleuren:", "Kleuren van de waarden:"
        )
    else:
        note = "Kleuren van de waarden en het signaal: getoetst aan de landelijke norm."
    rows = []
    for ind in indicators:
        own = data.figure(ind, "gemeente", gemeente_id)
        value = own.value if own else None
        region_figure = data.figure(ind, "regio", region.id)
        country = data.figure(ind, "land", 0)
        national = ind.region_id is None
        rows.append(
            GemeenteFigureRow(
                header=indicator_header(ind),
                unit=ind.unit,
                direction=ind.direction,
                value=value,
                region_value=region_figure.value if region_figure else None,
                country_value=country.value if country else None,
                national_norm=ind.norm if national else None,
                signal=dutch.SIGNALS[data.signal(ind, value)] if national else "–",
                regional=(
                    data.norm(ind, region.id).norm,
                    dutch.SIGNALS[data.signal(ind, value, region.id)],
                )
                if ind in differs
                else None,
                lights=None if data.not_yet_due(ind) else data.norm(ind, region.id),
            )
        )
    return GemeenteOverview(
        Heading(
            f"{gemeente.name} ({gemeente.code}) – ronde {data.cycle.period}",
            subtitle(data),
            note,
        ),
        header,
        rows,
    )


def region_ranking(data: CycleData, region_id: int) -> FigureSheet:
    """Regio's of a gemeente workbook: its region (in bold) against the
    others and the country, on the national set."""
    region = data.regions[region_id]
    national = data.national
    return FigureSheet(
        Heading(f"{region.name} tegen de andere regio's", subtitle(data), NATIONAL_NORM_NOTE),
        indicator_columns(data, national),
        [
            FigureRow(
                other.code,
                f"{other.name} (eigen regio)" if other.id == region.id else other.name,
                _values(data, national, "regio", other.id),
                bold=other.id == region.id,
            )
            for other in data.regions.values()
        ],
        FigureRow("NL", "Nederland", _values(data, national, "land", 0), bold=True),
    )


def shared(data: CycleData, key: tuple, make: Callable[[], T]) -> T:
    """What `make()` returns, made once per data and key: a row model that
    every gemeente workbook of a region (or of the cycle) shows alike. Kept on
    the data it is made of (`CycleData._shared`, a few per region), so it
    lives as long as that data and can never reach a workbook of another
    cycle or load. The models are not changed once made."""
    kept = data._shared
    if key not in kept:
        kept[key] = make()
    return kept[key]


def gemeente_workbook_rows(data: CycleData, gemeente_id: int) -> GemeenteWorkbook:
    """Every sheet of one gemeente's workbook: its own organisations, and its
    region against the others. Regio's, Toelichting and the region's and the
    country's rows of Partners are the same in each workbook of the region:
    made once (`shared`)."""
    gemeente = data.gemeenten[gemeente_id]
    region = data.regions[gemeente.region_id]
    indicators = data.indicators_for(region.id)
    org_ids = [o for o in data.served_by.get(gemeente_id, []) if o in data.organisations]
    org_ids.sort(key=lambda o: data.organisations[o].name)
    partners = partner_sheet(
        data,
        [(gemeente.name, org_ids)] + [(data.organisations[o].name, [o]) for o in org_ids],
    )
    partners.rows += shared(
        data,
        ("partners", region.id),
        lambda: (
            partner_sheet(
                data,
                [
                    (region.name, data.organisations_in("regio", region.id)),
                    ("Nederland", list(data.organisations)),
                ],
            ).rows
        ),
    )
    return GemeenteWorkbook(
        title=f"Afsprakenmonitor {gemeente.name} {data.cycle.period}"
        + (" (voorlopig)" if data.provisional else ""),
        overview=gemeente_overview(data, gemeente_id, indicators),
        organisations=organisation_sheet(data, indicators, org_ids, region.id),
        regions=shared(data, ("regions", region.id), lambda: region_ranking(data, region.id)),
        partners=partners,
        actions=action_count_sheet(data, org_ids),
        trend=trend_sheet(
            data,
            indicators,
            [
                ("gemeente", gemeente_id, gemeente.name),
                ("regio", region.id, region.name),
                ("land", 0, "Nederland"),
            ],
        ),
        explanation=shared(
            data,
            ("explanation", region.id),
            lambda: explanation_sheet(data, indicators, region.id),
        ),
    )


# --- the management report (PDF) ----------------------------------------------------


@dataclass(slots=True)
class ReportMap:
    """A region's report: its gemeenten coloured by the signal bands of the
    first indicator of the scorecard (as the scorecard judges it)."""

    title: str
    shapes: list[maps.Shape]
    scale: maps.Scale
    division: str


@dataclass(slots=True)
class ManagementReport:
    """A management report (PDF), section by section: the scope's report and
    what the PDF shows beside it."""

    report: ScopeReport
    title: str  # of the document
    footer: str
    facts: list[tuple[str, str]]  # the cover's table: what and when
    glance: Glance  # "in één oogopslag" and "wat aandacht vraagt"
    response_line: str
    norm_note: str  # under the scorecard: which norm the signals stand for
    names: list[str]  # the lines of the comparison and trend charts
    comparison: list[ScoreRow]  # the percentage indicators, against region and country
    region_map: ReportMap | None
    trend_breaks: list[str]  # periods from which another framework applies
    practice: list[dict]  # good practice beside the weakest agreements


def document_title(report: ScopeReport) -> str:
    """The PDF's title (in its document information)."""
    title = f"Managementrapportage {report.name} – ronde {report.cycle.period}"
    return title + " (voorlopig)" if report.provisional else title


def response_line(report: ScopeReport) -> str:
    """The response in one sentence: the organisation's own, or how many of a
    gemeente's or region's organisations submitted."""
    status = report.response
    if report.scope_type == "organisatie":
        if status["on_time"]:
            return "De zelfevaluatie is op tijd ingediend."
        if status["late"]:
            return "De zelfevaluatie is na de uiterste inleverdatum ingediend."
        if status["total"]:
            state = status["missing"][0][1]
            return (
                "De zelfevaluatie is niet ingediend (status: "
                f"{dutch.ASSESSMENT_STATES.get(state, state).lower()})."
            )
        return "Voor deze organisatie is in deze ronde geen zelfevaluatie uitgezet."
    submitted = status["on_time"] + status["late"]
    return (
        f"{submitted} van de {status['total']} organisaties hebben hun zelfevaluatie "
        f"ingediend ({status['on_time']} op tijd, {status['late']} te laat); "
        f"{status['open']} nog niet."
    )


def cover_facts(report: ScopeReport, today: dt.date | None = None) -> list[tuple[str, str]]:
    """The cover's table: region, cycle, due date, peildatum, when made and,
    after a deliberate recompute, when and why."""
    cycle = report.cycle
    facts = [
        ("Ronde", f"{cycle.period} ({dutch.date(cycle.opens_on)} tot en met "
                  f"{dutch.date(cycle.closes_on)})"),
        ("Uiterste inleverdatum", dutch.date(cycle.due_on)),
        ("Peildatum gegevens", dutch.datetime(report.data_date)),
        ("Gemaakt op", dutch.date(today or dt.date.today())),
    ]  # fmt: skip
    if report.region is not None and report.scope_type != "regio":
        facts.insert(0, ("Regio", report.region.name))
    if report.recomputed:
        facts.append(("Herberekend", report.recomputed[len("herberekend ") :]))
    return facts


def region_map(report: ScopeReport) -> ReportMap | None:
    """A region's gemeenten with their values of the scorecard's first
    indicator; None for another scope, or without indicators or shapes."""
    if report.scope_type != "regio" or not report.scorecard:
        return None
    row = report.scorecard[0]
    ind = row.indicator
    shapes = maps.with_values(
        maps.gemeente_shapes(report.scope_id, maps.cycle_year(report.cycle)), report.cycle, ind
    )
    if not shapes:
        return None
    return ReportMap(
        f"{ind.name} per gemeente",
        shapes,
        maps.Scale.for_indicator(ind, row.norm, row.signal == "nog_open"),
        maps.division(report.cycle),
    )


def management_report(report: ScopeReport) -> ManagementReport:
    """Everything the PDF of one organisation, gemeente or region lays out."""
    footer = f"Afsprakenmonitor · {report.name} · ronde {report.cycle.period}"
    if report.provisional:
        footer += f" · voorlopig, peildatum {dutch.datetime(report.data_date)}"
    regional = any(row.norm.regional for row in report.scorecard)
    names = [report.name, report.region.name if report.region else "Regio", "Nederland"]
    return ManagementReport(
        report=report,
        title=document_title(report),
        footer=footer,
        facts=cover_facts(report),
        glance=glance(report),
        response_line=response_line(report),
        norm_note=(
            f"Norm: de landelijke norm; ‘(regio)’: de eigen norm van regio {report.region.name}."
            if regional and report.region is not None
            else "Norm: de landelijke norm."
        ),
        names=names[1:] if report.scope_type == "regio" else names,
        comparison=[r for r in report.scorecard if r.indicator.unit == "%"],
        region_map=region_map(report),
        trend_breaks=sorted({p for line in report.trends for p in line.breaks}),
        practice=practice.for_report(report),
    )
