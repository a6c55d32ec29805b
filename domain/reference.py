"""Reference data: the 25 veiligheidsregio's and the 342 gemeenten (CBS codes)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from models import Gemeente, Region, db

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


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
    logger.info("reference data: %d added, %d updated", added, updated)
    return {"added": added, "updated": updated}
