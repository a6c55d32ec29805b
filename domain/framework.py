"""The agreement framework as a data file: validate, import, export (YAML and
Excel). Publishing a new version never changes past assessments: a version's
rows are only ever replaced while it is a concept that no cycle uses."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font

from domain import uploads
from domain.inputs import LIMITS, MSG_TOO_LONG, has_control, line_problem
from models import (
    Agreement,
    AgreementKind,
    AgreementPractice,
    Cycle,
    FrameworkVersion,
    Practice,
    SourceDocument,
    Theme,
    db,
    utcnow,
)
from models.choices import FREQUENCIES, LEVELS, ORGANISATION_KINDS

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_FRAMEWORK = DATA_DIR / "framework" / "landelijk-v2.yaml"

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_VERSION = 10_000

TOP_KEYS = {"slug", "version", "title", "description", "sources", "practices", "themes"}
SOURCE_KEYS = {"code", "title", "reference"}
PRACTICE_KEYS = {"code", "title", "place", "source", "text"}
THEME_KEYS = {"code", "title", "description", "agreements"}
AGREEMENT_KEYS = {
    "code",
    "title",
    "goal",
    "level",
    "frequency",
    "applies_to",
    "partner_kinds",
    "source",
    "guidance",
    "practices",
}


@dataclass(frozen=True)
class Problem:
    """One validation error, located by file, entry and field."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        if self.field:
            where += f", veld '{self.field}'"
        return f"{where}: {self.message}"


