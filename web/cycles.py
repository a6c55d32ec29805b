"""Cycle management for the beheerder and the progress monitor for
coordinators: who is late (filtered and sorted by any column), send a
reminder to one organisation or, after a confirmation, to everyone who has
not submitted, export the list."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from domain import assessment_access, assessment_saving, assessment_steps
from domain import cycles as domain
from domain.audit import record
from domain.scope import is_admin, readable_assessments, roles_of
from models import Assessment, Cycle, FrameworkVersion, Organisation, Region, utcnow
from models.choices import ASSESSMENT_STATES, CYCLE_STATES, N_, ORGANISATION_KINDS
from models.compiled import CompiledQuery
from reports.excel import neutralise
from web import labels
from web.access import access, deny, scoped_or_404
from web.form_errors import FieldErrors, page_status
from web.formatting import local, local_today, say
from web.links import url_by_id

bp = Blueprint("cycles", __name__)


def _link():
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda assessment_id: base + url_for("assessments.form", assessment_id=assessment_id)


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@bp.route("/beheer/rondes", methods=["GET", "POST"])
@access("admin")
def index():
    frameworks = list(
        FrameworkVersion.select()
        .where(FrameworkVersion.state == "gepubliceerd")
        .order_by(FrameworkVersion.slug, FrameworkVersion.version.desc())
    )
    form = {
        "period": "",
        "framework": str(frameworks[0].id) if frameworks else "",
        "opens_on": "",
        "due_on": "",
        "closes_on": "",
        "reminder_days": "14,7,1",
    }
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in form}
        framework = next((f for f in frameworks if str(f.id) == form["framework"]), None)
        errors, dates = _cycle_form_errors(form, framework)
        if errors:
            status = 400
        else:
            try:
                cycle = domain.create_cycle(
                    current_user.user,
                    form["period"],
                    framework,
                    reminder_days=form["reminder_days"],
                    **dates,
                )
            except domain.CycleError as exc:
                # What is left after the checks above: the period already has a cycle.
                errors["period"] = say(str(exc))
                status = 400
            else:
                flash(
                    _(
                        "Ronde %(period)s is aangemaakt. Open de ronde wanneer het zover is.",
                        period=cycle.period,
                    ),
                    "info",
                )
                return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return render_template(
        "cycles/index.html",
        cycles=Cycle.select().order_by(Cycle.period.desc()),
        frameworks=frameworks,
        form=form,
        errors=errors,
        labels=CYCLE_FORM_LABELS,
        STATES=CYCLE_STATES,
    ), status


# The fields of the new-cycle form in page order, for the error summary.
CYCLE_FORM_LABELS = {
    "period": N_("Periode"),
    "framework": N_("Afsprakenkader"),
    "opens_on": N_("Open vanaf"),
    "due_on": N_("Uiterste datum"),
    "closes_on": N_("Sluit op"),
    "reminder_days": N_("Herinneringen"),
}


def _cycle_form_errors(form: dict, framework) -> tuple[dict[str, str], dict]:
    """Every problem of the new-cycle form at once, by field (so each is shown
    at its field), and the dates that could be read."""
    errors: dict[str, str] = {}
    if not domain.PERIOD_RE.match(form["period"].upper()):
        errors["period"] = _(domain.PERIOD_MESSAGE)
    if framework is None:
        errors["framework"] = _("Kies een gepubliceerde versie van het afsprakenkader.")
    dates = {k: _date(form[k]) for k in ("opens_on", "due_on", "closes_on")}
    for key, day in dates.items():
        if day is None:
            errors[key] = _("Vul een geldige datum in.")
    opens, due, closes = dates["opens_on"], dates["due_on"], dates["closes_on"]
    if opens and due and due < opens:
        errors["due_on"] = _("Kies een uiterste datum op of na de dag waarop de ronde opengaat.")
    if due and closes and closes < due:
        errors["closes_on"] = _("Kies een sluitingsdatum op of na de uiterste datum.")
    try:
        domain.parse_reminder_days(form["reminder_days"])
    except domain.CycleError as exc:
        errors["reminder_days"] = say(str(exc))
    return errors, dates


@bp.route("/beheer/rondes/<int:cycle_id>")
@access("admin")
def detail(cycle_id: int):
    return _detail_page(scoped_or_404(Cycle.select(), cycle_id))


def _detail_page(cycle: Cycle, errors: FieldErrors | None = None):
    """The page of one cycle; shown again when opening it lacks a confirmation."""
    errors = errors or FieldErrors()
    rows = domain.monitor_rows(cycle)
    preview = domain.invitation_preview(cycle) if cycle.state == "gepland" else None
    return render_template(
        "cycles/detail.html",
        cycle=cycle,
        rows=rows,
        preview=preview,
        early=domain.opens_early(cycle, local_today()),
        others_open=domain.others_open(cycle) if cycle.state == "gepland" else [],
        errors=errors,
        labels=OPEN_FORM_LABELS,
        STATES=CYCLE_STATES,
        ASSESSMENT_STATES=ASSESSMENT_STATES,
    ), page_status(errors)


# The confirmations of the open form, for the error summary.
OPEN_FORM_LABELS = {"early": N_("Nu al openen"), "second": N_("Naast de open ronde openen")}


@bp.route("/beheer/rondes/<int:cycle_id>/openen", methods=["POST"])
@access("admin")
def open_(cycle_id: int):
    cycle = scoped_or_404(Cycle.select(), cycle_id)
    errors = FieldErrors()
    if cycle.state == "gepland":
        for field, message in domain.opening_problems(
            cycle,
            local_today(),
            request.form.get("early") == "1",
            second_confirmed=request.form.get("second") == "1",
        ).items():
            errors.add(field, _(message))
    if errors:
        return _detail_page(cycle, errors)
    try:
        created = domain.open_cycle(current_user.user, cycle, _link())
    except domain.CycleError as exc:
        # Opened or closed meanwhile: nothing typed to keep, the page says how it is now.
        flash(_(str(exc)), "error")
    else:
        flash(
            _(
                "Ronde %(period)s is geopend: %(count)s zelfevaluaties klaargezet en "
                "uitnodigingen verstuurd.",
                period=cycle.period,
                count=created,
            ),
            "info",
        )
    return redirect(url_for("cycles.detail", cycle_id=cycle.id))


@bp.route("/beheer/rondes/<int:cycle_id>/sluiten", methods=["POST"])
@access("admin")
def close(cycle_id: int):
    cycle = scoped_or_404(Cycle.select(), cycle_id)
    try:
        domain.close_cycle(current_user.user, cycle)
    except domain.CycleError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("Ronde %(period)s is gesloten.", period=cycle.period), "info")
    return redirect(url_for("cycles.detail", cycle_id=cycle.id))


# --- progress monitor --------------------------------------------------------


def _monitor_regions(user) -> list[Region]:
    if is_admin(user):
        return list(Region.select().order_by(Region.name))
    # The regions come with the roles, already read.
    regions = {r.region_id: r.region for r in roles_of(user) if r.role == "regiocoordinator"}
    return sorted(regions.values(), key=lambda region: (region.name, region.id))


# A cycle the monitor shows (not one still planned).
_SHOWN_CYCLE = CompiledQuery(
    lambda cycle_id: Cycle.select().where(Cycle.id == cycle_id, Cycle.state != "gepland")
)


def _monitor(cycle_id: int):
    """The cycle, the regions this person follows, the chosen region (None: the
    national overview, for whoever follows more than one region) and its rows."""
    cycle = _SHOWN_CYCLE.first(cycle_id)
    if cycle is None:
        deny(404)
    regions = _monitor_regions(current_user.user)
    if not regions:
        deny(404)
    code = request.args.get("regio") or (regions[0].code if len(regions) == 1 else "")
    if not code:
        ids = Organisation.select(Organisation.id).where(
            Organisation.region.in_([r.id for r in regions])
        )
        return cycle, regions, None, domain.monitor_rows(cycle, ids)
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        deny(404)
    return cycle, regions, region, domain.monitor_rows(cycle, region=region)


# Filters of the monitor's table (query parameter `status`): a state, the
# late ones, or everyone who has not submitted.
FILTERS = {
    "niet_gestart": lambda row: row["state"] == "niet_gestart",
    "concept": lambda row: row["state"] == "concept",
    "heropend": lambda row: row["state"] == "heropend",
    "ingediend": lambda row: row["state"] == "ingediend",
    "niet_ingediend": lambda row: row["state"] != "ingediend",
    "te_laat": lambda row: row["timing"] == "te laat",
}
FILTER_LABELS = {
    "niet_ingediend": N_("Nog niet ingediend"),
    **{
        state: labels.DISPLAY_STATES[state]
        for state in ("niet_gestart", "concept", "heropend", "ingediend")
    },
    "te_laat": N_("Te laat"),
}
# From furthest behind to done: a reopened assessment is to be submitted again.
_STATE_ORDER = {"niet_gestart": 0, "concept": 1, "heropend": 2, "ingediend": 3}
_TIMING_ORDER = {"te laat": 0, "nog niet ingediend": 1, "op tijd": 2}
# Sortable columns (query parameter `sorteer`), each with its sort key; an
# empty value sorts last either way.
SORTS = {
    "organisatie": lambda row: row["organisation"].name.casefold(),
    "status": lambda row: _STATE_ORDER.get(row["state"], 99),
    "beantwoord": lambda row: row["answered"] / row["total"] if row["total"] else 0.0,
    "gewijzigd": lambda row: row["updated_at"],
    "tijdigheid": lambda row: _TIMING_ORDER.get(row["timing"], 9),
    "herinnerd": lambda row: row["last_reminder"],
}

SORT_LABELS = {
    "organisatie": N_("Organisatie"),
    "status": N_("Status"),
    "beantwoord": N_("Beantwoord"),
    "gewijzigd": N_("Laatste wijziging"),
    "tijdigheid": N_("Tijdigheid"),
    "herinnerd": N_("Laatste herinnering"),
}


def _filtered_sorted(rows: list[dict], status: str, column: str, descending: bool) -> list[dict]:
    """The monitor's rows as the query parameters ask: one status, sorted by a column."""
    if status in FILTERS:
        rows = [row for row in rows if FILTERS[status](row)]
    key = SORTS[column]
    present = [row for row in rows if key(row) is not None]
    empty = [row for row in rows if key(row) is None]
    # Ties keep the organisation order, so a sort by status is alphabetical within.
    present.sort(key=SORTS["organisatie"])
    present.sort(key=key, reverse=descending)
    return present + empty


