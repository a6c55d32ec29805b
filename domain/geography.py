"""The shapes of the gemeenten and regions, from the shipped TopoJSON.

`data/gemeenten-<year>.topojson` (CBS/PDOK boundaries, simplified, WGS84,
quantized) holds one polygon per gemeente of that year, drawn from arcs that
neighbouring gemeenten share. A region's outline is the merge of its
gemeenten: every arc that two of its gemeenten share runs once in each
direction and is dropped; the arcs left are stitched into closed rings. A
gemeente formed by a merger after the map's year is the merge of its
predecessors the same way. Coordinates stay quantized integers until they
are projected, so stitching compares points exactly."""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAP_YEAR = 2024  # the year of the gemeenten in the shipped map
ATTRIBUTION = "Kaart: CBS, PDOK"

Point = tuple[int, int]
Ring = list[Point]


@dataclass(frozen=True)
class Topology:
    """A decoded TopoJSON topology of gemeenten."""

    year: int
    arcs: list[list[Point]]  # absolute quantized points
    polygons: dict[str, list[list[int]]]  # code → rings as arc references
    names: dict[str, str]  # code → name in the map's year
    scale: tuple[float, float]
    translate: tuple[float, float]

    @property
    def codes(self) -> set[str]:
        return set(self.polygons)

    def _ring(self, refs: Sequence[int]) -> Ring:
        points: Ring = []
        for ref in refs:
            arc = self.arcs[ref] if ref >= 0 else self.arcs[~ref][::-1]
            points.extend(arc if not points else arc[1:])
        return points

    def rings(self, code: str) -> list[Ring]:
        """The rings (outer and holes) of one gemeente of the map."""
        return [self._ring(refs) for refs in self.polygons[code]]

    def merged(self, codes: Iterable[str]) -> list[Ring]:
        """The outline of several gemeenten together: shared arcs dropped, the
        rest stitched into closed rings (outer rings and holes alike; draw with
        the even-odd rule)."""
        used: dict[int, int] = defaultdict(int)  # arc → net direction count
        refs: list[int] = []
        for code in codes:
            for ring in self.polygons.get(code, []):
                for ref in ring:
                    refs.append(ref)
                    used[ref if ref >= 0 else ~ref] += 1 if ref >= 0 else -1
        # An arc both ways round is inside the merged shape.
        outer = [r for r in refs if used[r if r >= 0 else ~r] != 0]
        ends = [self._ends(ref) for ref in outer]
        pending: dict[Point, list[int]] = defaultdict(list)
        for index in range(len(outer) - 1, -1, -1):
            pending[ends[index][0]].append(index)
        done = [False] * len(outer)
        rings: list[Ring] = []
        for first in range(len(outer)):
            if done[first]:
                continue
            done[first] = True
            pending[ends[first][0]].remove(first)
            chain = [outer[first]]
            start, end = ends[first]
            while end != start and pending.get(end):
                index = pending[end].pop()
                done[index] = True
                chain.append(outer[index])
                end = ends[index][1]
            ring = self._ring(chain)
            # Two copies of one boundary, walked there and back, enclose nothing.
            if signed_area(ring):
                rings.append(ring)
        return rings

    def _ends(self, ref: int) -> tuple[Point, Point]:
        arc = self.arcs[ref if ref >= 0 else ~ref]
        return (arc[0], arc[-1]) if ref >= 0 else (arc[-1], arc[0])

    def lonlat(self, point: Point) -> tuple[float, float]:
        """A quantized point as longitude and latitude (WGS84)."""
        return (
            point[0] * self.scale[0] + self.translate[0],
            point[1] * self.scale[1] + self.translate[1],
        )


def _absolute(arc: list[list[int]]) -> list[Point]:
    x = y = 0
    points = []
    for dx, dy in arc:
        x += dx
        y += dy
        points.append((x, y))
    return points


def read_topology(path: Path, year: int) -> Topology:
    """Decode a quantized TopoJSON file with one GeometryCollection of
    gemeenten (geometry id = CBS code)."""
    with path.open(encoding="utf-8") as fh:
        raw = json.load(fh)
    (collection,) = raw["objects"].values()
    polygons: dict[str, list[list[int]]] = {}
    names: dict[str, str] = {}
    for geometry in collection["geometries"]:
        if geometry["type"] == "Polygon":
            rings = geometry["arcs"]
        elif geometry["type"] == "MultiPolygon":
            rings = [ring for polygon in geometry["arcs"] for ring in polygon]
        else:
            raise ValueError(f"unexpected geometry {geometry['type']} for {geometry.get('id')}")
        polygons[geometry["id"]] = rings
        names[geometry["id"]] = geometry.get("properties", {}).get("statnaam", geometry["id"])
    transform = raw["transform"]
    return Topology(
        year=year,
        arcs=[_absolute(arc) for arc in raw["arcs"]],
        polygons=polygons,
        names=names,
        scale=tuple(transform["scale"]),
        translate=tuple(transform["translate"]),
    )


@functools.cache
def topology(year: int = MAP_YEAR) -> Topology:
    """The shipped map of a year's gemeenten (read once per process)."""
    return read_topology(DATA_DIR / f"gemeenten-{year}.topojson", year)


def signed_area(ring: Sequence[tuple[float, float]]) -> float:
    """The signed area of a closed ring (shoelace formula)."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        total += x1 * y2 - x2 * y1
    return total / 2


def contains(rings: Sequence[Sequence[tuple[float, float]]], point: tuple[float, float]) -> bool:
    """Whether a point lies inside rings drawn with the even-odd rule."""
    x, y = point
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude onto a drawing: equirectangular with the longitude
    shortened by cos(52°), fitted into width × height with a margin. Good
    enough for a country the size of the Netherlands."""

    west: float
    north: float
    factor: float
    x_offset: float
    y_offset: float

    @classmethod
    def fit(
        cls, lonlats: Iterable[tuple[float, float]], width: float, height: float, margin: float
    ) -> Projection:
        points = list(lonlats)
        if not points:
            return cls(0.0, 0.0, 1.0, margin, margin)
        k = math.cos(math.radians(52.0))
        west = min(p[0] for p in points)
        east = max(p[0] for p in points)
        south = min(p[1] for p in points)
        north = max(p[1] for p in points)
        span_x = max((east - west) * k, 1e-9)
        span_y = max(north - south, 1e-9)
        factor = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        return cls(
            west=west,
            north=north,
            factor=factor,
            x_offset=(width - span_x * factor) / 2,
            y_offset=(height - span_y * factor) / 2,
        )

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        k = math.cos(math.radians(52.0))
        return (
            self.x_offset + (lon - self.west) * k * self.factor,
            self.y_offset + (self.north - lat) * self.factor,
        )