class FrameworkError(ValueError):
    """A framework file or import that cannot be accepted; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Checker:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, entry: str, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, field, message))

    def text(self, obj: dict, key: str, entry: str, *, required=True, max_len=None) -> str:
        """A text field: with `max_len`, one line of at most that many
        characters (codes, titles); else free text of at most LIMITS["text"].
        The one check of stored text (domain.inputs.line_problem)."""
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(entry, key, "ontbreekt of is leeg")
            return ""
        if not isinstance(value, str):
            self.add(entry, key, f"moet tekst zijn, niet {type(value).__name__}")
            return ""
        value = value.strip()
        limit = max_len or LIMITS["text"]
        problem = line_problem(value, limit, multiline=not max_len)
        if problem == MSG_TOO_LONG:
            self.add(entry, key, f"is langer dan {limit} tekens")
        elif problem:
            what = "stuurteken" if has_control(value) else "regeleinde of tab"
            self.add(entry, key, f"bevat een onzichtbaar {what}")
        return value

    def unknown_keys(self, obj: dict, allowed: set[str], entry: str) -> None:
        for key in sorted(str(k) for k in obj if k not in allowed or not isinstance(k, str)):
            self.add(entry, key[:100], "onbekend veld")

    def kinds(self, obj: dict, key: str, entry: str, *, required: bool) -> list[str]:
        value = obj.get(key)
        if value is None or (value == [] and not required):
            if required:
                self.add(entry, key, "ontbreekt: noem minstens één organisatiesoort")
            return []
        if not isinstance(value, list) or not value:
            self.add(entry, key, "moet een niet-lege lijst van organisatiesoorten zijn")
            return []
        result = []
        for kind in value:
            if not isinstance(kind, str) or kind not in ORGANISATION_KINDS:
                self.add(
                    entry,
                    key,
                    f"onbekende organisatiesoort {kind!r} "[:200]
                    + f"(toegestaan: {', '.join(ORGANISATION_KINDS)})",
                )
            elif kind in result:
                self.add(entry, key, f"organisatiesoort {kind!r} staat er dubbel in")
            else:
                result.append(kind)
        return result


def validate(data: Any, file: str = "<invoer>") -> dict:
    """Check a framework document and return it normalised; raise
    FrameworkError listing every problem (file, entry, field)."""
    check = _Checker(file)
    if not isinstance(data, dict):
        raise FrameworkError([Problem(file, "", "", "het bestand bevat geen afsprakenkader")])
    check.unknown_keys(data, TOP_KEYS, "kader")
    slug = check.text(data, "slug", "kader", max_len=64)
    if slug and not SLUG_RE.match(slug):
        check.add("kader", "slug", "alleen kleine letters, cijfers en '-'")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION:
        check.add("kader", "version", f"moet een geheel getal van 1 tot en met {MAX_VERSION} zijn")
    result: dict = {
        "slug": slug,
        "version": version,
        "title": check.text(data, "title", "kader", max_len=200),
        "description": check.text(data, "description", "kader", required=False),
        "sources": [],
        "practices": [],
        "themes": [],
    }

    sources = data.get("sources")
    if not isinstance(sources, list) or not sources:
        check.add("kader", "sources", "moet een niet-lege lijst van brondocumenten zijn")
        sources = []
    source_codes: set[str] = set()
    for i, src in enumerate(sources):
        entry = f"sources[{i}]"
        if not isinstance(src, dict):
            check.add(entry, "", "moet een brondocument (code, title) zijn")
            continue
        check.unknown_keys(src, SOURCE_KEYS, entry)
        code = check.text(src, "code", entry, max_len=32)
        entry = f"sources[{i}] ({code})" if code else entry
        if code and code in source_codes:
            check.add(entry, "code", f"code {code!r} komt vaker voor")
        source_codes.add(code)
        result["sources"].append(
            {
                "code": code,
                "title": check.text(src, "title", entry, max_len=300),
                "reference": check.text(src, "reference", entry, required=False),
            }
        )

    practice_codes = _validate_practices(check, data, source_codes, result["practices"])
    attached: set[str] = set()

    themes = data.get("themes")
    if not isinstance(themes, list) or not themes:
        check.add("kader", "themes", "moet een niet-lege lijst van thema's zijn")
        themes = []
    theme_codes: set[str] = set()
    agreement_codes: set[str] = set()
    for t, theme in enumerate(themes):
        entry = f"themes[{t}]"
        if not isinstance(theme, dict):
            check.add(entry, "", "moet een thema (code, title, agreements) zijn")
            continue
        check.unknown_keys(theme, THEME_KEYS, entry)
        tcode = check.text(theme, "code", entry, max_len=32)
        entry = f"themes[{t}] ({tcode})" if tcode else entry
        if tcode and not CODE_RE.match(tcode):
            check.add(entry, "code", "alleen letters, cijfers, '-', '_' en '.'")
        if tcode and tcode in theme_codes:
            check.add(entry, "code", f"code {tcode!r} komt vaker voor")
        theme_codes.add(tcode)
        out_theme = {
            "code": tcode,
            "title": check.text(theme, "title", entry, max_len=200),
            "description": check.text(theme, "description", entry, required=False),
            "agreements": [],
        }
        agreements = theme.get("agreements")
        if not isinstance(agreements, list) or not agreements:
            check.add(entry, "agreements", "moet een niet-lege lijst van afspraken zijn")
            agreements = []
        for a, agr in enumerate(agreements):
            aentry = f"themes[{t}].agreements[{a}]"
            if not isinstance(agr, dict):
                check.add(aentry, "", "moet een afspraak zijn")
                continue
            out = _validate_agreement(check, agr, aentry, source_codes, agreement_codes)
            out["practices"] = _agreement_practices(check, agr, out["code"], aentry, practice_codes)
            attached.update(out["practices"])
            out_theme["agreements"].append(out)
        result["themes"].append(out_theme)
    for p in result["practices"]:
        if p["code"] and p["code"] not in attached:
            # A praktijkvoorbeeld is shown beside an agreement, or nowhere.
            check.add(f"practices ({p['code']})", "code", "hoort bij geen enkele afspraak")

    if check.problems:
        raise FrameworkError(check.problems)
    return result


def _validate_agreement(
    check: _Checker, agr: dict, entry: str, source_codes: set[str], seen: set[str]
) -> dict:
    code = check.text(agr, "code", entry, max_len=32)
    entry = f"{entry} ({code})" if code else entry
    check.unknown_keys(agr, AGREEMENT_KEYS, entry)
    if code and not CODE_RE.match(code):
        check.add(entry, "code", "alleen letters, cijfers, '-', '_' en '.'")
    if code and code in seen:
        check.add(entry, "code", f"code {code!r} komt vaker voor in het kader")
    seen.add(code)
    level = agr.get("level")
    if not isinstance(level, str) or level not in LEVELS:
        check.add(
            entry,
            "level",
            f"onbekend niveau {level!r}"[:200] + f" (toegestaan: {', '.join(LEVELS)})",
        )
    frequency = agr.get("frequency")
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        check.add(
            entry,
            "frequency",
            f"onbekende frequentie {frequency!r}"[:200]
            + f" (toegestaan: {', '.join(FREQUENCIES)})",
        )
    applies = check.kinds(agr, "applies_to", entry, required=True)
    partners = check.kinds(agr, "partner_kinds", entry, required=False)
    for kind in applies if partners else []:
        if not [p for p in partners if p != kind]:
            check.add(
                entry,
                "partner_kinds",
                f"voor soort {kind!r} is er geen partner van een andere soort",
            )
    source = agr.get("source")
    if not isinstance(source, str) or source not in source_codes:
        check.add(entry, "source", f"verwijst naar onbekend brondocument {source!r}"[:200])
    return {
        "code": code,
        "title": check.text(agr, "title", entry, max_len=300),
        "goal": check.text(agr, "goal", entry),
        "level": level,
        "frequency": frequency,
        "applies_to": applies,
        "partner_kinds": partners,
        "source": source,
        "guidance": check.text(agr, "guidance", entry, required=False),
    }


def _validate_practices(
    check: _Checker, data: dict, source_codes: set[str], out: list[dict]
) -> set[str]:
    """The framework's praktijkvoorbeelden (optional), appended to `out`;
    returns their codes."""
    practices = data.get("practices")
    if practices is None:
        return set()
    if not isinstance(practices, list):
        check.add("kader", "practices", "moet een lijst van praktijkvoorbeelden zijn")
        return set()
    codes: set[str] = set()
    for i, item in enumerate(practices):
        entry = f"practices[{i}]"
        if not isinstance(item, dict):
            check.add(entry, "", "moet een praktijkvoorbeeld (code, title, source, text) zijn")
            continue
        check.unknown_keys(item, PRACTICE_KEYS, entry)
        code = check.text(item, "code", entry, max_len=32)
        entry = f"practices[{i}] ({code})" if code else entry
        if code and not CODE_RE.match(code):
            check.add(entry, "code", "alleen letters, cijfers, '-', '_' en '.'")
        if code and code in codes:
            check.add(entry, "code", f"code {code!r} komt vaker voor")
        codes.add(code)
        source = item.get("source")
        if not isinstance(source, str) or source not in source_codes:
            check.add(entry, "source", f"verwijst naar onbekend brondocument {source!r}"[:200])
        out.append(
            {
                "code": code,
                "title": check.text(item, "title", entry, max_len=300),
                "place": check.text(item, "place", entry, required=False, max_len=100),
                "source": source,
                "text": check.text(item, "text", entry, max_len=4000),
            }
        )
    return codes


def _agreement_practices(
    check: _Checker, agr: dict, code: str, entry: str, known: set[str]
) -> list[str]:
    """The codes of the praktijkvoorbeelden an agreement names, in its order."""
    entry = f"{entry} ({code})" if code else entry
    value = agr.get("practices")
    if value is None or value == []:
        return []
    if not isinstance(value, list):
        check.add(entry, "practices", "moet een lijst van codes van praktijkvoorbeelden zijn")
        return []
    result = []
    for item in value:
        if not isinstance(item, str) or item not in known:
            check.add(entry, "practices", f"onbekend praktijkvoorbeeld {item!r}"[:200])
        elif item in result:
            check.add(entry, "practices", f"praktijkvoorbeeld {item!r} staat er dubbel in")
        else:
            result.append(item)
    return result


def load_file(path: str | Path) -> dict:
    """Read a framework from a .yaml/.yml or .xlsx file and validate it."""
    path = Path(path)
    if path.stat().st_size > uploads.MAX_FILE_BYTES:
        raise FrameworkError(
            [Problem(path.name, "", "", f"groter dan {uploads.MAX_FILE_BYTES // 2**20} MB")]
        )
    return load_bytes(path.name, path.read_bytes())


def load_bytes(name: str, data: bytes) -> dict:
    """Read a framework from the bytes of a .yaml/.yml or .xlsx file called
    `name` and validate it; anything unreadable is a FrameworkError."""
    try:
        if name.lower().endswith(".xlsx"):
            document = _read_xlsx(name, data)
        else:
            document = uploads.yaml_document(data)
    except uploads.UploadError as exc:
        raise FrameworkError([Problem(name, exc.where, "", str(exc))]) from exc
    return validate(document, name)


def import_framework(data: dict, *, publish: bool = False) -> tuple[FrameworkVersion, bool]:
    """Store a validated framework. Returns (version, created). Importing the
    same content again changes nothing; different content under an existing
    version number is refused once that version is published or in use."""
    with db.atomic():
        existing = FrameworkVersion.get_or_none(
            FrameworkVersion.slug == data["slug"], FrameworkVersion.version == data["version"]
        )
        if existing is not None:
            if export_framework(existing) == data:
                if publish and existing.state == "concept":
                    publish_framework(existing)
                return existing, False
            in_use = Cycle.select().where(Cycle.framework == existing).exists()
            if existing.state != "concept" or in_use:
                raise FrameworkError(
                    [
                        Problem(
                            "",
                            f"{data['slug']} versie {data['version']}",
                            "version",
                            "deze versie is al gepubliceerd of in gebruik en kan niet "
                            "veranderen; geef het kader een nieuw versienummer",
                        )
                    ]
                )
            existing.delete_instance(recursive=True)

        fw = FrameworkVersion.create(
            slug=data["slug"],
            version=data["version"],
            title=data["title"],
            description=data["description"],
        )
        sources = {
            s["code"]: SourceDocument.create(
                framework=fw, code=s["code"], title=s["title"], reference=s["reference"]
            )
            for s in data["sources"]
        }
        practices = {
            p["code"]: Practice.create(
                framework=fw,
                source=sources[p["source"]],
                code=p["code"],
                title=p["title"],
                place=p["place"],
                text=p["text"],
                position=p_pos,
            )
            for p_pos, p in enumerate(data.get("practices", []))
        }
        position = 0
        kind_rows = []
        practice_rows = []
        for t_pos, t in enumerate(data["themes"]):
            theme = Theme.create(
                framework=fw,
                code=t["code"],
                title=t["title"],
                description=t["description"],
                position=t_pos,
            )
            for a in t["agreements"]:
                position += 1
                agreement = Agreement.create(
                    framework=fw,
                    theme=theme,
                    source=sources[a["source"]],
                    code=a["code"],
                    title=a["title"],
                    goal=a["goal"],
                    level=a["level"],
                    frequency=a["frequency"],
                    guidance=a["guidance"],
                    position=position,
                    bilateral=bool(a["partner_kinds"]),
                )
                kind_rows += [(agreement.id, k, "applies") for k in a["applies_to"]]
                kind_rows += [(agreement.id, k, "partner") for k in a["partner_kinds"]]
                practice_rows += [
                    (agreement.id, practices[code].id, n)
                    for n, code in enumerate(a.get("practices", []))
                ]
        AgreementKind.insert_many(
            kind_rows, fields=[AgreementKind.agreement, AgreementKind.kind, AgreementKind.side]
        ).execute()
        if practice_rows:
            AgreementPractice.insert_many(
                practice_rows,
                fields=[
                    AgreementPractice.agreement,
                    AgreementPractice.practice,
                    AgreementPractice.position,
                ],
            ).execute()
        if publish:
            publish_framework(fw)
    logger.info("framework imported: %s v%s (%d agreements)", fw.slug, fw.version, position)
    return fw, True


def publish_framework(fw: FrameworkVersion) -> None:
    """Mark a concept version as published, after which it never changes."""
    if fw.state == "concept":
        fw.state = "gepubliceerd"
        fw.published_at = utcnow()
        fw.save()
        logger.info("framework published: %s v%s", fw.slug, fw.version)


def export_framework(fw: FrameworkVersion) -> dict:
    """The framework version as a document in the import format."""
    kinds: dict[int, dict[str, list[str]]] = {}
    for agreement_id, kind, side in (
        AgreementKind.select(AgreementKind.agreement, AgreementKind.kind, AgreementKind.side)
        .join(Agreement)
        .where(Agreement.framework == fw)
        .order_by(AgreementKind.id)
        .tuples()
    ):
        kinds.setdefault(agreement_id, {"applies": [], "partner": []})[side].append(kind)
    sources = list(
        SourceDocument.select().where(SourceDocument.framework == fw).order_by(SourceDocument.id)
    )
    source_code = {s.id: s.code for s in sources}
    practices = list(
        Practice.select().where(Practice.framework == fw).order_by(Practice.position, Practice.id)
    )
    practice_codes: dict[int, list[str]] = {}
    for agreement_id, code in (
        AgreementPractice.select(AgreementPractice.agreement, Practice.code)
        .join(Practice)
        .where(Practice.framework == fw)
        .order_by(AgreementPractice.agreement, AgreementPractice.position, AgreementPractice.id)
        .tuples()
    ):
        practice_codes.setdefault(agreement_id, []).append(code)
    agreements_by_theme: dict[int, list[dict]] = {}
    for a in Agreement.select().where(Agreement.framework == fw).order_by(Agreement.position):
        k = kinds.get(a.id, {"applies": [], "partner": []})
        agreements_by_theme.setdefault(a.theme_id, []).append(
            {
                "code": a.code,
                "title": a.title,
                "goal": a.goal,
                "level": a.level,
                "frequency": a.frequency,
                "applies_to": k["applies"],
                "partner_kinds": k["partner"],
                "source": source_code[a.source_id],
                "guidance": a.guidance,
                "practices": practice_codes.get(a.id, []),
            }
        )
    return {
        "slug": fw.slug,
        "version": fw.version,
        "title": fw.title,
        "description": fw.description,
        "sources": [{"code": s.code, "title": s.title, "reference": s.reference} for s in sources],
        "practices": [
            {
                "code": p.code,
                "title": p.title,
                "place": p.place,
                "source": source_code[p.source_id],
                "text": p.text,
            }
            for p in practices
        ],
        "themes": [
            {
                "code": t.code,
                "title": t.title,
                "description": t.description,
                "agreements": agreements_by_theme.get(t.id, []),
            }
            for t in Theme.select().where(Theme.framework == fw).order_by(Theme.position)
        ],
    }


def to_yaml(document: dict) -> str:
    """Render a framework document as YAML (partner kinds, praktijkvoorbeelden
    and a place left out where empty)."""
    optional = ("partner_kinds", "practices")
    doc = {
        **document,
        "practices": [
            {k: v for k, v in p.items() if not (k == "place" and not v)}
            for p in document.get("practices", [])
        ],
        "themes": [
            {
                **t,
                "agreements": [
                    {k: v for k, v in a.items() if not (k in optional and not v)}
                    for a in t["agreements"]
                ],
            }
            for t in document["themes"]
        ],
    }
    if not doc["practices"]:
        del doc["practices"]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


# --- Excel: one sheet per level of the document, a header row each. -------------

XLSX_AGREEMENT_COLUMNS = [
    "theme",
    "code",
    "title",
    "goal",
    "level",
    "frequency",
    "applies_to",
    "partner_kinds",
    "source",
    "guidance",
    "practices",
]
XLSX_PRACTICE_COLUMNS = ["code", "title", "place", "source", "text"]


def to_xlsx(document: dict, path: str | Path) -> None:
    """Write a framework document as an Excel workbook that load_file reads back."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Kader"
    ws.append(["veld", "waarde"])
    for key in ("slug", "version", "title", "description"):
        ws.append([key, document[key]])
    ws = wb.create_sheet("Bronnen")
    ws.append(["code", "title", "reference"])
    for s in document["sources"]:
        ws.append([s["code"], s["title"], s["reference"]])
    ws = wb.create_sheet("Praktijkvoorbeelden")
    ws.append(XLSX_PRACTICE_COLUMNS)
    for p in document.get("practices", []):
        ws.append([p[c] for c in XLSX_PRACTICE_COLUMNS])
    ws = wb.create_sheet("Themas")
    ws.append(["code", "title", "description"])
    for t in document["themes"]:
        ws.append([t["code"], t["title"], t["description"]])
    ws = wb.create_sheet("Afspraken")
    ws.append(XLSX_AGREEMENT_COLUMNS)
    for t in document["themes"]:
        for a in t["agreements"]:
            row = {**a, "theme": t["code"]}
            row["applies_to"] = ", ".join(a["applies_to"])
            row["partner_kinds"] = ", ".join(a["partner_kinds"])
            row["practices"] = ", ".join(a.get("practices", []))
            ws.append([row[c] for c in XLSX_AGREEMENT_COLUMNS])
    for sheet in wb.worksheets:
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                # Framework text is typed by people: never let it become a formula.
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    wb.save(path)


