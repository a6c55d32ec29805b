"""The shipped map: one shape per gemeente of the reference data, region
outlines merged from their gemeenten that enclose them."""

import csv
from collections import defaultdict

import pytest

from domain.geography import DATA_DIR, MAP_YEAR, contains, signed_area, topology


def _reference() -> list[dict]:
    with (DATA_DIR / "gemeenten.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _inside_point(rings) -> tuple[float, float]:
    """A point strictly inside rings (even-odd): the middle of the first span
    that a horizontal line through the middle of the shape crosses."""
    ys = [y for ring in rings for _, y in ring]
    y = (min(ys) + max(ys)) / 2 + 0.25  # never on a vertex: coordinates are integers
    crossings = sorted(
        x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        for ring in rings
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)
        if (y1 > y) != (y2 > y)
    )
    assert len(crossings) >= 2
    spans = sorted(zip(crossings[::2], crossings[1::2], strict=True), key=lambda s: s[0] - s[1])
    return ((spans[0][0] + spans[0][1]) / 2, y)  # the widest span


def test_every_gemeente_has_a_shape_and_every_shape_a_gemeente():
    topo = topology()
    assert topo.year == MAP_YEAR == 2024
    codes = {row["gemeentecode"] for row in _reference()}
    assert len(codes) == 342
    assert topo.codes == codes
    for code in codes:
        rings = topo.rings(code)
        assert rings
        assert all(ring[0] == ring[-1] and len(ring) >= 4 for ring in rings)


def test_region_outlines_enclose_their_gemeenten_and_no_others():
    topo = topology()
    by_region = defaultdict(list)
    for row in _reference():
        by_region[row["regiocode"]].append(row["gemeentecode"])
    assert len(by_region) == 25
    outlines = {region: topo.merged(codes) for region, codes in by_region.items()}
    for region, codes in by_region.items():
        rings = outlines[region]
        assert all(ring[0] == ring[-1] for ring in rings), region
        # The shared borders cancel: the outline covers exactly its gemeenten.
        assert sum(map(signed_area, rings)) == pytest.approx(
            sum(signed_area(r) for code in codes for r in topo.rings(code))
        )
        # Fewer points than the gemeenten drawn one by one: inner borders are gone.
        assert sum(map(len, rings)) < sum(len(r) for code in codes for r in topo.rings(code))
        for code in codes:
            point = _inside_point(topo.rings(code))
            assert contains(topo.rings(code), point), code
            assert contains(rings, point), (region, code)
            others = [r for r in outlines if r != region and contains(outlines[r], point)]
            assert others == [], (region, code, others)


def test_merging_one_gemeente_gives_its_own_shape():
    topo = topology()
    rings = topo.merged(["GM0935"])  # Maastricht
    assert sum(map(signed_area, rings)) == pytest.approx(
        sum(map(signed_area, topo.rings("GM0935")))
    )
    lon, lat = topo.lonlat(_inside_point(rings))
    assert 5.6 < lon < 5.8
    assert 50.8 < lat < 50.9
