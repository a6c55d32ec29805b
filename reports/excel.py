"""The Excel workbooks: the region comparison per cycle and one per gemeente.

Written with openpyxl in write-only mode (rows streamed, memory flat): real
numbers with number formats, traffic-light conditional formatting on whole
ranges, frozen headers, filters, column widths and print settings. Text typed
by people goes through `neutralise`, so it never becomes a formula."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from domain import formatting, rules
from domain.inputs import printable
from domain.tally import counts
from reports import dutch, maps
from reports.data import CycleData, Norm

RISKY = ("=", "+", "-", "@", "\t", "\r")

GREEN = PatternFill("solid", fgColor="C6EFCE")
ORANGE = PatternFill("solid", fgColor="FFEB9C")
RED = PatternFill("solid", fgColor="FFC7CE")
GREEN_FONT = Font(color="006100")
ORANGE_FONT = Font(color="7F6000")
RED_FONT = Font(color="9C0006")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"


def neutralise(value):
    """Text typed by people never becomes a formula: a leading = + - @, tab or
    carriage return gets an apostrophe in front (as OWASP advises for CSV).
    Control characters (which openpyxl refuses) are removed, so text stored
    before they were refused cannot stop a workbook."""
    if isinstance(value, str):
        if value.startswith(RISKY):
            value = "'" + value
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def number_format(unit: str) -> str:
    """Excel number formats (one rule per unit, `domain.formatting`)."""
    return formatting.excel_format(unit)


class Sheet:
    """A write-only sheet with a few cell styles made once and copied per cell
    (copying a style array is much cheaper than setting fonts per cell)."""

    def __init__(self, wb: Workbook, title: str, widths: Iterable[float]):
        self.ws = wb.create_sheet(title)
        self.rows = 0
        for n, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(n)].width = width
        self._styles: dict[str, object] = {}
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_options.gridLines = False
        self.ws.oddFooter.center.text = "Pagina &P van &N"
        self.ws.oddHeader.left.text = "Afsprakenmonitor"
        self.ws.oddHeader.right.text = "&A"

    def style(self, key: str, **attributes):
        """A reusable cell style: font, fill, alignment, number_format."""
        if key not in self._styles:
            cell = WriteOnlyCell(self.ws)
            for name, value in attributes.items():
                setattr(cell, name, value)
            self._styles[key] = cell._style
        return self._styles[key]

    def cell(self, value, style=None):
        """A value for a row: text neutralised (it then never starts with =, so
        openpyxl keeps it a string); a cell object only where a style is due."""
        if isinstance(value, str):
            value = neutralise(value)
        if style is None or value is None:
            return value  # an empty cell is not written at all
        cell = WriteOnlyCell(self.ws, value)
        cell._style = style  # shared and never changed: cells are written at once
        return cell

    def append(self, values) -> int:
        self.ws.append(values)
        self.rows += 1
        return self.rows

    def title(self, text: str, subtitle: str = "", note: str = "") -> None:
        """Three rows: the title, a subtitle and a note (or a blank row)."""
        bold = self.style("title", font=Font(bold=True, size=14))
        self.append([self.cell(text, bold)])
        self.append([self.cell(subtitle)] if subtitle else [])
        self.append([self.cell(note)] if note else [])

    def header(self, names: list[str]) -> int:
        style = self.style(
            "header",
            font=Font(bold=True, color="FFFFFF"),
            fill=HEADER_FILL,
            alignment=Alignment(wrap_text=True, vertical="top"),
        )
        row = self.append([self.cell(name, style) for name in names])
        return row

    def freeze(self, row: int, column: int = 1) -> None:
        """Freeze the rows above `row + 1` and the columns before `column`
        (must happen before the first row is written)."""
        self.ws.freeze_panes = f"{get_column_letter(column)}{row + 1}"
        self.ws.print_title_rows = f"{row}:{row}"


def _traffic_lights(ws, ref: str, first: str, direction: str, norm: Norm) -> None:
    """Green / orange / red on a range, against the thresholds; empty stays white."""
    if direction == "lager_beter":
        rules = [
            (f"AND(ISNUMBER({first}),{first}<={norm.green})", GREEN, GREEN_FONT),
            (f"AND(ISNUMBER({first}),{first}<={norm.orange})", ORANGE, ORANGE_FONT),
            (f"ISNUMBER({first})", RED, RED_FONT),
        ]
    else:
        rules = [
            (f"AND(ISNUMBER({first}),{first}>={norm.green})", GREEN, GREEN_FONT),
            (f"AND(ISNUMBER({first}),{first}>={norm.orange})", ORANGE, ORANGE_FONT),
            (f"ISNUMBER({first})", RED, RED_FONT),
        ]
    for formula, fill, font in rules:
        ws.conditional_formatting.add(
            ref, FormulaRule(formula=[formula], fill=fill, font=font, stopIfTrue=True)
        )


def _indicator_header(ind) -> str:
    """An indicator as a person reads it: its name and unit (the code is in
    the Gegevens and Toelichting sheets, for machines and look-ups)."""
    return f"{ind.name} ({ind.unit})"


def _value_columns(
    sheet: Sheet, data: CycleData, indicators, first_col: int, rows: tuple[int, int], region_id=None
) -> None:  # noqa: E501
    """Traffic lights per indicator column over data rows rows[0]..rows[1]."""
    if rows[1] < rows[0]:
        return
    for n, ind in enumerate(indicators):
        if data.not_yet_due(ind):
            continue  # "nog open": not judged before the due date
        letter = get_column_letter(first_col + n)
        _traffic_lights(
            sheet.ws,
            f"{letter}{rows[0]}:{letter}{rows[1]}",
            f"{letter}{rows[0]}",
            ind.direction,
            data.norm(ind, region_id),
        )


def _figures(sheet: Sheet, data: CycleData, indicators, scope_type: str, scope_id: int, styles):
    out = []
    for ind in indicators:
        figure = data.figure(ind, scope_type, scope_id)
        out.append(sheet.cell(figure.value if figure else None, styles[ind.unit]))
    return out


def _number_styles(sheet: Sheet, indicators) -> dict:
    return {
        ind.unit: sheet.style(f"num:{ind.unit}", number_format=number_format(ind.unit))
        for ind in indicators
    }


def _provisional(data: CycleData, text: str) -> str:
    """A sheet's subtitle, with "VOORLOPIG" and the peildatum while the cycle is open."""
    if not data.provisional:
        return text
    mark = f"VOORLOPIG (peildatum {dutch.datetime(data.data_date)})"
    return f"{mark} · {text}" if text else mark


