"""Stored indicator results: one row per scope and cycle.

A scope (an organisation, gemeente, region, or the country with id 0) keeps
the figures of every indicator computed for it in one cycle as a small packed
array (`FIGURE`), so a full recompute of the national data writes tens of
thousands of rows instead of one row per indicator, scope and cycle. This
module is the only place that knows the layout: the batch encodes with
`encode`, reports and pages read `Figure`s with `figures`."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

import numpy as np

from models import ScopeResult

SIGNALS = ("geen", "groen", "oranje", "rood")

# Little-endian and unaligned, so the bytes mean the same on every machine.
# NaN stands for "no value" in the float fields.
FIGURE = np.dtype(
    [
        ("indicator", "<i4"),
        ("value", "<f8"),
        ("numerator", "<f8"),
        ("denominator", "<f8"),
        ("secondary", "<f8"),
        ("n_organisations", "<i4"),
        ("signal", "u1"),
        ("previous", "<f8"),
        ("change", "<f8"),
    ]
)


@dataclass(frozen=True)
class Figure:
    """One indicator's result for one scope in one cycle."""

    value: float | None
    signal: str
    change: float | None
    trend_break: bool
    n_organisations: int
    numerator: float | None
    denominator: float | None
    secondary: float | None
    previous: float | None = None


def encode(figures: np.ndarray) -> bytes:
    """The stored form of a scope's figures (a `FIGURE` array)."""
    return figures.astype(FIGURE, copy=False).tobytes()


def _number(value: float) -> float | None:
    return None if value != value else value  # NaN → None


def decode(blob: bytes, trend_break: bool) -> dict[int, Figure]:
    """A scope's figures by indicator id."""
    return {
        ind: Figure(
            _number(value),
            SIGNALS[signal],
            _number(change),
            trend_break,
            n,
            _number(num),
            _number(den),
            _number(sec),
            _number(previous),
        )
        for ind, value, num, den, sec, n, signal, previous, change in np.frombuffer(
            blob, FIGURE
        ).tolist()
    }


def figures(
    cycle_ids: Iterable[int],
    scope_type: str | None = None,
    scope_ids: Iterable[int] | None = None,
    organisations: Iterable[int] | None = None,
    scopes: Iterable[tuple[str, int]] | None = None,
) -> dict[tuple[int, int, str, int], Figure]:
    """Stored figures keyed by (indicator id, cycle id, scope type, scope id).

    `scope_type`/`scope_ids` narrow to some scopes; `organisations` keeps
    every gemeente, region and the country but only those organisations;
    `scopes` keeps only the (scope type, scope id) pairs listed."""
    query = ScopeResult.select(
        ScopeResult.cycle_id,
        ScopeResult.scope_type,
        ScopeResult.scope_id,
        ScopeResult.figures,
        ScopeResult.trend_break,
    ).where(ScopeResult.cycle_id.in_(list(cycle_ids)))
    if scope_type is not None:
        query = query.where(ScopeResult.scope_type == scope_type)
    if scope_ids is not None:
        query = query.where(ScopeResult.scope_id.in_(list(scope_ids)))
    if organisations is not None:
        query = query.where(
            (ScopeResult.scope_type != "organisatie")
            | ScopeResult.scope_id.in_(list(organisations))
        )
    if scopes is not None:
        wanted = sorted(set(scopes))
        if not wanted:
            return {}
        by_kind: dict[str, list[int]] = {}
        for kind, scope_id in wanted:
            by_kind.setdefault(kind, []).append(scope_id)
        # One IN list per scope type: a condition per pair nests as deep as
        # there are pairs, which overflows SQLite's parser for a region of
        # a hundred organisations.
        query = query.where(
            reduce(
                operator.or_,
                (
                    (ScopeResult.scope_type == kind) & ScopeResult.scope_id.in_(ids)
                    for kind, ids in by_kind.items()
                ),
            )
        )
    out = {}
    for cycle_id, kind, scope_id, blob, trend_break in query.tuples().iterator():
        for ind, figure in decode(blob, bool(trend_break)).items():
            out[(ind, cycle_id, kind, scope_id)] = figure
    return out


def figure(indicator_id: int, cycle_id: int, scope_type: str, scope_id: int) -> Figure | None:
    """One stored figure, or None when the indicator has none for that scope."""
    found = figures([cycle_id], scope_type, [scope_id])
    return found.get((indicator_id, cycle_id, scope_type, scope_id))
