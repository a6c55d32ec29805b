"""The quarterly distribution: when a cycle has closed, each manager receives
the organisation's PDF, each regiocoördinator the region's PDF and each
gemeente user the gemeente workbook, by e-mail through the outbox. The mail
itself says what matters for its reader (`reports.digest`), in the reader's
language.

Exactly once per recipient and report: every message has a dedupe key
(cycle, kind, scope, user), so a rerun queues nothing twice, and the run
itself is claimed once per cycle."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from domain.mail import language_of, queue_template
from jobs.runs import claimed_run
from models import Cycle, OutboxMessage, RoleAssignment, User
from reports import store
from reports.build import needs_reports, write_cycle_reports
from reports.digest import Digest, Digests

# role → (report kind, scope type, the assignment's scope field)
logger = logging.getLogger(__name__)

RECIPIENTS = {
    "manager": ("pdf_organisation", "organisatie", "organisation_id"),
    "regiocoordinator": ("pdf_region", "regio", "region_id"),
    "gemeente": ("xlsx_gemeente", "gemeente", "gemeente_id"),
}


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
        queued = skipped = missing = failed = 0
        assignments = (
            RoleAssignment.select(RoleAssignment, User)
            .join(User)
            .where(RoleAssignment.role.in_(list(RECIPIENTS)), User.active == True)  # noqa: E712
            .order_by(RoleAssignment.id)
        )
        digests = Digests(cycle, link)
        prefix = f"rapport:{cycle.period}:"
        queued_before = {
            key
            for (key,) in OutboxMessage.select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.dedupe_key.startswith(prefix))
            .tuples()
        }
        for assignment in assignments:
            kind, scope_type, field = RECIPIENTS[assignment.role]
            scope_id = getattr(assignment, field)
            report = store.latest(cycle, kind, scope_type, scope_id)
            if report is None:
                missing += 1  # e.g. an organisation without an assessment this cycle
                continue
            key = f"{prefix}{kind}:{scope_id}:{assignment.user_id}"
            if key in queued_before:
                skipped += 1  # queued before: not built again
                continue
            try:
                digest = digest_for(digests, assignment, language_of(assignment.user), report.path)
            except Exception:  # one reader's mail never stops everyone else's
                logger.exception("quarterly mail for %s not built", assignment.user.email)
                failed += 1
                continue
            message = queue_template(
                key, assignment.user, "quarterly", attachments=[report.path], digest=digest
            )
            if message is None:
                skipped += 1
            else:
                queued += 1
        run.beat(
            mail_queued=queued, already_queued=skipped, without_report=missing, mail_failed=failed
        )
        say(f"{cycle.period}: {queued} rapportmails klaargezet ({skipped} al eerder)")
        return run.summary


def digest_for(digests: Digests, assignment: RoleAssignment, language: str, path: str) -> Digest:
    """The quarterly mail's content for one role assignment and its report file."""
    user, name = assignment.user, Path(path).name
    if assignment.role == "manager":
        return digests.manager(user, assignment.organisation_id, language, name)
    if assignment.role == "regiocoordinator":
        return digests.coordinator(user, assignment.region_id, language, name)
    return digests.gemeente(user, assignment.gemeente_id, language, path)
