"""Storing the figures of a recompute (part of `domain.computation`).

Results are stored per scope and cycle (`domain.results`) with their signal
and the change since the previous cycle. Only rows that differ are written:
by writer threads on connections of their own (one on SQLite, two on
PostgreSQL), a transaction per cycle, while the next cycle is worked out."""

from __future__ import annotations

import datetime as dt
import io
import queue
import sqlite3
import struct
import threading
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from domain.results import FIGURE
from domain.tally import Scopes, _own_connections
from models import Cycle, IndicatorStamp, db, is_postgres, utcnow

WRITERS = 2  # connections that write results at once (PostgreSQL)
INSERT_ROWS = 500  # rows per INSERT statement on SQLite
INSERT_COLUMNS = "(cycle_id, scope_type, scope_id, figures, trend_break, computed_at)"


@dataclass
class RecomputeReport:
    cycles_checked: int = 0
    cycles_recomputed: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0


def _stored_values(cycle: Cycle, indicators, scopes: Scopes) -> np.ndarray:
    """The stored values of a cycle, as an array (scopes, indicators)."""
    out = np.full((len(scopes.keys), len(indicators)), np.nan)
    scope_at = {key: n for n, key in enumerate(scopes.keys)}
    indicator_at = {i.id: n for n, i in enumerate(indicators)}
    cursor = db.execute_sql(
        f"SELECT scope_type, scope_id, figures FROM scope_result WHERE cycle_id = {db.param}",  # noqa: S608
        (cycle.id,),
    )
    for scope_type, scope_id, blob in cursor.fetchall():
        row = scope_at.get((scope_type, scope_id))
        if row is None:
            continue
        stored = np.frombuffer(blob, FIGURE)
        for ind, value in zip(stored["indicator"].tolist(), stored["value"].tolist(), strict=True):
            if ind in indicator_at:
                out[row, indicator_at[ind]] = value
    return out


def _encoded(records: np.ndarray, present: np.ndarray, rows: np.ndarray):
    """The stored form of `rows`: per pattern of indicators present, the
    positions (in `rows`) of the scopes with that pattern and their figures
    as an array of equal-length byte strings. Most scopes share one of a few
    patterns, so each pattern is encoded in one go: the figures are copied
    as raw `FIGURE` records (a structured copy goes field by field)."""
    chosen = present[rows]
    bits = np.packbits(chosen, axis=1)
    keys = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    which = which.ravel()
    raw = np.ascontiguousarray(records.astype(FIGURE, copy=False))
    raw = raw.view(np.dtype((np.void, FIGURE.itemsize)))
    # The members of each pattern, in order: one sort instead of a pass per pattern.
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(first) + 1))
    for n, row in enumerate(first.tolist()):
        members = order[bounds[n] : bounds[n + 1]]
        pattern = np.flatnonzero(chosen[row])
        picked = np.ascontiguousarray(raw[rows[members][:, None], pattern])
        width = len(pattern) * FIGURE.itemsize
        yield members, picked.view(np.dtype((np.void, width))).ravel()


def _blobs(records: np.ndarray, present: np.ndarray, rows: np.ndarray) -> list[bytes]:
    """The stored form of each of `rows`."""
    out: list[bytes] = [b""] * len(rows)
    for members, blobs in _encoded(records, present, rows):
        # A void array's items are bytes.
        for member, blob in zip(members.tolist(), blobs.tolist(), strict=True):
            out[member] = blob
    return out


@dataclass
class _Changes:
    """What one cycle's write does: rows to insert (as PostgreSQL COPY data or
    SQLite parameters), to update and to delete, and the cycle's stamp."""

    cycle: Cycle
    stamp: str
    inserts: bytes | list[tuple]
    inserted: int
    updates: list[tuple]
    deletes: list[tuple]
    unchanged: int