@bp.route("/rondes/<int:cycle_id>/voortgang")
@access("coordinator")
def monitor(cycle_id: int):
    cycle, regions, region, rows = _monitor(cycle_id)
    fmt = request.args.get("formaat", "")
    if fmt in ("csv", "xlsx"):
        record(
            "monitor_exported",
            user=current_user.user,
            object_type="cycle",
            object_id=cycle.id,
            region=region.code if region else "",
            format=fmt,
        )
        return _export(cycle, region, rows, fmt)
    return _monitor_page(cycle, regions, region, rows)


def _monitor_page(
    cycle: Cycle,
    regions: list[Region],
    region: Region | None,
    rows: list[dict],
    errors: FieldErrors | None = None,
    typed: dict[int, str] | None = None,
):
    """The monitor as the query parameters ask; shown again (at the address of
    the reopen form, which carries them) with the reason typed when reopening
    failed."""
    errors = errors or FieldErrors()
    counts = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    late = sum(1 for row in rows if row["timing"] == "te laat")
    status = request.args.get("status", "")
    status = status if status in FILTERS else ""
    column = request.args.get("sorteer", "")
    column = column if column in SORTS else "organisatie"
    descending = request.args.get("volgorde") == "af"
    shown = _filtered_sorted(rows, status, column, descending) if region else []
    here = {"regio": region.code if region else None, "status": status or None}
    if column != "organisatie" or descending:
        here |= {"sorteer": column, "volgorde": "af" if descending else "op"}
    filter_counts = {name: sum(1 for row in rows if test(row)) for name, test in FILTERS.items()}
    ready = sum(1 for row in rows if labels.display_state(row["assessment"]) == labels.READY)
    return render_template(
        "cycles/monitor.html",
        cycle=cycle,
        regions=regions,
        region=region,
        rows=shown,
        all_rows=len(rows),
        status=status,
        column=column,
        descending=descending,
        FILTER_LABELS=FILTER_LABELS,
        SORT_LABELS=SORT_LABELS,
        filter_counts=filter_counts,
        to_remind=filter_counts["niet_ingediend"],
        by_region=domain.monitor_by_region(rows) if region is None else [],
        counts=counts,
        late=late,
        ready=ready,
        # Whoever sees a region here follows it (beheerder or its coordinator),
        # so every submitted assessment of an open cycle may be reopened.
        may_reopen=region is not None and cycle.state == "open",
        STATES=ASSESSMENT_STATES,
        KINDS=ORGANISATION_KINDS,
        # Labels and links of the rows, worked out once rather than per row.
        state_labels={state: _(label) for state, label in labels.DISPLAY_STATES.items()},
        display_state=labels.display_state,
        kind_labels=defaultdict(
            str, {kind: _(label) for kind, label in ORGANISATION_KINDS.items()}
        ),
        timing_labels={timing: _(timing) for timing in {row["timing"] for row in rows}},
        form_url=url_by_id("assessments.form"),
        remind_url=url_by_id("cycles.remind", cycle_id=cycle.id),
        reopen_url=url_by_id("cycles.reopen", cycle_id=cycle.id, **here),
        errors=errors,
        labels={
            f"reason-{row['assessment'].id}": _(
                "Reden om %(name)s te heropenen", name=row["organisation"].name
            )
            for row in rows
            if f"reason-{row['assessment'].id}" in errors
        },
        typed=typed or {},
    ), page_status(errors)


