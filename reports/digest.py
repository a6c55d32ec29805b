"""What the quarterly mail says to each reader, once a cycle has closed.

A manager reads the organisation's "in één oogopslag" and "wat aandacht
vraagt" (the same `reports.glance` as the PDF cover and the results page: its
red signals, each with figure, norm and link, the other points counted); a
regiocoördinator the region's summary, who did not submit on time and the
three red signals of the region's organisations that lie furthest from their
norm; a gemeente user the gemeente's summary beside the region's and the
country's, and what the attached workbook holds. Each point links to its
results page.

A `Digest` is plain data in the reader's language (Dutch or English); the
mail templates `quarterly.txt` and `quarterly.html` lay the same data out as
text and as HTML, so both parts say the same. Every figure comes from one
read of the cycle (`CycleData`), narrowed to the reader's own scope: an
organisation, a region with its organisations, or a gemeente with its region
and the country."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from domain import formatting, rules
from models import Cycle
from reports.data import CycleData, ScopeReport, scope_report
from reports.glance import SIGNAL_ORDER, AttentionPoint, glance

ATTENTION_LINES = 3  # "wat aandacht vraagt" in the mail: the first three points
CONVERSATIONS = 3  # a coordinator's red signals to talk about
# Not a conversation of its own: the coordinator's mail lists who did not
# submit on time just above.
LISTED_ABOVE = {"response_rate_on_time"}

PHRASES = {
    "nl": {
        "greeting": "Beste {name},",
        "signals": {"groen": "groen", "oranje": "oranje", "rood": "rood", "geen": "geen oordeel"},
        "closed": "Ronde {period} van de Afsprakenmonitor is gesloten.",
        "manager_opening": "Dit zijn de uitkomsten van {name}.",
        "region_opening": "Dit zijn de uitkomsten van {name}.",
        "region_in_text": "regio {name}",
        "gemeente_in_text": "gemeente {name}",
        "gemeente_opening": (
            "Dit zijn de uitkomsten van {name}, naast die van {region} en heel Nederland."
        ),
        "glance": "In één oogopslag",
        "glance_text": "De signalen van de {count} succesindicatoren:",
        "glance_beside": "De signalen van de succesindicatoren:",
        "attention": "Wat aandacht vraagt",
        "attention_none": "Geen rode signalen en niets over datum.",
        "attention_no_red": "Geen rode signalen.",
        "attention_more": (
            "De rapportage noemt nog 1 punt.",
            "De rapportage noemt nog {count} punten.",
        ),
        "attention_more_page": (
            "Nog 1 punt vraagt aandacht; zie de resultatenpagina.",
            "Nog {count} punten vragen aandacht; zie de resultatenpagina.",
        ),
        "indicators": "{name} ({count} indicatoren)",
        "to_results": "Bekijk op de resultatenpagina",
        "response": (
            "{total} organisaties: {on_time} op tijd ingediend, {late} te laat, "
            "{open} niet ingediend."
        ),
        "late_heading": "Niet op tijd ingediend",
        "late_item": "{name}: te laat ingediend, op {date}.",
        "missing_item": "{name}: niet ingediend.",
        "late_none": "Alle organisaties van uw regio hebben op tijd ingediend.",
        "progress": "Voortgang van de ronde",
        "talk_heading": "Om over in gesprek te gaan",
        "talk_text": (
            "De drie organisaties met een rood signaal dat het verst van de norm ligt "
            "(gemeten in de breedte van de oranje zone van de indicator):"
        ),
        "talk_none": "Geen rode signalen bij de organisaties van uw regio.",
        "talk_item": (
            "{organisation} – {indicator}: {value} tegen een {norm_kind} van {norm} (rood)."
        ),
        "national_norm": "landelijke norm",
        "regional_norm": "eigen regionorm",
        "report_heading": "De rapportage",
        "attached": "In de bijlage vindt u {description} ({file}).",
        "workbook_heading": "Het Excel-overzicht",
        "workbook": (
            "In de bijlage vindt u het Excel-overzicht van uw gemeente ({file}), met deze "
            "tabbladen:"
        ),
        "all_reports": "Alle rapportages van ronde {period}",
        "all_results": "Alle resultaten van {name}",
        "country": "Nederland",
        "region": "Regio {name}",
        "gemeente": "Gemeente {name}",
        "subject_counts": "{rood} rood, {oranje} oranje, {groen} groen",
        "subject": {
            "manager": "Managementrapportage {period} – {name}: {counts}",
            "regiocoordinator": "Managementrapportage regio {period} – {name}: {counts}",
            "gemeente": "Afsprakenmonitor gemeente {period} – {name}: {counts}",
        },
        "description": {
            "manager": "de managementrapportage van uw organisatie",
            "regiocoordinator": "de managementrapportage van uw regio",
        },
        "closing": "Met vriendelijke groet,",
    },
    "en": {
        "greeting": "Dear {name},",
        "signals": {"groen": "green", "oranje": "orange", "rood": "red", "geen": "no judgement"},
        "closed": "Round {period} of the Afsprakenmonitor has closed.",
        "manager_opening": "These are the results of {name}.",
        "region_opening": "These are the results of {name}.",
        "region_in_text": "region {name}",
        "gemeente_in_text": "municipality {name}",
        "gemeente_opening": (
            "These are the results of {name}, beside those of {region} and the whole country."
        ),
        "glance": "At a glance",
        "glance_text": "The signals of the {count} success indicators:",
        "glance_beside": "The signals of the success indicators:",
        "attention": "What needs attention",
        "attention_none": "No red signals and nothing overdue.",
        "attention_no_red": "No red signals.",
        "attention_more": (
            "The report names 1 more point.",
            "The report names {count} more points.",
        ),
        "attention_more_page": (
            "1 more point needs attention; see the results page.",
            "{count} more points need attention; see the results page.",
        ),
        "indicators": "{name} ({count} indicators)",
        "to_results": "See the results page",
        "response": (
            "{total} organisations: {on_time} submitted on time, {late} late, {open} not submitted."
        ),
        "late_heading": "Not submitted on time",
        "late_item": "{name}: submitted late, on {date}.",
        "missing_item": "{name}: not submitted.",
        "late_none": "All organisations of your region submitted on time.",
        "progress": "Progress of the round",
        "talk_heading": "To talk about",
        "talk_text": (
            "The three organisations with a red signal furthest from its norm (measured "
            "in widths of the indicator's orange band):"
        ),
        "talk_none": "No red signals for the organisations of your region.",
        "talk_item": "{organisation} – {indicator}: {value} against a {norm_kind} of {norm} (red).",
        "national_norm": "national norm",
        "regional_norm": "regional norm",
        "report_heading": "The report",
        "attached": "Attached is {description} ({file}).",
        "workbook_heading": "The Excel workbook",
        "workbook": (
            "Attached is the Excel workbook of your municipality ({file}), with these sheets:"
        ),
        "all_reports": "All reports of round {period}",
        "all_results": "All results of {name}",
        "country": "The Netherlands",
        "region": "Region {name}",
        "gemeente": "Municipality {name}",
        "subject_counts": "{rood} red, {oranje} orange, {groen} green",
        "subject": {
            "manager": "Management report {period} – {name}: {counts}",
            "regiocoordinator": "Regional management report {period} – {name}: {counts}",
            "gemeente": "Afsprakenmonitor municipality {period} – {name}: {counts}",
        },
        "description": {
            "manager": "the management report of your organisation",
            "regiocoordinator": "the management report of your region",
        },
        "closing": "Kind regards,",
    },
}


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class CountsRow:
    """One scope's signal counts ("3 groen · 1 oranje · …")."""

    name: str | None
    counts: dict[str, int]
    words: dict[str, str]  # signal → its word in the reader's language

    def cells(self) -> list[tuple[str, str]]:
        """(signal, "3 groen") in the order of the PDF cover."""
        return [(s, f"{self.counts[s]} {self.words[s]}") for s in SIGNAL_ORDER]

    def line(self) -> str:
        return " · ".join(text for _, text in self.cells())


