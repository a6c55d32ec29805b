"""Writing a cycle's reports into the store: the region comparison workbook, a
workbook per gemeente, a PDF per region and per organisation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models import Assessment, Cycle, IndicatorStamp, ReportFile, RoleAssignment, utcnow
from reports import store
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


def write_cycle_reports(
    cycle: Cycle,
    root: Path | str,
    run_id: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> WrittenReports:
    """All reports of a cycle in a new directory of the store; recorded as the
    current ones only when every file is written."""
    say = progress or (lambda message: None)
    data = CycleData.load(cycle)
    directory = store.run_directory(Path(root), cycle, run_id)
    written = WrittenReports(cycle=cycle.period, directory=str(directory))
    rows: list[dict] = []

    def add(kind: str, scope_type: str, scope_id: int, name: str, write) -> None:
        path = directory / name
        try:
            checksum, size = store.write_atomic(path, write)
        except OSError:
            raise  # the disk, not the data: stop, and the previous reports stay current
        except Exception as exc:  # one scope's data never stops everyone else's report
            logger.exception("report %s of %s %s failed", kind, scope_type, scope_id)
            written.failed.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
            say(f"{period}: rapport {name} mislukt ({type(exc).__name__})")
            return
        rows.append(
            {
                "run": run_id,
                "cycle": cycle.id,
                "kind": kind,
                "scope_type": scope_type,
                "scope_id": scope_id,
                "path": str(path),
                "checksum": checksum,
                "size": size,
            }
        )
        written.files[kind] = written.files.get(kind, 0) + 1
        written.bytes += size

    period = cycle.period
    add(
        "xlsx_regions", "land", 0, f"Regiovergelijking-{period}.xlsx",
        lambda path: region_workbook(data, path),
    )  # fmt: skip
    say(f"{period}: regiovergelijking geschreven")
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
    say(f"{period}: {written.files.get('xlsx_gemeente', 0)} gemeente-overzichten geschreven")
    active_regions = {o.region_id for o in data.organisations.values()}
    for region_id, region in data.regions.items():
        if region_id not in active_regions:
            continue
        add(
            "pdf_region", "regio", region_id,
            f"Regio-{store.slug(region.name)}-{period}.pdf",
            lambda path, r=region_id: write_pdf(scope_report(data, "regio", r), path),
        )  # fmt: skip
    organisations = [o for o in data.organisations.values() if o.id in data.responses]
    for n, org in enumerate(organisations, start=1):
        add(
            "pdf_organisation", "organisatie", org.id,
            f"Organisatie-{store.slug(org.name)}-{org.id}-{period}.pdf",
            lambda path, o=org.id: write_pdf(scope_report(data, "organisatie", o), path),
        )  # fmt: skip
        if n % 200 == 0:
            say(f"{period}: {n}/{len(organisations)} organisatierapporten geschreven")
    now = utcnow()
    store.record([{**row, "created_at": now} for row in rows])
    say(f"{period}: {len(rows)} rapporten vastgelegd, {len(written.failed)} mislukt")
    return written


def needs_reports(cycle: Cycle) -> bool:
    """True when the cycle has no reports yet, or its results were computed
    after its newest reports were written."""
    newest = (
        ReportFile.select(ReportFile.created_at)
        .where(ReportFile.cycle == cycle)
        .order_by(ReportFile.created_at.desc())
        .first()
    )
    if newest is None:
        return True
    stamp = IndicatorStamp.get_or_none(IndicatorStamp.cycle == cycle)
    return stamp is not None and stamp.computed_at > newest.created_at


def cycles_with_submissions() -> list[int]:
    """Ids of the cycles with at least one submitted assessment: the only ones
    with reports (without one, every figure would be empty)."""
    return [
        cycle_id
        for (cycle_id,) in Assessment.select(Assessment.cycle)
        .where(Assessment.state == "ingediend")
        .distinct()
        .tuples()
    ]
