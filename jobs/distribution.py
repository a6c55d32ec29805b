"""The quarterly distribution: when a cycle has closed, each manager receives
the organisation's PDF, each regiocoördinator the region's PDF and each
gemeente user the gemeente workbook, by e-mail through the outbox.

Exactly once per recipient and report: every message has a dedupe key
(cycle, kind, scope, user), so a rerun queues nothing twice, and the run
itself is claimed once per cycle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from domain.mail import queue_template
from jobs.runs import claimed_run
from models import Cycle, Gemeente, Organisation, Region, RoleAssignment, User
from reports import store
from reports.build import needs_reports, write_cycle_reports

# role → (report kind, scope type, the assignment's scope field, mail wording)
RECIPIENTS = {
    "manager": ("pdf_organisation", "organisatie", "organisation_id",
                "Managementrapportage", "de managementrapportage van uw organisatie"),
    "regiocoordinator": ("pdf_region", "regio", "region_id",
                         "Managementrapportage regio", "de managementrapportage van uw regio"),
    "gemeente": ("xlsx_gemeente", "gemeente", "gemeente_id",
                 "Afsprakenmonitor gemeente", "het Excel-overzicht van uw gemeente"),
}  # fmt: skip

NAMES = {"organisatie": Organisation, "regio": Region, "gemeente": Gemeente}


def distribute(
    cycle: Cycle,
    reports_dir: Path | str,
    link: str,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Queue the cycle's reports for everyone who should receive them."""
    say = progress or (lambda message: None)
    if cycle.state != "gesloten":
        raise ValueError(f"ronde {cycle.period} is nog niet gesloten")
    with claimed_run("distributie", cycle.period, force) as run:
        if needs_reports(cycle):
            written = write_cycle_reports(cycle, reports_dir, run.row.id, progress)
            run.beat(reports_written=sum(written.files.values()), reports_failed=written.failed)
        queued = skipped = missing = 0
        assignments = (
            RoleAssignment.select(RoleAssignment, User)
            .join(User)
            .where(RoleAssignment.role.in_(list(RECIPIENTS)), User.active == True)  # noqa: E712
            .order_by(RoleAssignment.id)
        )
        names: dict[tuple[str, int], str] = {}
        for assignment in assignments:
            kind, scope_type, field, title, description = RECIPIENTS[assignment.role]
            scope_id = getattr(assignment, field)
            report = store.latest(cycle, kind, scope_type, scope_id)
            if report is None:
                missing += 1  # e.g. an organisation without an assessment this cycle
                continue
            key = (scope_type, scope_id)
            if key not in names:
                names[key] = NAMES[scope_type].get_by_id(scope_id).name
            message = queue_template(
                f"rapport:{cycle.period}:{kind}:{scope_id}:{assignment.user_id}",
                assignment.user,
                "report",
                attachments=[report.path],
                cycle=cycle,
                title=title,
                description=description,
                scope_name=names[key],
                link=link,
            )
            if message is None:
                skipped += 1
            else:
                queued += 1
        run.beat(mail_queued=queued, already_queued=skipped, without_report=missing)
        say(f"{cycle.period}: {queued} rapportmails klaargezet ({skipped} al eerder)")
        return run.summary