def _changes(cycle, stamp, scopes: Scopes, records, present, trend_break: bool) -> _Changes:
    """Compare one cycle's figures with what is stored: the rows to write."""
    cursor = db.execute_sql(
        "SELECT scope_type, scope_id, figures, trend_break FROM scope_result "  # noqa: S608
        f"WHERE cycle_id = {db.param}",
        (cycle.id,),
    )
    existing = {(t, s): (bytes(blob), bool(b)) for t, s, blob, b in cursor.fetchall()}
    now, cycle_id = utcnow(), cycle.id
    rows = np.flatnonzero(present.any(axis=1))
    if not existing and is_postgres():
        # Nothing stored yet (a first or full recompute): every row is new and
        # goes to COPY as it is encoded, grouped by scope type.
        groups = []
        for members, blobs in _encoded(records, present, rows):
            kinds = scopes.kinds[rows[members]]
            # sorted(set()) rather than np.unique, which imports numpy.ma
            # (a tenth of a second) the first time.
            for kind in sorted(set(kinds.tolist())):
                chosen = kinds == kind
                groups.append((kind, scopes.ids[rows[members][chosen]], blobs[chosen]))
        data = _copy_data(cycle_id, groups, trend_break, now)
        return _Changes(cycle, stamp, data, len(rows), [], [], 0)
    if not existing:
        # Nothing stored yet: every row is new (SQLite parameters, zipped in C).
        at, blobs = now.isoformat(" "), _blobs(records, present, rows)
        kinds, ids = scopes.kinds[rows].tolist(), scopes.ids[rows].tolist()
        data = list(
            zip(repeat(cycle_id), kinds, ids, blobs, repeat(trend_break), repeat(at), strict=False)
        )
        return _Changes(cycle, stamp, data, len(data), [], [], 0)
    inserts, updates, unchanged = [], [], 0
    for n, blob in zip(rows.tolist(), _blobs(records, present, rows), strict=True):
        key = scopes.keys[n]
        stored = existing.pop(key, None)
        if stored is None:
            inserts.append((*key, blob))
        elif stored != (blob, trend_break):
            updates.append((blob, trend_break, now, cycle_id, *key))
        else:
            unchanged += 1
    if is_postgres():
        data = _copy_data(cycle_id, _grouped(inserts), trend_break, now) if inserts else b""
    else:
        at = now.isoformat(" ")
        data = [(cycle_id, *row, trend_break, at) for row in inserts]
    deletes = [(cycle_id, *key) for key in existing]  # scopes that no longer have figures
    return _Changes(cycle, stamp, data, len(inserts), updates, deletes, unchanged)


def _write(changes: _Changes) -> RecomputeReport:
    """Write one cycle's changes and its stamp in one transaction; what was written."""
    where = f"cycle_id = {db.param} AND scope_type = {db.param} AND scope_id = {db.param}"
    with db.atomic():
        if is_postgres():
            # Results and stamp commit together; should the server crash
            # before this commit reaches disk, the next run recomputes it.
            db.execute_sql("SET LOCAL synchronous_commit = off")
        if changes.deletes:
            db.cursor().executemany(
                f"DELETE FROM scope_result WHERE {where}",  # noqa: S608
                changes.deletes,
            )
        if changes.inserted and is_postgres():
            db.cursor().copy_expert(
                "COPY scope_result (cycle_id, scope_type, scope_id, figures, trend_break, "
                "computed_at) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(changes.inserts),
            )
        elif changes.inserted:
            _insert_sqlite(changes.inserts)
        if changes.updates:
            db.cursor().executemany(
                f"UPDATE scope_result SET figures = {db.param}, trend_break = {db.param}, "  # noqa: S608
                f"computed_at = {db.param} WHERE {where}",
                changes.updates,
            )
        IndicatorStamp.insert(
            cycle=changes.cycle.id, stamp=changes.stamp, computed_at=utcnow()
        ).on_conflict(
            conflict_target=[IndicatorStamp.cycle],
            update={IndicatorStamp.stamp: changes.stamp, IndicatorStamp.computed_at: utcnow()},
        ).execute()
    return RecomputeReport(
        cycles_recomputed=1,
        rows_written=changes.inserted + len(changes.updates),
        rows_unchanged=changes.unchanged,
        rows_deleted=len(changes.deletes),
    )


def _insert_sqlite(rows: list[tuple]) -> None:
    """SQLite: rows of scope_result, many to a statement: fewer steps than
    one INSERT a row (less work, and this thread lets go of the GIL once a
    statement instead of once a row)."""
    connection = db.connection()
    limit = 999  # SQLite's own default before 3.32
    if hasattr(connection, "getlimit"):
        limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(INSERT_ROWS, limit // 6))
    cursor = db.cursor()
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(part))
        sql = f"INSERT INTO scope_result {INSERT_COLUMNS} VALUES {values}"  # noqa: S608
        cursor.execute(sql, list(chain.from_iterable(part)))


