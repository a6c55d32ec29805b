"""The report store: a directory of files, one sub-directory per cycle and run.

Every file is written under a temporary name and renamed into place, so a
reader never sees half a file. A run's files are flushed to disk together
(make_durable) and its ReportFile rows recorded together once all its files
exist; until then the previous run's files stay the current ones, so a crash
never leaves a recorded file half on disk. Nothing is overwritten: earlier
runs stay as an archive. A run that fails removes the files it wrote and did
not record (remove_unrecorded).

A closed cycle's reports written while it was still open say "voorlopig":
`latest` never returns those, so no mail and no download carries them once
the cycle is closed."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import sys
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

from peewee import fn

from models import Cycle, ReportFile, db
from models.choices import N_
from models.compiled import CompiledQuery

logger = logging.getLogger(__name__)

KINDS = {
    "xlsx_regions": N_("Regiovergelijking (Excel)"),
    "xlsx_gemeente": N_("Gemeente-overzicht (Excel)"),
    "pdf_region": N_("Managementrapportage regio (PDF)"),
    "pdf_organisation": N_("Managementrapportage organisatie (PDF)"),
}


def slug(text: str) -> str:
    """A file-name-safe ASCII version of a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:80] or "rapport"


def run_directory(root: Path, cycle: Cycle, run_id: int | None) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    directory = Path(root) / cycle.period / f"{stamp}-{run_id or 'los'}-{uuid.uuid4().hex[:6]}"
    directory.mkdir(parents=True, exist_ok=False)
    return directory


def write_atomic(
    path: Path, write: Callable[[Path], None], durable: bool = True
) -> tuple[str, int]:
    """Let `write` produce the file under a temporary name, then move it into
    place; returns (sha256, size). `durable`: flushed to disk, its name too,
    before this returns; else make_durable does it for the whole directory."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        digest = hashlib.sha256()
        with open(temporary, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
            if durable:
                os.fsync(handle.fileno())
        size = temporary.stat().st_size
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(path.parent)
    return digest.hexdigest(), size


def _syncfs():
    """Linux's syncfs(2), or None where the C library has none."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs() if sys.platform.startswith("linux") else None


def make_durable(directory: Path, each: bool = False) -> None:
    """Flush what was written into a run's directory (by write_atomic without
    `durable`) to disk, with the names, before its files are recorded: one
    syncfs of its file system where there is one (one flush for all files
    instead of two per file, which cost a night after a bulk load seconds);
    else, or with `each` (a file or two), an fsync of every file and of the
    directories."""
    directory = Path(directory)
    if _SYNCFS is not None and not each:
        fd = os.open(directory, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(directory))
        finally:
            os.close(fd)
        return
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as handle:
                os.fsync(handle.fileno())
    for folder in (directory, directory.parent, directory.parent.parent):
        _fsync_directory(folder)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record(rows: list[dict], provisional: bool = False) -> None:
    """Make a run's files current, all at once. `provisional`: they were
    read from an open cycle; should it have closed meanwhile (at or before
    the files' data moment), they are dated just before it closed, so they
    never count as its final reports."""
    with db.atomic():
        if provisional and rows:
            state, closed_at = (
                Cycle.select(Cycle.state, Cycle.closed_at)
                .where(Cycle.id == rows[0]["cycle"])
                .tuples()
                .get()
            )
            if state == "gesloten" and closed_at is not None:
                before = closed_at - dt.timedelta(microseconds=1)
                rows = [{**row, "created_at": min(row["created_at"], before)} for row in rows]
        for start in range(0, len(rows), 500):
            ReportFile.insert_many(rows[start : start + 500]).execute()


def remove_unrecorded(directory: Path) -> None:
    """Delete a run's directory when none of its files were recorded (the
    run failed before it recorded them): on a full disk too, where these
    files would otherwise stay for ever."""
    directory = Path(directory)
    prefix = str(directory) + os.sep
    recorded = ReportFile.select().where(ReportFile.path.startswith(prefix)).exists()
    if recorded:
        return
    try:
        shutil.rmtree(directory)
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("unrecorded reports in %s not removed", directory)
    else:
        logger.info("unrecorded reports removed: %s", directory)