@bp.route("/rondes/<int:cycle_id>/herinnering/<int:assessment_id>", methods=["POST"])
@access("coordinator")
def remind(cycle_id: int, assessment_id: int):
    cycle = scoped_or_404(Cycle.select(), cycle_id)
    assessment = scoped_or_404(
        readable_assessments(current_user.user).where(Assessment.cycle == cycle), assessment_id
    )
    try:
        count = domain.remind_now(current_user.user, assessment, _link())
    except domain.CycleError as exc:
        flash(_(str(exc)), "error")
    else:
        if count:
            flash(
                _(
                    "Herinnering verstuurd naar %(count)s personen van %(name)s.",
                    count=count,
                    name=assessment.organisation.name,
                ),
                "info",
            )
        else:
            flash(
                _(
                    "%(name)s heeft vandaag al een herinnering gekregen.",
                    name=assessment.organisation.name,
                ),
                "info",
            )
    return redirect(
        url_for("cycles.monitor", cycle_id=cycle.id, regio=assessment.organisation.region.code)
    )


@bp.route("/rondes/<int:cycle_id>/herinner-iedereen", methods=["GET", "POST"])
@access("coordinator")
def bulk_remind(cycle_id: int):
    """Remind everyone who has not submitted, in the region chosen (or every
    region this person follows): first a confirmation that says how many
    organisations and people, then the reminders."""
    cycle, _regions, region, rows = _monitor(cycle_id)
    back = url_for("cycles.monitor", cycle_id=cycle.id, regio=region.code if region else None)
    if cycle.state != "open":
        flash(_("Deze ronde is niet open: er gaan geen herinneringen meer uit."), "error")
        return redirect(back)
    assessments = [row["assessment"] for row in rows]
    if request.method == "POST":
        done = domain.remind_all(
            current_user.user,
            cycle,
            assessments,
            _link(),
            {row["assessment"].id: (row["answered"], row["total"]) for row in rows},
        )
        if done["messages"]:
            flash(
                _(
                    "Herinnering verstuurd naar %(people)s personen van %(organisations)s "
                    "organisaties.",
                    people=done["people"],
                    organisations=done["organisations"],
                ),
                "info",
            )
        else:
            flash(_("Er was niemand meer om vandaag aan te herinneren."), "info")
        return redirect(back)
    plan = domain.reminder_plan(cycle, assessments, utcnow().date())
    return render_template(
        "cycles/remind_all.html",
        cycle=cycle,
        region=region,
        plan=plan,
        back=back,
        not_submitted=sum(1 for row in rows if row["state"] != "ingediend"),
    )