def _subtitle(data: CycleData) -> str:
    text = (
        f"Ronde {data.cycle.period} · peildatum {dutch.datetime(data.data_date)} · "
        f"uiterste inleverdatum {dutch.date(data.cycle.due_on)}"
    )
    if data.recomputed:
        text += f" · {data.recomputed}"
    if data.provisional:
        text = f"VOORLOPIG (de ronde loopt nog tot {dutch.date(data.cycle.closes_on)}) · " + text
    return text


NATIONAL_NORM_NOTE = (
    "Signaalkleuren: getoetst aan de landelijke norm en drempels (zie Toelichting); "
    "vergelijkingen tussen regio's gebruiken altijd de landelijke norm."
)


# --- the region comparison -----------------------------------------------------


def region_workbook(data: CycleData, path: Path) -> None:
    """The region comparison of one cycle, as BRIEF §6."""
    wb = Workbook(write_only=True)
    wb.properties.title = f"Regiovergelijking {data.cycle.period}" + (
        " (voorlopig)" if data.provisional else ""
    )
    wb.properties.creator = "Afsprakenmonitor"
    wb.properties.language = "nl-NL"
    indicators = data.national
    _overview_map(_overview(wb, data, indicators), data, indicators)
    _trend(
        wb,
        data,
        indicators,
        [("regio", r.id, r.name) for r in data.regions.values()] + [("land", 0, "Nederland")],
    )
    _gemeenten(wb, data, indicators, maps.gemeenten_of(data.gemeenten.values(), data.cycle))
    _organisations(wb, data, indicators, list(data.organisations))
    _agreements(wb, data)
    regions = [
        (r.name, [o.id for o in data.organisations.values() if o.region_id == r.id])
        for r in data.regions.values()
    ]
    _partners(wb, data, [*regions, ("Nederland", list(data.organisations))])
    _actions(wb, data, list(data.organisations))
    _long_data(wb, data)
    _explanation(wb, data, indicators)
    wb.save(path)


