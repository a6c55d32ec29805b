"""Gemeenten per year: a newer year's list with its mergers (herindeling),
history kept for past cycles, and the map of each year."""

import csv

import pytest

from domain import computation, reference
from domain.geography import signed_area
from domain.reference import ReferenceDataError, load_reference_data, load_year
from domain.results import figures
from models import (
    Cycle,
    Gemeente,
    OrganisationGemeente,
    ReferenceYear,
    Region,
    RoleAssignment,
)
from reports import maps
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture


def _rows(year_list):
    return [
        {"gemeentecode": g.code, "gemeentenaam": g.name, "regiocode": g.region.code}
        for g in year_list
    ]


def _merge_heerlen_and_landgraaf():
    """2026 in a made-up herindeling: Heerlen and Landgraaf become Parkstad."""
    keep = [g for g in Gemeente.select() if g.code not in ("GM0917", "GM0882")]
    rows = _rows(keep) + [
        {"gemeentecode": "GM1999", "gemeentenaam": "Parkstad", "regiocode": "VR24"}
    ]
    mapping = [
        {"oude_code": "GM0917", "nieuwe_code": "GM1999"},
        {"oude_code": "GM0882", "nieuwe_code": "GM1999"},
    ]
    return load_year(2026, rows, mapping)


def test_base_year_is_recorded(database):
    load_reference_data()
    assert [(r.year, r.gemeenten) for r in ReferenceYear.select()] == [(2024, 342)]
    assert reference.current_year() == 2024
    load_reference_data()  # again: nothing added
    assert ReferenceYear.select().count() == 1


def test_newer_year_maps_old_codes_to_the_new_gemeente(database):
    load_reference_data()
    vr24 = Region.get(Region.code == "VR24")
    heerlen = Gemeente.get(Gemeente.code == "GM0917")
    org = factories.organisation(vr24, serves=[heerlen])
    user = factories.user(("gemeente", heerlen))
    result = _merge_heerlen_and_landgraaf()
    assert result.added == ["GM1999"]
    assert result.merged == {"GM0917": "GM1999", "GM0882": "GM1999"}
    parkstad = Gemeente.get(Gemeente.code == "GM1999")
    assert (parkstad.valid_from, parkstad.valid_until, parkstad.region_id) == (2026, None, vr24.id)
    old = Gemeente.get(Gemeente.code == "GM0917")
    assert (old.active, old.valid_until, old.successor_id) == (False, 2025, parkstad.id)
    # The organisation serves the new gemeente, and still the old one (history).
    served = {g for (g,) in OrganisationGemeente.select(OrganisationGemeente.gemeente)
              .where(OrganisationGemeente.organisation == org).tuples()}  # fmt: skip
    assert served == {heerlen.id, parkstad.id}
    roles = {r.gemeente_id for r in RoleAssignment.select().where(RoleAssignment.user == user)}
    assert roles == {heerlen.id, parkstad.id}
    assert reference.current_year() == 2026
    assert reference.year_for(2025) == 2024
    assert reference.year_for(2027) == 2026


def test_the_map_of_each_year(database):
    load_reference_data()
    vr24 = Region.get(Region.code == "VR24")
    _merge_heerlen_and_landgraaf()
    before = {s.name: s for s in maps.gemeente_shapes(vr24.id, 2025)}
    after = {s.name: s for s in maps.gemeente_shapes(vr24.id, 2026)}
    assert {"Heerlen", "Landgraaf"} <= set(before)
    assert "Parkstad" not in before
    assert "Parkstad" in after
    assert not {"Heerlen", "Landgraaf"} & set(after)
    assert len(after) == len(before) - 1

    def area(shape):
        return sum(signed_area(ring) for ring in shape.rings)

    assert area(after["Parkstad"]) == pytest.approx(
        area(before["Heerlen"]) + area(before["Landgraaf"])
    )


def test_a_wrong_year_changes_nothing(database):
    load_reference_data()
    keep = [g for g in Gemeente.select() if g.code != "GM0917"]  # Heerlen gone, no mapping
    with pytest.raises(ReferenceDataError) as error:
        load_year(2026, _rows(keep), [{"oude_code": "GM0001", "nieuwe_code": "GM0002"}])
    text = " ".join(error.value.problems)
    assert "GM0917 (Heerlen) ontbreekt in 2026 zonder herindeling" in text
    assert "'GM0001' is geen bekende gemeente" in text
    with pytest.raises(ReferenceDataError, match="niet nieuwer"):
        load_year(2024, _rows(Gemeente.select()), [])
    assert ReferenceYear.select().count() == 1
    assert Gemeente.select().where(Gemeente.active == False).count() == 0  # noqa: E712