@bp.route("/rondes/<int:cycle_id>/heropenen/<int:assessment_id>", methods=["POST"])
@access("coordinator")
def reopen(cycle_id: int, assessment_id: int):
    """Reopen a submitted assessment from the monitor, with the reason the invullers see."""
    cycle = scoped_or_404(Cycle.select(), cycle_id)
    assessment = scoped_or_404(
        readable_assessments(current_user.user).where(Assessment.cycle == cycle), assessment_id
    )
    reason = request.form.get("reason", "")
    try:
        assessment_steps.reopen(current_user.user, assessment, reason, link_for=_link())
    except assessment_saving.StateError as exc:
        if assessment_access.can_reopen(current_user.user, assessment):
            # A problem with the reason: the monitor again, the reason at its row.
            _cycle, regions, region, rows = _monitor(cycle_id)
            errors = FieldErrors()
            errors.add(f"reason-{assessment.id}", say(exc.args[0]))
            return _monitor_page(cycle, regions, region, rows, errors, {assessment.id: reason})
        # Reopened or closed meanwhile: the monitor says how it is now.
        flash(say(exc.args[0]), "error")
    else:
        flash(
            _(
                "De zelfevaluatie van %(name)s is heropend; de invullers zien uw reden.",
                name=assessment.organisation.name,
            ),
            "info",
        )
    return redirect(
        url_for(
            "cycles.monitor",
            cycle_id=cycle.id,
            regio=request.args.get("regio") or assessment.organisation.region.code,
            status=request.args.get("status"),
            sorteer=request.args.get("sorteer"),
            volgorde=request.args.get("volgorde"),
        )
    )