def _overview(wb, data: CycleData, indicators) -> Sheet:
    sheet = Sheet(wb, "Overzicht", [10, 34] + [16] * len(indicators))
    sheet.freeze(4, 3)
    sheet.title(f"Regiovergelijking {data.cycle.period}", _subtitle(data), NATIONAL_NORM_NOTE)
    header = sheet.header(["Code", "Regio"] + [_indicator_header(i) for i in indicators])
    styles = _number_styles(sheet, indicators)
    bold = sheet.style("bold", font=Font(bold=True))
    first = header + 1
    for region in data.regions.values():
        sheet.append(
            [sheet.cell(region.code), sheet.cell(region.name)]
            + _figures(sheet, data, indicators, "regio", region.id, styles)
        )
    last = sheet.rows
    sheet.append(
        [sheet.cell("NL", bold), sheet.cell("Nederland", bold)]
        + _figures(sheet, data, indicators, "land", 0, styles)
    )
    sheet.append(
        [sheet.cell(""), sheet.cell("Landelijke norm", bold)]
        + [sheet.cell(ind.norm, styles[ind.unit]) for ind in indicators]
    )
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(2 + len(indicators))}{last}"
    _value_columns(sheet, data, indicators, 3, (first, last + 1))
    sheet.append([])
    sheet.append(
        [sheet.cell("Groen: op of boven de norm; oranje: tussen de drempels; rood: onder de "
                    "ondergrens (bij ‘lager is beter’ omgekeerd). Leeg: geen ingediende "
                    "zelfevaluaties.")]
    )  # fmt: skip
    return sheet


def _trend(wb, data: CycleData, indicators, scopes: list[tuple[str, int, str]]) -> None:
    """Per indicator a block: periods down, one column per scope, and a line chart."""
    sheet = Sheet(wb, "Trend", [14] + [16] * max(3, len(scopes)) + [30])
    sheet.freeze(0)
    sheet.title(
        f"Trend over de laatste {len(data.trend)} rondes",
        _provisional(
            data, "Een trendlijn verbindt alleen rondes met vergelijkbare afsprakenkaders."
        ),
    )
    styles = _number_styles(sheet, indicators)
    bold = sheet.style("bold", font=Font(bold=True))
    for ind in indicators:
        sheet.append([sheet.cell(_indicator_header(ind), bold)])
        header = sheet.header(["Ronde"] + [name for _, _, name in scopes] + ["Opmerking"])
        for position, cycle in enumerate(data.trend):
            row = [sheet.cell(cycle.period)]
            broken = False
            for scope_type, scope_id, _ in scopes:
                figure = data.figure(ind, scope_type, scope_id, cycle.id)
                row.append(sheet.cell(figure.value if figure else None, styles[ind.unit]))
                broken |= bool(position and figure and figure.trend_break)
            row.append(sheet.cell("Trendbreuk: ander afsprakenkader" if broken else ""))
            sheet.append(row)
        chart = LineChart()
        chart.title = printable(ind.name)
        chart.y_axis.title = ind.unit
        chart.x_axis.title = "Ronde"
        values = Reference(
            sheet.ws, min_col=2, max_col=1 + len(scopes), min_row=header, max_row=sheet.rows
        )
        chart.add_data(values, titles_from_data=True)
        for series in chart.series:
            series.smooth = False  # straight lines between the rounds, as measured
        chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=sheet.rows))
        if len(scopes) <= 3:
            # Beside a short block.
            chart.height, chart.width = 7, 16
            sheet.ws.add_chart(chart, f"{get_column_letter(len(scopes) + 4)}{header - 1}")
            rows = max(2, 15 - len(data.trend))
        else:
            # A line per region: the chart below its block, wide enough for the legend.
            chart.height, chart.width = 11, 30
            sheet.append([])
            sheet.ws.add_chart(chart, f"A{sheet.rows + 1}")
            rows = 24
        for _ in range(rows):
            sheet.append([])


