"""The batch run log: every run of the nightly jobs with its earlier attempts."""

from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request

from jobs import status
from models import ReportRun, ReportRunEarlier
from web import labels
from web.access import access
from web.admin.blueprint import bp
from web.admin.common import paginate
from web.formatting import datum


@bp.route("/batch")
@access("admin")
def runs():
    query = ReportRun.select().order_by(ReportRun.started_at.desc(), ReportRun.id.desc())
    job = request.args.get("taak", "")
    if job:
        query = query.where(ReportRun.job == job)
    jobs = [
        j for (j,) in ReportRun.select(ReportRun.job).distinct().order_by(ReportRun.job).tuples()
    ]
    page = paginate(query)
    earlier: dict[int, list[ReportRunEarlier]] = {}
    for attempt in (
        ReportRunEarlier.select()
        .where(ReportRunEarlier.run.in_([r.id for r in page["items"]]))
        .order_by(ReportRunEarlier.started_at.desc())
    ):
        earlier.setdefault(attempt.run_id, []).append(attempt)
    return render_template(
        "admin/runs.html",
        page=page,
        jobs=jobs,
        job=job,
        earlier=earlier,
        job_label=lambda code: labels.label(labels.JOBS, code),
        run_state=lambda code: labels.label(labels.RUN_STATES, code),
        run_period=_run_period,
        summary_items=labels.summary_items,
        next_run=status.next_run(current_app.config),
    )


def _run_period(period: str) -> str:
    """'2026-11-28' → '28 november 2026'; '2026-Q4@20261128101500' → '2026-Q4'."""
    try:
        return datum(dt.date.fromisoformat(period))
    except ValueError:
        pass
    try:  # a run started on request or at set-up: its moment (UTC)
        return datum(dt.datetime.strptime(period, "%Y%m%d%H%M%S"))
    except ValueError:
        return period.split("@")[0].split("#")[0]