@dataclass(frozen=True)
class Item:
    text: str
    link: Link | None = None
    signal: str | None = None  # shown as a coloured mark beside the text


@dataclass
class Section:
    heading: str
    text: str | None = None
    counts: list[CountsRow] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    after: str | None = None  # a line below the items
    links: list[Link] = field(default_factory=list)


@dataclass
class Digest:
    """One reader's quarterly mail, in the reader's language."""

    role: str
    language: str
    subject: str
    greeting: str
    opening: list[str]
    sections: list[Section]
    closing: str


def _point_text(point: AttentionPoint, report: ScopeReport, language: str) -> str:
    """A red signal of "wat aandacht vraagt" in the reader's language: the
    Dutch is the glance's own sentence (as on the PDF cover), the English says
    the same."""
    if language == "nl":
        return point.text
    row = next(r for r in report.scorecard if r.indicator.code == point.indicator_code)
    kind = "regional norm" if point.regional_norm else "national norm"
    return (
        f"{row.indicator.name}: {formatting.value(point.value, point.unit, 'en')} against "
        f"a {kind} of {formatting.value(point.norm, point.unit, 'en')} (red)."
    )


class Digests:
    """The quarterly mails of one closed cycle, built from one read of its
    figures (made when the first mail needs it)."""

    def __init__(self, cycle: Cycle, reports_link: str) -> None:
        self.cycle = cycle
        # The results and progress pages sit beside the reports page.
        self.reports_link = reports_link
        self._data: CycleData | None = None
        self._reports: dict[tuple[str, int], ScopeReport] = {}

    @property
    def data(self) -> CycleData:
        if self._data is None:
            self._data = CycleData.load(self.cycle)
        return self._data

    def report(self, scope_type: str, scope_id: int) -> ScopeReport:
        """A scope's report content; a region's and the country's (beside every
        gemeente of the region) are kept, the others made when asked."""
        if scope_type not in ("regio", "land"):
            return scope_report(self.data, scope_type, scope_id)
        key = (scope_type, scope_id)
        if key not in self._reports:
            self._reports[key] = scope_report(self.data, scope_type, scope_id)
        return self._reports[key]

    # --- links ----------------------------------------------------------------

    def results_url(self, scope_type: str, scope_id: int, anchor: str = "") -> str:
        path = f"resultaten/{scope_type}/{scope_id}?ronde={self.cycle.period}"
        return urljoin(self.reports_link, path + (f"#{anchor}" if anchor else ""))

    def reports_url(self) -> str:
        return urljoin(self.reports_link, f"rapporten?ronde={self.cycle.period}")

    def progress_url(self, region_code: str) -> str:
        return urljoin(self.reports_link, f"rondes/{self.cycle.id}/voortgang?regio={region_code}")

    # --- pieces ---------------------------------------------------------------

    def _counts(self, name: str | None, report: ScopeReport, words) -> CountsRow:
        if name is not None:  # beside others: say how many indicators it counts
            name = words["indicators"].format(name=name, count=len(report.scorecard))
        return CountsRow(name, glance(report).counts, words["signals"])

    def _attention(
        self, report: ScopeReport, words, language: str, more_key: str = "attention_more"
    ) -> Section:
        """The glance's red signals, at most three lines, each with its figure,
        its norm and a link to its chart on the results page; the glance's other
        points (and further red signals) are counted, named in the report."""
        points = glance(report).points
        red = [p for p in points if p.kind == "indicator"]
        section = Section(words["attention"])
        for point in red[:ATTENTION_LINES]:
            anchor = f"trend-{self._indicator_id(report, point.indicator_code)}"
            section.items.append(
                Item(
                    _point_text(point, report, language),
                    Link(
                        words["to_results"],
                        self.results_url(report.scope_type, report.scope_id, anchor),
                    ),
                    "rood",
                )
            )
        if not points:
            section.text = words["attention_none"]
        elif not red:
            section.text = words["attention_no_red"]
        rest = len(points) - len(section.items)
        if rest:
            section.after = words[more_key][rest != 1].format(count=rest)
        return section

    @staticmethod
    def _indicator_id(report: ScopeReport, code: str | None) -> int:
        return next(r.indicator.id for r in report.scorecard if r.indicator.code == code)

    def _subject(self, role: str, name: str, report: ScopeReport, words) -> str:
        counts = glance(report).counts
        return words["subject"][role].format(
            period=self.cycle.period,
            name=name,
            counts=words["subject_counts"].format(**counts),
        )

    def _report_section(
        self, role: str, name: str, scope: tuple[str, int], file: str, words
    ) -> Section:
        return Section(
            words["report_heading"],
            text=words["attached"].format(description=words["description"][role], file=file),
            links=[
                Link(words["all_results"].format(name=name), self.results_url(*scope)),
                Link(words["all_reports"].format(period=self.cycle.period), self.reports_url()),
            ],
        )

    def _digest(self, role, language, user, opening, sections, subject) -> Digest:
        words = PHRASES[language]
        return Digest(
            role=role,
            language=language,
            subject=subject,
            greeting=words["greeting"].format(name=user.name),
            opening=[words["closed"].format(period=self.cycle.period), opening],
            sections=sections,
            closing=words["closing"],
        )

    # --- per role -------------------------------------------------------------

    def manager(self, user, organisation_id: int, language: str, file: str) -> Digest:
        words = PHRASES[language]
        report = self.report("organisatie", organisation_id)
        glance_section = Section(
            words["glance"],
            text=words["glance_text"].format(count=len(report.scorecard)),
            counts=[self._counts(None, report, words)],
        )
        return self._digest(
            "manager",
            language,
            user,
            words["manager_opening"].format(name=report.name),
            [
                glance_section,
                self._attention(report, words, language),
                self._report_section(
                    "manager", report.name, ("organisatie", organisation_id), file, words
                ),
            ],
            self._subject("manager", report.name, report, words),
        )

    def coordinator(self, user, region_id: int, language: str, file: str) -> Digest:
        words = PHRASES[language]
        report = self.report("regio", region_id)
        status = report.response
        glance_section = Section(
            words["glance"],
            text=words["glance_text"].format(count=len(report.scorecard)),
            counts=[self._counts(None, report, words)],
            after=words["response"].format(**status),
        )
        late = Section(
            words["late_heading"],
            items=[
                Item(text, Link(words["to_results"], self.results_url("organisatie", org_id)))
                for text, org_id in self._not_on_time(region_id, language)
            ],
            links=[Link(words["progress"], self.progress_url(self.data.regions[region_id].code))],
        )
        if not late.items:
            late.text = words["late_none"]
        talks = self._conversations(region_id, language)
        talk = Section(
            words["talk_heading"],
            text=words["talk_text"] if talks else words["talk_none"],
            items=talks,
        )
        return self._digest(
            "regiocoordinator",
            language,
            user,
            words["region_opening"].format(name=_labelled(words["region_in_text"], report.name)),
            [
                glance_section,
                late,
                talk,
                self._report_section(
                    "regiocoordinator", report.name, ("regio", region_id), file, words
                ),
            ],
            self._subject("regiocoordinator", report.name, report, words),
        )

    def gemeente(self, user, gemeente_id: int, language: str, workbook: Path | str) -> Digest:
        words = PHRASES[language]
        report = self.report("gemeente", gemeente_id)
        region_id = report.region.id if report.region else None
        rows = [self._counts(_labelled(words["gemeente"], report.name), report, words)]
        if region_id is not None:
            region = self.report("regio", region_id)
            rows.append(self._counts(_labelled(words["region"], region.name), region, words))
        rows.append(self._counts(words["country"], self.report("land", 0), words))
        sheets = workbook_sheets(workbook)
        workbook_section = Section(
            words["workbook_heading"],
            text=words["workbook"].format(file=Path(workbook).name),
            items=[Item(name) for name in sheets],
            links=[
                Link(
                    words["all_results"].format(name=report.name),
                    self.results_url("gemeente", gemeente_id),
                ),
                Link(words["all_reports"].format(period=self.cycle.period), self.reports_url()),
            ],
        )
        return self._digest(
            "gemeente",
            language,
            user,
            words["gemeente_opening"].format(
                name=_labelled(words["gemeente_in_text"], report.name),
                region=_labelled(words["region_in_text"], report.region.name)
                if report.region
                else "–",
            ),
            [
                Section(words["glance"], text=words["glance_beside"], counts=rows),
                self._attention(report, words, language, "attention_more_page"),
                workbook_section,
            ],
            self._subject("gemeente", report.name, report, words),
        )

    # --- a region's organisations -----------------------------------------------

    def _region_organisations(self, region_id: int) -> list[int]:
        return self.data.organisations_in("regio", region_id)

    def _not_on_time(self, region_id: int, language: str) -> list[tuple[str, int]]:
        """The region's organisations that submitted late or not at all: what
        to say of each, and its id."""
        words = PHRASES[language]
        data = self.data
        late, missing = [], []
        for org_id in self._region_organisations(region_id):
            assessment = data.responses.get(org_id)
            if assessment is None:
                continue  # no assessment this cycle: nothing was asked of it
            name = data.organisations[org_id].name
            if assessment.first_submitted_at is None:
                missing.append((words["missing_item"].format(name=name), org_id))
            elif not rules.on_time(assessment.first_submitted_at, data.cycle.due_on):
                day = rules.local_date(assessment.first_submitted_at)
                date = formatting.date(day, language)
                late.append((words["late_item"].format(name=name, date=date), org_id))
        return missing + late

    def _conversations(self, region_id: int, language: str) -> list[Item]:
        """What calls for a conversation: the red signals of the region's
        organisations that lie furthest from their norm, one per organisation
        (its furthest), the three furthest organisations; the response on time
        is left out (the mail lists the late organisations). Distance is counted
        in the indicator's own tolerance, the width of its orange band
        (norm to red border), so a percentage and a score in points compare."""
        words = PHRASES[language]
        data = self.data
        furthest: dict[int, tuple] = {}
        for org_id in self._region_organisations(region_id):
            for ind in data.indicators_for(region_id):
                if ind.computation in LISTED_ABOVE:
                    continue
                figure = data.figure(ind, "organisatie", org_id)
                value = figure.value if figure else None
                if value is None or data.signal(ind, value, region_id) != "rood":
                    continue
                norm = data.norm(ind, region_id)
                row = (
                    -distance_from_norm(value, norm.norm, norm.orange),
                    data.organisations[org_id].name,
                    ind.position,
                    org_id,
                    ind,
                    value,
                    norm,
                )
                if org_id not in furthest or row[:3] < furthest[org_id][:3]:
                    furthest[org_id] = row
        found = sorted(furthest.values(), key=lambda row: row[:3])
        items = []
        for _, name, _, org_id, ind, value, norm in found[:CONVERSATIONS]:
            text = words["talk_item"].format(
                organisation=name,
                indicator=ind.name,
                value=formatting.value(value, ind.unit, language),
                norm_kind=words["regional_norm" if norm.regional else "national_norm"],
                norm=formatting.value(norm.norm, ind.unit, language),
            )
            link = Link(
                words["to_results"], self.results_url("organisatie", org_id, f"trend-{ind.id}")
            )
            items.append(Item(text, link, "rood"))
        return items


def distance_from_norm(value: float, norm: float, orange: float) -> float:
    """How far a value lies from its norm, in widths of the indicator's orange
    band (norm to red border); relative to the norm when there is no band."""
    band = abs(norm - orange) or abs(norm) or 1.0
    return abs(value - norm) / band


def _labelled(pattern: str, name: str) -> str:
    """ "Regio {name}" for a name, unless the name starts with that word already."""
    word = pattern.split("{", 1)[0].strip()
    return name if name.lower().startswith(word.lower()) else pattern.format(name=name)


def workbook_sheets(path: Path | str) -> list[str]:
    """The sheet names of an .xlsx file, read from its workbook part (no cell
    is loaded); empty when the file cannot be read."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()