def _table(rows: list[list[str]]) -> list[dict]:
    """Rows under a header row as {header: text}, empty rows left out."""
    if not rows:
        return []
    header, *body = rows
    out = []
    for row in body:
        if not any(row):
            continue
        out.append({h: v for h, v in zip(header, row, strict=False) if h})
    return out


def _split_kinds(value: Any) -> list[str] | None:
    if value in ("", None):
        return None
    return [k.strip() for k in str(value).split(",") if k.strip()]


def _read_xlsx(name: str, data: bytes) -> dict:
    sheets = {sheet: _table(rows) for sheet, rows in uploads.xlsx_sheets(data).items()}
    missing = {"Kader", "Bronnen", "Themas", "Afspraken"} - set(sheets)
    if missing:
        raise FrameworkError(
            [Problem(name, "", "", f"tabblad ontbreekt: {', '.join(sorted(missing))}")]
        )
    meta = {r.get("veld"): r.get("waarde") for r in sheets["Kader"] if r.get("veld")}
    if isinstance(meta.get("version"), str) and meta["version"].isascii():
        # Cells are read as text; the version is the one number of the document.
        meta["version"] = (
            int(meta["version"])
            if meta["version"].isascii() and meta["version"].isdigit()
            else meta["version"]
        )
    themes = [{**t, "agreements": []} for t in sheets["Themas"]]
    by_code = {t.get("code"): t for t in themes}
    for i, row in enumerate(sheets["Afspraken"], start=2):
        theme = by_code.get(row.pop("theme", None))
        if theme is None:
            raise FrameworkError([Problem(name, f"Afspraken rij {i}", "theme", "onbekend thema")])
        row["applies_to"] = _split_kinds(row.get("applies_to"))
        partners = _split_kinds(row.get("partner_kinds"))
        if partners is None:
            row.pop("partner_kinds", None)
        else:
            row["partner_kinds"] = partners
        practices = _split_kinds(row.get("practices"))
        if practices is None:
            row.pop("practices", None)
        else:
            row["practices"] = practices
        theme["agreements"].append(row)
    document = {**meta, "sources": sheets["Bronnen"], "themes": themes}
    # The sheet is optional: a workbook from before praktijkvoorbeelden has none.
    if sheets.get("Praktijkvoorbeelden"):
        document["practices"] = sheets["Praktijkvoorbeelden"]
    return document


def current_framework(slug: str = "landelijk") -> FrameworkVersion | None:
    """The latest published version of a framework."""
    return (
        FrameworkVersion.select()
        .where(FrameworkVersion.slug == slug, FrameworkVersion.state == "gepubliceerd")
        .order_by(FrameworkVersion.version.desc())
        .first()
    )