EXPORT_COLUMNS = [
    N_("Organisatie"),
    N_("Soort"),
    N_("Status"),
    N_("Beantwoord"),
    N_("Aantal afspraken"),
    N_("Laatste wijziging"),
    N_("Ingediend op"),
    N_("Tijdigheid"),
    N_("Laatste herinnering"),
]


def _export_rows(rows: list[dict]) -> list[list]:
    return [
        [
            row["organisation"].name,
            _(ORGANISATION_KINDS.get(row["organisation"].kind, "")),
            labels.label(labels.DISPLAY_STATES, labels.display_state(row["assessment"])),
            row["answered"],
            row["total"],
            local(row["updated_at"]),
            local(row["submitted_at"]),
            _(row["timing"]),
            local(row["last_reminder"]),
        ]
        for row in rows
    ]


def _export(cycle: Cycle, region: Region | None, rows: list[dict], fmt: str) -> Response:
    name = f"voortgang-{cycle.period}-{region.code if region else 'alle-regio-s'}"
    data = _export_rows(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow([_(c) for c in EXPORT_COLUMNS])
        for row in data:
            writer.writerow(
                [
                    neutralise(
                        v.strftime("%d-%m-%Y %H:%M")
                        if isinstance(v, dt.datetime)
                        else v
                        if v is not None
                        else ""
                    )
                    for v in row
                ]
            )
        return Response(
            "\ufeff" + out.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    wb = Workbook()
    ws = wb.active
    ws.title = "Voortgang"
    ws.append([_(c) for c in EXPORT_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in data:
        ws.append([neutralise(v) for v in row])
    for cells in ws.iter_rows(min_row=2):
        for cell in (*cells[5:7], cells[8]):
            cell.number_format = "dd-mm-yyyy hh:mm"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for letter, width in zip("ABCDEFGHI", (45, 28, 14, 12, 16, 18, 18, 18, 20), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