def _gemeenten(wb, data: CycleData, indicators, gemeente_ids, title="Gemeenten") -> None:
    sheet = Sheet(wb, title, [10, 28, 28, 14] + [16] * len(indicators))
    sheet.freeze(4, 3)
    sheet.title(
        f"Gemeenten in ronde {data.cycle.period}",
        _provisional(data, "Per gemeente gerekend over de organisaties die er werken."),
        NATIONAL_NORM_NOTE,
    )
    header = sheet.header(
        ["Code", "Gemeente", "Regio", "Organisaties"] + [_indicator_header(i) for i in indicators]
    )
    styles = _number_styles(sheet, indicators)
    for gemeente_id in gemeente_ids:
        gemeente = data.gemeenten[gemeente_id]
        sheet.append(
            [
                sheet.cell(gemeente.code),
                sheet.cell(gemeente.name),
                sheet.cell(data.regions[gemeente.region_id].name),
                sheet.cell(len(data.served_by.get(gemeente_id, []))),
            ]
            + _figures(sheet, data, indicators, "gemeente", gemeente_id, styles)
        )
    last = max(sheet.rows, header + 1)
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(4 + len(indicators))}{last}"
    _value_columns(sheet, data, indicators, 5, (header + 1, sheet.rows))


def _organisations(wb, data: CycleData, indicators, org_ids, region_id=None) -> None:
    sheet = Sheet(wb, "Organisaties", [40, 28, 28, 16] + [16] * len(indicators))
    sheet.freeze(4, 2)
    sheet.title(
        f"Organisaties in ronde {data.cycle.period}",
        _subtitle(data),
        _norm_note(data, indicators, region_id),
    )
    header = sheet.header(
        ["Organisatie", "Soort", "Regio", "Zelfevaluatie"]
        + [_indicator_header(i) for i in indicators]
    )
    styles = _number_styles(sheet, indicators)
    for org_id in org_ids:
        org = data.organisations[org_id]
        assessment = data.responses.get(org_id)
        state = dutch.ASSESSMENT_STATES.get(assessment.state, "") if assessment else "–"
        sheet.append(
            [
                sheet.cell(org.name),
                sheet.cell(dutch.ORGANISATION_KINDS.get(org.kind, org.kind)),
                sheet.cell(data.regions[org.region_id].name),
                sheet.cell(state),
            ]
            + _figures(sheet, data, indicators, "organisatie", org_id, styles)
        )
    last = max(sheet.rows, header + 1)
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(4 + len(indicators))}{last}"
    _value_columns(sheet, data, indicators, 5, (header + 1, sheet.rows), region_id)


def _norm_note(data: CycleData, indicators, region_id: int | None) -> str:
    """Which norm the colours of a sheet stand for."""
    if region_id is None:
        return NATIONAL_NORM_NOTE
    region = data.regions[region_id]
    own = [i.code for i in indicators if data.norm(i, region_id).regional]
    if not own:
        return NATIONAL_NORM_NOTE
    return (
        f"Signaalkleuren: getoetst aan de eigen norm van regio {region.name} voor "
        f"{', '.join(own)}; aan de landelijke norm voor de andere indicatoren."
    )


def _agreements(wb, data: CycleData) -> None:
    """Mean score per region and agreement: where each agreement is weakest.
    A block of rows per region (regions as rows, by name), its weakest
    agreements first, beside the country's figure: a narrow sheet that
    prints readably, with a filter on the region."""
    regions = list(data.regions.values())
    sheet = Sheet(wb, "Afspraken", [30, 10, 60, 26, 18, 14, 14, 16])
    sheet.freeze(4, 2)
    sheet.title(
        f"Naleving per afspraak in ronde {data.cycle.period}",
        _provisional(
            data,
            "Gemiddelde score als percentage van de maximale score (4), over de ingediende "
            "zelfevaluaties; n.v.t. telt niet mee. Per regio de zwakste afspraken eerst.",
        ),
    )
    header = sheet.header(
        ["Regio", "Code", "Afspraak", "Thema", "Niveau", "Naleving (%)", "Nederland (%)",
         "Verschil met Nederland (procentpunt)"]
    )  # fmt: skip
    country = data.stats_for(data.organisations)
    percent = sheet.style("pct", number_format='0.0"%"')
    signed = sheet.style("signed1", number_format="+0.0;-0.0;0.0")
    bold = sheet.style("bold", font=Font(bold=True))
    agreements = list(data.agreements.values())
    for region in regions:
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
        # Weakest first; agreements without answers in the region last.
        rows.sort(key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0.0))
        for agreement, own, national in rows:
            difference = own - national if own is not None and national is not None else None
            sheet.append(
                [
                    sheet.cell(region.name, bold),
                    sheet.cell(agreement.code),
                    sheet.cell(agreement.title),
                    sheet.cell(agreement.theme.title),
                    sheet.cell(dutch.LEVELS.get(agreement.level, agreement.level)),
                    sheet.cell(own, percent),
                    sheet.cell(national, percent),
                    sheet.cell(difference, signed),
                ]
            )
    if sheet.rows > header:
        sheet.ws.conditional_formatting.add(
            f"F{header + 1}:G{sheet.rows}",
            ColorScaleRule(
                start_type="num", start_value=0, start_color="F8696B",
                mid_type="num", mid_value=50, mid_color="FFEB84",
                end_type="num", end_value=100, end_color="63BE7B",
            ),
        )  # fmt: skip
    sheet.ws.auto_filter.ref = f"A{header}:H{max(sheet.rows, header + 1)}"


