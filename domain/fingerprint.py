"""The fingerprint of a cycle's inputs (part of `domain.computation`): a
nightly run recomputes only the cycles whose fingerprint changed."""

from __future__ import annotations

import bisect
import hashlib
import json

from peewee import fn

from domain import norms
from domain.query_plan import windows
from models import (
    Assessment,
    Cycle,
    FingerprintPart,
    ReferenceYear,
    db,
    is_postgres,
    utcnow,
)


def _rows(sql: str) -> list[tuple]:
    return db.execute_sql(sql).fetchall()


def fingerprints(cycles: list[Cycle]) -> dict[int, str]:
    """Per cycle a hash of every input its figures depend on:

    - its assessments (count, versions, last change): answers, partner
      ratings given and escalations are saved in them, each save a version;
    - the improvement actions due in its window, whichever assessment holds
      them: per due date their count and last change, and the count and
      assessments of those in an assessment not submitted (reopening another
      cycle's assessment changes what this cycle counts);
    - which organisation serves which gemeente and is in which region (the
      pairs themselves, not how many), and the reference years loaded;
    - the indicator definitions and norms in force for it (frozen when it
      closed, `domain.norms`, else the current ones), and its framework and
      due date;
    - the previous cycle's fingerprint, since its change since the previous
      cycle depends on that cycle's figures."""
    per_cycle = {
        cycle_id: (n, total_version, str(last))
        for cycle_id, n, total_version, last in Assessment.select(
            Assessment.cycle,
            fn.COUNT(Assessment.id),
            fn.SUM(Assessment.version),
            fn.MAX(Assessment.updated_at),
        )
        .group_by(Assessment.cycle)
        .tuples()
    }
    unsubmitted, dated = _actions(per_cycle)
    due = [row[0][:10] for row in unsubmitted]
    dates = [row[0][:10] for row in dated]
    structure = hashlib.sha256(
        repr(
            (
                _rows("SELECT id, region_id FROM organisation ORDER BY id"),
                _rows(
                    "SELECT organisation_id, gemeente_id FROM organisation_gemeente "
                    "ORDER BY organisation_id, gemeente_id"
                ),
                list(
                    ReferenceYear.select(ReferenceYear.year, ReferenceYear.loaded_at)
                    .order_by(ReferenceYear.year)
                    .tuples()
                ),
            )
        ).encode()
    ).hexdigest()
    frozen = norms.digests()
    live = None
    all_cycles = list(Cycle.select().order_by(Cycle.period))
    spans = windows(all_cycles)
    out, previous = {}, ""
    for cycle in all_cycles:
        start, end = spans[cycle.id]
        window = ("" if start is None else _day(start), _day(end))
        definitions = frozen.get(cycle.id)
        if definitions is None:
            live = live or norms.live_digest()
            definitions = live
        text = repr(
            (
                cycle.id,
                cycle.framework_id,
                cycle.due_on,
                cycle.state,
                per_cycle.get(cycle.id),
                _within(dates, dated, window),
                _within(due, unsubmitted, window),
                structure,
                definitions,
                previous,
            )
        )
        out[cycle.id] = hashlib.sha256(text.encode()).hexdigest()
        # The change since the previous cycle depends on that cycle too.
        previous = out[cycle.id]
    return {c.id: out[c.id] for c in cycles}


def _within(days: list[str], rows: list, window: tuple[str, str]) -> list[tuple]:
    """The rows (one per due date, `days` their dates in order) due in a
    window: after its first date, up to and including its last."""
    after, until = window
    first, last = bisect.bisect_right(days, after), bisect.bisect_right(days, until)
    return [tuple(row) for row in rows[first:last]]


def _actions(per_cycle: dict) -> tuple[list[list[str]], list[list[str]]]:
    """The improvement actions per due date (as text): of assessments not
    submitted, how many and which assessments; of all, how many and their
    last change. Reading them means reading every action, so they are kept
    (`FingerprintPart`) with the key they were read under, and read again
    only when the key changed: the actions' removals, highest id and last
    change (an action added, removed or saved, also outside a form) and
    every cycle's assessments (count, versions, last change: a form saves
    its actions and its state in the assessment that holds them, which
    moves them in or out of what a cycle counts). The key is read first: a
    change while the actions are read makes the next run read them again."""
    # Each on its own, so that the highest id and last change are one index
    # seek each (a MAX beside another aggregate reads every row); removals
    # are counted by a trigger (`RemovalCount`), as counting the actions
    # reads every one of them on PostgreSQL.
    marks = _rows(
        "SELECT (SELECT removed FROM removal_count WHERE name = 'improvement_action'), "
        "(SELECT MAX(id) FROM improvement_action), "
        "(SELECT MAX(updated_at) FROM improvement_action)"
    )[0]
    key = hashlib.sha256(
        repr((sorted(per_cycle.items()), tuple(map(str, marks)))).encode()
    ).hexdigest()
    kept = FingerprintPart.get_or_none(FingerprintPart.name == "actions")
    if kept is not None and kept.key == key:
        rows = json.loads(kept.rows)
        return rows["unsubmitted"], rows["dated"]
    # The actions of assessments not submitted (now), per due date: few, read
    # from the assessments' side. The assessments first, each one's actions
    # by index: CROSS JOIN keeps SQLite's order; PostgreSQL would rather hash
    # every action (a LATERAL subquery, kept apart by OFFSET 0, makes it look
    # them up instead).
    actions_of = (
        "CROSS JOIN LATERAL (SELECT x.due_on, x.assessment_id FROM improvement_action x "
        "WHERE x.assessment_id = s.id OFFSET 0) x WHERE "
        if is_postgres()
        else "CROSS JOIN improvement_action x WHERE x.assessment_id = s.id AND "
    )
    unsubmitted = _text(
        _rows(
            "SELECT x.due_on, COUNT(*), SUM(x.assessment_id) FROM assessment s "  # noqa: S608
            + actions_of
            + "s.state <> 'ingediend' AND x.due_on IS NOT NULL "
            "GROUP BY x.due_on ORDER BY x.due_on"
        )
    )
    # Every action with a due date, per due date: how many (one pass over an
    # index) and the last change (the last entry of that date in the
    # (due date, last change, …) index).
    dated = _text(
        _rows(
            "SELECT i.due_on, COUNT(*), (SELECT MAX(j.updated_at) FROM improvement_action j "
            "WHERE j.due_on = i.due_on) FROM improvement_action i "
            "WHERE i.due_on IS NOT NULL GROUP BY i.due_on ORDER BY i.due_on"
        )
    )
    rows = json.dumps({"unsubmitted": unsubmitted, "dated": dated})
    FingerprintPart.insert(name="actions", key=key, rows=rows, updated_at=utcnow()).on_conflict(
        conflict_target=[FingerprintPart.name],
        update={
            FingerprintPart.key: key,
            FingerprintPart.rows: rows,
            FingerprintPart.updated_at: utcnow(),
        },
    ).execute()
    return unsubmitted, dated


def _text(rows: list[tuple]) -> list[list[str]]:
    """Rows as text, the date first as ISO text (SQLite gives text,
    PostgreSQL dates), as they are hashed and kept."""
    return [[_day(row[0]), *map(str, row[1:])] for row in rows]


def _day(value) -> str:
    """A date as ISO text (SQLite gives text, PostgreSQL dates)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]