@pytest.mark.parametrize(
    ("name", "problem"),
    [("Parkstad " + "x" * 600_000, "naam is langer dan 100 tekens"),
     ("Park\u202estad", "naam bevat een onzichtbaar stuurteken"),
     ("Park\x07stad", "naam bevat een onzichtbaar stuurteken")],
    ids=["long", "rlo", "bel"],
)  # fmt: skip
def test_a_new_years_gemeente_names_go_through_the_one_text_check(database, name, problem):
    """The CLI's `reference year` stores gemeente names: the same limit and
    control characters as every form and import (issue 26); nothing written."""
    load_reference_data()
    keep = [g for g in Gemeente.select() if g.code not in ("GM0917", "GM0882")]
    rows = _rows(keep) + [{"gemeentecode": "GM1999", "gemeentenaam": name, "regiocode": "VR24"}]
    mapping = [{"oude_code": c, "nieuwe_code": "GM1999"} for c in ("GM0917", "GM0882")]
    with pytest.raises(ReferenceDataError) as error:
        load_year(2026, rows, mapping)
    assert any(p.endswith(problem) for p in error.value.problems), error.value.problems
    assert Gemeente.select().where(Gemeente.code == "GM1999").count() == 0
    assert reference.current_year() == reference.BASE_YEAR


def test_cli_refuses_a_reference_file_past_the_size_limit(runner, tmp_path, database):
    from domain import uploads

    load_reference_data()
    big = tmp_path / "g.csv"
    big.write_text("gemeentecode,gemeentenaam,regiocode\n" + "GM1999,x,VR24\n" * 400_000)
    assert big.stat().st_size > uploads.MAX_FILE_BYTES
    (tmp_path / "h.csv").write_text("oude_code,nieuwe_code\n", encoding="utf-8")
    result = runner.invoke(args=["reference", "year", "2026", "--gemeenten", str(big),
                                 "--herindelingen", str(tmp_path / "h.csv")])  # fmt: skip
    assert result.exit_code == 1
    assert "groter dan 5 MB" in result.output


def test_past_cycles_keep_their_gemeente_figures(world):  # noqa: F811 - the fixture above
    g1, g2, g3 = world["g1"], world["g2"], world["g3"]
    for g, code in ((g1, "GM0935"), (g2, "GM0917"), (g3, "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == g.id).execute()
    computation.recompute()
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    past = figures([cycle.id], "gemeente", [g2.id])
    assert past
    rows = [
        {"gemeentecode": "GM0935", "gemeentenaam": "Maastricht", "regiocode": g1.region.code},
        {"gemeentecode": "GM0014", "gemeentenaam": "Groningen", "regiocode": g3.region.code},
        {"gemeentecode": "GM1999", "gemeentenaam": "Parkstad", "regiocode": g2.region.code},
    ]
    load_year(2027, rows, [{"oude_code": "GM0917", "nieuwe_code": "GM1999"}])
    computation.recompute(force=True)
    assert figures([cycle.id], "gemeente", [g2.id]) == past
    parkstad = Gemeente.get(Gemeente.code == "GM1999")
    assert figures([cycle.id], "gemeente", [parkstad.id])  # the successor has figures too


def test_cli_loads_a_year(runner, tmp_path, database):
    load_reference_data()
    keep = [g for g in Gemeente.select() if g.code not in ("GM0917", "GM0882")]
    with (tmp_path / "g.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["gemeentecode", "gemeentenaam", "regiocode"])
        writer.writerows([g.code, g.name, g.region.code] for g in keep)
        writer.writerow(["GM1999", "Parkstad", "VR24"])
    (tmp_path / "h.csv").write_text(
        "oude_code,nieuwe_code\nGM0917,GM1999\nGM0882,GM1999\n", encoding="utf-8"
    )
    result = runner.invoke(args=["reference", "year", "2026", "--gemeenten",
                                 str(tmp_path / "g.csv"), "--herindelingen",
                                 str(tmp_path / "h.csv")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "GM0917 → GM1999" in result.output
    assert reference.current_year() == 2026


def test_region_workbook_lists_the_gemeenten_of_the_cycles_year(world, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    from reports.data import CycleData
    from reports.excel import region_workbook

    g1, g2, g3 = world["g1"], world["g2"], world["g3"]
    for g, code in ((g1, "GM0935"), (g2, "GM0917"), (g3, "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == g.id).execute()
    rows = [
        {"gemeentecode": "GM0935", "gemeentenaam": g1.name, "regiocode": g1.region.code},
        {"gemeentecode": "GM0014", "gemeentenaam": g3.name, "regiocode": g3.region.code},
        {"gemeentecode": "GM1999", "gemeentenaam": "Parkstad", "regiocode": g2.region.code},
    ]
    load_year(2026, rows, [{"oude_code": "GM0917", "nieuwe_code": "GM1999"}])
    computation.recompute(force=True)

    def listed(period):
        path = tmp_path / f"{period}.xlsx"
        region_workbook(CycleData.load(Cycle.get(Cycle.period == period)), path)
        return {row[1] for row in load_workbook(path)["Gemeenten"].iter_rows(values_only=True)}

    # The world's cycles are in 2026: Parkstad, not Heerlen (which ended in 2025).
    names = listed("2026-Q2")
    assert "Parkstad" in names
    assert g2.name not in names
    assert {g1.name, g3.name} <= names