def _actions(wb, data: CycleData, org_ids: list[int]) -> None:
    """Improvement actions per organisation and agreement: open, over their
    due date and done (counts only: the actions' text stays with the
    organisation). The full list behind the region report's summary."""
    sheet = Sheet(wb, "Verbeteracties", [28, 40, 10, 60, 10, 12, 10])
    sheet.freeze(4, 3)
    sheet.title(
        f"Verbeteracties per organisatie en afspraak in ronde {data.cycle.period}",
        _provisional(
            data,
            "Open: nog niet gereed; over datum: open en over de streefdatum; gereed: afgerond. "
            "De omschrijving en eigenaar staan in de rapportage van de organisatie.",
        ),
    )
    header = sheet.header(
        ["Regio", "Organisatie", "Code", "Afspraak", "Open", "Over datum", "Gereed"]
    )
    ordered = sorted(
        (o for o in org_ids if data.action_counts.get(o)),
        key=lambda o: (
            data.regions[data.organisations[o].region_id].name,
            data.organisations[o].name.casefold(),
        ),
    )
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
            sheet.append(
                [
                    sheet.cell(data.regions[org.region_id].name),
                    sheet.cell(org.name),
                    sheet.cell(agreement.code),
                    sheet.cell(agreement.title),
                    n_open,
                    n_overdue,
                    n_done,
                ]
            )
    if sheet.rows == header:
        sheet.append([sheet.cell("Geen verbeteracties in deze ronde.")])
    elif sheet.rows > header:
        sheet.ws.conditional_formatting.add(
            f"F{header + 1}:F{sheet.rows}",
            FormulaRule(formula=[f"F{header + 1}>0"], fill=RED, font=RED_FONT),
        )
    sheet.ws.auto_filter.ref = f"A{header}:G{max(sheet.rows, header + 1)}"


def _partners(wb, data: CycleData, scopes: list[tuple[str, list[int]]]) -> None:
    """Per scope and bilateral agreement: 'eigen oordeel' beside 'oordeel van
    partners', with how many ratings partners gave."""
    sheet = Sheet(wb, "Partners", [34, 12, 60, 14, 18, 14, 12])
    sheet.freeze(4, 3)
    sheet.title(
        f"Eigen oordeel en oordeel van partners in ronde {data.cycle.period}",
        _provisional(
            data,
            "Bilaterale afspraken, schaal 0–4: de eigen score naast de oordelen die "
            "partnerorganisaties in hun ingediende zelfevaluatie van deze ronde over de "
            "organisaties gaven; het eigen oordeel telt één keer per partneroordeel "
            "(als PARTNER). Verschil: het gemiddelde verschil per partneroordeel, zonder "
            "teken (de waarde van PARTNER).",
        ),
    )
    header = sheet.header(
        ["Gebied of organisatie", "Code", "Afspraak", "Eigen oordeel", "Oordeel van partners",
         "Partneroordelen", "Verschil"]
    )  # fmt: skip
    decimal = sheet.style("dec2", number_format="0.00")
    bilateral = [a for a in data.agreements.values() if a.bilateral]
    for name, org_ids in scopes:
        stats = data.stats_for(org_ids)
        for agreement in bilateral:
            stat = stats.get(agreement.id)
            if stat is None or not stat.partner_ratings:
                continue
            sheet.append(
                [
                    sheet.cell(name),
                    sheet.cell(agreement.code),
                    sheet.cell(agreement.title),
                    sheet.cell(stat.own_mean, decimal),
                    sheet.cell(stat.partner_mean, decimal),
                    stat.partner_ratings,
                    sheet.cell(stat.gap, decimal),
                ]
            )
    if sheet.rows == header:
        sheet.append([sheet.cell("Nog geen oordelen van partnerorganisaties in deze ronde.")])
    sheet.ws.auto_filter.ref = f"A{header}:G{max(sheet.rows, header + 1)}"


