"""Reference data: the 25 veiligheidsregio's and the 342 gemeenten (CBS codes).

The shipped list (`data/gemeenten.csv`) holds the gemeenten of 1 January
2024 (`BASE_YEAR`), the same year as the map. Gemeenten merge (herindeling):
`load_year` loads a newer year's list with the old codes mapped to their new
gemeente. The old gemeenten stay, inactive, with the last year they existed
and their successor, so past cycles keep their figures and maps."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

from domain import uploads
from domain.audit import record
from domain.inputs import LIMITS, has_control, line_problem
from models import Gemeente, OrganisationGemeente, ReferenceYear, Region, RoleAssignment, db

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BASE_YEAR = 2024  # the year of data/gemeenten.csv and data/gemeenten-2024.topojson


def _read(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference_data() -> dict[str, int]:
    """Insert or update regions and gemeenten from the shipped CSV files; running
    it again changes nothing. Returns how many rows were added or updated."""
    regions = _read("regios.csv")
    gemeenten = _read("gemeenten.csv")
    added = updated = 0
    with db.atomic():
        by_code = {r.code: r for r in Region.select()}
        for row in regions:
            region = by_code.get(row["regiocode"])
            if region is None:
                by_code[row["regiocode"]] = Region.create(
                    code=row["regiocode"], name=row["regionaam"]
                )
                added += 1
            elif region.name != row["regionaam"]:
                region.name = row["regionaam"]
                region.save()
                updated += 1
        existing = {g.code: g for g in Gemeente.select()}
        for row in gemeenten:
            region = by_code[row["regiocode"]]
            gemeente = existing.get(row["gemeentecode"])
            if gemeente is None:
                Gemeente.create(code=row["gemeentecode"], name=row["gemeentenaam"], region=region)
                added += 1
            elif (gemeente.name, gemeente.region_id) != (row["gemeentenaam"], region.id):
                gemeente.name = row["gemeentenaam"]
                gemeente.region = region
                gemeente.save()
                updated += 1
        if not ReferenceYear.select().exists():
            ReferenceYear.create(year=BASE_YEAR, gemeenten=len(gemeenten))
    logger.info("reference data: %d added, %d updated", added, updated)
    return {"added": added, "updated": updated}


def current_year() -> int:
    """The year of the gemeenten in use (the newest year loaded)."""
    year = ReferenceYear.select(ReferenceYear.year).order_by(ReferenceYear.year.desc()).scalar()
    return year or BASE_YEAR


def year_for(year: int) -> int:
    """The reference year whose gemeenten applied in a year (a cycle's year)."""
    found = (
        ReferenceYear.select(ReferenceYear.year)
        .where(ReferenceYear.year <= year)
        .order_by(ReferenceYear.year.desc())
        .scalar()
    )
    return found or BASE_YEAR


class ReferenceDataError(ValueError):
    """A new year's gemeenten that cannot be loaded; `problems` lists why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class YearLoad:
    year: int
    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)  # old code → new code


def read_rows(path: Path) -> list[dict]:
    """A CSV file of reference data as dicts, within the upload's size limit."""
    if path.stat().st_size > uploads.MAX_FILE_BYTES:
        raise ReferenceDataError([f"{path.name}: groter dan {uploads.MAX_FILE_BYTES // 2**20} MB"])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_year(year: int, gemeenten: list[dict], mapping: list[dict]) -> YearLoad:
    """Load the gemeenten of a newer year: rows with gemeentecode, gemeentenaam
    and regiocode; `mapping` rows with oude_code and nieuwe_code for every
    gemeente that no longer exists. New gemeenten are added from that year,
    the old ones end the year before and name their successor; organisations
    and gemeente users of an old gemeente get its successor too (their old
    links stay, for the past cycles). Nothing is written when anything is wrong."""
    problems: list[str] = []
    if year <= current_year():
        problems.append(f"jaar {year} is niet nieuwer dan de huidige indeling ({current_year()})")
    regions = {r.code: r for r in Region.select()}
    existing = {g.code: g for g in Gemeente.select()}
    active = {code for code, g in existing.items() if g.active}
    listed: dict[str, dict] = {}
    for n, row in enumerate(gemeenten, start=2):
        code = (row.get("gemeentecode") or "").strip()
        if (
            not code.startswith("GM")
            or len(code) != 6
            or not (code[2:].isascii() and code[2:].isdigit())
        ):
            problems.append(f"gemeenten regel {n}: ongeldige code {code!r}")
            continue
        if (row.get("regiocode") or "").strip() not in regions:
            problems.append(f"gemeenten regel {n}: onbekende regio {row.get('regiocode')!r}")
        name = (row.get("gemeentenaam") or "").strip()
        limit = LIMITS["gemeente_name"]
        if not name:
            problems.append(f"gemeenten regel {n}: naam ontbreekt")
        elif line_problem(name, limit):
            # The one check of stored text, as in every form and import.
            what = (
                "bevat een onzichtbaar stuurteken"
                if has_control(name, multiline=False)
                else (f"is langer dan {limit} tekens")
            )
            problems.append(f"gemeenten regel {n}: naam {what}")
        if code in listed:
            problems.append(f"gemeenten regel {n}: {code} staat er twee keer in")
        listed[code] = row
    merged: dict[str, str] = {}
    for n, row in enumerate(mapping, start=2):
        old = (row.get("oude_code") or "").strip()
        new = (row.get("nieuwe_code") or "").strip()
        if old not in existing:
            problems.append(f"herindelingen regel {n}: {old!r} is geen bekende gemeente")
        if new not in listed:
            problems.append(f"herindelingen regel {n}: {new!r} staat niet in de nieuwe lijst")
        if old in listed:
            problems.append(f"herindelingen regel {n}: {old} bestaat nog in {year}")
        merged[old] = new
    for code in sorted(active - set(listed) - set(merged)):
        problems.append(f"{code} ({existing[code].name}) ontbreekt in {year} zonder herindeling")
    if problems:
        raise ReferenceDataError(problems)
    result = YearLoad(year)
    with db.atomic():
        for code, row in listed.items():
            region = regions[row["regiocode"].strip()]
            name = row["gemeentenaam"].strip()
            gemeente = existing.get(code)
            if gemeente is None:
                existing[code] = Gemeente.create(
                    code=code, name=name, region=region, valid_from=year
                )
                result.added.append(code)
            elif (gemeente.name, gemeente.region_id, gemeente.active) != (name, region.id, True):
                Gemeente.update(name=name, region=region, active=True, valid_until=None).where(
                    Gemeente.id == gemeente.id
                ).execute()
                result.renamed.append(code)
        for old, new in merged.items():
            before, after = existing[old], existing[new]
            Gemeente.update(active=False, valid_until=year - 1, successor=after).where(
                Gemeente.id == before.id
            ).execute()
            serving = OrganisationGemeente.select(OrganisationGemeente.organisation).where(
                OrganisationGemeente.gemeente == before
            )
            for (org_id,) in serving.tuples():
                OrganisationGemeente.get_or_create(organisation=org_id, gemeente=after)
            users = RoleAssignment.select(RoleAssignment.user).where(
                RoleAssignment.role == "gemeente", RoleAssignment.gemeente == before
            )
            for (user_id,) in users.tuples():
                RoleAssignment.get_or_create(user=user_id, role="gemeente", gemeente=after)
            result.merged[old] = new
        ReferenceYear.create(year=year, gemeenten=len(listed))
        record("reference_year_loaded", object_type="reference_year", object_id=year,
               added=result.added, merged=result.merged)  # fmt: skip
    logger.info(
        "reference year %s: %d added, %d merged", year, len(result.added), len(result.merged)
    )
    return result