def remove_unrecorded_of_run(root: Path, run_id: int) -> int:
    """Remove the directories a crashed attempt of run `run_id` wrote and
    never recorded (a kill -9 leaves them); returns how many went."""
    removed = 0
    for directory in Path(root).glob(f"*/*-{int(run_id)}-*"):
        if directory.is_dir() and directory.name.split("-")[1] == str(run_id):
            remove_unrecorded(directory)
            removed += not directory.exists()
    return removed


def current_files(cycle: Cycle | None = None, where=None):
    """The newest file per (cycle, kind, scope): what downloads and mails use.
    A run records its files at its end, so the newest has the highest id.
    `where` (a condition on ReportFile) narrows it, e.g. to someone's scopes."""
    newest = ReportFile.select(fn.MAX(ReportFile.id)).group_by(
        ReportFile.cycle, ReportFile.kind, ReportFile.scope_type, ReportFile.scope_id
    )
    if cycle is not None:
        newest = newest.where(ReportFile.cycle == cycle)
    if where is not None:
        newest = newest.where(where)
    return ReportFile.select(ReportFile, Cycle).join(Cycle).where(ReportFile.id.in_(newest))


_LATEST = CompiledQuery(
    lambda cycle, kind, scope_type, scope_id: (
        ReportFile.select()
        .where(
            ReportFile.cycle == cycle,
            ReportFile.kind == kind,
            ReportFile.scope_type == scope_type,
            ReportFile.scope_id == scope_id,
        )
        .order_by(ReportFile.id.desc())
        .limit(1)
    )
)


_LATEST_FINAL = CompiledQuery(
    lambda cycle, kind, scope_type, scope_id, closed_at: (
        ReportFile.select()
        .where(
            ReportFile.cycle == cycle,
            ReportFile.kind == kind,
            ReportFile.scope_type == scope_type,
            ReportFile.scope_id == scope_id,
            ReportFile.created_at >= closed_at,
        )
        .order_by(ReportFile.id.desc())
        .limit(1)
    )
)


def latest(cycle: Cycle, kind: str, scope_type: str, scope_id: int) -> ReportFile | None:
    """The newest file of this report (shown on its results page, mailed when
    the cycle closed). Of a closed cycle only a file written after it closed:
    one written while it was open says "voorlopig"."""
    if cycle.state == "gesloten" and cycle.closed_at is not None:
        return _LATEST_FINAL.first(cycle, kind, scope_type, scope_id, cycle.closed_at)
    return _LATEST.first(cycle, kind, scope_type, scope_id)


def prune(root: Path, before: dt.datetime) -> dict[str, int]:
    """Delete report files recorded before `before` that are no longer current
    (a newer run wrote the same report), with their rows; the current file of
    every report stays, however old. Returns files and bytes deleted."""
    current = ReportFile.select(fn.MAX(ReportFile.id)).group_by(
        ReportFile.cycle, ReportFile.kind, ReportFile.scope_type, ReportFile.scope_id
    )
    old = list(
        ReportFile.select(ReportFile.id, ReportFile.path, ReportFile.size).where(
            ReportFile.created_at < before, ReportFile.id.not_in(current)
        )
    )
    root = Path(root).resolve()
    deleted_bytes, directories = 0, set()
    for report_file in old:
        path = Path(report_file.path)
        # Only files inside the store are ever deleted.
        if path.resolve().is_relative_to(root) and path.is_file():
            path.unlink()
            deleted_bytes += report_file.size
            directories.add(path.parent)
    with db.atomic():
        ids = [f.id for f in old]
        for start in range(0, len(ids), 500):
            ReportFile.delete().where(ReportFile.id.in_(ids[start : start + 500])).execute()
    for directory in directories:
        with contextlib.suppress(OSError):  # only when the run's directory is now empty
            directory.rmdir()
    return {"report_files": len(old), "report_bytes": deleted_bytes}
