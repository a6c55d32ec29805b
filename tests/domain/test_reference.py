"""The regions and gemeenten shipped with the project."""

import csv

from domain.reference import DATA_DIR, load_reference_data
from models import Gemeente, Region


def test_all_regions_and_gemeenten_load_once(database):
    assert load_reference_data() == {"added": 25 + 342, "updated": 0}
    assert Region.select().count() == 25
    assert Gemeente.select().count() == 342
    assert load_reference_data() == {"added": 0, "updated": 0}
    maastricht = Gemeente.get(Gemeente.code == "GM0935")
    assert maastricht.name == "Maastricht"
    assert maastricht.region.name == "Zuid-Limburg"
    assert Gemeente.select().join(Region).where(Region.code == "VR24").count() == 16


def test_shipped_files_are_consistent():
    with (DATA_DIR / "regios.csv").open(encoding="utf-8") as fh:
        regions = {r["regiocode"]: r["regionaam"] for r in csv.DictReader(fh)}
    with (DATA_DIR / "gemeenten.csv").open(encoding="utf-8") as fh:
        gemeenten = list(csv.DictReader(fh))
    assert len(regions) == 25
    assert len(gemeenten) == 342
    assert len({g["gemeentecode"] for g in gemeenten}) == 342
    for g in gemeenten:
        assert regions[g["regiocode"]] == g["regionaam"]
