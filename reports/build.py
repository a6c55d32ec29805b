"""Writing a cycle's reports into the store: the region comparison workbook, a
workbook per gemeente, a PDF per region and per organisation."""

from __future__ import annotations

import ctypes
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from peewee import fn

from models import (
    Assessment,
    Cycle,
    IndicatorStamp,
    ReportFile,
    RoleAssignment,
    utcnow,
)
from models.db import reopen_in_child
from reports import practice, store
from reports.data import CycleData, scope_report
from reports.excel import gemeente_workbook, region_workbook
from reports.pdf import write_pdf

logger = logging.getLogger(__name__)


@dataclass
class WrittenReports:
    cycle: str
    directory: str = ""
    files: dict[str, int] = field(default_factory=dict)  # kind → count
    bytes: int = 0
    failed: list[str] = field(default_factory=list)  # "file name: error", one per failed report


def report_processes() -> int:
    """How many processes render reports: REPORT_PROCESSES, else one per core."""
    configured = os.environ.get("REPORT_PROCESSES", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return os.cpu_count() or 1


@dataclass(frozen=True)
class _Task:
    kind: str
    scope_type: str
    scope_id: int
    path: Path
    write: Callable[[Path], None]


# The tasks of the cycle being written. Set before the worker processes are
# forked, so they inherit the tasks (and the cycle's data) instead of having
# them pickled; each worker is told only a task's index.
_TASKS: list[_Task] = []


def _write_one(task: _Task) -> tuple[str, int] | str:
    """The written file's (sha256, size), or why its report failed."""
    try:
        return store.write_atomic(task.path, task.write, durable=False)  # make_durable
    except OSError:
        raise  # the disk, not the data: stop, and the previous reports stay current
    except Exception as exc:  # one scope's data never stops everyone else's report
        logger.exception("report %s of %s %s failed", task.kind, task.scope_type, task.scope_id)
        return f"{task.path.name}: {type(exc).__name__}: {exc}"[:500]


def _render(index: int) -> tuple[int, tuple[str, int] | str]:
    return index, _write_one(_TASKS[index])


PR_SET_PDEATHSIG = 1  # linux/prctl.h
_GROUP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
CHECK_EVERY_SECONDS = 5.0  # how often a long write checks its run's claim
PARENT_POLL_SECONDS = 1.0


def _die_with_parent(parent: int) -> None:
    """A report worker never outlives the batch that forked it: the kernel
    sends it SIGKILL when its parent dies (Linux), and a watcher thread checks
    the parent every second (elsewhere, and should the signal be missed).
    Without this a worker of a killed batch keeps the batch's inherited
    database session (and its PostgreSQL advisory lock) open for ever."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            logger.warning("report worker: prctl(PR_SET_PDEATHSIG) unavailable")
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="report-worker-parent", daemon=True).start()


def _start_worker(parent: int) -> None:
    """Initializer of a report worker process: watch the parent, and a
    database connection of its own (never one of the parent's). SIGTERM and
    SIGINT sent to the whole group (systemd stopping the scheduler, Ctrl+C)
    are the batch's to handle: it stops at a safe point and ends its workers."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Forked with both blocked (see _rendered): one that arrived in between
    # is pending, and is discarded now that it is ignored.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _GROUP_SIGNALS)
    _die_with_parent(parent)
    reopen_in_child()


def _rendered(tasks: list[_Task], processes: int) -> Iterator[tuple[int, tuple[str, int] | str]]:
    """Render every task, in order of the tasks; in worker processes when
    more than one is asked for and the platform can fork. When the caller
    stops early (a failure, a stop request, a lost claim), the tasks not yet
    started are cancelled and the running ones finish before this returns, so
    no worker writes into the directory afterwards."""
    global _TASKS
    if processes <= 1 or len(tasks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for index, task in enumerate(tasks):
            yield index, _write_one(task)
        return
    _TASKS = tasks
    pool = ProcessPoolExecutor(
        max_workers=min(processes, len(tasks)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    try:
        # Forking workers start with SIGTERM and SIGINT blocked, so one sent
        # to the group before a worker's initializer ignores it cannot kill
        # the worker (and break the pool). All workers are forked here: map
        # submits every task at once. The signal still reaches the batch:
        # only this thread blocks it, and the main thread handles it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _GROUP_SIGNALS)
        try:
            results = pool.map(_render, range(len(tasks)), chunksize=4)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _TASKS = []


def write_cycle_reports(
    cycle: Cycle,
    root: Path | str,
    run_id: int | None = None,
    progress: Callable[[str], None] | None = None,
    processes: int | None = None,
    check: Callable[[], None] | None = None,
    only: tuple[str, str, int] | None = None,
) -> WrittenReports:
    """All reports of a cycle in a new directory of the store, rendered by
    `processes` worker processes (default: report_processes()); recorded as
    the current ones only when every file is written. `check` runs just
    before they are recorded (a run's claim: it raises when the run must
    stop). `only` (kind, scope type, scope id) writes that one report.

    A failure (a full disk, a stop request, a lost claim) removes the files
    this call wrote: unrecorded, nobody would ever use or prune them."""
    say = progress or (lambda message: None)
    # The moment of the data, taken before the cycle's state is read: a
    # report is final when it was read from a closed cycle (see store.latest).
    snapshot = utcnow()
    cycle = Cycle.get_by_id(cycle.id)  # its state now, not a caller's copy
    if only is not None and only[1] in ("organisatie", "regio"):
        # A PDF written on first download reads only its scope's data, as
        # its results page does (the same PDF: a test compares them). A
        # gemeente's workbook compares its region's organisations and
        # partners: it reads the whole cycle.
        data = CycleData.load_scope(cycle, *only[1:])
    else:
        data = CycleData.load(cycle)
    directory = store.run_directory(Path(root), cycle, run_id)
    try:
        return _write_into(directory, cycle, data, run_id, say, processes, check, only, snapshot)
    except BaseException:
        store.remove_unrecorded(directory)
        raise


def _write_into(
    directory: Path,
    cycle: Cycle,
    data: CycleData,
    run_id: int | None,
    say: Callable[[str], None],
    processes: int | None,
    check: Callable[[], None] | None,
    only: tuple[str, str, int] | None,
    snapshot: dt.datetime,
) -> WrittenReports:
    written = WrittenReports(cycle=cycle.period, directory=str(directory))
    tasks: list[_Task] = []

    def add(kind: str, scope_type: str, scope_id: int, name: str, write) -> None:
        if only is None or only == (kind, scope_type, scope_id):
            tasks.append(_Task(kind, scope_type, scope_id, directory / name, write))

    period = cycle.period
    add(
        "xlsx_regions", "land", 0, f"Regiovergelijking-{period}.xlsx",
        lambda path: region_workbook(data, path),
    )  # fmt: skip
    # Gemeenten that someone works in or receives a report for; regions with organisations.
    wanted = set(data.served_by) | {
        g for (g,) in RoleAssignment.select(RoleAssignment.gemeente)
        .where(RoleAssignment.role == "gemeente").tuples()
    }  # fmt: skip
    for gemeente_id, gemeente in data.gemeenten.items():
        if gemeente_id not in wanted:
            continue
        add(
            "xlsx_gemeente", "gemeente", gemeente_id,
            f"Gemeente-{store.slug(gemeente.name)}-{gemeente.code}-{period}.xlsx",
            lambda path, g=gemeente_id: gemeente_workbook(data, g, path),
        )  # fmt: skip
    active_regions = {o.region_id for o in data.organisations.values()}
    for region_id, region in data.regions.items():
        if region_id not in active_regions:
            continue
        add(
            "pdf_region", "regio", region_id,
            f"Regio-{store.slug(region.name)}-{period}.pdf",
            lambda path, r=region_id: write_pdf(scope_report(data, "regio", r), path),
        )  # fmt: skip
    for org in data.organisations.values():
        if org.id not in data.responses:
            continue
        add(
            "pdf_organisation", "organisatie", org.id,
            f"Organisatie-{store.slug(org.name)}-{org.id}-{period}.pdf",
            lambda path, o=org.id: write_pdf(scope_report(data, "organisatie", o), path),
        )  # fmt: skip

    processes = report_processes() if processes is None else processes
    say(f"{period}: {len(tasks)} rapporten schrijven in {min(processes, len(tasks))} processen")
    rows: list[dict] = []
    # Good practice beside the weakest agreements: read once, before the workers fork.
    rendered = practice.while_preloaded(cycle, _rendered(tasks, processes))
    checked = time.monotonic()
    for done, (index, outcome) in enumerate(rendered, start=1):
        if check is not None and time.monotonic() - checked >= CHECK_EVERY_SECONDS:
            check()  # a stop request or a lost claim ends the writing here
            checked = time.monotonic()
        task = tasks[index]
        if isinstance(outcome, str):
            written.failed.append(outcome)
            say(f"{period}: rapport mislukt: {outcome}")
            continue
        checksum, size = outcome
        rows.append(
            {
                "run": run_id,
                "cycle": cycle.id,
                "kind": task.kind,
                "scope_type": task.scope_type,
                "scope_id": task.scope_id,
                "path": str(task.path),
                "checksum": checksum,
                "size": size,
            }
        )
        written.files[task.kind] = written.files.get(task.kind, 0) + 1
        written.bytes += size
        if done % 200 == 0:
            say(f"{period}: {done}/{len(tasks)} rapporten geschreven")
    if check is not None:
        check()
    # Every file on disk before any is recorded. A single report, written
    # while someone waits for it, is flushed by itself rather than with
    # whatever else the file system has to write.
    store.make_durable(directory, each=only is not None)
    store.record(
        [{**row, "created_at": snapshot} for row in rows],
        provisional=data.provisional,
    )
    say(f"{period}: {len(rows)} rapporten vastgelegd, {len(written.failed)} mislukt")
    return written


def needs_reports(cycle: Cycle) -> bool:
    """True when the cycle has no reports yet, its results were computed
    after its newest reports were written, or it is closed and its newest
    reports were written while it was open (they say "voorlopig")."""
    newest = (
        ReportFile.select(ReportFile.created_at)
        .where(ReportFile.cycle == cycle)
        .order_by(ReportFile.created_at.desc())
        .first()
    )
    if newest is None:
        return True
    state, closed_at = (
        Cycle.select(Cycle.state, Cycle.closed_at).where(Cycle.id == cycle.id).tuples().get()
    )
    if state == "gesloten" and closed_at is not None and newest.created_at < closed_at:
        return True
    stamp = IndicatorStamp.get_or_none(IndicatorStamp.cycle == cycle)
    return stamp is not None and stamp.computed_at > newest.created_at


def has_submissions(cycle: Cycle) -> bool:
    """Whether the cycle has a submitted assessment (and so reports)."""
    return (
        Assessment.select()
        .where(Assessment.cycle == cycle, Assessment.state == "ingediend")
        .exists()
    )


def cycles_with_submissions() -> list[int]:
    """Ids of the cycles with at least one submitted assessment: the only ones
    with reports (without one, every figure would be empty). One index probe
    per cycle, not a pass over every assessment."""
    submitted = Assessment.select(Assessment.id).where(
        Assessment.cycle == Cycle.id, Assessment.state == "ingediend"
    )
    return [
        cycle_id
        for (cycle_id,) in Cycle.select(Cycle.id)
        .where(fn.EXISTS(submitted))
        .order_by(Cycle.id)
        .tuples()
    ]


def has_final_reports(cycle: Cycle) -> bool:
    """Whether a closed cycle's newest reports were written after it closed:
    only then may they be mailed."""
    fresh = Cycle.get_by_id(cycle.id)
    return fresh.state == "gesloten" and not needs_reports(fresh)


def report_on_demand(
    cycle: Cycle, kind: str, scope_type: str, scope_id: int, root: Path | str
) -> ReportFile | None:
    """The current file of one report; written now when there is none (the
    nightly writes only the open and the latest closed cycle's reports, so
    older cycles' reports are written on first download, one at a time) or
    when the cycle closed after it was written. None when the cycle has no
    submitted assessment, or the report cannot be written."""
    current = store.latest(cycle, kind, scope_type, scope_id)
    if current is not None:
        if cycle.state == "open":
            return current  # kept up to date by the nightly
        stamp = IndicatorStamp.get_or_none(IndicatorStamp.cycle == cycle)
        if stamp is None or stamp.computed_at <= current.created_at:
            return current
    if cycle.state == "gepland" or not has_submissions(cycle):
        return current
    try:
        done = write_cycle_reports(cycle, root, processes=1, only=(kind, scope_type, scope_id))
    except OSError:
        logger.exception("report %s %s %s not written on demand", kind, scope_type, scope_id)
        return current
    if done.failed:
        logger.warning("report on demand failed: %s", done.failed)
    return store.latest(cycle, kind, scope_type, scope_id) or current