class _Writer:
    """Writes cycles one transaction each, on connections of their own in
    threads, while the caller works out the next cycle; or right away on the
    caller's connection where another connection would not see what it sees
    (an open transaction, an in-memory database). Progress is told from the
    caller's thread, once a cycle is committed.

    PostgreSQL takes two cycles at once (two writers: a COPY keeps one core
    busy, and a full recompute writes more than the caller works out in the
    meantime); SQLite writes one transaction at a time anyway."""

    def __init__(self, report: RecomputeReport, say, total: int) -> None:
        self.report, self.say, self.total = report, say, total
        self.inline = not _own_connections()
        # Two cycles waiting at most: their rows are held in memory until written.
        self.todo: queue.Queue = queue.Queue(maxsize=2)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.failure: BaseException | None = None
        self.told = 0
        self.threads: list[threading.Thread] = []
        if not self.inline:
            writers = WRITERS if is_postgres() else 1
            self.threads = [
                threading.Thread(target=self._work, name="recompute-writer")
                for _ in range(max(1, min(writers, total)))
            ]
            for thread in self.threads:
                thread.start()

    def _work(self) -> None:
        finished = False
        try:
            with db.connection_context():
                while (changes := self.todo.get()) is not None:
                    if self.failure is None:  # another writer failed: write no more
                        self.done.put((changes.cycle.period, _write(changes)))
                finished = True
        except BaseException as exc:  # handed to the caller's thread
            self.failure = exc
        while not finished:  # keep taking work, so the caller never waits on a full queue
            finished = self.todo.get() is None

    def _tell(self) -> None:
        while not self.done.empty():
            period, written = self.done.get()
            for field in ("cycles_recomputed", "rows_written", "rows_unchanged", "rows_deleted"):
                setattr(self.report, field, getattr(self.report, field) + getattr(written, field))
            self.told += 1
            self.say(f"ronde {period} herberekend ({self.told}/{self.total})")

    def put(self, changes: _Changes) -> None:
        if self.inline:
            self.done.put((changes.cycle.period, _write(changes)))
        elif self.failure is not None:
            raise self.failure
        else:
            self.todo.put(changes)
        self._tell()

    def close(self, quiet: bool = False) -> None:
        """Wait for every write; raise what went wrong unless `quiet` (the
        caller is raising already)."""
        for _ in self.threads:  # one end mark for each writer
            self.todo.put(None)
        for thread in self.threads:
            thread.join()
        self._tell()
        if self.failure is not None and not quiet:
            raise self.failure


POSTGRES_EPOCH = dt.datetime(2000, 1, 1)


def _grouped(rows: list[tuple]) -> list[tuple]:
    """(scope type, scope id, figures) rows as `_copy_data` groups."""
    groups: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        groups.setdefault((row[0], len(row[2])), []).append(row)
    return [
        (
            kind,
            np.array([row[1] for row in members]),
            np.frombuffer(b"".join(row[2] for row in members), f"V{width}"),
        )
        for (kind, width), members in groups.items()
    ]


def _copy_data(cycle_id: int, groups, trend_break: bool, computed_at: dt.datetime) -> bytes:
    """Rows in PostgreSQL's binary COPY format: many times faster than INSERT
    for a full recompute, and the figures go over as they are. `groups` holds
    (scope type, scope ids, figures of equal length): rows of one group have
    the same layout, so each is written as one numpy record array."""
    # Microseconds since 2000 for the timestamp.
    micros = (computed_at - POSTGRES_EPOCH) // dt.timedelta(microseconds=1)
    parts = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)]
    for scope_type, scope_ids, blobs in groups:
        kind, width = scope_type.encode(), blobs.dtype.itemsize
        # Per field its byte length, then its value.
        layout = np.dtype(
            [
                ("fields", ">i2"),
                ("cycle_len", ">i4"),
                ("cycle", ">i4"),
                ("kind_len", ">i4"),
                ("kind", f"S{len(kind)}"),
                ("scope_len", ">i4"),
                ("scope", ">i4"),
                ("figures_len", ">i4"),
                ("figures", f"V{width}"),
                ("break_len", ">i4"),
                ("trend_break", "u1"),
                ("at_len", ">i4"),
                ("at", ">i8"),
            ]
        )
        records = np.empty(len(scope_ids), layout)
        values = (6, 4, cycle_id, len(kind), kind, 4, scope_ids, width, blobs, 1, trend_break, 8)
        for name, value in zip(layout.names, (*values, micros), strict=True):
            records[name] = value
        parts.append(records.tobytes())
    parts.append(struct.pack(">h", -1))
    return b"".join(parts)