LONG_COLUMNS = [
    "Ronde",
    "Niveau",
    "Code",
    "Naam",
    "Regio",
    "Indicator",
    "Indicatornaam",
    "Eenheid",
    "Waarde",
    "Teller",
    "Noemer",
    "Organisaties",
    "Signaal",
    "Norm",
    "Getoetst aan",
    "Verandering",
]


def _long_data(wb, data: CycleData) -> None:
    """Every stored figure of the cycle, one per row, as an Excel table."""
    sheet = Sheet(wb, "Gegevens", [10, 12, 10, 40, 28, 14, 40, 8, 12, 12, 12, 12, 12, 10, 28, 22])
    sheet.freeze(1)
    sheet.header(LONG_COLUMNS)
    count = sheet.style("count", number_format="0.##")
    values = {
        i.unit: sheet.style(f"num:{i.unit}", number_format=number_format(i.unit))
        for i in data.indicators
    }
    changes = {
        i.unit: sheet.style(
            f"change:{i.unit}", number_format=formatting.excel_change_format(i.unit)
        )
        for i in data.indicators
    }
    # Stored signals are against the national thresholds; a region's own
    # indicator has only its region's.
    judged = {i.id: data.norm(i).name(data.regions.get(i.region_id)) for i in data.indicators}
    by_id = {i.id: i for i in data.indicators}
    codes = {
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
    period = data.cycle.period  # a generated label; a Cell cannot be reused across rows
    order = {"land": 0, "regio": 1, "gemeente": 2, "organisatie": 3}
    keys = sorted(
        (k for k in data.results if k[1] == data.cycle.id and k[0] in by_id),
        key=lambda k: (order[k[2]], k[3], by_id[k[0]].position),
    )
    for ind_id, _cycle_id, scope_type, scope_id in keys:
        names = codes[scope_type].get(scope_id)
        if names is None:
            continue
        ind = by_id[ind_id]
        figure = data.results[(ind_id, data.cycle.id, scope_type, scope_id)]
        teller, noemer = counts(ind, figure)
        sheet.append(
            [
                period,
                dutch.SCOPE_TYPES[scope_type],
                names[0],
                sheet.cell(names[1]),
                sheet.cell(names[2]),
                ind.code,
                sheet.cell(ind.name),
                sheet.cell(ind.unit),
                sheet.cell(figure.value, values[ind.unit]),
                sheet.cell(teller, count),  # Teller / Noemer is the value, in its unit
                sheet.cell(noemer, count),
                figure.n_organisations,
                dutch.SIGNALS["nog_open"]
                if data.not_yet_due(ind)
                else dutch.SIGNALS.get(figure.signal, figure.signal),
                sheet.cell(ind.norm, values[ind.unit]),
                judged[ind_id],
                sheet.cell(figure.change, changes[ind.unit]),
            ]
        )
    last = max(sheet.rows, 2)
    table = Table(displayName="Gegevens", ref=f"A1:{get_column_letter(len(LONG_COLUMNS))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # Write-only mode cannot read the header row back: name the columns here.
    table.tableColumns = [TableColumn(id=n, name=name) for n, name in enumerate(LONG_COLUMNS, 1)]
    table.autoFilter = AutoFilter(ref=table.ref)
    with warnings.catch_warnings():
        # openpyxl warns in write-only mode even when the columns are named.
        warnings.filterwarnings("ignore", "In write-only mode", UserWarning)
        sheet.ws.add_table(table)


def _explanation(wb, data: CycleData, indicators, region_id: int | None = None) -> None:
    sheet = Sheet(wb, "Toelichting", [14, 36, 60, 90, 40, 24, 16, 10, 10, 10])
    sheet.freeze(0)
    sheet.title("Toelichting op de indicatoren en normen", _subtitle(data))
    wrap = sheet.style("wrap", alignment=Alignment(wrap_text=True, vertical="top"))
    for line in (
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
        _norm_note(data, indicators, region_id),
    ):
        sheet.append([sheet.cell(line)])
    sheet.append([])
    header = sheet.header(
        ["Code", "Indicator", "Beschrijving", "Rekenregel", "Berekening", "Filter", "Richting",
         "Norm", "Groen vanaf", "Oranje vanaf"]
    )  # fmt: skip
    for ind in indicators:
        norm = data.norm(ind, region_id)
        themes = ", ".join(ind.filter_themes or []) or "alle thema's"
        levels = (
            ", ".join(dutch.LEVELS.get(v, v) for v in ind.filter_levels or []) or "alle niveaus"
        )
        frequencies = ", ".join(ind.filter_frequencies or []) or "alle frequenties"
        params = ", ".join(f"{k} = {v}" for k, v in (ind.params or {}).items())
        computation = dutch.COMPUTATIONS.get(ind.computation, ind.computation)
        sheet.append(
            [
                sheet.cell(ind.code),
                sheet.cell(ind.name, wrap),
                sheet.cell(ind.description, wrap),
                sheet.cell("\n".join(rules.rule(ind)), wrap),
                sheet.cell(f"{computation}{f' ({params})' if params else ''}", wrap),
                sheet.cell(f"{themes}; {levels}; {frequencies}", wrap),
                sheet.cell(dutch.DIRECTIONS.get(ind.direction, ind.direction)),
                sheet.cell(norm.norm),
                sheet.cell(norm.green),
                sheet.cell(norm.orange),
            ]
        )
    sheet.ws.auto_filter.ref = f"A{header}:J{max(sheet.rows, header + 1)}"


# --- per gemeente --------------------------------------------------------------


def gemeente_workbook(data: CycleData, gemeente_id: int, path: Path) -> None:
    """One gemeente: its own organisations, and its region against the others."""
    gemeente = data.gemeenten[gemeente_id]
    region = data.regions[gemeente.region_id]
    wb = Workbook(write_only=True)
    wb.properties.title = printable(
        f"Afsprakenmonitor {gemeente.name} {data.cycle.period}"
        + (" (voorlopig)" if data.provisional else "")
    )
    wb.properties.creator = "Afsprakenmonitor"
    wb.properties.language = "nl-NL"
    indicators = data.indicators_for(region.id)
    national = data.national
    # Both norms where the region set its own: the national one (as in the
    # region comparison) and the region's (as in the region's own reports).
    differs = [i for i in indicators if i.region_id or data.norm(i, region.id) != data.norm(i)]
    names = ["Indicator", gemeente.name, region.name, "Nederland", "Landelijke norm", "Signaal"]
    if differs:
        names += [f"Eigen norm regio {region.name}", "Signaal (eigen norm)"]
    sheet = Sheet(wb, "Overzicht", [40, 16, 16, 16, 17, 12, 34, 21][: len(names)])
    sheet.freeze(4, 2)
    if differs:
        note = _norm_note(data, indicators, region.id).replace(
            "Signaalkleuren:", "Kleuren van de waarden:"
        )
    else:
        note = "Kleuren van de waarden en het signaal: getoetst aan de landelijke norm."
    sheet.title(
        f"{gemeente.name} ({gemeente.code}) – ronde {data.cycle.period}", _subtitle(data), note
    )
    header = sheet.header(names)
    for ind in indicators:
        fmt = sheet.style(f"num:{ind.unit}", number_format=number_format(ind.unit))
        own = data.figure(ind, "gemeente", gemeente_id)
        value = own.value if own else None
        row = [sheet.cell(_indicator_header(ind)), sheet.cell(value, fmt)]
        for scope_type, scope_id in (("regio", region.id), ("land", 0)):
            figure = data.figure(ind, scope_type, scope_id)
            row.append(sheet.cell(figure.value if figure else None, fmt))
        national_norm = ind.region_id is None
        row.append(sheet.cell(ind.norm if national_norm else None, fmt))
        row.append(sheet.cell(dutch.SIGNALS[data.signal(ind, value)] if national_norm else "–"))
        if ind in differs:
            row.append(sheet.cell(data.norm(ind, region.id).norm, fmt))
            row.append(sheet.cell(dutch.SIGNALS[data.signal(ind, value, region.id)]))
        sheet.append(row)
    for n, ind in enumerate(indicators):
        row = header + 1 + n
        if data.not_yet_due(ind):
            continue  # "nog open": not judged before the due date
        _traffic_lights(
            sheet.ws, f"B{row}:D{row}", f"B{row}", ind.direction, data.norm(ind, region.id)
        )
    org_ids = [o for o in data.served_by.get(gemeente_id, []) if o in data.organisations]
    org_ids.sort(key=lambda o: data.organisations[o].name)
    _organisations(wb, data, indicators, org_ids, region.id)
    regions = Sheet(wb, "Regio's", [10, 34] + [16] * len(national))
    regions.freeze(4, 3)
    regions.title(f"{region.name} tegen de andere regio's", _subtitle(data), NATIONAL_NORM_NOTE)
    header = regions.header(["Code", "Regio"] + [_indicator_header(i) for i in national])
    styles = _number_styles(regions, national)
    bold = regions.style("bold", font=Font(bold=True))
    for other in data.regions.values():
        mark = bold if other.id == region.id else None
        label = f"{other.name} (eigen regio)" if other.id == region.id else other.name
        regions.append(
            [regions.cell(other.code, mark), regions.cell(label, mark)]
            + _figures(regions, data, national, "regio", other.id, styles)
        )
    regions.append(
        [regions.cell("NL", bold), regions.cell("Nederland", bold)]
        + _figures(regions, data, national, "land", 0, styles)
    )
    last = regions.rows
    regions.ws.auto_filter.ref = f"A{header}:{get_column_letter(2 + len(national))}{last - 1}"
    _value_columns(regions, data, national, 3, (header + 1, last))
    region_orgs = [o.id for o in data.organisations.values() if o.region_id == region.id]
    _partners(
        wb,
        data,
        [(gemeente.name, org_ids)]
        + [(data.organisations[o].name, [o]) for o in org_ids]
        + [(region.name, region_orgs), ("Nederland", list(data.organisations))],
    )
    _actions(wb, data, org_ids)
    _trend(
        wb,
        data,
        indicators,
        [
            ("gemeente", gemeente_id, gemeente.name),
            ("regio", region.id, region.name),
            ("land", 0, "Nederland"),
        ],
    )
    _explanation(wb, data, indicators, region.id)
    wb.save(path)


def _overview_map(sheet: Sheet, data: CycleData, indicators) -> None:
    """The country by region, coloured by the signal bands of the first
    indicator (against the national norm, as the Overzicht colours it), on a
    sheet of its own that prints on one page."""
    if not indicators:
        return
    ind = indicators[0]
    shapes = maps.region_shapes()
    for shape in shapes:
        figure = data.figure(ind, "regio", shape.scope_id)
        shape.value = figure.value if figure else None
    if not shapes:
        return
    scale = maps.Scale.for_indicator(ind, data.norm(ind), data.not_yet_due(ind))
    title = f"Kaart: {ind.name} per regio, ronde {data.cycle.period}"
    png = maps.png_map(
        shapes,
        scale,
        maps.Texts(title, title, division=maps.division(data.cycle)),
        560,
        str(FONT_FILE),
    )
    kaart = Sheet(sheet.ws.parent, "Kaart", [4, 80])
    kaart.ws.page_setup.orientation = "portrait"
    kaart.ws.page_setup.fitToHeight = 1  # the map and its legend on one page
    kaart.title(
        title,
        _provisional(
            data,
            "Elke regio in de kleur van haar signaal tegen de landelijke norm; gearceerd: "
            "geen gegevens. De cijfers staan op het blad Overzicht.",
        ),
    )
    image = Image(io.BytesIO(png))
    image.anchor = "B5"
    kaart.ws.add_image(image)
    # The print area covers the image (about 20 rows of 15 points per 100 pixels).
    rows = 5 + int(image.height * 0.75 / 15) + 1
    kaart.ws.print_area = f"A1:C{rows}"
